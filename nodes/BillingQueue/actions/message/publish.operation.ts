// Publish to stage: each item becomes one persistent message on the stage's queue. An item
// counts as forwarded only once RabbitMQ confirmed it.
import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { validateBillingKey } from '../../../shared/billingKey';
import { forOperation } from '../../../shared/descriptions';
import type { OperationContext } from '../../../shared/operation';
import { itemParameters, readTopology } from '../../helpers/config';
import { buildMessage, type OutgoingMessage, payloadOf, readQueueMeta, SAMPLE_SKIP_NOTE } from '../../helpers/message';
import { routingKeys, stageQueueName, stageTopology, type TopologySpec, validateStage } from '../../helpers/topology';
import { type PooledConnection, publishConfirmed } from '../../transport';
import { queueSetupProperty, stageProperty } from '../common.descriptions';

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
]);

interface Plan {
	index: number;
	spec: TopologySpec;
	msg: OutgoingMessage;
	out: IDataObject;
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
			const billingKey = validateBillingKey(meta?.billingKey || get('billingKey', ''), 'billingKey');
			const runId = (meta?.correlationId as string | null | undefined) || String(get('billingRunId', '') ?? '') || undefined;
			// The attempt count belongs to a stage: it carries over only when re-publishing to the same one.
			const attempt = meta?.stage === stage && Number.isInteger(meta.attempt) ? Number(meta.attempt) : 1;
			const msg = buildMessage({
				stage,
				routingKey: routingKeys.stage(stage),
				payload: payloadOf(json),
				billingKey,
				correlationId: runId,
				attempt,
			});
			plans.push({
				index: i,
				spec: stageTopology(topology, stage),
				msg,
				out: { stage, queue: stageQueueName(topology, stage), billingKey, correlationId: runId ?? null, attempt, messageUid: msg.publishId },
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
		const settled = await Promise.allSettled(plans.map((p) => publishConfirmed(channel, p.spec, p.msg)));
		settled.forEach((s, k) => {
			const p = plans[k];
			if (s.status === 'fulfilled') {
				results.success(p.index, { ...payloadOf(items[p.index].json), _forwarded: { ...p.out, confirmedAt: new Date().toISOString() } });
			} else {
				// Not confirmed: the item keeps its fields (and _queue) so Retry or Park can take it.
				results.error(p.index, s.reason);
			}
		});
	} finally {
		await channel.close();
	}
}
