// One operation, no credential: the kit's router with the node's only resource and operation.
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { route, type RouterTable } from '../../shared/router';
import * as prepare from './invoice/prepare.operation';

const table: RouterTable<undefined> = {
	connect: () => ({ client: undefined }),
	outputs: 2,
	operations: { invoice: { prepare: prepare.execute } },
	defaultResource: 'invoice',
	defaultOperation: 'prepare',
};

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await route(this, table);
}
