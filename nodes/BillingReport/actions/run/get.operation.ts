// Get Report: a run's report as it stands (JSON, CSV as binary), e.g. for a webhook that hands it
// to another system. Run ID empty: the most recent run.
import type { INodeProperties } from 'n8n-workflow';
import { forOperation } from '../../../shared/descriptions';
import { FieldError } from '../../../shared/errors';
import type { OperationContext } from '../../../shared/operation';
import { textParameter } from '../../../shared/parameters';
import type { ReportClient } from '../../helpers/client';
import { reportItem } from '../../helpers/reportItem';

export const description: INodeProperties[] = forOperation('run', 'get', [
	{
		displayName: 'Billing Run ID',
		name: 'runId',
		type: 'string',
		default: '',
		description: 'Leave empty for the most recent run',
	},
]);

export async function execute(ctx: OperationContext<ReportClient>): Promise<void> {
	for (let i = 0; i < ctx.items.length; i++) {
		try {
			const runId = textParameter(ctx.fns, 'runId', i).trim() || (await ctx.client.store.listRuns(1))[0]?.runId;
			if (!runId) throw new FieldError('runId', 'No billing run has been recorded yet');
			const report = await ctx.client.report(runId);
			if (!report) throw new FieldError('runId', `Billing Run ID "${runId}": no such run in the ledger (${ctx.client.store.target})`);
			ctx.results.successItem(i, await reportItem(ctx.fns, report));
		} catch (error) {
			ctx.results.error(i, error);
		}
	}
}
