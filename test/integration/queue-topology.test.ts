// The billing topology on the real broker: idempotent declaration from separate connections,
// the arguments RabbitMQ actually holds, a clear error on conflicting settings, the TTL retry
// path and the delivery-limit safety net.
import { execFile } from 'child_process';
import { promisify } from 'util';
import type { Message } from 'amqplib';
import { stageTopology, type TopologyConfig } from '../../nodes/BillingQueue/helpers/topology';
import { acquireConnection, BrokerError, closeAllConnections, type ConnectionLease } from '../../nodes/BillingQueue/transport';
import { connectionFromCredentials } from '../../nodes/BillingQueue/transport/credentials';
import { BROKER_CREDENTIALS, BrokerProbe as Probe, headerOf as header } from '../../support/broker';
import { unique, waitFor } from './queue-harness';

const run = promisify(execFile);
const exchange = unique('bq-topology');
const delays = '400ms, 2m';
const stages: string[] = [];
let probe: Probe;
const settings = connectionFromCredentials(BROKER_CREDENTIALS);

function cfg(queueType: 'quorum' | 'classic'): TopologyConfig {
	return { exchange, queueType, retryDelaysMs: [400, 120000] };
}

function stageName(prefix: string): string {
	const s = unique(prefix);
	stages.push(s);
	return s;
}

async function declareOnFreshChannel(lease: ConnectionLease, config: TopologyConfig, stage: string): Promise<void> {
	const ch = await lease.connection.openChannel(false);
	try {
		const spec = stageTopology(config, stage);
		ch.forgetDeclared(spec); // really talk to the broker, not the per-connection cache
		await ch.declare(spec);
	} finally {
		await ch.close();
	}
}

interface QueueRow {
	name: string;
	type: string;
	durable: boolean;
	arguments: Record<string, unknown>;
}

async function brokerQueues(prefix: string): Promise<Map<string, QueueRow>> {
	const { stdout } = await run('rabbitmqctl', ['-q', 'list_queues', 'name', 'type', 'durable', 'arguments', '--formatter', 'json'], { timeout: 30000 });
	const rows = (JSON.parse(stdout) as Array<{ name: string; type: string; durable: boolean; arguments: unknown }>).filter((r) => r.name.startsWith(prefix));
	return new Map(
		rows.map((r) => {
			// rabbitmqctl's JSON renders arguments as [[key, type, value], ...] or as an object.
			const args = Array.isArray(r.arguments)
				? Object.fromEntries((r.arguments as Array<[string, string, unknown]>).map(([k, , v]) => [k, v]))
				: (r.arguments as Record<string, unknown>);
			return [r.name, { name: r.name, type: r.type, durable: r.durable, arguments: args }];
		}),
	);
}

beforeAll(async () => {
	probe = await Probe.open();
});

afterAll(async () => {
	await closeAllConnections();
	await probe.cleanup(exchange, stages, delays);
	await probe.close();
});

test('declaring the same topology twice (both queue types, two connections) is idempotent and sets the intended arguments', async () => {
	const quorum = stageName('invoice');
	const classic = stageName('email');
	const a = await acquireConnection(settings, 'publisher');
	const b = await acquireConnection(settings, 'consumer'); // a second, separate connection
	try {
		for (const lease of [a, b, a]) {
			await declareOnFreshChannel(lease, cfg('quorum'), quorum);
			await declareOnFreshChannel(lease, cfg('classic'), classic);
		}
	} finally {
		await a.release();
		await b.release();
	}
	const queues = await brokerQueues(`${exchange}.`);
	const q = (name: string) => queues.get(`${exchange}.${name}`)!;
	expect(q(quorum)).toMatchObject({ type: 'quorum', durable: true });
	expect(q(quorum).arguments).toMatchObject({
		'x-queue-type': 'quorum',
		'x-delivery-limit': 20,
		'x-dead-letter-exchange': exchange,
		'x-dead-letter-routing-key': `${quorum}.parked`,
		'x-dead-letter-strategy': 'at-least-once',
	});
	expect(q(`${quorum}.retry.400ms`).arguments).toMatchObject({ 'x-message-ttl': 400, 'x-dead-letter-routing-key': quorum });
	expect(q(`${quorum}.retry.2m`).arguments).toMatchObject({ 'x-message-ttl': 120000 });
	expect(q(`${quorum}.parked`)).toMatchObject({ type: 'classic', durable: true });
	expect(q(classic)).toMatchObject({ type: 'classic', durable: true });
	expect(q(classic).arguments).not.toHaveProperty('x-delivery-limit');
	expect(q(`${classic}.retry.400ms`)).toMatchObject({ type: 'classic' });
	// The hold queue (Deliver Not Before): classic for both queue types, expiring into its stage.
	for (const stage of [quorum, classic]) {
		expect(q(`${stage}.hold`)).toMatchObject({ type: 'classic', durable: true });
		expect(q(`${stage}.hold`).arguments).toEqual({ 'x-queue-type': 'classic', 'x-dead-letter-exchange': exchange, 'x-dead-letter-routing-key': stage });
	}
	expect(queues.size).toBe(10);
});

test('conflicting settings fail with a clear error instead of silently using another topology', async () => {
	const stage = stageName('conflict');
	const lease = await acquireConnection(settings, 'publisher');
	try {
		await declareOnFreshChannel(lease, cfg('classic'), stage);
		const error = await declareOnFreshChannel(lease, cfg('quorum'), stage).catch((e) => e);
		expect(error).toBeInstanceOf(BrokerError);
		expect(error.kind).toBe('precondition');
		expect(error.message).toContain(`queue "${exchange}.${stage}" already exists with different settings`);
		expect(error.message).toContain('PRECONDITION_FAILED - inequivalent arg');
		// As the kit's ServiceError: AMQP reply code, not retryable (the settings must be fixed first).
		expect(error).toMatchObject({ code: '406', retryable: false });
	} finally {
		await lease.release();
	}
});

test('retry path: a message in a delay queue returns to its stage after the TTL; the delivery limit parks instead of dropping', async () => {
	const stage = stageName('debit');
	const lease = await acquireConnection(settings, 'publisher');
	try {
		await declareOnFreshChannel(lease, cfg('quorum'), stage);
	} finally {
		await lease.release();
	}
	const t0 = Date.now();
	await probe.publish(exchange, `${stage}.retry.400ms`, { billingKey: 'T-1' }, { messageId: 'T-1' });
	expect(await probe.count(`${exchange}.${stage}`)).toBe(0);
	await waitFor('returned to stage', async () => (await probe.count(`${exchange}.${stage}`)) === 1, 5000, 20);
	expect(Date.now() - t0).toBeGreaterThanOrEqual(380);

	// A message that keeps coming back (crashing consumers) is dead-lettered into parking after
	// the delivery limit rather than lost. Returned here by nack+requeue, 21 times.
	const { connect } = await import('amqplib');
	const model = await connect({ hostname: '127.0.0.1', port: 5672, username: 'guest', password: 'guest' });
	try {
		const ch = await model.createChannel();
		for (let i = 0; i < 21; i++) {
			const m = await waitFor('message', () => ch.get(`${exchange}.${stage}`, { noAck: false }), 5000, 10);
			ch.nack(m as Message, false, true);
		}
		await waitFor('parked', async () => (await probe.count(`${exchange}.${stage}.parked`)) === 1, 5000);
	} finally {
		await model.close();
	}
	const [parked] = await probe.drain(`${exchange}.${stage}.parked`);
	expect(parked.properties.messageId).toBe('T-1');
	expect(header(parked, 'x-first-death-reason')).toBe('expired');
	expect((parked.properties.headers?.['x-death'] as Array<{ reason: string }>).map((d) => d.reason)).toContain('delivery_limit');
	expect(await probe.count(`${exchange}.${stage}`)).toBe(0);
});
