// Replay parked: move up to N parked messages back into their stage with the attempt count
// reset. Each replayed copy is confirmed before its parked original is acked (removed);
// unreadable parked messages are left where they are.
import type { IDataObject, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { forOperation } from '../../../shared/descriptions';
import { toNodeError } from '../../../shared/errors';
import { failureItem } from '../../../shared/failure';
import type { OperationContext } from '../../../shared/operation';
import { numberParameter } from '../../../shared/parameters';
import { itemParameters, readTopology } from '../../helpers/config';
import { buildMessage, decodeMessage, HEADERS, readError } from '../../helpers/message';
import { parkedQueueName, routingKeys, stageTopology, validateStage } from '../../helpers/topology';
import { type BrokerChannel, type Delivery, type PooledConnection, publishConfirmed } from '../../transport';
import { maxMessagesProperty, queueSetupProperty, stageProperty } from '../common.descriptions';

export const description: INodeProperties[] = forOperation('parked', 'replay', [
	stageProperty({ description: 'Stage whose parking queue (e.g. billing.invoice.parked) is replayed' }),
	maxMessagesProperty(10, 'Most parked messages to move back in this run, oldest first'),
	queueSetupProperty,
]);

export async function execute(ctx: OperationContext<PooledConnection>): Promise<void> {
	for (let i = 0; i < ctx.items.length; i++) {
		const list: INodeExecutionData[] = [];
		let channel: BrokerChannel | undefined;
		const skipped: Delivery[] = [];
		try {
			const get = itemParameters(ctx.fns, i);
			const topology = readTopology(get);
			const stage = validateStage(get('stage'), 'stage', 'Stage');
			const max = numberParameter(ctx.fns, 'maxMessages', i, { default: 10, min: 1, max: 10000, integer: true, label: 'Max Messages' });
			const spec = stageTopology(topology, stage);
			const parked = parkedQueueName(topology, stage);
			channel = await ctx.client.openChannel(true);
			await channel.declare(spec);
			for (let n = 0; n < max; n++) {
				const d = await channel.get(parked);
				if (!d) break;
				const decoded = decodeMessage(d, { stage, exchange: spec.exchange, queue: parked, maxBytes: Number.MAX_SAFE_INTEGER });
				if (!decoded.ok) {
					// Held unacked until the end, then returned in place (basic.get would hand it
					// straight back if we returned it now).
					skipped.push(d);
					list.push({ json: { replayed: false, stage, billingKey: decoded.meta.billingKey || null, reason: decoded.reason }, pairedItem: { item: i } });
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
				// Not confirmed: the parked original stays (returned when the channel closes).
				await publishConfirmed(channel, spec, msg);
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
				list.push({ json: out, pairedItem: { item: i } });
			}
		} catch (error) {
			if (!ctx.results.continueOnFail) throw toNodeError(ctx.node, error, i);
			// What was replayed before the failure stays reported; the failure follows it.
			list.push(failureItem(ctx.items[i], i, toNodeError(ctx.node, error, i)));
		} finally {
			for (const d of skipped) channel?.nack(d, true);
			await channel?.close();
		}
		ctx.results.successItems(i, list);
	}
}
