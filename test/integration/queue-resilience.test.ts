// Billing Queue Trigger under failure: the broker kills its connection mid-batch (via
// rabbitmqctl close_connection, only our own connection — the broker keeps running), two
// triggers compete for one queue, and deactivation leaves nothing behind.
import type { IDataObject } from 'n8n-workflow';
import { closeAllConnections, pooledConnections } from '../../nodes/BillingQueue/transport';
import { sleep } from 'n8n-workflow';
import { BrokerProbe as Probe, closeConnection as closeConnectionPid, connectionPid } from '../../support/broker';
import { forward, items, setupFor, triggerHarness, unique, waitFor } from './queue-harness';

const exchange = unique('bq-resilience');
const setup = setupFor(exchange, '300ms, 600ms');
const stages: string[] = [];
let probe: Probe;

function stageName(prefix: string): string {
	const s = unique(prefix);
	stages.push(s);
	return s;
}

const meta = (json: IDataObject) => json._queue as IDataObject;

function consumerConnection() {
	return pooledConnections().find((c) => c.role === 'consumer');
}

async function killConsumerConnection(pid?: string): Promise<void> {
	const before = consumerConnection();
	expect(before?.connected).toBe(true);
	await closeConnectionPid(pid ?? (await connectionPid(before!.name)));
	await waitFor('reconnect', () => {
		const now = consumerConnection();
		return now !== undefined && now.connected && now.generation > before!.generation;
	});
}

async function expectStageDrained(stage: string): Promise<void> {
	expect(await probe.count(`${exchange}.${stage}`)).toBe(0);
	expect(await probe.count(`${exchange}.${stage}.retry.300ms`)).toBe(0);
	expect(await probe.count(`${exchange}.${stage}.retry.600ms`)).toBe(0);
	expect(await probe.count(`${exchange}.${stage}.parked`)).toBe(0);
}

async function forwardedKeys(next: string): Promise<string[]> {
	return (await probe.drain(`${exchange}.${next}`)).map((m) => String(m.properties.messageId)).sort();
}

/** Records timers (setTimeout/setInterval) created from now on that are still pending. */
function trackTimers(): { pending(): string[]; restore(): void } {
	const live = new Map<unknown, string>();
	const g = globalThis as unknown as Record<string, (...args: unknown[]) => unknown>;
	const saved = { setTimeout: g.setTimeout, clearTimeout: g.clearTimeout, setInterval: g.setInterval, clearInterval: g.clearInterval };
	const where = () => new Error().stack!.split('\n').slice(3, 6).join(' < ');
	g.setTimeout = (fn: unknown, ms: unknown, ...args: unknown[]) => {
		const t = saved.setTimeout(() => {
			live.delete(t);
			(fn as (...a: unknown[]) => void)(...args);
		}, ms);
		live.set(t, `setTimeout(${String(ms)}) ${where()}`);
		return t;
	};
	g.setInterval = (fn: unknown, ms: unknown, ...args: unknown[]) => {
		const t = saved.setInterval(fn, ms, ...args);
		live.set(t, `setInterval(${String(ms)}) ${where()}`);
		return t;
	};
	g.clearTimeout = (t: unknown) => {
		live.delete(t);
		return saved.clearTimeout(t);
	};
	g.clearInterval = (t: unknown) => {
		live.delete(t);
		return saved.clearInterval(t);
	};
	return {
		pending: () => [...live.values()],
		restore: () => Object.assign(g, saved),
	};
}

beforeAll(async () => {
	probe = await Probe.open();
});

afterAll(async () => {
	await closeAllConnections();
	await probe.cleanup(exchange, stages, setup.retryDelays);
	await probe.close();
});

describe('Billing Queue Trigger resilience (real RabbitMQ)', () => {
	test('connection closed while an execution runs: messages come back, the finished execution settles them, nothing runs twice', async () => {
		const stage = stageName('invoice');
		const next = stageName('email');
		const h = triggerHarness({ parameters: { stage, batchSize: 5, batchWindowMs: 200, queueSetup: setup } });
		try {
			await h.start();
			await probe.publishItems(exchange, stage, items(5, `${stage}-a`));
			await waitFor('batch', () => h.emits.length === 1);

			await killConsumerConnection();
			// The 5 unacked messages return and are redelivered to the new channel, where they
			// wait for the outcome of the execution that already has them.
			await waitFor('consumer back', async () => (await probe.consumers(`${exchange}.${stage}`)) === 1);
			await sleep(500);
			expect(h.emits).toHaveLength(1);
			expect(await probe.count(`${exchange}.${stage}`)).toBe(0); // held by the new channel, not lost

			// The running execution finishes fine and forwards its items.
			await forward(h.emits[0].json, next, setup);
			h.emits[0].succeed();

			// The stage keeps flowing on the new connection.
			await probe.publishItems(exchange, stage, items(3, `${stage}-b`));
			await waitFor('batch after reconnect', () => h.emits.length === 2);
			expect(h.emits[1].json.map((j) => j.billingKey)).toEqual([`${stage}-b-1`, `${stage}-b-2`, `${stage}-b-3`]);
			await forward(h.emits[1].json, next, setup);
			h.emits[1].succeed();
			await sleep(300);
		} finally {
			await h.close();
		}
		await expectStageDrained(stage); // nothing came back after close: the redelivered copies were acked
		const expected = [...items(5, `${stage}-a`), ...items(3, `${stage}-b`)].map((i) => i.billingKey).sort();
		expect(await forwardedKeys(next)).toEqual(expected);
	});

	test('connection closed while a batch is being collected: the messages come back redelivered and are processed once', async () => {
		const stage = stageName('collect');
		const next = stageName('collect-next');
		const h = triggerHarness({
			parameters: { stage, batchSize: 50, batchWindowMs: 10000, queueSetup: setup },
			workflow: async (json) => {
				await forward(json, next, setup);
				return 'success';
			},
		});
		try {
			await h.start();
			const pid = await connectionPid(consumerConnection()!.name); // rabbitmqctl is slow; look up first
			await probe.publishItems(exchange, stage, items(4, stage));
			await sleep(300); // delivered, waiting in the 10 s batch window (rabbitmqctl is slow under load)
			expect(await probe.count(`${exchange}.${stage}`)).toBe(0);
			await killConsumerConnection(pid);
			expect(h.emits).toHaveLength(0);
			await waitFor('forwarded', async () => (await probe.count(`${exchange}.${next}`)) === 4, 30000);
		} finally {
			await h.close();
		}
		expect(h.emits).toHaveLength(1);
		expect(h.emits[0].json.every((j) => meta(j).redelivered === true)).toBe(true);
		await expectStageDrained(stage);
		expect(await forwardedKeys(next)).toEqual(items(4, stage).map((i) => i.billingKey).sort());
	});

	test('connection closed and then the running execution fails: the returned copies go to retry once and succeed later', async () => {
		const stage = stageName('debit');
		const next = stageName('debit-next');
		const h = triggerHarness({ parameters: { stage, batchSize: 5, batchWindowMs: 100, queueSetup: setup } });
		try {
			await h.start();
			await probe.publishItems(exchange, stage, items(3, stage));
			await waitFor('batch', () => h.emits.length === 1);
			await killConsumerConnection();
			await waitFor('consumer back', async () => (await probe.consumers(`${exchange}.${stage}`)) === 1);
			h.emits[0].fail('Secure Trading timed out', 'Secure Trading');

			await waitFor('retried batch', () => h.emits.length === 2, 10000);
			expect(h.emits[1].json.map((j) => meta(j).attempt)).toEqual([2, 2, 2]);
			expect(meta(h.emits[1].json[0]).lastError).toMatchObject({ message: 'Secure Trading timed out', node: 'Secure Trading' });
			await forward(h.emits[1].json, next, setup);
			h.emits[1].succeed();
			await sleep(300);
		} finally {
			await h.close();
		}
		expect(h.emits).toHaveLength(2);
		await expectStageDrained(stage);
		expect(await forwardedKeys(next)).toEqual(items(3, stage).map((i) => i.billingKey).sort());
	});

	test('two triggers on one queue share the work; no message is processed twice', async () => {
		const stage = stageName('shared');
		const next = stageName('shared-next');
		const seen: string[] = [];
		const workflow = (who: string) => async (json: IDataObject[]) => {
			seen.push(...json.map((j) => `${who}:${j.billingKey}`));
			await sleep(50); // a little work, so both consumers get a share
			await forward(json, next, setup);
			return 'success' as const;
		};
		const a = triggerHarness({ parameters: { stage, batchSize: 5, batchWindowMs: 100, queueSetup: setup }, workflow: workflow('a') });
		const b = triggerHarness({ parameters: { stage, batchSize: 5, batchWindowMs: 100, queueSetup: setup }, workflow: workflow('b') });
		try {
			await a.start();
			await b.start();
			expect(await probe.consumers(`${exchange}.${stage}`)).toBe(2);
			await probe.publishItems(exchange, stage, items(60, stage));
			await waitFor('all forwarded', async () => (await probe.count(`${exchange}.${next}`)) === 60, 30000);
		} finally {
			await a.close();
			await b.close();
		}
		const keys = seen.map((s) => s.split(':')[1]);
		expect(keys).toHaveLength(60);
		expect(new Set(keys).size).toBe(60);
		expect(seen.filter((s) => s.startsWith('a:')).length).toBeGreaterThan(0);
		expect(seen.filter((s) => s.startsWith('b:')).length).toBeGreaterThan(0);
		await expectStageDrained(stage);
		expect(await forwardedKeys(next)).toEqual(items(60, stage).map((i) => i.billingKey).sort());
	});

	test('closeFunction waits for the running execution, then releases channels, connections and timers', async () => {
		await closeAllConnections(); // baseline without pooled connections of earlier tests
		await sleep(100);
		const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
		const socketsBefore = sockets();
		const timers = trackTimers();
		try {
			const stage = stageName('close');
			const h = triggerHarness({ parameters: { stage, batchSize: 5, batchWindowMs: 100, queueSetup: setup, options: { closeWaitSeconds: 10 } } });
			await h.start();
			expect(pooledConnections().map((c) => c.role).sort()).toEqual(['consumer', 'publisher']);
			await probe.publishItems(exchange, stage, items(2, stage));
			await waitFor('batch', () => h.emits.length === 1);

			const closing = h.close();
			await sleep(200);
			// Consuming stopped at once: messages published now stay ready in the queue.
			await probe.publishItems(exchange, stage, items(2, `${stage}-late`));
			await sleep(300);
			expect(await probe.count(`${exchange}.${stage}`)).toBe(2);
			h.emits[0].succeed(); // the running execution finishes within Close Wait
			await closing;
			expect(h.emits).toHaveLength(1);

			expect(pooledConnections()).toEqual([]);
			await sleep(200);
			expect(sockets()).toBeLessThanOrEqual(socketsBefore);
			expect(timers.pending()).toEqual([]);
			// The batch's two were acked before the channel closed; the late two are untouched.
			const late = await probe.drain(`${exchange}.${stage}`);
			expect(late.map((m) => m.properties.messageId).sort()).toEqual([`${stage}-late-1`, `${stage}-late-2`]);
			expect(late.every((m) => !m.fields.redelivered)).toBe(true);
			await expectStageDrained(stage);
		} finally {
			timers.restore();
		}
	});

	test('closeFunction gives up after Close Wait: unsettled messages return to the queue', async () => {
		const stage = stageName('abandon');
		const h = triggerHarness({ parameters: { stage, batchSize: 5, batchWindowMs: 100, queueSetup: setup, options: { closeWaitSeconds: 0.5 } } });
		await h.start();
		await probe.publishItems(exchange, stage, items(2, stage));
		await waitFor('batch', () => h.emits.length === 1);
		const started = Date.now();
		await h.close(); // the execution never reports back
		expect(Date.now() - started).toBeGreaterThanOrEqual(450);
		expect(Date.now() - started).toBeLessThan(5000);
		await waitFor('returned', async () => (await probe.count(`${exchange}.${stage}`)) === 2);
		h.emits[0].succeed(); // too late: nothing happens, nothing throws
		await sleep(100);
		const back = await probe.drain(`${exchange}.${stage}`);
		expect(back.map((m) => m.properties.messageId).sort()).toEqual(items(2, stage).map((i) => i.billingKey).sort());
		expect(back.every((m) => m.fields.redelivered)).toBe(true);
	});
});
