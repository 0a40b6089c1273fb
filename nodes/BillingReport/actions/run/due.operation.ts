// Due Reports: run on a schedule. Every recent run whose report is due and not yet sent (complete,
// or past its deadline with keys still in flight, or complete but its email failed) comes out as
// its report. One output item per run; none when nothing is due.
import type { INodeProperties } from 'n8n-workflow';
import { forOperation } from '../../../shared/descriptions';
import type { OperationContext } from '../../../shared/operation';
import { numberParameter } from '../../../shared/parameters';
import type { ReportClient } from '../../helpers/client';
import { reportDue } from '../../helpers/report';
import { reportItem } from '../../helpers/reportItem';

export const description: INodeProperties[] = forOperation('run', 'due', [
	{
		displayName: 'Runs to Check',
		name: 'runCount',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 20,
		description: 'How many of the most recent runs to look at',
	},
]);

export async function execute(ctx: OperationContext<ReportClient>): Promise<void> {
	const now = new Date();
	const count = numberParameter(ctx.fns, 'runCount', 0, { default: 20, min: 1, max: 1000, integer: true, label: 'Runs to Check' });
	const out = [];
	for (const header of await ctx.client.store.listRuns(count)) {
		if (header.reportedAt) continue;
		const report = await ctx.client.report(header.runId);
		const due = report ? reportDue(report, now) : undefined;
		if (report && due) out.push({ ...(await reportItem(ctx.fns, report, due)), pairedItem: { item: 0 } });
	}
	ctx.results.successItems(0, out);
	for (let i = 1; i < ctx.items.length; i++) ctx.results.successItems(i, []);
}
