// Mark Reported: after the report went out, so Due Reports stops offering it. Runs after the
// email: a crash before it offers the report again, and the email's Message-ID keeps it to one.
import type { INodeProperties } from 'n8n-workflow';
import { forOperation } from '../../../shared/descriptions';
import { FieldError } from '../../../shared/errors';
import type { OperationContext } from '../../../shared/operation';
import { textParameter } from '../../../shared/parameters';
import type { ReportClient } from '../../helpers/client';
import type { ReportedEvent } from '../../helpers/model';

export const description: INodeProperties[] = forOperation('run', 'markReported', [
	{ displayName: 'Billing Run ID', name: 'runId', type: 'string', default: '={{ $json.runId }}', required: true, description: 'The run whose report went out' },
	{ displayName: 'Sent To', name: 'to', type: 'string', default: '', description: 'Where the report went, recorded with it' },
	{
		displayName: 'Reason',
		name: 'reason',
		type: 'options',
		options: [
			{ name: 'Complete', value: 'complete' },
			{ name: 'Deadline', value: 'deadline' },
		],
		default: 'complete',
		description: 'Whether the report went out complete or at its deadline with keys in flight',
	},
]);

export async function execute(ctx: OperationContext<ReportClient>): Promise<void> {
	const events: ReportedEvent[] = [];
	const at = new Date().toISOString();
	const ok: number[] = [];
	for (let i = 0; i < ctx.items.length; i++) {
		try {
			const runId = textParameter(ctx.fns, 'runId', i).trim();
			if (!runId) throw new FieldError('runId', `Item ${i}: Billing Run ID is empty`);
			const reason = textParameter(ctx.fns, 'reason', i) === 'deadline' ? 'deadline' : 'complete';
			const to = textParameter(ctx.fns, 'to', i);
			events.push({ type: 'reported', runId, at, reason, ...(to ? { to } : {}) });
			ok.push(i);
		} catch (error) {
			ctx.results.error(i, error);
		}
	}
	await ctx.client.store.append(events);
	for (const i of ok) ctx.results.success(i, { ...ctx.items[i].json, reportedAt: at });
}
