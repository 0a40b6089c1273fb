// Retry or park: items that failed in a stage (typically from a node's failure output) go to
// the stage's retry path with attempt + 1 and the error, or to parking once the stage's
// attempts are used up, or at once with "Park Now" for errors that can never succeed.
import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { forOperation } from '../../../shared/descriptions';
import { failureOf } from '../../../shared/failure';
import type { OperationContext } from '../../../shared/operation';
import { numberParameter } from '../../../shared/parameters';
import { redactSecrets } from '../../../shared/redact';
import { itemParameters, readTopology } from '../../helpers/config';
import { buildMessage, type ErrorInfo, outgoingKey, payloadOf, readQueueMeta, SAMPLE_SKIP_NOTE } from '../../helpers/message';
import { decideRetry, routingKeys, stageTopology, validateMaxAttempts, validateStage } from '../../helpers/topology';
import { type BrokerChannel, type PooledConnection, publishConfirmed } from '../../transport';
import { maxAttemptsProperty, queueSetupProperty, stageProperty } from '../common.descriptions';

export const description: INodeProperties[] = forOperation('message', 'retryOrPark', [
	stageProperty({
		default: '={{ $json._queue?.stage }}',
		description: 'Stage whose retry path or parking queue takes the item; by default the stage the item came from',
	}),
	{
		displayName: 'Error Message',
		name: 'errorMessage',
		type: 'string',
		default: '',
		description:
			"Why the item failed; stored in the message headers and shown when peeking at parked messages. Leave empty to use the failure the item carries in its error field (error.message, with error.code, error.field and error.retryable), as every node of this package's failure output sets it, or the message text n8n's own error output puts there.",
	},
	{
		displayName: 'Failed Node',
		name: 'failedNode',
		type: 'string',
		default: '={{ $prevNode.name }}',
		description: 'Name of the node that failed, stored with the error',
	},
	{
		displayName: 'Park Now',
		name: 'parkNow',
		type: 'boolean',
		default: false,
		description: 'Whether to skip the retries and park the item at once (for errors that can never succeed, e.g. a card declined as stolen)',
	},
	{
		displayName: 'Billing Key',
		name: 'billingKey',
		type: 'string',
		default: '={{ $json.billingKey }}',
		description: 'Used only for items that did not come from the Billing Queue Trigger (those keep the key from _queue)',
	},
	{
		displayName: 'Billing Run ID',
		name: 'billingRunId',
		type: 'string',
		default: '={{ $json.billingRunId }}',
		description: 'Used only for items that did not come from the Billing Queue Trigger',
	},
	{
		displayName: 'Attempt',
		name: 'attempt',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 0,
		description:
			'Which attempt just failed; it picks the retry delay (attempt 1 waits the first delay). 0 uses the attempt the item arrived with. Set it when one item walks its own schedule, e.g. dunning: the number of charges already tried.',
	},
	{
		displayName: 'Report to Stage',
		name: 'reportStage',
		type: 'string',
		default: 'report',
		description:
			"Stage that also gets an outcome event for every retry and park (the billing run report and alerts read it: state inFlight or parked, with the error). Empty: none. Items without a billing run ID are not reported.",
	},
	maxAttemptsProperty,
	queueSetupProperty,
]);

/**
 * The outcome event of a retry or park: the item itself (the report reads amounts and client from
 * it) with `outcome`. Its event id is the retried/parked message's publish id, so the same retry
 * published again after a crash is recorded once.
 */
function outcomeEvent(payload: IDataObject, stage: string, action: 'retry' | 'park', error: ErrorInfo, attempt: number, eventId: string): IDataObject {
	return {
		...payload,
		outcome: {
			state: action === 'park' ? 'parked' : 'inFlight',
			stage,
			eventId,
			at: new Date().toISOString(),
			attempt,
			error: { message: error.message, ...(error.code ? { code: error.code } : {}), ...(error.field ? { field: error.field } : {}), ...(error.node ? { node: error.node } : {}) },
		},
	};
}

/**
 * The error to store: the Error Message parameter when set (the item's own failure still gives
 * code, field and retryability), else the failure the item carries in `error`. Redacted: it
 * becomes a header of the retried or parked message, and the item may come from any node (n8n's
 * own error output included), so a Bearer token or Basic credentials in it must not be stored.
 */
function readFailure(json: IDataObject, errorMessage: unknown, failedNode: string): ErrorInfo {
	// The package's nodes set the failure object; n8n's own error output (any node set to
	// "Continue (using error output)") sets `error` to the message text.
	const failure = failureOf(json) ?? (typeof json.error === 'string' && json.error.trim() ? { message: json.error.trim() } : undefined);
	const given = typeof errorMessage === 'string' ? errorMessage.trim() : errorMessage === undefined || errorMessage === null ? '' : JSON.stringify(errorMessage);
	return {
		message: redactSecrets(given || failure?.message || 'No error message was given'),
		node: failedNode || undefined,
		time: new Date().toISOString(),
		...(failure?.code !== undefined ? { code: redactSecrets(String(failure.code)) } : {}),
		...(failure?.field !== undefined ? { field: failure.field } : {}),
		...(failure?.retryable !== undefined ? { retryable: failure.retryable } : {}),
	};
}

export async function execute(ctx: OperationContext<PooledConnection>): Promise<void> {
	const { items, results } = ctx;
	let channel: BrokerChannel | undefined;
	try {
		for (let i = 0; i < items.length; i++) {
			const json = items[i].json;
			try {
				const get = itemParameters(ctx.fns, i);
				const meta = readQueueMeta(json);
				if (meta?.sample === true) {
					results.success(i, { ...payloadOf(json), _retry: { skipped: SAMPLE_SKIP_NOTE } });
					continue;
				}
				const topology = readTopology(get);
				const stage = validateStage(get('stage', meta?.stage ?? ''), 'stage', 'Stage');
				const maxAttempts = validateMaxAttempts(get('maxAttempts', 5), 'maxAttempts', 'Max Attempts');
				const billingKey = outgoingKey(meta, json, get('billingKey', ''));
				const runId = (meta?.correlationId as string | null | undefined) || String(get('billingRunId', '') ?? '') || undefined;
				const explicit = numberParameter(ctx.fns, 'attempt', i, { default: 0, min: 0, integer: true, label: 'Attempt' });
				const arrived = Number.isInteger(meta?.attempt) && Number(meta?.attempt) >= 1 ? Number(meta?.attempt) : 1;
				const attempt = explicit >= 1 ? explicit : arrived;
				const error = readFailure(json, get('errorMessage', ''), String(get('failedNode', '') ?? ''));
				const decision = decideRetry(topology, stage, attempt, maxAttempts, get('parkNow', false) === true);
				const msg = buildMessage({
					stage,
					routingKey: decision.routingKey,
					// A failure output's `error` travels in the headers instead.
					payload: payloadOf(json, ['error']),
					billingKey,
					correlationId: runId,
					attempt: decision.action === 'retry' ? decision.nextAttempt : attempt,
					error,
					retryDelayMs: decision.action === 'retry' ? decision.delayMs : undefined,
					parkedReason: decision.action === 'park' ? decision.reason : undefined,
				});
				if (!channel || channel.closed) channel = await ctx.client.openChannel(true);
				// The report event first: if it cannot be published the item fails before anything is
				// retried or parked (and comes back whole); if the retry or park then fails, the item's
				// later outcome supersedes the event in the run ledger. Either way none is lost.
				const reportStage = String(get('reportStage', 'report') ?? '').trim();
				if (reportStage && reportStage !== stage && runId) {
					const report = validateStage(reportStage, 'reportStage', 'Report to Stage');
					const event = buildMessage({
						stage: report,
						routingKey: routingKeys.stage(report),
						payload: outcomeEvent(payloadOf(json, ['error', 'outcome']), stage, decision.action, error, attempt, msg.publishId),
						billingKey,
						correlationId: runId,
						attempt: 1,
					});
					await publishConfirmed(channel, stageTopology(topology, report), event);
				}
				await publishConfirmed(channel, stageTopology(topology, stage), msg);
				const out: IDataObject =
					decision.action === 'retry'
						? { action: 'retry', stage, queue: decision.queue, billingKey, attempt, nextAttempt: decision.nextAttempt, delayMs: decision.delayMs, messageUid: msg.publishId }
						: { action: 'parked', stage, queue: decision.queue, billingKey, attempt, reason: decision.reason, messageUid: msg.publishId };
				out.error = error;
				results.success(i, { ...payloadOf(json, ['error']), _retry: out });
			} catch (error) {
				results.error(i, error);
			}
		}
	} finally {
		await channel?.close();
	}
}
