// Record Outcomes: the report workflow's consumer. Each item is one stage's outcome for a billing
// key; all are appended to the ledger (durable before the batch is acknowledged), then every run
// they touched is folded, and a run whose report is due (every key final) comes out as its report.
// A crash anywhere here redelivers the batch: the events are recorded once (event ids), and the
// report email's Message-ID is the run's, so it goes out once.
import type { INodeProperties } from 'n8n-workflow';
import { forOperation } from '../../../shared/descriptions';
import type { OperationContext } from '../../../shared/operation';
import type { ReportClient } from '../../helpers/client';
import { outcomeEventOf } from '../../helpers/events';
import type { OutcomeEvent } from '../../helpers/model';
import { reportDue } from '../../helpers/report';
import { reportItem } from '../../helpers/reportItem';

export const description: INodeProperties[] = forOperation('run', 'record', [
	{
		displayName: 'Outcomes come from the stages (their items with an <code>outcome</code> object) through the <b>report</b> stage. Output: the report of every run these outcomes completed; nothing otherwise.',
		name: 'notice',
		type: 'notice',
		default: '',
	},
]);

export async function execute(ctx: OperationContext<ReportClient>): Promise<void> {
	const now = new Date();
	const events: Array<{ event: OutcomeEvent; index: number }> = [];
	for (let i = 0; i < ctx.items.length; i++) {
		try {
			events.push({ event: outcomeEventOf(ctx.items[i].json, i, now), index: i });
		} catch (error) {
			// Malformed: to the failure output (parked), never recorded half.
			ctx.results.failure(i, error);
		}
	}
	await ctx.client.store.append(events.map((e) => e.event));
	const byRun = new Map<string, number[]>();
	for (const { event, index } of events) byRun.set(event.runId, [...(byRun.get(event.runId) ?? []), index]);
	for (const [runId, indexes] of byRun) {
		const report = await ctx.client.report(runId);
		const due = report ? reportDue(report, now) : undefined;
		if (report && due === 'complete') ctx.results.aggregate(indexes, await reportItem(ctx.fns, report, due));
		else for (const i of indexes) ctx.results.successItems(i, []);
	}
}
