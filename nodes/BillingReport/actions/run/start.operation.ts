// Start Run: collect records the run and every billing key it expects before it publishes the
// invoice requests, so the report knows when every key has an outcome. Items pass through.
import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { forOperation } from '../../../shared/descriptions';
import { FieldError } from '../../../shared/errors';
import type { OperationContext } from '../../../shared/operation';
import { numberParameter, textParameter } from '../../../shared/parameters';
import type { ReportClient } from '../../helpers/client';
import { expectationOf } from '../../helpers/events';
import type { RunExpectation, RunStartEvent } from '../../helpers/model';

export const description: INodeProperties[] = forOperation('run', 'start', [
	{
		displayName: 'Billing Run ID',
		name: 'runId',
		type: 'string',
		default: '={{ $json.billingRunId }}',
		required: true,
		description: 'The run every item belongs to; every stage carries it on to its outcome',
	},
	{ displayName: 'Period Start', name: 'periodStart', type: 'string', default: '={{ $json.periodStart }}', description: 'The billing period the run bills, shown in its report' },
	{ displayName: 'Period End', name: 'periodEnd', type: 'string', default: '={{ $json.periodEnd }}', description: 'End of the billing period, shown in its report' },
	{
		displayName: 'Report Deadline (Minutes)',
		name: 'deadlineMinutes',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 240,
		description: 'The report goes out when every billing key has a final outcome, or this long after the start at the latest, listing what is still in flight (e.g. soft declines waiting for their next charge)',
	},
]);

export async function execute(ctx: OperationContext<ReportClient>): Promise<void> {
	const now = new Date();
	const runs = new Map<string, { start: RunStartEvent; keys: Set<string>; items: number[] }>();
	for (let i = 0; i < ctx.items.length; i++) {
		try {
			const runId = textParameter(ctx.fns, 'runId', i).trim();
			if (!runId) throw new FieldError('runId', `Item ${i}: Billing Run ID is empty`);
			const deadline = numberParameter(ctx.fns, 'deadlineMinutes', i, { default: 240, min: 1, label: 'Report Deadline (Minutes)' });
			const expectation: RunExpectation = expectationOf(ctx.items[i].json, i);
			let run = runs.get(runId);
			if (!run) {
				const periodStart = textParameter(ctx.fns, 'periodStart', i);
				const periodEnd = textParameter(ctx.fns, 'periodEnd', i);
				run = {
					start: {
						type: 'start',
						runId,
						at: now.toISOString(),
						...(periodStart ? { periodStart } : {}),
						...(periodEnd ? { periodEnd } : {}),
						deadlineAt: new Date(now.getTime() + deadline * 60_000).toISOString(),
						expected: [],
					},
					keys: new Set(),
					items: [],
				};
				runs.set(runId, run);
			}
			if (!run.keys.has(expectation.runKey)) {
				run.keys.add(expectation.runKey);
				run.start.expected.push(expectation);
			}
			run.items.push(i);
		} catch (error) {
			ctx.results.error(i, error);
		}
	}
	// Written before any item goes on: an outcome never arrives for a run the ledger does not know.
	await ctx.client.store.append([...runs.values()].map((r) => r.start));
	for (const run of runs.values()) for (const i of run.items) ctx.results.success(i, ctx.items[i].json as IDataObject);
}
