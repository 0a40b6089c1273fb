// Peek parked: list parked messages with their errors without removing them. Messages are read
// unacknowledged and all returned, in order, when the channel closes.
import type { INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { forOperation } from '../../../shared/descriptions';
import { toNodeError } from '../../../shared/errors';
import { failureItem } from '../../../shared/failure';
import type { OperationContext } from '../../../shared/operation';
import { numberParameter } from '../../../shared/parameters';
import { itemParameters, readTopology } from '../../helpers/config';
import { describeParked } from '../../helpers/message';
import { parkedQueueName, stageTopology, validateStage } from '../../helpers/topology';
import type { BrokerChannel, PooledConnection } from '../../transport';
import { maxMessagesProperty, queueSetupProperty, stageProperty } from '../common.descriptions';

export const description: INodeProperties[] = forOperation('parked', 'peek', [
	stageProperty({ description: 'Stage whose parking queue (e.g. billing.invoice.parked) to list' }),
	maxMessagesProperty(50, 'Most parked messages to list, oldest first'),
	queueSetupProperty,
]);

export async function execute(ctx: OperationContext<PooledConnection>): Promise<void> {
	for (let i = 0; i < ctx.items.length; i++) {
		const list: INodeExecutionData[] = [];
		let channel: BrokerChannel | undefined;
		try {
			const get = itemParameters(ctx.fns, i);
			const topology = readTopology(get);
			const stage = validateStage(get('stage'), 'stage', 'Stage');
			const max = numberParameter(ctx.fns, 'maxMessages', i, { default: 50, min: 1, max: 10000, integer: true, label: 'Max Messages' });
			const parked = parkedQueueName(topology, stage);
			channel = await ctx.client.openChannel(false);
			await channel.declare(stageTopology(topology, stage));
			for (let n = 0; n < max; n++) {
				const d = await channel.get(parked);
				if (!d) break;
				list.push({ json: { stage, queue: parked, ...describeParked(d) }, pairedItem: { item: i } });
			}
		} catch (error) {
			if (!ctx.results.continueOnFail) throw toNodeError(ctx.node, error, i);
			list.push(failureItem(ctx.items[i], i, toNodeError(ctx.node, error, i)));
		} finally {
			// No acks: closing the channel returns every peeked message to its place.
			await channel?.close();
		}
		ctx.results.successItems(i, list);
	}
}
