// A plain-amqplib view of the shared RabbitMQ (127.0.0.1:5672, guest) for tests, benchmarks and
// the chaos run: declare a stage's topology exactly as the nodes do, publish and fill queues, read
// messages and counts back, and find or force-close connections with rabbitmqctl. Independent of
// the code under test except for the topology definition, which both sides must share to declare
// identical queues.
import { execFile } from 'child_process';
import { promisify } from 'util';
import { connect, type ChannelModel, type ConfirmChannel, type GetMessage, type Options } from 'amqplib';
import { sleep } from 'n8n-workflow';
import { formatDelay, parseDelays, stageTopology } from '../nodes/BillingQueue/helpers/topology';

const run = promisify(execFile);

export const BROKER_URL = { hostname: '127.0.0.1', port: 5672, username: 'guest', password: 'guest', vhost: '/' };

/** The same broker as a Billing RabbitMQ credential's data (in-process node runs). */
export const BROKER_CREDENTIALS = { ...BROKER_URL, heartbeat: 10, ssl: false };

export interface StageSetup {
	exchange: string;
	queueType: 'quorum' | 'classic';
	retryDelays: string;
}

export interface BillingItem {
	billingKey: string;
	[key: string]: unknown;
}

export interface QueueCounts {
	ready: number;
	unacked: number;
	consumers: number;
}

/** THE broker probe: one connection, one confirm channel, reopened when a passive check closes it. */
export class BrokerProbe {
	private constructor(
		private readonly model: ChannelModel,
		private ch: ConfirmChannel,
	) {}

	/**
	 * `name` becomes the connection's client-provided name (visible in rabbitmqctl); `url` is
	 * another broker than the shared one (the chaos run's own node).
	 */
	static async open(name = 'billing-queue-probe', url: string | Options.Connect = BROKER_URL): Promise<BrokerProbe> {
		const model = await connect(url, { clientProperties: { connection_name: `${name}/${process.pid}` } });
		model.on('error', () => undefined);
		const ch = await model.createConfirmChannel();
		ch.on('error', () => undefined);
		return new BrokerProbe(model, ch);
	}

	/** A 404 on a passive check closes the channel; reopen it transparently. */
	private async channel(): Promise<ConfirmChannel> {
		try {
			await this.ch.checkExchange('amq.topic');
		} catch {
			this.ch = await this.model.createConfirmChannel();
			this.ch.on('error', () => undefined);
		}
		return this.ch;
	}

	/** Declares exchange, stage, retry and parking queues of `stage` with the nodes' own arguments. */
	async declareStage(setup: StageSetup, stage: string): Promise<void> {
		const spec = stageTopology({ exchange: setup.exchange, queueType: setup.queueType, retryDelaysMs: parseDelays(setup.retryDelays) }, stage);
		const ch = await this.channel();
		await ch.assertExchange(spec.exchange, 'topic', { durable: true });
		for (const q of spec.queues) {
			await ch.assertQueue(q.name, { durable: true, arguments: q.arguments });
			await ch.bindQueue(q.name, spec.exchange, q.bindingKey);
		}
	}

	/** A plain durable queue on the default exchange (what n8n's own RabbitMQ Trigger reads). */
	async declareQueue(name: string, type: 'quorum' | 'classic'): Promise<void> {
		const ch = await this.channel();
		await ch.assertQueue(name, { durable: true, arguments: { 'x-queue-type': type } });
	}

	/** Publishes one message (a Buffer as is, a string as text, anything else as JSON), confirmed. */
	async publish(exchange: string, routingKey: string, body: unknown, props: Options.Publish = {}): Promise<void> {
		const ch = await this.channel();
		const content = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
		ch.publish(exchange, routingKey, content, { persistent: true, ...props });
		await ch.waitForConfirms();
	}

	/** Raw bytes (poison messages) with whatever properties the test wants: publish() by its older name. */
	async publishRaw(exchange: string, routingKey: string, content: Buffer, props: Options.Publish = {}): Promise<void> {
		await this.publish(exchange, routingKey, content, props);
	}

	/** Publishes billing items the way an upstream stage does (persistent, messageId = billing key), confirmed. */
	async publishItems(exchange: string, routingKey: string, items: BillingItem[], runId = 'run-1'): Promise<void> {
		const ch = await this.channel();
		for (let i = 0; i < items.length; i++) {
			const item = items[i];
			const ok = ch.publish(exchange, routingKey, Buffer.from(JSON.stringify(item)), {
				persistent: true,
				contentType: 'application/json',
				messageId: item.billingKey,
				correlationId: runId,
				headers: { 'x-billing-attempt': 1 },
			});
			// Wait now and then so tens of thousands of messages do not pile up in memory.
			if (!ok || i % 500 === 499) await ch.waitForConfirms();
		}
		await ch.waitForConfirms();
	}

	/** Sends `count` plain messages straight to a queue (default exchange). */
	async fillQueue(queue: string, count: number, body: (i: number) => unknown): Promise<void> {
		const ch = await this.channel();
		for (let i = 0; i < count; i++) {
			const json = body(i);
			const ok = ch.sendToQueue(queue, Buffer.from(JSON.stringify(json)), {
				persistent: true,
				contentType: 'application/json',
				messageId: String((json as { billingKey?: string }).billingKey ?? i),
			});
			if (!ok || i % 500 === 499) await ch.waitForConfirms();
		}
		await ch.waitForConfirms();
	}

	/** Ready messages and consumers (AMQP cannot see unacked ones; see queueCounts()). Null if missing. */
	async check(queue: string): Promise<{ ready: number; consumers: number } | null> {
		const ch = await this.channel();
		try {
			const q = await ch.checkQueue(queue);
			return { ready: q.messageCount, consumers: q.consumerCount };
		} catch {
			return null;
		}
	}

	/** Ready messages (unacked ones are not counted); null if the queue does not exist. */
	async count(queue: string): Promise<number | null> {
		return (await this.check(queue))?.ready ?? null;
	}

	/** Consumers of a queue that must exist. */
	async consumers(queue: string): Promise<number> {
		const ch = await this.channel();
		return (await ch.checkQueue(queue)).consumerCount;
	}

	/** Takes (and acks) every ready message of a queue. */
	async drain(queue: string): Promise<GetMessage[]> {
		const ch = await this.channel();
		const out: GetMessage[] = [];
		for (;;) {
			const m = await ch.get(queue, { noAck: true });
			if (!m) return out;
			out.push(m);
		}
	}

	/** Reads every ready message of a queue without removing it (a channel of its own, closed unacked). */
	async peek(queue: string): Promise<GetMessage[]> {
		const ch = await this.model.createChannel();
		ch.on('error', () => undefined);
		const out: GetMessage[] = [];
		try {
			for (;;) {
				const m = await ch.get(queue, { noAck: false });
				if (!m) break;
				out.push(m);
			}
		} finally {
			await ch.close().catch(() => undefined);
		}
		return out;
	}

	async deleteQueues(names: string[]): Promise<void> {
		for (const name of names) {
			const ch = await this.channel();
			await ch.deleteQueue(name).catch(() => undefined);
		}
	}

	async deleteExchange(name: string): Promise<void> {
		const ch = await this.channel();
		await ch.deleteExchange(name).catch(() => undefined);
	}

	/** Deletes everything the given stages of `setup` could have created, and the exchange. */
	async deleteStages(setup: Pick<StageSetup, 'exchange' | 'retryDelays'>, stages: string[]): Promise<void> {
		const delays = [...new Set(parseDelays(setup.retryDelays))];
		await this.deleteQueues(
			stages.flatMap((s) => [`${setup.exchange}.${s}`, `${setup.exchange}.${s}.parked`, `${setup.exchange}.${s}.hold`, ...delays.map((d) => `${setup.exchange}.${s}.retry.${formatDelay(d)}`)]),
		);
		await this.deleteExchange(setup.exchange);
	}

	/** deleteStages() for a bare exchange name and delays. */
	async cleanup(exchange: string, stages: string[], retryDelays = '300ms, 600ms'): Promise<void> {
		await this.deleteStages({ exchange, retryDelays }, stages);
	}

	async close(): Promise<void> {
		await this.model.close().catch(() => undefined);
	}
}

export function bodyOf(m: GetMessage): Record<string, unknown> {
	return JSON.parse(m.content.toString('utf8')) as Record<string, unknown>;
}

export function headerOf(m: GetMessage, name: string): unknown {
	const v = m.properties.headers?.[name];
	return Buffer.isBuffer(v) ? v.toString('utf8') : v;
}

/** How often each billing key occurs in `messages`. */
export function countKeys(messages: GetMessage[]): Map<string, number> {
	const counts = new Map<string, number>();
	for (const m of messages) {
		const key = String(bodyOf(m).billingKey);
		counts.set(key, (counts.get(key) ?? 0) + 1);
	}
	return counts;
}

// ---------------------------------------------------------------------------------------------
// rabbitmqctl (the broker is shared: only ever read, or close our own connections)

async function ctl(args: string[], table = true): Promise<string> {
	const flags = table ? ['-q', '--no-table-headers'] : ['-q'];
	const { stdout } = await run('rabbitmqctl', [...flags, ...args], { timeout: 60000, maxBuffer: 16 * 1024 * 1024 });
	return stdout;
}

/**
 * Ready and unacknowledged counts of the named queues, as the broker reports them. Live for
 * classic queues; for quorum queues RabbitMQ updates these figures only every few seconds.
 */
export async function queueCounts(names: string[]): Promise<Map<string, QueueCounts>> {
	const out = await ctl(['list_queues', 'name', 'messages_ready', 'messages_unacknowledged', 'consumers']);
	const wanted = new Set(names);
	const result = new Map<string, QueueCounts>();
	for (const line of out.split('\n')) {
		const [name, ready, unacked, consumers] = line.split('\t').map((s) => s.trim());
		if (wanted.has(name)) result.set(name, { ready: Number(ready), unacked: Number(unacked), consumers: Number(consumers) });
	}
	return result;
}

export interface BrokerConnection {
	pid: string;
	name: string;
}

/** Connections whose client-provided name starts with `prefix`. */
export async function connectionsNamed(prefix: string): Promise<BrokerConnection[]> {
	const out = await ctl(['list_connections', 'pid', 'client_properties']);
	const found: BrokerConnection[] = [];
	for (const line of out.split('\n')) {
		const m = /"([^"]*)"/g;
		let match: RegExpExecArray | null;
		while ((match = m.exec(line))) {
			if (match[1].startsWith(prefix)) {
				found.push({ pid: line.split('\t')[0].trim(), name: match[1] });
				break;
			}
		}
	}
	return found;
}

/** The broker pid of the one connection with exactly this client-provided name. */
export async function connectionPid(connectionName: string): Promise<string> {
	const out = await ctl(['list_connections', 'pid', 'client_properties']);
	const line = out.split('\n').find((l) => l.includes(`"${connectionName}"`));
	if (!line) throw new Error(`No broker connection named ${connectionName}`);
	return line.split('\t')[0].trim();
}

/** Force-closes one connection, as a network failure or broker-side kill would. */
export async function closeConnection(pid: string, reason = 'test: simulated connection loss'): Promise<void> {
	await ctl(['close_connection', pid, reason], false);
}

/** Polls `fn` until it returns something truthy; throws naming `what` on timeout. */
export async function waitUntil<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 60000, everyMs = 250): Promise<NonNullable<T>> {
	const until = Date.now() + timeoutMs;
	for (;;) {
		const value = await fn();
		if (value) return value as NonNullable<T>;
		if (Date.now() > until) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
		await sleep(everyMs);
	}
}
