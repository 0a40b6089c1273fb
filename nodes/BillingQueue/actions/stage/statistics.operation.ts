// Queue statistics per stage, from passive queue declarations (no queue is created).
// AMQP reports ready messages and consumers; unacknowledged counts exist only in the management
// API, so they are reported as null.
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { asOperationError, readTopology } from '../../helpers/config';
import { brokerFailure } from '../../helpers/nodeErrors';
import { formatDelay, stageTopology, TopologyError, validateStage } from '../../helpers/topology';
import type { BrokerChannel, QueueCounts } from '../../transport';
import { errorItem, type OperationContext, param, queueSetupFor, show } from '../shared';

const where = show('stage', ['statistics']);

export const description: INodeProperties[] = [
	{
		displayName: 'Stages',
		name: 'stages',
		type: 'string',
		default: 'invoice, email, debit, notify',
		required: true,
		description: 'Comma-separated stage names; one output item per stage',
		displayOptions: where,
	},
	queueSetupFor('stage', ['statistics']),
];

export async function execute(this: IExecuteFunctions, ctx: OperationContext): Promise<INodeExecutionData[]> {
	const items = this.getInputData();
	const node = this.getNode();
	const results: INodeExecutionData[] = [];
	let channel: BrokerChannel | undefined;
	// A passive declare of a missing queue closes the channel (404), so reopen as needed.
	const count = async (queue: string): Promise<QueueCounts | null> => {
		if (!channel || channel.closed) channel = await ctx.connection.openChannel(false);
		try {
			return await channel.checkQueue(queue);
		} catch (error) {
			if ((error as { kind?: string }).kind === 'not-found') return null;
			throw error;
		}
	};
	try {
		for (let i = 0; i < items.length; i++) {
			try {
				const get = param(this, i);
				const topology = readTopology(get);
				const names = String(get('stages', '') ?? '')
					.split(',')
					.map((s) => s.trim())
					.filter(Boolean);
				if (names.length === 0) throw new TopologyError('"Stages" lists no stage', 'Stages');
				for (const raw of names) {
					const stage = validateStage(raw, 'Stages');
					const spec = stageTopology(topology, stage);
					const out: IDataObject = { stage, exchange: spec.exchange };
					const retryQueues: IDataObject = {};
					let retrying = 0;
					try {
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
							} else {
								out.parked = c?.messageCount ?? 0;
							}
						}
					} catch (e) {
						throw brokerFailure(node, e, i);
					}
					out.retrying = retrying;
					out.retryQueues = retryQueues;
					results.push({ json: out, pairedItem: { item: i } });
				}
			} catch (error) {
				const e = asOperationError(node, error, i);
				if (!this.continueOnFail()) throw e;
				results.push(errorItem(e, i));
			}
		}
	} finally {
		await channel?.close();
	}
	return results;
}
