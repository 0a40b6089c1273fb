// Peek parked: list parked messages with their errors without removing them. Messages are read
// unacknowledged and all returned, in order, when the channel closes.
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { asOperationError, readTopology } from '../../helpers/config';
import { stageProperty } from '../../helpers/descriptions';
import { describeParked } from '../../helpers/message';
import { brokerFailure } from '../../helpers/nodeErrors';
import { parkedQueueName, stageTopology, validateStage } from '../../helpers/topology';
import { errorItem, type OperationContext, param, queueSetupFor, show } from '../shared';

const where = show('parked', ['peek']);

export const description: INodeProperties[] = [
	stageProperty({ description: 'Stage whose parking queue (e.g. billing.invoice.parked) to list', displayOptions: where }),
	{
		displayName: 'Max Messages',
		name: 'maxMessages',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 10000 },
		default: 50,
		description: 'Most parked messages to list, oldest first',
		displayOptions: where,
	},
	queueSetupFor('parked', ['peek']),
];

export async function execute(this: IExecuteFunctions, ctx: OperationContext): Promise<INodeExecutionData[]> {
	const items = this.getInputData();
	const node = this.getNode();
	const results: INodeExecutionData[] = [];
	for (let i = 0; i < items.length; i++) {
		let channel;
		try {
			const get = param(this, i);
			const topology = readTopology(get);
			const stage = validateStage(get('stage'), 'Stage');
			const max = Number(get('maxMessages', 50));
			const spec = stageTopology(topology, stage);
			const parked = parkedQueueName(topology, stage);
			try {
				channel = await ctx.connection.openChannel(false);
				await channel.declare(spec);
				for (let n = 0; n < max; n++) {
					const d = await channel.get(parked);
					if (!d) break;
					results.push({ json: { stage, queue: parked, ...describeParked(d) }, pairedItem: { item: i } });
				}
			} catch (e) {
				throw brokerFailure(node, e, i);
			}
		} catch (error) {
			const e = asOperationError(node, error, i);
			if (!this.continueOnFail()) throw e;
			results.push(errorItem(e, i));
		} finally {
			// No acks: closing the channel returns every peeked message to its place.
			await channel?.close();
		}
	}
	return results;
}
