// Check Replay Request: what the status page's Replay form posted, checked before anything is
// replayed: the page's own token (another site's form cannot have it), the "I fixed the cause"
// confirmation, a stage of the pipeline and a sane count. Success: { stage, count } for Replay
// Parked; anything else goes to the failure output with the reason, and nothing is replayed.
import type { INodeProperties } from 'n8n-workflow';
import { forOperation } from '../../../shared/descriptions';
import { FieldError } from '../../../shared/errors';
import type { OperationContext } from '../../../shared/operation';
import { textParameter } from '../../../shared/parameters';
import type { ReportClient } from '../../helpers/client';
import { replaySecret, validReplayToken } from '../../helpers/replayToken';

const MAX_COUNT = 10000;

export const description: INodeProperties[] = forOperation('page', 'checkReplay', [
	{ displayName: 'Stage', name: 'stage', type: 'string', default: '={{ $json.body?.stage }}', description: 'The stage whose parked items to replay, as the form posted it' },
	{ displayName: 'Count', name: 'count', type: 'string', default: '={{ $json.body?.count }}', description: 'How many parked items to replay (1 to 10000)' },
	{ displayName: 'Confirmation', name: 'confirm', type: 'string', default: '={{ $json.body?.confirm }}', description: 'Must be "yes": the form\'s "I fixed the cause" box' },
	{ displayName: 'Token', name: 'token', type: 'string', typeOptions: { password: true }, default: '={{ $json.body?.token }}', description: "The status page's replay token, which only a reader of the page has" },
	{
		displayName: 'Stages',
		name: 'stages',
		type: 'string',
		default: 'collect, invoice, email, debit, dunning, notify, report',
		description: 'The stages a replay may name, comma-separated',
	},
]);

export async function execute(ctx: OperationContext<ReportClient>): Promise<void> {
	let secret: string | undefined;
	for (let i = 0; i < ctx.items.length; i++) {
		try {
			secret ??= await replaySecret(ctx.client.store);
			if (!validReplayToken(secret, textParameter(ctx.fns, 'token', i))) {
				throw new FieldError('token', 'The replay request does not carry the status page\'s token: it was not sent from the page (or the page is older than its token)', 'Reload the status page and press Replay there. Nothing was replayed.');
			}
			if (textParameter(ctx.fns, 'confirm', i).trim() !== 'yes') throw new FieldError('confirm', 'The replay was not confirmed ("I fixed the cause" is not ticked)', 'Tick it and press Replay again. Nothing was replayed.');
			const stages = textParameter(ctx.fns, 'stages', i).split(',').map((s) => s.trim()).filter(Boolean);
			const stage = textParameter(ctx.fns, 'stage', i).trim();
			if (!stages.includes(stage)) throw new FieldError('stage', `Stage "${stage.slice(0, 60)}" is not one of ${stages.join(', ')}`, 'Nothing was replayed.');
			const raw = textParameter(ctx.fns, 'count', i).trim();
			const count = Number(raw);
			if (!/^\d+$/.test(raw) || count < 1 || count > MAX_COUNT) throw new FieldError('count', `Count "${raw.slice(0, 20)}" is not a whole number from 1 to ${MAX_COUNT}`, 'Nothing was replayed.');
			ctx.results.success(i, { stage, count });
		} catch (error) {
			// A refusal is an answer to the request, not a node failure: the failure output says why.
			ctx.results.failure(i, error, { stage: textParameter(ctx.fns, 'stage', i).slice(0, 60) });
		}
	}
}
