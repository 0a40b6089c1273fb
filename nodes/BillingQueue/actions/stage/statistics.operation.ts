// Queue statistics per stage, from passive queue declarations (no queue is created).
// AMQP reports ready messages and consumers; unacknowledged counts exist only in the management
// API, so they are reported as null. `held` counts the hold queue (Publish with Deliver Not Before).
import type { IDataObject, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { forOperation } from '../../../shared/descriptions';
import { toNodeError } from '../../../shared/errors';
import { failureItem } from '../../../shared/failure';
import type { OperationContext } from '../../../shared/operation';
import { itemParameters, readTopology } from '../../helpers/config';
import { formatDelay, stageTopology, TopologyError, validateStage } from '../../helpers/topology';
import { type BrokerChannel, BrokerError, type PooledConnection, type QueueCounts } from '../../transport';
import { queueSetupProperty } from '../common.descriptions';

export const description: INodeProperties[] = forOperation('stage', 'statistics', [
	{
		displayName: 'Stages',
		name: 'stages',
		type: 'string',
		default: 'invoice, email, debit, notify',
		required: true,
		description: 'Comma-separated stage names; one output item per stage',
	},
	queueSetupProperty,
]);

export async function execute(ctx: OperationContext<PooledConnection>): Promise<void> {
	let channel: BrokerChannel | undefined;
	// A passive declare of a missing queue closes the channel (404), so reopen as needed.
	const count = async (queue: string): Promise<QueueCounts | null> => {
		if (!channel || channel.closed) channel = await ctx.client.openChannel(false);
		try {
			return await channel.checkQueue(queue);
		} catch (error) {
			if (error instanceof BrokerError && error.kind === 'not-found') return null;
			// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- below the router: toNodeError makes it a NodeApiError/NodeOperationError once
			throw error;
		}
	};
	try {
		for (let i = 0; i < ctx.items.length; i++) {
			const list: INodeExecutionData[] = [];
			try {
				const get = itemParameters(ctx.fns, i);
				const topology = readTopology(get);
				const names = String(get('stages', '') ?? '')
					.split(',')
					.map((s) => s.trim())
					.filter(Boolean);
				if (names.length === 0) throw new TopologyError('stages', '"Stages" lists no stage');
				for (const raw of names) {
					const stage = validateStage(raw, 'stages', 'Stages');
					const spec = stageTopology(topology, stage);
					const out: IDataObject = { stage, exchange: spec.exchange };
					const retryQueues: IDataObject = {};
					let retrying = 0;
					for (const q of spec.queues) {
						const c = await count(q.name);
						if (q.role === 'stage') {
							Object.assign(out, {
								queue: q.name,
								exists: c !== null,
								ready: c?.messageCount ?? 0,
								consumers: c?.consumerCount ?? 0,
								unacknowledged: null,
							});
						} else if (q.role === 'retry') {
							retryQueues[formatDelay(q.delayMs!)] = c?.messageCount ?? 0;
							retrying += c?.messageCount ?? 0;
						} else if (q.role === 'parked') {
							out.parked = c?.messageCount ?? 0;
						} else {
							// Waiting for their "Deliver Not Before" time (expired ones still count until they leave).
							out.held = c?.messageCount ?? 0;
						}
					}
					out.retrying = retrying;
					out.retryQueues = retryQueues;
					list.push({ json: out, pairedItem: { item: i } });
				}
			} catch (error) {
				if (!ctx.results.continueOnFail) throw toNodeError(ctx.node, error, i);
				list.push(failureItem(ctx.items[i], i, toNodeError(ctx.node, error, i)));
			}
			ctx.results.successItems(i, list);
		}
	} finally {
		await channel?.close();
	}
}
