// Retry or park: items that failed in a stage (typically from a node's error output) go to
// the stage's retry path with attempt + 1 and the error, or to parking once the stage's
// attempts are used up, or at once with "Park Now" for errors that can never succeed.
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { asOperationError, readTopology } from '../../helpers/config';
import { maxAttemptsProperty, stageProperty } from '../../helpers/descriptions';
import { buildMessage, payloadOf, readQueueMeta, validateBillingKey } from '../../helpers/message';
import { brokerFailure } from '../../helpers/nodeErrors';
import { publishConfirmed } from '../../helpers/publishing';
import { decideRetry, stageTopology, TopologyError, validateMaxAttempts, validateStage } from '../../helpers/topology';
import { errorItem, type OperationContext, param, queueSetupFor, SAMPLE_SKIP_NOTE, show } from '../shared';

const where = show('message', ['retryOrPark']);

export const description: INodeProperties[] = [
	stageProperty({
		default: '={{ $json._queue?.stage }}',
		description: 'Stage whose retry path or parking queue takes the item; by default the stage the item came from',
		displayOptions: where,
	}),
	{
		displayName: 'Error Message',
		name: 'errorMessage',
		type: 'string',
		default: "={{ $json.error?.message ?? $json.error ?? '' }}",
		description: 'Why the item failed; stored in the message headers and shown when peeking at parked messages',
		displayOptions: where,
	},
	{
		displayName: 'Failed Node',
		name: 'failedNode',
		type: 'string',
		default: '={{ $prevNode.name }}',
		description: 'Name of the node that failed, stored with the error',
		displayOptions: where,
	},
	{
		displayName: 'Park Now',
		name: 'parkNow',
		type: 'boolean',
		default: false,
		description: 'Whether to skip the retries and park the item at once (for errors that can never succeed, e.g. a card declined as stolen)',
		displayOptions: where,
	},
	{
		displayName: 'Billing Key',
		name: 'billingKey',
		type: 'string',
		default: '={{ $json.billingKey }}',
		description: 'Used only for items that did not come from the Billing Queue Trigger (those keep the key from _queue)',
		displayOptions: where,
	},
	{
		displayName: 'Billing Run ID',
		name: 'billingRunId',
		type: 'string',
		default: '={{ $json.billingRunId }}',
		description: 'Used only for items that did not come from the Billing Queue Trigger',
		displayOptions: where,
	},
	{
		displayName: 'Attempt',
		name: 'attempt',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 0,
		description:
			'Which attempt just failed; it picks the retry delay (attempt 1 waits the first delay). 0 uses the attempt the item arrived with. Set it when one item walks its own schedule, e.g. dunning: the number of charges already tried.',
		displayOptions: where,
	},
	{ ...maxAttemptsProperty, displayOptions: where },
	queueSetupFor('message', ['retryOrPark']),
];

export async function execute(this: IExecuteFunctions, ctx: OperationContext): Promise<INodeExecutionData[]> {
	const items = this.getInputData();
	const node = this.getNode();
	const results: INodeExecutionData[] = [];
	let channel;
	try {
		for (let i = 0; i < items.length; i++) {
			const json = items[i].json;
			let out: IDataObject;
			try {
				const get = param(this, i);
				const meta = readQueueMeta(json);
				if (meta?.sample === true) {
					results.push({ json: { ...payloadOf(json), _retry: { skipped: SAMPLE_SKIP_NOTE } }, pairedItem: { item: i } });
					continue;
				}
				const topology = readTopology(get);
				const stage = validateStage(get('stage', meta?.stage ?? ''), 'Stage');
				const maxAttempts = validateMaxAttempts(get('maxAttempts', 5), 'Max Attempts');
				const billingKey = validateBillingKey(meta?.billingKey || get('billingKey', ''), 'Billing Key');
				const runId = (meta?.correlationId as string | null | undefined) || String(get('billingRunId', '') ?? '') || undefined;
				const explicit = Number(get('attempt', 0));
				if (!Number.isInteger(explicit) || explicit < 0) throw new TopologyError(`"attempt" must be a whole number of 0 or more, got ${JSON.stringify(get('attempt', 0))}`, 'attempt');
				const arrived = Number.isInteger(meta?.attempt) && Number(meta?.attempt) >= 1 ? Number(meta?.attempt) : 1;
				const attempt = explicit >= 1 ? explicit : arrived;
				const rawError = get('errorMessage', '');
				const errorText = typeof rawError === 'string' ? rawError : JSON.stringify(rawError);
				const error = {
					message: errorText.trim() || 'No error message was given',
					node: String(get('failedNode', '') ?? '') || undefined,
					time: new Date().toISOString(),
				};
				const decision = decideRetry(topology, stage, attempt, maxAttempts, get('parkNow', false) === true);
				const msg = buildMessage({
					stage,
					routingKey: decision.routingKey,
					// n8n's error output adds `error`; it travels in the headers instead.
					payload: payloadOf(json, ['error']),
					billingKey,
					correlationId: runId,
					attempt: decision.action === 'retry' ? decision.nextAttempt : attempt,
					error,
					retryDelayMs: decision.action === 'retry' ? decision.delayMs : undefined,
					parkedReason: decision.action === 'park' ? decision.reason : undefined,
				});
				const spec = stageTopology(topology, stage);
				try {
					if (!channel || channel.closed) channel = await ctx.connection.openChannel(true);
					await publishConfirmed(channel, spec, msg);
				} catch (e) {
					throw brokerFailure(node, e, i);
				}
				out =
					decision.action === 'retry'
						? { action: 'retry', stage, queue: decision.queue, billingKey, attempt, nextAttempt: decision.nextAttempt, delayMs: decision.delayMs, messageUid: msg.publishId }
						: { action: 'parked', stage, queue: decision.queue, billingKey, attempt, reason: decision.reason, messageUid: msg.publishId };
				out.error = error;
			} catch (error) {
				const e = asOperationError(node, error, i);
				if (!this.continueOnFail()) throw e;
				results.push(errorItem(e, i));
				continue;
			}
			results.push({ json: { ...payloadOf(json, ['error']), _retry: out }, pairedItem: { item: i } });
		}
	} finally {
		await channel?.close();
	}
	return results;
}
