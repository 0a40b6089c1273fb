// The Billing Queue node's router table: every operation borrows the pooled publisher
// connection of the credential and gives it back with a linger, so back-to-back executions reuse it.
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { route, type RouterTable } from '../../shared/router';
import { acquireConnection, connectionFromCredentials, CREDENTIAL_TYPE, type PooledConnection } from '../transport';
import * as publish from './message/publish.operation';
import * as retryOrPark from './message/retryOrPark.operation';
import * as peek from './parked/peek.operation';
import * as replay from './parked/replay.operation';
import * as statistics from './stage/statistics.operation';

/** Idle pooled connections close after this long. */
const CONNECTION_LINGER_MS = 60000;

const table: RouterTable<PooledConnection> = {
	credential: CREDENTIAL_TYPE,
	connect: async (_fns, credentials) => {
		const lease = await acquireConnection(connectionFromCredentials(credentials ?? {}), 'publisher');
		return { client: lease.connection, release: async () => await lease.release({ lingerMs: CONNECTION_LINGER_MS }) };
	},
	outputs: 1,
	operations: {
		message: { publish: publish.execute, retryOrPark: retryOrPark.execute },
		parked: { peek: peek.execute, replay: replay.execute },
		stage: { statistics: statistics.execute },
	},
};

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await route(this, table);
}
