// The Billing Report router table: the store is chosen by the Store parameter (a folder needs
// no credential; PostgreSQL reads n8n's Postgres credential) and shared by every operation.
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { textParameter } from '../../shared/parameters';
import { route, type RouterTable } from '../../shared/router';
import type { ReportClient } from '../helpers/client';
import { buildReport } from '../helpers/report';
import { openStore } from '../store';
import * as check from './alert/check.operation';
import * as due from './run/due.operation';
import * as checkReplay from './page/checkReplay.operation';
import * as render from './page/render.operation';
import * as get from './run/get.operation';
import * as markReported from './run/markReported.operation';
import * as record from './run/record.operation';
import * as start from './run/start.operation';

export const table: RouterTable<ReportClient> = {
	credential: { parameter: 'store', byValue: { file: null, postgres: 'postgres' } },
	connect: (fns, credentials) => {
		const kind = textParameter(fns, 'store', 0, 'file') === 'postgres' ? 'postgres' : 'file';
		const store = openStore(kind, credentials, textParameter(fns, 'options.ledgerFolder', 0));
		return { client: { store, report: async (runId: string) => buildReport(await store.read(runId)) } };
	},
	outputs: 2,
	operations: {
		alert: { check: check.execute },
		page: { render: render.execute, checkReplay: checkReplay.execute },
		run: { start: start.execute, record: record.execute, due: due.execute, get: get.execute, markReported: markReported.execute },
	},
};

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await route(this, table);
}
