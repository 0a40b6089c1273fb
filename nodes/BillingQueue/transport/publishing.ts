// Publishing with the topology in place: declare (cached per connection), publish with
// confirms, and if the broker returns the message unrouted (a queue was deleted behind our
// cache), declare again and retry once.
import type { BrokerChannel } from './channel';
import { BrokerError } from './errors';
import type { OutgoingMessage, TopologySpec } from './types';

export async function publishConfirmed(channel: BrokerChannel, spec: TopologySpec, msg: OutgoingMessage): Promise<void> {
	await channel.declare(spec);
	try {
		await channel.publish(spec.exchange, msg);
	} catch (error) {
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- below the router: toNodeError makes it a NodeApiError/NodeOperationError once
		if (!(error instanceof BrokerError) || error.kind !== 'unroutable' || channel.closed) throw error;
		channel.forgetDeclared(spec);
		await channel.declare(spec);
		await channel.publish(spec.exchange, msg);
	}
}
