// The Billing Queue Trigger's engine: consume a stage queue with manual acks, hand batches to
// n8n, and settle every message only after its execution finished:
//   succeeded  → ack (the workflow forwarded the items itself)
//   failed     → confirmed copy to the retry queue (attempt + 1) or to parking, then ack; a
//                failed execution of several messages is first bisected (halves re-run on
//                their own) so that one poison message does not fail the others with it
//   invalid    → confirmed copy to parking with the reason, then ack
// Nothing is ever nack-requeued, so a failing message cannot spin. When the connection drops,
// unacked messages return by themselves; the consumer comes back when the connection does,
// and copies redelivered while (or after) their first execution ran are settled from that
// execution's outcome instead of being run twice.
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import {
	abortableWait,
	acquireConnection,
	type BrokerChannel,
	BrokerError,
	type BrokerSettings,
	type ConnectionLease,
	type Delivery,
	publishConfirmed,
	within,
} from '../transport';
import { copyForRequeue, decodeMessage, type ErrorInfo, type OutgoingMessage, type QueueMeta, toItemJson } from './message';
import type { ExecutionOutcome } from './outcome';
import {
	decideRetry,
	QUORUM_DELIVERY_LIMIT,
	routingKeys,
	stageQueueName,
	stageTopology,
	type TopologyConfig,
	type TopologySpec,
} from './topology';

export interface StageConsumerConfig {
	stage: string;
	topology: TopologyConfig;
	/** 1 = one execution per message. */
	batchSize: number;
	/** How long a batch waits for more messages after its first one. */
	batchWindowMs: number;
	prefetch: number;
	maxAttempts: number;
	maxMessageBytes: number;
	/** Longest wait for an execution to report back before its batch is treated as failed. */
	executionWaitMs: number;
	/** On close, how long in-flight batches get to finish. */
	closeWaitMs: number;
	/** Name used as the error's node for messages the trigger itself parks. */
	nodeName: string;
}

export interface ConsumerLogger {
	debug(message: string, meta?: object): void;
	info(message: string, meta?: object): void;
	warn(message: string, meta?: object): void;
	error(message: string, meta?: object): void;
}

export interface StageConsumerHooks {
	/** Starts one workflow execution with these items and resolves when it finished. */
	execute(items: INodeExecutionData[]): Promise<ExecutionOutcome>;
	/** A problem the consumer cannot heal by reconnecting (e.g. conflicting queue settings). */
	onFatal?(error: Error): void;
	log: ConsumerLogger;
}

/** What became of a message: 'handled' means no copy of it may be processed again. */
type Memo = 'handled' | { failed: ErrorInfo };

interface Entry {
	delivery: Delivery;
	payload: IDataObject;
	meta: QueueMeta;
}

/** A batch member and the memo its redelivered copies wait on; resolved once its fate is known. */
interface Member {
	entry: Entry;
	memo: { promise: Promise<Memo>; resolve: (v: Memo) => void };
}

/**
 * How one execution ended. `reported`: the execution ran and said it failed (not a timeout, where
 * it may still be running, and not an emit() that threw, where none ran).
 */
type Run = { kind: 'ok' } | { kind: 'failed'; error: ErrorInfo; reported: boolean } | { kind: 'closed' };

/** Outcomes of recent messages by identity, for settling redelivered copies. Bounded. */
class OutcomeMemory {
	private readonly map = new Map<string, { memo: Promise<Memo>; at: number }>();

	constructor(
		private readonly max = 20000,
		private readonly ttlMs = 6 * 3600 * 1000,
	) {}

	set(uid: string, memo: Promise<Memo>): void {
		this.map.delete(uid);
		this.map.set(uid, { memo, at: Date.now() });
		const cutoff = Date.now() - this.ttlMs;
		for (const [key, value] of this.map) {
			if (this.map.size <= this.max && value.at >= cutoff) break;
			this.map.delete(key);
		}
	}

	get(uid: string): Promise<Memo> | undefined {
		return this.map.get(uid)?.memo;
	}
}

/** Billing keys for a trace line, a redelivered copy marked with its delivery count. */
function traceKeys(entries: Entry[]): string {
	return entries.map(({ delivery, meta }) => (delivery.redelivered ? `${meta.billingKey} (redelivered, count ${deliveryCount(delivery) ?? '?'})` : meta.billingKey)).join(', ');
}

/** How often a quorum queue has delivered this message before (its x-delivery-count header). */
function deliveryCount(delivery: Delivery): number | undefined {
	const n = Number(delivery.properties.headers?.['x-delivery-count']);
	return Number.isFinite(n) ? n : undefined;
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
	let resolve!: (v: T) => void;
	const promise = new Promise<T>((r) => (resolve = r));
	return { promise, resolve };
}

export class StageConsumer {
	private readonly spec: TopologySpec;
	private readonly queue: string;
	private consumerLease?: ConnectionLease;
	private publisherLease?: ConnectionLease;
	private channel?: BrokerChannel;
	private consumerTag?: string;
	private publishChannel?: Promise<BrokerChannel>;
	private batch: Entry[] = [];
	private batchTimer?: NodeJS.Timeout;
	private readonly inflight = new Set<Promise<unknown>>();
	private readonly memory = new OutcomeMemory();
	private state: 'new' | 'running' | 'closing' | 'closed' = 'new';
	private readonly stop = new AbortController();
	private setupTimer?: NodeJS.Timeout;
	private setupRunning?: Promise<void>;
	private setupAgain = false;
	private backoffMs = 0;
	private readonly onConnect = () => this.scheduleSetup(0);
	/** Counters for logs and tests. */
	readonly stats = { emitted: 0, acked: 0, retried: 0, parked: 0, duplicatesDropped: 0, setups: 0, bisections: 0 };

	constructor(
		private readonly cfg: StageConsumerConfig,
		private readonly hooks: StageConsumerHooks,
	) {
		this.spec = stageTopology(cfg.topology, cfg.stage);
		this.queue = stageQueueName(cfg.topology, cfg.stage);
	}

	/** Connects, declares the topology and starts consuming; throws if that first attempt fails. */
	async start(settings: BrokerSettings): Promise<void> {
		if (this.state !== 'new') throw new Error('StageConsumer.start() can only be called once');
		this.state = 'running';
		try {
			this.consumerLease = await acquireConnection(settings, 'consumer');
			this.publisherLease = await acquireConnection(settings, 'publisher');
			this.consumerLease.connection.on('connect', this.onConnect);
			await this.setup();
		} catch (error) {
			await this.close();
			// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- below the router: toNodeError makes it a NodeApiError/NodeOperationError once
			throw error;
		}
	}

	get consumerConnectionName(): string | undefined {
		return this.consumerLease?.connection.name;
	}

	private async setup(): Promise<void> {
		if (this.state !== 'running' || (this.channel && !this.channel.closed)) return;
		const conn = this.consumerLease!.connection;
		const ch = await conn.openChannel(false);
		try {
			await ch.declare(this.spec);
			await ch.prefetch(this.cfg.prefetch);
			ch.onClose((error) => this.onChannelClosed(ch, error));
			this.channel = ch;
			this.consumerTag = await ch.consume(
				this.queue,
				(d) => this.onDelivery(d),
				() => this.onCancelled(ch),
			);
		} catch (error) {
			ch.forgetDeclared(this.spec);
			if (this.channel === ch) this.channel = undefined;
			await ch.close();
			// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- below the router: toNodeError makes it a NodeApiError/NodeOperationError once
			throw error;
		}
		if (this.state !== 'running') {
			await ch.close();
			return;
		}
		this.backoffMs = 0;
		this.stats.setups += 1;
		this.hooks.log.debug(`Billing Queue Trigger consuming "${this.queue}"`, { generation: ch.generation });
	}

	/** Runs setup() soon; repeated requests collapse into one attempt, failures back off. */
	private scheduleSetup(delayMs: number): void {
		if (this.state !== 'running') return;
		if (this.setupRunning) {
			this.setupAgain = true;
			return;
		}
		if (this.setupTimer) {
			if (delayMs > 0) return;
			clearTimeout(this.setupTimer);
		}
		this.setupTimer = setTimeout(() => {
			this.setupTimer = undefined;
			this.setupRunning = this.setup()
				.catch((error: Error) => {
					this.backoffMs = Math.min(Math.max(this.backoffMs * 2, 1000), 30000);
					this.hooks.log.warn(`Billing Queue Trigger could not (re)start consuming "${this.queue}": ${error.message}`, {
						retryInMs: this.backoffMs,
					});
					if (error instanceof BrokerError && error.kind === 'precondition' && this.hooks.onFatal) this.hooks.onFatal(error);
					else this.setupAgain = true;
				})
				.finally(() => {
					this.setupRunning = undefined;
					if (this.setupAgain && this.state === 'running') {
						this.setupAgain = false;
						this.scheduleSetup(this.backoffMs);
					}
				});
		}, delayMs);
	}

	private onChannelClosed(ch: BrokerChannel, error?: Error): void {
		if (this.channel !== ch) return;
		this.channel = undefined;
		this.consumerTag = undefined;
		// Messages collected but not yet emitted go back to the queue with the channel.
		if (this.batch.length > 0) this.hooks.log.debug(`Billing Queue Trigger: ${this.batch.length} message(s) not yet run return to "${this.queue}" with the channel: ${traceKeys(this.batch)}`);
		this.clearBatch();
		if (this.state !== 'running') return;
		this.hooks.log.warn(`Billing Queue Trigger lost its channel on "${this.queue}"${error ? `: ${error.message}` : ''}; resuming`);
		this.scheduleSetup(Math.max(this.backoffMs, 200));
	}

	private onCancelled(ch: BrokerChannel): void {
		// The broker cancelled us (queue deleted or failed over): start over, declaring again.
		ch.forgetDeclared(this.spec);
		this.hooks.log.warn(`RabbitMQ cancelled the consumer on "${this.queue}"; re-declaring and resuming`);
		void ch.close();
	}

	private clearBatch(): void {
		if (this.batchTimer) clearTimeout(this.batchTimer);
		this.batchTimer = undefined;
		this.batch = [];
	}

	private track<T>(promise: Promise<T>): void {
		const p = promise.catch((error: Error) => {
			this.hooks.log.error(`Billing Queue Trigger: unexpected error on "${this.queue}": ${error.message}`);
		});
		this.inflight.add(p);
		void p.finally(() => this.inflight.delete(p));
	}

	private onDelivery(delivery: Delivery): void {
		// While closing we take nothing new; such messages return when the channel closes.
		if (this.state !== 'running' || delivery.channel !== this.channel) {
			this.hooks.log.debug(`Billing Queue Trigger left a delivery on "${this.queue}" to return with its channel (${this.state === 'running' ? 'a replaced channel' : this.state})`, { messageId: delivery.properties.messageId });
			return;
		}
		const decoded = decodeMessage(delivery, {
			stage: this.cfg.stage,
			exchange: this.spec.exchange,
			queue: this.queue,
			maxBytes: this.cfg.maxMessageBytes,
		});
		const uid = decoded.meta.messageUid;
		// Every return (a lost channel included) counts: past the limit RabbitMQ dead-letters the
		// message to parking, so a message bouncing this often is worth an operator's look.
		const count = deliveryCount(delivery);
		if (count !== undefined && count >= QUORUM_DELIVERY_LIMIT / 2) {
			this.hooks.log.warn(
				`Billing Queue Trigger: ${decoded.meta.billingKey} has been delivered ${count} times on "${this.queue}"; after ${QUORUM_DELIVERY_LIMIT} RabbitMQ moves it to parking`,
			);
		}
		const prior = delivery.redelivered ? this.memory.get(uid) : undefined;
		if (!decoded.ok) {
			this.track(this.parkInvalid(delivery, decoded.meta, decoded.reason, prior));
			return;
		}
		if (prior) {
			this.track(this.settleRedelivered(delivery, decoded.meta, prior));
			return;
		}
		this.batch.push({ delivery, payload: decoded.payload, meta: decoded.meta });
		if (this.batch.length >= this.cfg.batchSize) {
			this.flush();
		} else if (this.batch.length === 1) {
			this.batchTimer = setTimeout(() => this.flush(), this.cfg.batchWindowMs);
		}
	}

	private async parkInvalid(delivery: Delivery, meta: QueueMeta, reason: string, prior?: Promise<Memo>): Promise<void> {
		if (prior && (await prior) === 'handled') {
			// Parked already; only the ack was lost with the old channel.
			this.stats.duplicatesDropped += 1;
			delivery.channel.ack(delivery);
			return;
		}
		this.hooks.log.warn(`Billing Queue Trigger parks an invalid message from "${this.queue}": ${reason}`);
		const copy = copyForRequeue(delivery, {
			stage: this.cfg.stage,
			routingKey: routingKeys.parked(this.cfg.stage),
			attempt: meta.attempt,
			error: { message: reason, node: this.cfg.nodeName, time: new Date().toISOString() },
			parkedReason: 'invalid-message',
		});
		const memo = deferred<Memo>();
		this.memory.set(meta.messageUid, memo.promise);
		memo.resolve(await this.copyThenAck(delivery, copy, 'parked'));
	}

	private flush(): void {
		const entries = this.batch;
		this.clearBatch();
		if (entries.length > 0) this.track(this.runBatch(entries));
	}

	private async runBatch(entries: Entry[]): Promise<void> {
		const members = entries.map((entry) => {
			const memo = deferred<Memo>();
			this.memory.set(entry.meta.messageUid, memo.promise);
			return { entry, memo };
		});
		this.hooks.log.debug(`Billing Queue Trigger runs an execution of ${entries.length} message(s) from "${this.queue}": ${traceKeys(entries)}`);
		const run = await this.execute(members);
		if (run.kind === 'failed') {
			this.hooks.log.info(`Billing Queue Trigger: execution failed for ${entries.length} message(s) from "${this.queue}": ${run.error.message}`);
		}
		await this.settle(members, run);
	}

	/** Runs one execution of these members' items and says how it ended. */
	private async execute(members: Member[]): Promise<Run> {
		// Fresh copies each time: a re-run during bisection must not see what an earlier run changed.
		const items: INodeExecutionData[] = members.map(({ entry }) => ({ json: toItemJson(structuredClone(entry.payload), structuredClone(entry.meta)) }));
		this.stats.emitted += 1;
		try {
			const result = await within(this.hooks.execute(items), this.cfg.executionWaitMs, this.stop.signal);
			if (result.done) return result.value.ok ? { kind: 'ok' } : { kind: 'failed', error: result.value.error, reported: true };
			if (result.aborted) return { kind: 'closed' };
			// The execution may still be running: it proved nothing about its members.
			const message = `The execution did not report back within ${Math.round(this.cfg.executionWaitMs / 1000)} s`;
			return { kind: 'failed', reported: false, error: { message, node: this.cfg.nodeName, time: new Date().toISOString() } };
		} catch (error) {
			// emit() itself threw: no execution ran, so none of the members caused it.
			const message = `Starting the execution failed: ${(error as Error).message}`;
			return { kind: 'failed', reported: false, error: { message, node: this.cfg.nodeName, time: new Date().toISOString() } };
		}
	}

	/**
	 * Settles members after their execution: acked on success; on a failure the execution itself
	 * reported, a group of several is bisected to find the message that fails it; otherwise each
	 * member goes to retry (attempt + 1) or parking.
	 */
	private async settle(group: Member[], run: Run): Promise<void> {
		if (run.kind === 'ok') {
			let lost = 0;
			for (const { entry, memo } of group) {
				if (entry.delivery.channel.ack(entry.delivery)) this.stats.acked += 1;
				else lost += 1;
				// Acked or not (channel gone), the work is done: a redelivered copy is a duplicate.
				memo.resolve('handled');
			}
			this.hooks.log.debug(
				`Billing Queue Trigger: execution succeeded for ${group.length} message(s) from "${this.queue}"${lost ? `; ${lost} ack(s) lost with the channel, their copies will be dropped as duplicates` : ''}: ${traceKeys(group.map((m) => m.entry))}`,
			);
			return;
		}
		if (run.kind === 'closed') {
			// Shutting down with the execution still running: leave the messages unacked so
			// they return to the queue; we cannot know what the execution will do.
			this.hooks.log.warn(`Billing Queue Trigger closed while an execution of ${group.length} message(s) was still running; they return to "${this.queue}"`);
			for (const { memo } of group) memo.resolve({ failed: { message: 'The trigger closed before the execution finished' } });
			return;
		}
		if (group.length > 1 && run.reported && this.mayRunAgain(group)) {
			await this.bisect(group, run.error);
			return;
		}
		await this.routeAll(group, run.error);
	}

	/**
	 * One poison message must not take its whole batch to retry and parking with it: each half of
	 * a failed group runs as its own execution; a half that succeeds is acked, a failing half is
	 * split again, down to the single message that fails. When both halves fail, the cause is
	 * systemic (an outage, not a poison): every member is routed at once, so an outage costs two
	 * extra executions, not one per message. Re-running members is safe: the stages are idempotent
	 * by billing key.
	 */
	private async bisect(group: Member[], error: ErrorInfo): Promise<void> {
		const mid = Math.ceil(group.length / 2);
		const halves = [group.slice(0, mid), group.slice(mid)];
		this.stats.bisections += 1;
		this.hooks.log.info(
			`Billing Queue Trigger: running each half (${halves[0].length} + ${halves[1].length}) of the failed execution as its own execution to find the message that fails it`,
			{ queue: this.queue, error: error.message },
		);
		const runs: Run[] = [];
		for (const half of halves) {
			// Closing, or the channel is gone (its copies are redelivered and wait for this outcome).
			const run: Run = this.mayRunAgain(half) ? await this.execute(half) : { kind: 'failed', error, reported: false };
			runs.push(run);
			// Acked at once: a good half does not wait for its sibling's execution.
			if (run.kind === 'ok') await this.settle(half, run);
		}
		const [first, second] = runs;
		if (first.kind === 'failed' && second.kind === 'failed') {
			this.hooks.log.warn(
				`Billing Queue Trigger: both halves of a failed execution of ${group.length} message(s) from "${this.queue}" failed too; treated as a systemic failure, every one goes to retry or parking`,
				{ first: first.error.message, second: second.error.message },
			);
			await Promise.all([this.routeAll(halves[0], first.error), this.routeAll(halves[1], second.error)]);
			return;
		}
		await Promise.all(
			halves.map(async (half, k) => {
				const run = runs[k];
				if (run.kind === 'ok') return;
				if (run.kind === 'failed' && half.length === 1) {
					this.hooks.log.warn(`Billing Queue Trigger isolated ${half[0].entry.meta.billingKey} as the message that fails its batch on "${this.queue}": ${run.error.message}`);
				}
				await this.settle(half, run);
			}),
		);
	}

	/** Whether members can run again now: not closing, and their channel still holds them. */
	private mayRunAgain(group: Member[]): boolean {
		return this.state === 'running' && !this.stop.signal.aborted && group.every(({ entry }) => !entry.delivery.channel.closed);
	}

	private async routeAll(group: Member[], error: ErrorInfo): Promise<void> {
		await Promise.all(group.map(async ({ entry, memo }) => memo.resolve(await this.routeFailure(entry.delivery, entry.meta, error))));
	}

	/** A failed message goes to its retry queue with attempt + 1, or to parking at max attempts. */
	private routeFailure(delivery: Delivery, meta: QueueMeta, error: ErrorInfo): Promise<Memo> {
		const decision = decideRetry(this.cfg.topology, this.cfg.stage, meta.attempt, this.cfg.maxAttempts);
		const copy =
			decision.action === 'retry'
				? copyForRequeue(delivery, {
						stage: this.cfg.stage,
						routingKey: decision.routingKey,
						attempt: decision.nextAttempt,
						error,
						retryDelayMs: decision.delayMs,
					})
				: copyForRequeue(delivery, {
						stage: this.cfg.stage,
						routingKey: decision.routingKey,
						attempt: meta.attempt,
						error,
						parkedReason: decision.reason,
					});
		return this.copyThenAck(delivery, copy, decision.action === 'retry' ? 'retried' : 'parked', error);
	}

	/**
	 * Publishes `copy` (confirmed) and then acks the original. Publishing is retried with backoff
	 * while the original's channel lives; if that channel dies first, the original comes back by
	 * itself and is settled from the memo returned here.
	 */
	private async copyThenAck(delivery: Delivery, copy: OutgoingMessage, counter: 'retried' | 'parked', error?: ErrorInfo): Promise<Memo> {
		let waitMs = 500;
		for (;;) {
			if (delivery.channel.closed || this.stop.signal.aborted) {
				return { failed: error ?? { message: 'Could not move the message before its channel closed' } };
			}
			try {
				const ch = await this.getPublishChannel();
				await publishConfirmed(ch, this.spec, copy);
				this.stats[counter] += 1;
				delivery.channel.ack(delivery);
				return 'handled';
			} catch (err) {
				this.hooks.log.warn(`Billing Queue Trigger could not move a message to "${copy.routingKey}": ${(err as Error).message}; retrying in ${waitMs} ms`);
				if (!(await abortableWait(waitMs, this.stop.signal))) continue;
				waitMs = Math.min(waitMs * 2, 30000);
			}
		}
	}

	private async settleRedelivered(delivery: Delivery, meta: QueueMeta, prior: Promise<Memo>): Promise<void> {
		const memo = await prior;
		if (memo === 'handled') {
			this.stats.duplicatesDropped += 1;
			delivery.channel.ack(delivery);
			this.hooks.log.debug(`Billing Queue Trigger dropped a redelivered copy of ${meta.billingKey} that was already handled`);
			return;
		}
		const next = deferred<Memo>();
		this.memory.set(meta.messageUid, next.promise);
		next.resolve(await this.routeFailure(delivery, meta, memo.failed));
	}

	private getPublishChannel(): Promise<BrokerChannel> {
		const current = this.publishChannel;
		if (current) {
			return current.then(
				(ch) => (ch.closed ? this.openPublishChannel() : ch),
				() => this.openPublishChannel(),
			);
		}
		return this.openPublishChannel();
	}

	private openPublishChannel(): Promise<BrokerChannel> {
		const opening = this.publisherLease!.connection.openChannel(true);
		this.publishChannel = opening;
		opening.catch(() => {
			if (this.publishChannel === opening) this.publishChannel = undefined;
		});
		return opening;
	}

	/** Stops consuming, lets in-flight batches finish (bounded), closes channels, releases connections. */
	async close(): Promise<void> {
		if (this.state === 'closing' || this.state === 'closed') return;
		this.state = 'closing';
		if (this.setupTimer) clearTimeout(this.setupTimer);
		this.setupTimer = undefined;
		this.consumerLease?.connection.off('connect', this.onConnect);
		const ch = this.channel;
		if (ch && this.consumerTag) await ch.cancel(this.consumerTag);
		this.clearBatch();
		if (this.setupRunning) await this.setupRunning;
		if (this.inflight.size > 0) {
			await within(Promise.allSettled([...this.inflight]), this.cfg.closeWaitMs);
		}
		this.stop.abort();
		// Let aborted loops observe the signal before their channels go.
		if (this.inflight.size > 0) await within(Promise.allSettled([...this.inflight]), 1000);
		await ch?.close();
		if (this.channel && this.channel !== ch) await this.channel.close();
		this.channel = undefined;
		const pub = this.publishChannel;
		this.publishChannel = undefined;
		if (pub) await pub.then((c) => c.close()).catch(() => undefined);
		await this.consumerLease?.release();
		await this.publisherLease?.release();
		this.state = 'closed';
		this.hooks.log.debug(`Billing Queue Trigger stopped consuming "${this.queue}"`, { ...this.stats });
	}
}
