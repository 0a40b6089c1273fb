// Replay parked: move up to N parked messages back into their stage with the attempt count
// reset. Each replayed copy is confirmed before its parked original is acked (removed);
// unreadable parked messages are left where they are.
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { asOperationError, readTopology } from '../../helpers/config';
import { stageProperty } from '../../helpers/descriptions';
import { buildMessage, decodeMessage, HEADERS, readError } from '../../helpers/message';
import { brokerFailure } from '../../helpers/nodeErrors';
import { publishConfirmed } from '../../helpers/publishing';
import { parkedQueueName, routingKeys, stageTopology, validateStage } from '../../helpers/topology';
import type { Delivery } from '../../transport';
import { errorItem, type OperationContext, param, queueSetupFor, show } from '../shared';

const where = show('parked', ['replay']);

export const description: INodeProperties[] = [
	stageProperty({ description: 'Stage whose parking queue (e.g. billing.invoice.parked) is replayed', displayOptions: where }),
	{
		displayName: 'Max Messages',
		name: 'maxMessages',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 10000 },
		default: 10,
		description: 'Most parked messages to move back in this run, oldest first',
		displayOptions: where,
	},
	queueSetupFor('parked', ['replay']),
];

export async function execute(this: IExecuteFunctions, ctx: OperationContext): Promise<INodeExecutionData[]> {
	const items = this.getInputData();
	const node = this.getNode();
	const results: INodeExecutionData[] = [];
	for (let i = 0; i < items.length; i++) {
		let channel;
		const skipped: Delivery[] = [];
		try {
			const get = param(this, i);
			const topology = readTopology(get);
			const stage = validateStage(get('stage'), 'Stage');
			const max = Number(get('maxMessages', 10));
			const spec = stageTopology(topology, stage);
			const parked = parkedQueueName(topology, stage);
			try {
				channel = await ctx.connection.openChannel(true);
				await channel.declare(spec);
			} catch (e) {
				throw brokerFailure(node, e, i);
			}
			for (let n = 0; n < max; n++) {
				let d: Delivery | null;
				try {
					d = await channel.get(parked);
				} catch (e) {
					throw brokerFailure(node, e, i);
				}
				if (!d) break;
				const decoded = decodeMessage(d, { stage, exchange: spec.exchange, queue: parked, maxBytes: Number.MAX_SAFE_INTEGER });
				if (!decoded.ok) {
					// Held unacked until the end, then returned in place (basic.get would hand it
					// straight back if we returned it now).
					skipped.push(d);
					results.push({
						json: { replayed: false, stage, billingKey: decoded.meta.billingKey || null, reason: decoded.reason },
						pairedItem: { item: i },
					});
					continue;
				}
				const previous = Number(d.properties.headers?.[HEADERS.replayCount] ?? 0) || 0;
				const msg = buildMessage({
					stage,
					routingKey: routingKeys.stage(stage),
					payload: decoded.payload,
					billingKey: decoded.meta.billingKey,
					correlationId: decoded.meta.correlationId,
					attempt: 1,
					extraHeaders: { [HEADERS.replayedAt]: new Date().toISOString(), [HEADERS.replayCount]: previous + 1 },
				});
				try {
					await publishConfirmed(channel, spec, msg);
				} catch (e) {
					// Not confirmed: the parked original stays (returned when the channel closes).
					throw brokerFailure(node, e, i);
				}
				channel.ack(d);
				const out: IDataObject = {
					replayed: true,
					stage,
					billingKey: decoded.meta.billingKey,
					correlationId: decoded.meta.correlationId,
					messageUid: msg.publishId,
					previousAttempt: decoded.meta.attempt,
					previousError: readError(d.properties.headers) as IDataObject | null,
				};
				results.push({ json: out, pairedItem: { item: i } });
			}
		} catch (error) {
			const e = asOperationError(node, error, i);
			if (!this.continueOnFail()) throw e;
			results.push(errorItem(e, i));
		} finally {
			for (const d of skipped) channel?.nack(d, true);
			await channel?.close();
		}
	}
	return results;
}
