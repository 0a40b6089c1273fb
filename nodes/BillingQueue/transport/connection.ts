// One shared, self-healing connection per credential and role per process. Consumers and
// publishers get separate connections because RabbitMQ blocks a publishing connection under a
// memory or disk alarm, and a consumer sharing it could then no longer ack.
// A credential can name several cluster nodes: every (re)connect tries them in turn (recovery.ts),
// starting from a per-process random offset so instances spread over the nodes.
import { EventEmitter } from 'events';
import { randomBytes, randomInt } from 'crypto';
import { connect } from 'amqplib';
import { LoggerProxy, sleep } from 'n8n-workflow';
import type { Channel, ChannelModel } from 'amqplib';
import { BrokerChannel } from './channel';
import { redactSecrets } from '../../shared/redact';
import { asError, BrokerError, toBrokerError } from './errors';
import { type EndpointFailure, RotatingConnection, RoundFailedError } from './recovery';
import { type BrokerSettings, connectionOptions, describeEndpoint, endpointsOf, settingsKey } from './settings';

export type ConnectionRole = 'consumer' | 'publisher';

export interface ConnectionInfo {
	name: string;
	role: ConnectionRole;
	/** The node connected to (or last connected to, or first to try). */
	endpoint: string;
	/** Every node of the credential, in its order. */
	endpoints: string[];
	connected: boolean;
	generation: number;
	leases: number;
}

const RECOVERY = { initialDelay: 500, maxDelay: 30000, factor: 2, jitter: 0.2, initialMaxRetries: 1 };
const CHANNEL_OPEN_TIMEOUT_MS = 15000;
/** Where this process starts in a credential's host list, so instances spread over a cluster. */
const PROCESS_OFFSET = randomInt(0, 1 << 30);

/** One round of failed attempts as one BrokerError: a single node keeps amqplib's own words. */
export function connectError(error: unknown, endpoints: string[]): BrokerError {
	const failures: EndpointFailure[] = error instanceof RoundFailedError ? error.failures : [{ endpoint: endpoints.join(', '), error: asError(error) }];
	// In the credential's order, whichever node the round started with.
	failures.sort((a, b) => endpoints.indexOf(a.endpoint) - endpoints.indexOf(b.endpoint));
	if (failures.length === 1) return toBrokerError(failures[0].error, `Could not connect to RabbitMQ at ${failures[0].endpoint}`);
	const each = failures.map((f) => toBrokerError(f.error, f.endpoint));
	const codes = new Set(each.map((e) => e.replyCode));
	return new BrokerError(`Could not connect to RabbitMQ at any of its ${failures.length} hosts: ${each.map((e) => e.message).join('; ')}`, 'connect', {
		// Retrying helps unless every node refused for a reason that will not heal (login, vhost, TLS).
		retryable: each.some((e) => e.retryable),
		replyCode: codes.size === 1 ? each[0].replyCode : undefined,
	});
}

export class PooledConnection extends EventEmitter {
	readonly name: string;
	/** Every node of the credential as `amqp://host:port/vhost`, in its order. */
	readonly endpoints: string[];
	private model?: RotatingConnection;
	private lastEndpoint?: string;
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
		this.endpoints = endpointsOf(settings).map((e) => describeEndpoint(settings, e));
		// EventEmitter throws on an unhandled 'error'; connection errors are reported through
		// 'disconnect' and the channels instead.
		this.on('error', () => undefined);
		// Every trigger in the process listens for reconnects on the shared connection.
		this.setMaxListeners(0);
	}

	/** The node this connection is on now, else the last one it was on, else the first it will try. */
	get endpoint(): string {
		return this.model?.endpoint ?? this.lastEndpoint ?? this.endpoints[PROCESS_OFFSET % this.endpoints.length];
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
		const nodes = endpointsOf(this.settings).map((endpoint, i) => ({
			label: this.endpoints[i],
			open: (): Promise<ChannelModel> => {
				const { url, socket } = connectionOptions(this.settings, this.name, undefined, endpoint);
				return connect(url, socket);
			},
		}));
		const model = new RotatingConnection(nodes, RECOVERY, PROCESS_OFFSET);
		this.model = model;
		const several = nodes.length > 1;
		model.on('connect', (endpoint: string) => {
			const previous = this.lastEndpoint;
			this.gen += 1;
			this.isConnected = true;
			this.lastEndpoint = endpoint;
			this.declared.clear();
			const moved = previous && previous !== endpoint ? ` (was ${previous})` : '';
			LoggerProxy.info(`Billing Queue: ${this.role} connection ${this.gen === 1 ? 'connected' : 'reconnected'} to ${endpoint}${moved}`, { connection: this.name });
			this.emit('connect', this.gen);
		});
		model.on('disconnect', (error: Error, endpoint: string) => {
			this.isConnected = false;
			this.lastError = error;
			LoggerProxy.warn(
				`Billing Queue: ${this.role} connection to ${endpoint} lost (${redactSecrets(error.message)}); reconnecting${several ? ', to the next host first' : ''}`,
				{ connection: this.name },
			);
			this.emit('disconnect', error);
		});
		model.on('connect-failed', (failure: EndpointFailure) => {
			this.lastError = failure.error;
			LoggerProxy.debug(`Billing Queue: ${this.role} connection could not connect to ${failure.endpoint}: ${redactSecrets(failure.error.message)}`, { connection: this.name });
		});
		model.on('reconnect-scheduled', (info: { attempt: number; delay: number; error: Error }) => {
			// Failed rounds of a connection that was up (the first connection reports to its caller).
			if (this.gen > 0 && info.error instanceof RoundFailedError) {
				LoggerProxy.warn(`Billing Queue: ${this.role} connection: ${connectError(info.error, this.endpoints).message}; trying again in ${info.delay} ms`, {
					connection: this.name,
				});
			}
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
			throw connectError(error, this.endpoints);
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

	/** A plain channel for declaring: a declaration RabbitMQ refuses closes it, not the caller's channel. */
	async openScratchChannel(): Promise<Channel> {
		const model = this.model;
		if (!model || this.stopped) throw new BrokerError(`The connection to ${this.endpoint} is closed`, 'closed');
		const ch = await model.createChannel();
		ch.on('error', () => undefined);
		return ch;
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
		endpoints: c.endpoints,
		connected: c.connected,
		generation: c.generation,
		leases: c.leases,
	}));
}

/** Opens and closes one plain connection to every node at once: what each said, or why it failed. */
async function checkEndpoints(
	settings: BrokerSettings,
	timeoutMs: number,
): Promise<Array<{ endpoint: string; product?: string; version?: string; error?: Error }>> {
	return await Promise.all(
		endpointsOf(settings).map(async (endpoint) => {
			const label = describeEndpoint(settings, endpoint);
			const { url, socket } = connectionOptions(settings, `n8n-billing-queue/credential-test/${process.pid}`, timeoutMs, endpoint);
			let model: ChannelModel | undefined;
			try {
				model = await connect(url, socket);
				model.on('error', () => undefined);
				const props = model.connection.serverProperties as { product?: string; version?: string };
				return { endpoint: label, product: props.product, version: props.version };
			} catch (error) {
				return { endpoint: label, error: asError(error) };
			} finally {
				if (model) await model.close().catch(() => undefined);
			}
		}),
	);
}

/**
 * The credential test: tries every node, returns the first that answered and the ones that did
 * not (each error names its node); throws when none answered.
 */
export async function testConnection(
	settings: BrokerSettings,
	timeoutMs = 10000,
): Promise<{ product?: string; version?: string; endpoint: string; failed: BrokerError[] }> {
	const checks = await checkEndpoints(settings, timeoutMs);
	const failures = checks.flatMap((c) => (c.error ? [{ endpoint: c.endpoint, error: c.error }] : []));
	const ok = checks.find((c) => !c.error);
	if (!ok) throw connectError(new RoundFailedError(failures), checks.map((c) => c.endpoint));
	return { product: ok.product, version: ok.version, endpoint: ok.endpoint, failed: failures.map((f) => toBrokerError(f.error, f.endpoint)) };
}
