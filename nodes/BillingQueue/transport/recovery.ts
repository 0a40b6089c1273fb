// A self-healing AMQP connection over a list of broker nodes. amqplib's own recovering model
// (connect(url, { recovery })) reconnects to the one URL it was given, so a cluster node that stops
// would be retried until it returns. This keeps that model's behaviour (backoff with jitter between
// attempts, a separate budget for the first connection, channels that wait for the next
// connection, the same events) but each round tries every endpoint in turn, starting after the one
// that was lost, and the backoff separates rounds. With one endpoint it is amqplib's model.
import { EventEmitter } from 'events';
import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';
import { asError } from './errors';

export interface RecoveryPolicy {
	initialDelay: number;
	maxDelay: number;
	factor: number;
	jitter: number;
	/** Rounds retried before the first connection succeeds (then the connection fails for good). */
	initialMaxRetries: number;
	/** Rounds retried after a connection was lost; default: forever. */
	maxRetries?: number;
}

export interface RecoveryEndpoint {
	/** How it is named in errors and logs (no credentials). */
	label: string;
	open(): Promise<ChannelModel>;
}

export interface EndpointFailure {
	endpoint: string;
	error: Error;
}

/** Every endpoint of one round failed; `failures` in the order they were tried. */
export class RoundFailedError extends Error {
	constructor(readonly failures: EndpointFailure[]) {
		super(failures.map((f) => `${f.endpoint}: ${f.error.message}`).join('; '));
		this.name = 'RoundFailedError';
	}
}

interface Waiter {
	resolve(model: ChannelModel): void;
	reject(error: Error): void;
}

/** amqplib's built-in delay: exponential, capped so that jitter never pushes it past maxDelay. */
function backoff(policy: RecoveryPolicy, attempt: number): number {
	const capped = policy.maxDelay / (1 + policy.jitter);
	const base = Math.min(capped, policy.initialDelay * policy.factor ** (attempt - 1));
	const spread = base * policy.jitter;
	return Math.max(0, Math.round(base + (spread > 0 ? Math.random() * spread * 2 - spread : 0)));
}

/**
 * Events: 'connect' (endpoint label, index), 'disconnect' (error, endpoint label),
 * 'connect-failed' (EndpointFailure), 'reconnect-scheduled' ({ attempt, delay, error }),
 * 'reconnect-failed' (error), 'error', 'blocked', 'unblocked'.
 */
export class RotatingConnection extends EventEmitter {
	private model?: ChannelModel;
	private current = -1;
	/** Where the next round starts. */
	private next: number;
	private rounds = 0;
	private connectedOnce = false;
	private connecting = false;
	private stopped = false;
	private failure?: Error;
	private timer?: NodeJS.Timeout;
	private immediate?: NodeJS.Immediate;
	private waiters: Waiter[] = [];
	private unbind?: () => void;
	private readonly initial: Promise<void>;
	private settleInitial?: { resolve(): void; reject(error: Error): void };

	constructor(
		private readonly endpoints: readonly RecoveryEndpoint[],
		private readonly policy: RecoveryPolicy,
		startIndex = 0,
	) {
		super();
		if (endpoints.length === 0) throw new Error('RotatingConnection needs at least one endpoint');
		this.next = ((startIndex % endpoints.length) + endpoints.length) % endpoints.length;
		this.initial = new Promise<void>((resolve, reject) => (this.settleInitial = { resolve, reject }));
		// Nobody may be waiting yet; a failed start must not be an unhandled rejection.
		this.initial.catch(() => undefined);
		// Deferred so the owner can attach listeners before the first attempt reports anything.
		this.immediate = setImmediate(() => {
			this.immediate = undefined;
			void this.round();
		});
	}

	/** The endpoint of the live connection, or undefined between connections. */
	get endpoint(): string | undefined {
		return this.model ? this.endpoints[this.current].label : undefined;
	}

	/** Resolves once the first connection is up; rejects if the first rounds all fail, or on close(). */
	waitForConnect(): Promise<void> {
		return this.initial;
	}

	async createChannel(): Promise<Channel> {
		return await (await this.connection()).createChannel();
	}

	async createConfirmChannel(): Promise<ConfirmChannel> {
		return await (await this.connection()).createConfirmChannel();
	}

	private connection(): Promise<ChannelModel> {
		if (this.model) return Promise.resolve(this.model);
		if (this.stopped) return Promise.reject(this.failure ?? new Error('Connection closed'));
		return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
	}

	/** One round: each endpoint once, from `next`; the first that answers wins. */
	private async round(): Promise<void> {
		if (this.stopped || this.connecting || this.model) return;
		this.connecting = true;
		const failures: EndpointFailure[] = [];
		try {
			for (let k = 0; k < this.endpoints.length; k++) {
				const index = (this.next + k) % this.endpoints.length;
				const endpoint = this.endpoints[index];
				let model: ChannelModel;
				try {
					model = await endpoint.open();
				} catch (error) {
					const failure = { endpoint: endpoint.label, error: asError(error) };
					failures.push(failure);
					this.emit('connect-failed', failure);
					if (this.stopped) return;
					continue;
				}
				if (this.stopped) {
					// Closed while this attempt was under way: the late connection must not linger.
					model.on('error', () => undefined);
					await model.close().catch(() => undefined);
					return;
				}
				this.bind(model, index);
				return;
			}
		} finally {
			this.connecting = false;
		}
		this.schedule(new RoundFailedError(failures));
	}

	private bind(model: ChannelModel, index: number): void {
		this.model = model;
		this.current = index;
		this.next = index;
		this.rounds = 0;
		this.connectedOnce = true;
		const onClose = (error?: Error) => this.lost(model, error);
		const onError = (error: Error) => this.emit('error', error);
		const onBlocked = (reason: string) => this.emit('blocked', reason);
		const onUnblocked = () => this.emit('unblocked');
		model.on('close', onClose);
		model.on('error', onError);
		model.on('blocked', onBlocked);
		model.on('unblocked', onUnblocked);
		this.unbind = () => {
			model.off('close', onClose);
			model.off('error', onError);
			model.off('blocked', onBlocked);
			model.off('unblocked', onUnblocked);
			// A late error from a connection we let go must not throw.
			model.on('error', () => undefined);
		};
		this.settleInitial?.resolve();
		this.settleInitial = undefined;
		const waiters = this.waiters.splice(0);
		for (const w of waiters) w.resolve(model);
		this.emit('connect', this.endpoints[index].label, index);
	}

	private lost(model: ChannelModel, error?: Error): void {
		if (this.model !== model) return;
		const endpoint = this.endpoints[this.current].label;
		this.unbind?.();
		this.unbind = undefined;
		this.model = undefined;
		if (this.stopped) return;
		// The node may be gone: the next round starts with the one after it.
		this.next = (this.current + 1) % this.endpoints.length;
		const err = error ? asError(error) : new Error('Connection closed');
		this.emit('disconnect', err, endpoint);
		this.schedule(err);
	}

	private schedule(error: Error): void {
		if (this.stopped || this.timer) return;
		const budget = this.connectedOnce ? (this.policy.maxRetries ?? Infinity) : this.policy.initialMaxRetries;
		if (this.rounds >= budget) {
			this.giveUp(error);
			return;
		}
		this.rounds += 1;
		const delay = backoff(this.policy, this.rounds);
		this.emit('reconnect-scheduled', { attempt: this.rounds, delay, error });
		this.timer = setTimeout(() => {
			this.timer = undefined;
			void this.round();
		}, delay);
	}

	private giveUp(error: Error): void {
		this.stopped = true;
		this.failure = error;
		this.settleInitial?.reject(error);
		this.settleInitial = undefined;
		for (const w of this.waiters.splice(0)) w.reject(error);
		this.emit('reconnect-failed', error);
	}

	async close(): Promise<void> {
		if (this.stopped && !this.model) return;
		this.stopped = true;
		if (this.timer) clearTimeout(this.timer);
		this.timer = undefined;
		if (this.immediate) clearImmediate(this.immediate);
		this.immediate = undefined;
		const closed = new Error('Connection closed');
		this.settleInitial?.reject(closed);
		this.settleInitial = undefined;
		for (const w of this.waiters.splice(0)) w.reject(closed);
		const model = this.model;
		this.model = undefined;
		this.unbind?.();
		this.unbind = undefined;
		if (model) await model.close().catch(() => undefined);
	}
}
