// Broker failures as n8n errors: NodeApiError carrying RabbitMQ's own message.
import { type INode, type JsonObject, NodeApiError } from 'n8n-workflow';
import { BrokerError } from '../transport';

export function brokerFailure(node: INode, error: unknown, itemIndex?: number): Error {
	if (error instanceof BrokerError) {
		return new NodeApiError(node, { message: error.brokerMessage ?? error.message, kind: error.kind } as JsonObject, {
			message: error.message,
			description: error.brokerMessage && error.brokerMessage !== error.message ? `RabbitMQ: ${error.brokerMessage}` : undefined,
			itemIndex,
		});
	}
	return error as Error;
}
