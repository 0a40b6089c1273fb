// Manual (editor) runs of the trigger must never acknowledge or remove production messages.
// The sampler borrows up to one batch from the stage queue without acking, closes its channel
// so RabbitMQ puts every message back, and only then hands the copies to the editor, flagged
// `_queue.sample = true` (the Billing Queue node does not forward such items).
// Side effect to know about: a returned message is marked redelivered, and on quorum queues
// the return counts towards the queue's delivery limit (see QUORUM_DELIVERY_LIMIT).
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { acquireConnection, type BrokerSettings, type Delivery } from '../transport';
import { decodeMessage, toItemJson } from './message';
import type { StageConsumerConfig } from './stageConsumer';
import { stageQueueName, stageTopology } from './topology';

export async function sampleStage(
	settings: BrokerSettings,
	cfg: StageConsumerConfig,
	signal: AbortSignal,
): Promise<INodeExecutionData[] | undefined> {
	if (signal.aborted) return undefined;
	const spec = stageTopology(cfg.topology, cfg.stage);
	const queue = stageQueueName(cfg.topology, cfg.stage);
	const lease = await acquireConnection(settings, 'consumer');
	const ch = await lease.connection.openChannel(false).catch(async (error) => {
		await lease.release();
		throw error;
	});
	const taken: Delivery[] = [];
	let timer: NodeJS.Timeout | undefined;
	try {
		await ch.declare(spec);
		await ch.prefetch(cfg.batchSize);
		await new Promise<void>((resolve) => {
			const finish = () => {
				if (timer) clearTimeout(timer);
				signal.removeEventListener('abort', finish);
				resolve();
			};
			signal.addEventListener('abort', finish, { once: true });
			ch.onClose(() => finish());
			ch.consume(
				queue,
				(d) => {
					taken.push(d);
					if (taken.length >= cfg.batchSize) finish();
					else if (taken.length === 1) timer = setTimeout(finish, cfg.batchWindowMs);
				},
				() => finish(),
			).catch(() => finish());
		});
	} finally {
		if (timer) clearTimeout(timer);
		// Closing without acks returns every borrowed message to the queue.
		await ch.close();
		await lease.release();
	}
	if (signal.aborted || taken.length === 0) return undefined;
	return taken.map((d) => {
		const decoded = decodeMessage(d, { stage: cfg.stage, exchange: spec.exchange, queue, maxBytes: cfg.maxMessageBytes });
		const meta = { ...decoded.meta, sample: true };
		if (decoded.ok) return { json: toItemJson(decoded.payload, meta) };
		const invalid: IDataObject = { raw: d.content.subarray(0, 4096).toString('utf8') };
		return { json: toItemJson(invalid, { ...meta, invalidReason: decoded.reason }) };
	});
}
