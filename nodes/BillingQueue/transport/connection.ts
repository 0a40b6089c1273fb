// One shared, self-healing connection per credential and role per process. Consumers and
// publishers get separate connections because RabbitMQ blocks a publishing connection under a
// memory or disk alarm, and a consumer sharing it could then no longer ack.
import { EventEmitter } from 'events';
import { randomBytes } from 'crypto';
import { connect } from 'amqplib';
import { sleep } from 'n8n-workflow';
import type { ChannelModel, RecoveringChannelModel } from 'amqplib';
import { BrokerChannel } from './channel';
import { BrokerError, toBrokerError } from './errors';
import { type BrokerSettings, connectionOptions, describeEndpoint, settingsKey } from './settings';

export type ConnectionRole = 'consumer' | 'publisher';

export interface ConnectionInfo {
	name: string;
	role: ConnectionRole;
	endpoint: string;
	connected: boolean;
	generation: number;
	leases: number;
}

const RECOVERY = { initialDelay: 500, maxDelay: 30000, factor: 2, jitter: 0.2, initialMaxRetries: 1 };
const CHANNEL_OPEN_TIMEOUT_MS = 15000;

export class PooledConnection extends EventEmitter {
	readonly name: string;
	readonly endpoint: string;
	private model?: RecoveringChannelModel;
	private opening?: Promise<void>;
	private gen = 0;
	private isConnected = false;
	private stopped = false;
	private readonly declared = new Map<string, number>();
	leases = 0;
	lingerTimer?: NodeJS.Timeout;
	/** Last connection-level problem, for log lines. */
	lastError?: Error;

	constructor(
		readonly key: string,
		readonly role: ConnectionRole,
		private readonly settings: BrokerSettings,
	) {
		super();
		this.name = `n8n-billing-queue/${role}/${process.pid}/${randomBytes(4).toString('hex')}`;
		this.endpoint = describeEndpoint(settings);
		// EventEmitter throws on an unhandled 'error'; connection errors are reported through
		// 'disconnect' and the channels instead.
		this.on('error', () => undefined);
		// Every trigger in the process listens for reconnects on the shared connection.
		this.setMaxListeners(0);
	}

	get connected(): boolean {
		return this.isConnected && !this.stopped;
	}

	get generation(): number {
		return this.gen;
	}

	get dead(): boolean {
		return this.stopped;
	}

	open(): Promise<void> {
		this.opening ??= this.doOpen();
		return this.opening;
	}

	private async doOpen(): Promise<void> {
		const { url, socket } = connectionOptions(this.settings, this.name);
		const model = await connect(url, { ...socket, recovery: { ...RECOVERY, waitForConnect: false } });
		this.model = model;
		model.on('connect', () => {
			this.gen += 1;
			this.isConnected = true;
			this.declared.clear();
			this.emit('connect', this.gen);
		});
		model.on('disconnect', (error: Error) => {
			this.isConnected = false;
			this.lastError = error;
			this.emit('disconnect', error);
		});
		model.on('reconnect-scheduled', (info: { attempt: number; delay: number; error: Error }) => {
			this.emit('reconnect-scheduled', info);
		});
		model.on('reconnect-failed', (error: Error) => {
			this.isConnected = false;
			this.stopped = true;
			this.lastError = error;
			this.emit('failed', error);
		});
		model.on('error', (error: Error) => {
			this.lastError = error;
		});
		model.on('blocked', (reason: string) => this.emit('blocked', reason));
		model.on('unblocked', () => this.emit('unblocked'));
		try {
			await model.waitForConnect();
		} catch (error) {
			this.stopped = true;
			await model.close().catch(() => undefined);
			throw toBrokerError(error, `Could not connect to RabbitMQ at ${this.endpoint}`);
		}
	}

	/**
	 * Opens a channel on the current connection, waiting (bounded) for a reconnect if needed. A
	 * connection that dies while the channel is being opened is retried on the next one.
	 */
	async openChannel(confirm: boolean, timeoutMs = CHANNEL_OPEN_TIMEOUT_MS): Promise<BrokerChannel> {
		await this.open();
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			try {
				return await this.tryOpenChannel(confirm, Math.max(deadline - Date.now(), 1));
			} catch (error) {
				const e = toBrokerError(error, `Opening a channel to ${this.endpoint}`);
				if (e.kind !== 'closed' || this.stopped || Date.now() + 200 >= deadline) throw e;
				await sleep(200);
			}
		}
	}

	private async tryOpenChannel(confirm: boolean, timeoutMs: number): Promise<BrokerChannel> {
		const model = this.model;
		if (!model || this.stopped) {
			throw new BrokerError(`The connection to ${this.endpoint} is closed${this.lastError ? ` (${this.lastError.message})` : ''}`, 'closed');
		}
		const pending = confirm ? model.createConfirmChannel() : model.createChannel();
		let timer: NodeJS.Timeout | undefined;
		const timeout = new Promise<never>((_, reject) => {
			timer = setTimeout(
				() =>
					reject(
						new BrokerError(
							`RabbitMQ at ${this.endpoint} is unreachable: no channel within ${timeoutMs} ms${this.lastError ? ` (last error: ${this.lastError.message})` : ''}`,
							'timeout',
						),
					),
				timeoutMs,
			);
		});
		try {
			const ch = await Promise.race([pending, timeout]);
			return new BrokerChannel(ch, confirm, this.gen, this);
		} catch (error) {
			// A channel that arrives after we gave up must not linger.
			pending.then((late) => late.close().catch(() => undefined)).catch(() => undefined);
			// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- below the router: toNodeError makes it a NodeApiError/NodeOperationError once
			throw error;
		} finally {
			clearTimeout(timer);
		}
	}

	isDeclared(key: string, generation: number): boolean {
		return this.declared.get(key) === generation;
	}

	markDeclared(key: string, generation: number): void {
		if (generation === this.gen) this.declared.set(key, generation);
	}

	forgetDeclared(key: string): void {
		this.declared.delete(key);
	}

	async close(): Promise<void> {
		this.stopped = true;
		this.isConnected = false;
		if (this.lingerTimer) clearTimeout(this.lingerTimer);
		this.lingerTimer = undefined;
		const model = this.model;
		this.model = undefined;
		if (this.opening) await this.opening.catch(() => undefined);
		if (model) await model.close().catch(() => undefined);
		this.removeAllListeners();
		this.on('error', () => undefined);
	}
}

export interface ConnectionLease {
	readonly connection: PooledConnection;
	/**
	 * Gives the lease back. The last lease closes the connection, after `lingerMs` if given (so
	 * back-to-back executions reuse it) or at once.
	 */
	release(opts?: { lingerMs?: number }): Promise<void>;
}

const pool = new Map<string, PooledConnection>();

export async function acquireConnection(settings: BrokerSettings, role: ConnectionRole): Promise<ConnectionLease> {
	const key = `${role}:${settingsKey(settings)}`;
	let conn = pool.get(key);
	if (!conn || conn.dead) {
		conn = new PooledConnection(key, role, settings);
		pool.set(key, conn);
	}
	const c = conn;
	c.leases += 1;
	if (c.lingerTimer) {
		clearTimeout(c.lingerTimer);
		c.lingerTimer = undefined;
	}
	try {
		await c.open();
	} catch (error) {
		c.leases -= 1;
		if (pool.get(key) === c) pool.delete(key);
		await c.close();
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- below the router: toNodeError makes it a NodeApiError/NodeOperationError once
		throw error;
	}
	let released = false;
	return {
		connection: c,
		release: async (opts) => {
			if (released) return;
			released = true;
			c.leases -= 1;
			if (c.leases > 0) return;
			const closeNow = async () => {
				if (c.leases > 0) return;
				if (pool.get(key) === c) pool.delete(key);
				await c.close();
			};
			if (opts?.lingerMs && opts.lingerMs > 0 && !c.dead) {
				c.lingerTimer = setTimeout(() => void closeNow(), opts.lingerMs);
				c.lingerTimer.unref();
			} else {
				await closeNow();
			}
		},
	};
}

/** Closes every pooled connection (process shutdown, tests). */
export async function closeAllConnections(): Promise<void> {
	const all = [...pool.values()];
	pool.clear();
	await Promise.all(all.map((c) => c.close()));
}

export function pooledConnections(): ConnectionInfo[] {
	return [...pool.values()].map((c) => ({
		name: c.name,
		role: c.role,
		endpoint: c.endpoint,
		connected: c.connected,
		generation: c.generation,
		leases: c.leases,
	}));
}

/** Opens and closes one plain connection; the credential test. */
export async function testConnection(settings: BrokerSettings, timeoutMs = 10000): Promise<{ product?: string; version?: string }> {
	const { url, socket } = connectionOptions(settings, `n8n-billing-queue/credential-test/${process.pid}`, timeoutMs);
	let model: ChannelModel | undefined;
	try {
		model = await connect(url, socket);
		model.on('error', () => undefined);
		const props = model.connection.serverProperties as { product?: string; version?: string };
		return { product: props.product, version: props.version };
	} catch (error) {
		throw toBrokerError(error, `Could not connect to RabbitMQ at ${describeEndpoint(settings)}`);
	} finally {
		if (model) await model.close().catch(() => undefined);
	}
}
