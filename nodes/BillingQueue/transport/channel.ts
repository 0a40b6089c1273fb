// A channel wrapper that knows whether it is still alive, turns confirms and mandatory returns
// into one promise per publish, and never lets a late ack throw.
import type { Channel, ConfirmChannel, Message } from 'amqplib';
import { LoggerProxy } from 'n8n-workflow';
import { BrokerError, toBrokerError } from './errors';
import { type IncomingMessage, type OutgoingMessage, PUBLISH_ID_HEADER, type TopologySpec } from './types';

export interface Delivery extends IncomingMessage {
	readonly channel: BrokerChannel;
	readonly deliveryTag: number;
}

export interface QueueCounts {
	messageCount: number;
	consumerCount: number;
}

interface DeclareCache {
	/** A plain channel on the same connection, for declarations. */
	openScratchChannel(): Promise<Channel>;
	isDeclared(key: string, generation: number): boolean;
	markDeclared(key: string, generation: number): void;
	forgetDeclared(key: string): void;
}

type CloseListener = (error?: Error) => void;

const rawMessages = new WeakMap<Delivery, Message>();

/** RabbitMQ's 404 for a durable classic queue whose cluster node is down. */
const HOME_NODE_DOWN = /home node .* is down or inaccessible/;

export class BrokerChannel {
	private closedFlag = false;
	private closeError?: Error;
	private readonly closeListeners = new Set<CloseListener>();
	private readonly returned = new Set<string>();
	private drainWaiters: Array<() => void> = [];
	private mustDrain = false;

	constructor(
		private readonly ch: Channel | ConfirmChannel,
		readonly confirm: boolean,
		/** Which connection (re)generation this channel belongs to. */
		readonly generation: number,
		private readonly cache: DeclareCache,
	) {
		ch.on('error', (error: Error) => {
			this.closeError = error;
		});
		ch.on('close', () => {
			this.closedFlag = true;
			this.releaseDrainWaiters();
			for (const listener of [...this.closeListeners]) {
				try {
					listener(this.closeError);
				} catch {
					// A listener's failure must not stop the others from learning about the close.
				}
			}
			this.closeListeners.clear();
		});
		ch.on('return', (msg: Message) => {
			const id = msg.properties.headers?.[PUBLISH_ID_HEADER];
			if (id !== undefined) this.returned.add(String(id));
		});
		ch.on('drain', () => this.releaseDrainWaiters());
	}

	get closed(): boolean {
		return this.closedFlag;
	}

	get lastError(): Error | undefined {
		return this.closeError;
	}

	onClose(listener: CloseListener): () => void {
		if (this.closedFlag) {
			listener(this.closeError);
			return () => undefined;
		}
		this.closeListeners.add(listener);
		return () => this.closeListeners.delete(listener);
	}

	private releaseDrainWaiters(): void {
		this.mustDrain = false;
		const waiters = this.drainWaiters;
		this.drainWaiters = [];
		for (const w of waiters) w();
	}

	private assertOpen(context: string): void {
		if (this.closedFlag) {
			throw new BrokerError(
				`${context}: the channel is closed${this.closeError ? ` (${this.closeError.message})` : ''}`,
				'closed',
				{ brokerMessage: this.closeError?.message },
			);
		}
	}

	/**
	 * Declares exchange, queues and bindings once per connection generation, on a channel of its
	 * own: a declaration RabbitMQ refuses closes that channel, not this one (a consumer's).
	 */
	async declare(spec: TopologySpec): Promise<void> {
		if (this.cache.isDeclared(spec.key, this.generation)) return;
		this.assertOpen('Declaring the billing queues');
		const open = () => this.cache.openScratchChannel().catch((error) => Promise.reject(toBrokerError(error, 'Declaring the billing queues')));
		let scratch = await open();
		let current = `exchange "${spec.exchange}"`;
		const unavailable: string[] = [];
		try {
			await scratch.assertExchange(spec.exchange, 'topic', { durable: true });
			for (const q of spec.queues) {
				current = `queue "${q.name}"`;
				try {
					await scratch.assertQueue(q.name, { durable: true, arguments: q.arguments });
					await scratch.bindQueue(q.name, spec.exchange, q.bindingKey);
				} catch (error) {
					const e = toBrokerError(error, `Declaring ${current}`);
					if (e.kind !== 'not-found' || !HOME_NODE_DOWN.test(e.brokerMessage ?? '')) throw e;
					// A classic queue (parking, holding) lives on one cluster node, and that node is
					// down: the queue and its binding exist. The stage goes on; a publish that needs
					// this queue comes back unroutable until the node returns, and is retried.
					unavailable.push(q.name);
					scratch = await open();
				}
			}
		} catch (error) {
			const e = toBrokerError(error, `Declaring ${current}`);
			if (e.kind === 'precondition') {
				// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- below the router: toNodeError makes it a NodeApiError/NodeOperationError once
				throw new BrokerError(
					`${current} already exists with different settings. The Billing Queue Trigger and the Billing Queue node must use the same Exchange, Queue Type and Retry Delays. RabbitMQ said: ${e.brokerMessage}`,
					'precondition',
					{ brokerMessage: e.brokerMessage, replyCode: 406 },
				);
			}
			throw e;
		} finally {
			await scratch.close().catch(() => undefined);
		}
		if (unavailable.length > 0) {
			LoggerProxy.warn(`Billing Queue: ${unavailable.map((q) => `"${q}"`).join(', ')} cannot be used until the RabbitMQ node holding ${unavailable.length > 1 ? 'them' : 'it'} is back`);
		}
		this.cache.markDeclared(spec.key, this.generation);
	}

	forgetDeclared(spec: TopologySpec): void {
		this.cache.forgetDeclared(spec.key);
	}

	/**
	 * Publishes with `mandatory` and resolves only once the broker confirmed the message into a
	 * queue: a nack, a return (no queue bound) or a channel close reject.
	 */
	async publish(exchange: string, msg: OutgoingMessage, timeoutMs = 30000): Promise<void> {
		if (!this.confirm) throw new Error('publish() needs a confirm channel');
		if (this.mustDrain) await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
		this.assertOpen(`Publishing to "${exchange}" with routing key "${msg.routingKey}"`);
		const where = `exchange "${exchange}", routing key "${msg.routingKey}"`;
		await new Promise<void>((resolve, reject) => {
			let settled = false;
			const finish = (error?: Error) => {
				if (settled) return;
				settled = true;
				clearTimeout(timer);
				if (error) reject(error);
				else resolve();
			};
			const timer = setTimeout(
				() => finish(new BrokerError(`No publisher confirm from RabbitMQ within ${timeoutMs} ms (${where})`, 'timeout')),
				timeoutMs,
			);
			try {
				const ok = (this.ch as ConfirmChannel).publish(
					exchange,
					msg.routingKey,
					msg.content,
					{ ...msg.properties, mandatory: true },
					(err: unknown) => {
						const returned = this.returned.delete(msg.publishId);
						if (err) {
							const text = err instanceof Error ? err.message : String(err);
							finish(
								/nack/i.test(text)
									? new BrokerError(`RabbitMQ refused the message (nack) on ${where}`, 'nacked', { brokerMessage: text })
									: toBrokerError(err, `Publishing to ${where}`),
							);
						} else if (returned) {
							finish(new BrokerError(`No queue is bound for ${where}; the message was returned unrouted`, 'unroutable'));
						} else {
							finish();
						}
					},
				);
				if (!ok) this.mustDrain = true;
			} catch (error) {
				finish(toBrokerError(error, `Publishing to ${where}`));
			}
		});
	}

	async prefetch(count: number): Promise<void> {
		this.assertOpen('Setting prefetch');
		await this.ch.prefetch(count);
	}

	async consume(queue: string, onDelivery: (d: Delivery) => void, onCancel: () => void): Promise<string> {
		this.assertOpen(`Consuming from "${queue}"`);
		try {
			const { consumerTag } = await this.ch.consume(
				queue,
				(msg) => {
					if (msg === null) onCancel();
					else onDelivery(this.wrap(msg));
				},
				{ noAck: false },
			);
			return consumerTag;
		} catch (error) {
			throw toBrokerError(error, `Consuming from "${queue}"`);
		}
	}

	async cancel(consumerTag: string): Promise<void> {
		if (this.closedFlag) return;
		try {
			await this.ch.cancel(consumerTag);
		} catch {
			// Cancelling on a channel that is going away is a no-op for us.
		}
	}

	/** basic.get without auto-ack; null when the queue is empty. */
	async get(queue: string): Promise<Delivery | null> {
		this.assertOpen(`Reading from "${queue}"`);
		try {
			const msg = await this.ch.get(queue, { noAck: false });
			return msg ? this.wrap(msg) : null;
		} catch (error) {
			throw toBrokerError(error, `Reading from "${queue}"`);
		}
	}

	/** Passive declare: counts of ready messages and consumers; throws `not-found` if absent. */
	async checkQueue(queue: string): Promise<QueueCounts> {
		this.assertOpen(`Checking "${queue}"`);
		try {
			const r = await this.ch.checkQueue(queue);
			return { messageCount: r.messageCount, consumerCount: r.consumerCount };
		} catch (error) {
			throw toBrokerError(error, `Checking queue "${queue}"`);
		}
	}

	/** Acks a delivery of this channel; false if the channel is gone (the broker requeues it). */
	ack(delivery: Delivery): boolean {
		return this.settle(delivery, (raw) => this.ch.ack(raw));
	}

	nack(delivery: Delivery, requeue: boolean): boolean {
		return this.settle(delivery, (raw) => this.ch.nack(raw, false, requeue));
	}

	private settle(delivery: Delivery, fn: (raw: Message) => void): boolean {
		if (delivery.channel !== this) throw new Error('A delivery can only be settled on the channel that received it');
		const raw = rawMessages.get(delivery);
		if (!raw || this.closedFlag) return false;
		rawMessages.delete(delivery); // settle at most once
		try {
			fn(raw);
			return true;
		} catch {
			return false;
		}
	}

	async close(): Promise<void> {
		if (this.closedFlag) return;
		try {
			await this.ch.close();
		} catch {
			// Already closing or the connection is gone: either way the channel is finished.
		}
		this.closedFlag = true;
	}

	private wrap(msg: Message): Delivery {
		const p = msg.properties;
		const delivery: Delivery = {
			channel: this,
			deliveryTag: msg.fields.deliveryTag,
			content: msg.content,
			redelivered: msg.fields.redelivered,
			properties: {
				messageId: p.messageId ?? undefined,
				correlationId: p.correlationId ?? undefined,
				contentType: p.contentType ?? undefined,
				contentEncoding: p.contentEncoding ?? undefined,
				timestamp: typeof p.timestamp === 'number' ? p.timestamp : undefined,
				type: p.type ?? undefined,
				appId: p.appId ?? undefined,
				headers: (p.headers as Record<string, unknown> | undefined) ?? {},
			},
		};
		rawMessages.set(delivery, msg);
		return delivery;
	}
}
