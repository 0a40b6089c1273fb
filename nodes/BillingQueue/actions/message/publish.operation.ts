// Publish to stage: each item becomes one persistent message on the stage's queue. An item
// counts as forwarded only once RabbitMQ confirmed it.
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { asOperationError, readTopology } from '../../helpers/config';
import { stageProperty } from '../../helpers/descriptions';
import { buildMessage, type OutgoingMessage, payloadOf, readQueueMeta, validateBillingKey } from '../../helpers/message';
import { publishConfirmed } from '../../helpers/publishing';
import { routingKeys, stageQueueName, stageTopology, type TopologySpec, validateStage } from '../../helpers/topology';
import { brokerFailure } from '../../helpers/nodeErrors';
import { errorItem, type OperationContext, param, queueSetupFor, SAMPLE_SKIP_NOTE, show } from '../shared';

const where = show('message', ['publish']);

export const description: INodeProperties[] = [
	stageProperty({
		displayName: 'Target Stage',
		description: 'Stage to forward the items to, e.g. email (queue billing.email with the default exchange)',
		displayOptions: where,
	}),
	{
		displayName: 'Billing Key',
		name: 'billingKey',
		type: 'string',
		default: '={{ $json.billingKey }}',
		description:
			'Unique key of the billing item, sent as the message ID. Items from the Billing Queue Trigger keep their key from _queue.',
		displayOptions: where,
	},
	{
		displayName: 'Billing Run ID',
		name: 'billingRunId',
		type: 'string',
		default: '={{ $json.billingRunId }}',
		description: 'Sent as the correlation ID. Items from the Billing Queue Trigger keep theirs from _queue.',
		displayOptions: where,
	},
	queueSetupFor('message', ['publish']),
];

interface Plan {
	index: number;
	spec: TopologySpec;
	msg: OutgoingMessage;
	out: IDataObject;
}

export async function execute(this: IExecuteFunctions, ctx: OperationContext): Promise<INodeExecutionData[]> {
	const items = this.getInputData();
	const node = this.getNode();
	const results: Array<INodeExecutionData | undefined> = new Array(items.length);
	const plans: Plan[] = [];

	// Validate every item before anything is sent.
	for (let i = 0; i < items.length; i++) {
		try {
			const get = param(this, i);
			const json = items[i].json;
			const meta = readQueueMeta(json);
			if (meta?.sample === true) {
				results[i] = { json: { ...payloadOf(json), _forwarded: { skipped: SAMPLE_SKIP_NOTE } }, pairedItem: { item: i } };
				continue;
			}
			const topology = readTopology(get);
			const stage = validateStage(get('stage'), 'Target Stage');
			const billingKey = validateBillingKey(meta?.billingKey || get('billingKey', ''), 'Billing Key');
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
			const e = asOperationError(node, error, i);
			if (!(e instanceof NodeOperationError) || !this.continueOnFail()) throw e;
			results[i] = errorItem(e, i);
		}
	}

	if (plans.length > 0) {
		let channel;
		try {
			channel = await ctx.connection.openChannel(true);
		} catch (error) {
			throw brokerFailure(node, error);
		}
		try {
			// Declarations first (one per distinct stage), then all publishes in flight together.
			const specs = new Map(plans.map((p) => [p.spec.key, p.spec]));
			for (const spec of specs.values()) await channel.declare(spec).catch((error) => Promise.reject(brokerFailure(node, error)));
			const settled = await Promise.allSettled(plans.map((p) => publishConfirmed(channel, p.spec, p.msg)));
			settled.forEach((s, k) => {
				const p = plans[k];
				if (s.status === 'fulfilled') {
					results[p.index] = {
						json: { ...payloadOf(items[p.index].json), _forwarded: { ...p.out, confirmedAt: new Date().toISOString() } },
						pairedItem: { item: p.index },
					};
					return;
				}
				const e = brokerFailure(node, s.reason, p.index);
				if (!this.continueOnFail()) throw e;
				results[p.index] = errorItem(e, p.index, { billingKey: p.out.billingKey as string });
			});
		} finally {
			await channel.close();
		}
	}
	return results.filter((r): r is INodeExecutionData => r !== undefined);
}
