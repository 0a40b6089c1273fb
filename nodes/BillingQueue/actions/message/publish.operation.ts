// Publish to stage: each item becomes one persistent message on the stage's queue, or, with
// "Deliver Not Before" in the future, on its hold queue until then. An item counts as forwarded
// only once RabbitMQ confirmed it.
import { type IDataObject, type INodeProperties, NodeOperationError } from 'n8n-workflow';
import { forOperation, optionsCollection } from '../../../shared/descriptions';
import { describeNodeError, FieldError } from '../../../shared/errors';
import type { OperationContext } from '../../../shared/operation';
import { itemParameters, readMaxMessageBytes, readTopology } from '../../helpers/config';
import { DELIVER_NOT_BEFORE_FIELD, holdMs, parseDeliverNotBefore } from '../../helpers/hold';
import {
	buildMessage,
	MAX_JSON_DEPTH,
	nestsDeeperThan,
	type OutgoingMessage,
	outgoingKey,
	payloadOf,
	readQueueMeta,
	SAMPLE_SKIP_NOTE,
	sameBillingKey,
} from '../../helpers/message';
import { holdQueueName, routingKeys, stageQueueName, stageTopology, type TopologySpec, validateStage } from '../../helpers/topology';
import { type PooledConnection, publishConfirmed } from '../../transport';
import { maxMessageSizeProperty, queueSetupProperty, stageProperty } from '../common.descriptions';

export const description: INodeProperties[] = forOperation('message', 'publish', [
	stageProperty({
		displayName: 'Target Stage',
		description: 'Stage to forward the items to, e.g. email (queue billing.email with the default exchange)',
	}),
	{
		displayName: 'Billing Key',
		name: 'billingKey',
		type: 'string',
		default: '={{ $json.billingKey }}',
		description:
			'Unique key of the billing item, sent as the message ID. Items from the Billing Queue Trigger keep their key from _queue.',
	},
	{
		displayName: 'Billing Run ID',
		name: 'billingRunId',
		type: 'string',
		default: '={{ $json.billingRunId }}',
		description: 'Sent as the correlation ID. Items from the Billing Queue Trigger keep theirs from _queue.',
	},
	queueSetupProperty,
	optionsCollection([
		{
			displayName: 'Deliver Not Before',
			name: 'deliverNotBefore',
			type: 'string',
			default: '',
			placeholder: 'e.g. 2026-12-14T09:00:00Z',
			description:
				'Earliest time the target stage may receive the message, usually an expression reading the due date of the item: an ISO date-time with a time zone or a day (2026-12-14 = 00:00 UTC). A future time keeps the message in the stage\'s hold queue (e.g. billing.debit.hold) until then, at most 49 days ahead; empty or past = now. An expression that gives no value fails the item.',
		},
		maxMessageSizeProperty(
			"Largest message body this node sends. Keep it equal to Max Message Size of the target stage's Billing Queue Trigger, which parks larger messages: a larger item fails here instead, before anything is sent.",
		),
	]),
]);

interface Plan {
	index: number;
	stage: string;
	spec: TopologySpec;
	msg: OutgoingMessage;
	out: IDataObject;
	/** Epoch ms before which the stage must not receive the message. */
	notBefore?: number;
}

/** Whether the stored parameter is an expression (its value then comes from the item). */
function isExpression(ctx: OperationContext<PooledConnection>, option: string): boolean {
	const options = ctx.fns.getNode().parameters.options;
	const raw = options && typeof options === 'object' && !Array.isArray(options) ? (options as IDataObject)[option] : undefined;
	return typeof raw === 'string' && raw.startsWith('=');
}

/**
 * The message as sent now: to the stage, or to the hold queue with a TTL of the time left,
 * computed at the last moment so that any delay on the way only makes delivery later.
 */
function outgoing(p: Plan): { msg: OutgoingMessage; out: IDataObject } {
	const held = p.notBefore === undefined ? 0 : holdMs(p.notBefore);
	if (held === 0) return { msg: p.msg, out: p.notBefore === undefined ? p.out : { ...p.out, held: false } };
	const msg: OutgoingMessage = { ...p.msg, routingKey: routingKeys.hold(p.stage), properties: { ...p.msg.properties, expiration: String(held) } };
	return { msg, out: { ...p.out, queue: holdQueueName({ exchange: p.spec.exchange }, p.stage), held: true, holdMs: held } };
}

/** A body the next stage would refuse: never retryable, the item has to change first. */
function refusal(ctx: OperationContext<PooledConnection>, itemIndex: number, code: string, message: string, description: string): NodeOperationError {
	const error = new NodeOperationError(ctx.node, `${message} [item ${itemIndex}]`, { itemIndex, description });
	return describeNodeError(error, { field: 'body', code, retryable: false });
}

export async function execute(ctx: OperationContext<PooledConnection>): Promise<void> {
	const { items, results } = ctx;
	const plans: Plan[] = [];

	// Validate every item before anything is sent.
	for (let i = 0; i < items.length; i++) {
		try {
			const get = itemParameters(ctx.fns, i);
			const json = items[i].json;
			const meta = readQueueMeta(json);
			if (meta?.sample === true) {
				results.success(i, { ...payloadOf(json), _forwarded: { skipped: SAMPLE_SKIP_NOTE } });
				continue;
			}
			const topology = readTopology(get);
			const stage = validateStage(get('stage'), 'stage', 'Target Stage');
			const billingKey = outgoingKey(meta, json, get('billingKey', ''));
			const runId = (meta?.correlationId as string | null | undefined) || String(get('billingRunId', '') ?? '') || undefined;
			// The attempt count belongs to a stage: it carries over only when re-publishing to the same one.
			const attempt = meta?.stage === stage && Number.isInteger(meta.attempt) ? Number(meta.attempt) : 1;
			const notBefore = parseDeliverNotBefore(get(DELIVER_NOT_BEFORE_FIELD, ''), isExpression(ctx, 'deliverNotBefore'));
			// Refuse a time beyond RabbitMQ's TTL limit now, before anything is sent.
			if (notBefore !== undefined) holdMs(notBefore);
			const maxBytes = readMaxMessageBytes(get('options.maxMessageSizeKb', ''));
			const payload = payloadOf(json);
			// The next stage's trigger parks a message whose messageId and body key differ.
			if (payload.billingKey !== undefined && !sameBillingKey(payload.billingKey, billingKey)) {
				throw new FieldError(
					'billingKey',
					`Billing key "${billingKey}" differs from the item's billingKey field ${JSON.stringify(payload.billingKey)} (field "billingKey"); the stage "${stage}" would park the message`,
					"Set Billing Key to the item's billingKey, or correct the billingKey field, so that the message ID and the body agree.",
				);
			}
			const msg = buildMessage({
				stage,
				routingKey: routingKeys.stage(stage),
				payload,
				billingKey,
				correlationId: runId,
				attempt,
			});
			// Refused here what the next stage's trigger would park after this stage's work is done.
			if (msg.content.length > maxBytes) {
				throw refusal(
					ctx,
					i,
					'messageTooLarge',
					`The message for billing key "${billingKey}" is ${msg.content.length} bytes, over the ${maxBytes}-byte limit (Max Message Size) of stage "${stage}" (field "body")`,
					`The trigger of stage "${stage}" would park it. Drop fields the next stage does not need from the item, or raise Max Message Size on this node and on that trigger alike.`,
				);
			}
			if (nestsDeeperThan(msg.content, MAX_JSON_DEPTH)) {
				throw refusal(
					ctx,
					i,
					'messageTooDeep',
					`The message for billing key "${billingKey}" nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep (field "body")`,
					`The trigger of stage "${stage}" would park it. Flatten the item before publishing it.`,
				);
			}
			plans.push({
				index: i,
				stage,
				spec: stageTopology(topology, stage),
				msg,
				out: {
					stage,
					queue: stageQueueName(topology, stage),
					billingKey,
					correlationId: runId ?? null,
					attempt,
					messageUid: msg.publishId,
					...(notBefore === undefined ? {} : { deliverNotBefore: new Date(notBefore).toISOString() }),
				},
				notBefore,
			});
		} catch (error) {
			results.error(i, error);
		}
	}
	if (plans.length === 0) return;

	// A channel or declaration failure concerns every planned item: the router fails them all.
	const channel = await ctx.client.openChannel(true);
	try {
		// Declarations first (one per distinct stage), then all publishes in flight together.
		const specs = new Map(plans.map((p) => [p.spec.key, p.spec]));
		for (const spec of specs.values()) await channel.declare(spec);
		// Held messages go out earliest time first: the hold queue expires only at its head, so a
		// later time ahead of an earlier one would hold that one back too (one channel keeps order).
		const sendOrder = [...plans].sort((a, b) => (a.notBefore ?? -Infinity) - (b.notBefore ?? -Infinity));
		const sent = new Map(
			sendOrder.map((p) => [
				p,
				(async () => {
					const send = outgoing(p);
					await publishConfirmed(channel, p.spec, send.msg);
					return send.out;
				})(),
			]),
		);
		const settled = await Promise.allSettled(plans.map((p) => sent.get(p)!));
		settled.forEach((s, k) => {
			const p = plans[k];
			if (s.status === 'fulfilled') {
				results.success(p.index, { ...payloadOf(items[p.index].json), _forwarded: { ...s.value, confirmedAt: new Date().toISOString() } });
			} else {
				// Not confirmed: the item keeps its fields (and _queue) so Retry or Park can take it.
				results.error(p.index, s.reason);
			}
		});
	} finally {
		await channel.close();
	}
}
