// The node's router table: the `secureTradingApi` credential becomes one connection for all
// items; successes go to output 1, declined/failed items to output 2, each with its pairedItem.
// Debits run several items at once (their own Concurrency option); the others one at a time.
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { route, type RouterTable } from '../../shared/router';
import { connectionFromCredentials, type SecureTradingConnection } from '../transport/credentials';
import * as payment from './payment';
import * as transaction from './transaction';

const table: RouterTable<SecureTradingConnection> = {
	credential: 'secureTradingApi',
	connect: (_fns, credentials) => ({ client: connectionFromCredentials(credentials) }),
	outputs: 2,
	usage: (client) => ({ gatewayCalls: client.transport.requests?.count ?? 0 }),
	operations: {
		payment: {
			debitStoredCard: payment.debitStoredCard.execute,
			refund: payment.refund.execute,
			accountCheck: payment.accountCheck.execute,
		},
		transaction: {
			query: transaction.query.execute,
		},
	},
};

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await route(this, table);
}
