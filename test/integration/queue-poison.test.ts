// Billing Queue Trigger against the real RabbitMQ: a failed execution of a batch is bisected so
// that one poison message does not take the innocent ones with it to retry and parking; an
// outage (both halves fail) costs two extra executions, not one per message; a timeout, a
// shutdown or a lost channel are never bisected. Every test ends with every message accounted for.
import type { IDataObject } from 'n8n-workflow';
import { sleep } from 'n8n-workflow';
import { closeAllConnections, pooledConnections } from '../../nodes/BillingQueue/transport';
import { BrokerProbe as Probe, closeConnection, connectionPid, headerOf as header } from '../../support/broker';
import { forward, items, setupFor, triggerHarness, unique, waitFor } from './queue-harness';

const exchange = unique('bq-poison');
const setup = setupFor(exchange, '300ms, 600ms');
const stages: string[] = [];
let probe: Probe;

function stageName(prefix: string): string {
	const s = unique(prefix);
	stages.push(s);
	return s;
}

const meta = (json: IDataObject) => json._queue as IDataObject;
const keysOf = (json: IDataObject[]) => json.map((j) => String(j.billingKey));

async function expectStageDrained(stage: string): Promise<void> {
	expect(await probe.count(`${exchange}.${stage}`)).toBe(0);
	expect(await probe.count(`${exchange}.${stage}.retry.300ms`)).toBe(0);
	expect(await probe.count(`${exchange}.${stage}.retry.600ms`)).toBe(0);
}

async function forwardedKeys(next: string): Promise<string[]> {
	return (await probe.drain(`${exchange}.${next}`)).map((m) => String(m.properties.messageId)).sort();
}

beforeAll(async () => {
	probe = await Probe.open();
});

afterAll(async () => {
	await closeAllConnections();
	await probe.cleanup(exchange, stages, setup.retryDelays);
	await probe.close();
});

describe('Billing Queue Trigger: a failed batch isolates its poison message (real RabbitMQ)', () => {
	test('one poison message among 8: the 7 others are forwarded once at attempt 1, only the poison is retried and parked', async () => {
		const stage = stageName('invoice');
		const next = stageName('email');
		const all = items(8, stage);
		const poison = all[5].billingKey;
		const h = triggerHarness({
			parameters: { stage, batchSize: 8, batchWindowMs: 300, queueSetup: setup, options: { maxAttempts: 2 } },
			// As n8n: one bad item fails the whole execution, so nothing of it is forwarded.
			workflow: async (json) => {
				if (json.some((j) => j.billingKey === poison)) return new Error(`Xero refused the invoice of ${poison}`);
				await forward(json, next, setup);
				return 'success';
			},
		});
		try {
			await h.start();
			await probe.publishItems(exchange, stage, all);
			await waitFor('poison parked', async () => (await probe.count(`${exchange}.${stage}.parked`)) === 1, 15000);
			await sleep(300);
		} finally {
			await h.close();
		}
		const k = (...n: number[]) => n.map((i) => all[i - 1].billingKey);
		// 8 fails → 1-4 succeed, 5-8 fail → 5-6 fail, 7-8 succeed → 5 succeeds, 6 fails alone: attempt 2 → parked.
		expect(h.emits.map((e) => [keysOf(e.json), meta(e.json[0]).attempt])).toEqual([
			[k(1, 2, 3, 4, 5, 6, 7, 8), 1],
			[k(1, 2, 3, 4), 1],
			[k(5, 6, 7, 8), 1],
			[k(5, 6), 1],
			[k(7, 8), 1],
			[k(5), 1],
			[k(6), 1],
			[k(6), 2],
		]);
		expect(meta(h.emits[7].json[0]).lastError).toMatchObject({ message: `Xero refused the invoice of ${poison}`, node: 'Xero' });
		await expectStageDrained(stage);
		expect(await forwardedKeys(next)).toEqual(all.filter((i) => i.billingKey !== poison).map((i) => i.billingKey).sort());
		const parked = await probe.drain(`${exchange}.${stage}.parked`);
		expect(parked.map((m) => [m.properties.messageId, header(m, 'x-billing-attempt'), header(m, 'x-billing-parked-reason'), header(m, 'x-billing-error-message')])).toEqual([
			[poison, 2, 'max-attempts', `Xero refused the invoice of ${poison}`],
		]);
	});

	test('an outage (both halves fail too) is systemic: two extra executions, then every message goes to retry together', async () => {
		const stage = stageName('outage');
		const next = stageName('outage-next');
		let down = true;
		const h = triggerHarness({
			parameters: { stage, batchSize: 6, batchWindowMs: 300, queueSetup: setup, options: { maxAttempts: 3 } },
			workflow: async (json) => {
				if (down) return new Error('Xero is down for maintenance');
				await forward(json, next, setup);
				return 'success';
			},
		});
		try {
			await h.start();
			await probe.publishItems(exchange, stage, items(6, stage));
			await waitFor('the outage batch and its two halves', () => h.emits.length === 3);
			down = false;
			await waitFor('forwarded after the outage', async () => (await probe.count(`${exchange}.${next}`)) === 6, 15000);
			await sleep(300);
		} finally {
			await h.close();
		}
		expect(h.emits.map((e) => [e.json.length, meta(e.json[0]).attempt])).toEqual([
			[6, 1],
			[3, 1],
			[3, 1],
			[6, 2],
		]);
		expect(h.emits[3].json.every((j) => (meta(j).lastError as IDataObject).message === 'Xero is down for maintenance')).toBe(true);
		await expectStageDrained(stage);
		expect(await probe.count(`${exchange}.${stage}.parked`)).toBe(0);
		expect(await forwardedKeys(next)).toEqual(items(6, stage).map((i) => i.billingKey).sort());
	});

	test('an execution that does not report back within the wait limit is not bisected (it may still be running)', async () => {
		const stage = stageName('timeout');
		// No workflow: the first execution never reports back; later ones are settled below.
		const h = triggerHarness({
			parameters: { stage, batchSize: 3, batchWindowMs: 200, queueSetup: setup, options: { executionWaitMinutes: 0.005, maxAttempts: 1 } },
		});
		try {
			await h.start();
			await probe.publishItems(exchange, stage, items(3, stage));
			await waitFor('parked after the wait limit', async () => (await probe.count(`${exchange}.${stage}.parked`)) === 3, 10000);
			await sleep(500);
			h.emits[0].succeed(); // too late: already parked, nothing happens
			await sleep(100);
		} finally {
			await h.close();
		}
		expect(h.emits.map((e) => e.json.length)).toEqual([3]);
		await expectStageDrained(stage);
		const parked = await probe.drain(`${exchange}.${stage}.parked`);
		expect(parked.every((m) => /did not report back within/.test(String(header(m, 'x-billing-error-message'))))).toBe(true);
	});

	test('the channel lost during bisection: the finished half settles its redelivered copies, the rest go to retry once', async () => {
		const stage = stageName('lost');
		const next = stageName('lost-next');
		const all = items(4, stage);
		// Settled by hand: the batch fails, its first half is still running when the connection drops.
		const h = triggerHarness({ parameters: { stage, batchSize: 4, batchWindowMs: 200, queueSetup: setup } });
		try {
			await h.start();
			const consumer = () => pooledConnections().find((c) => c.role === 'consumer');
			const pid = await connectionPid(consumer()!.name);
			await probe.publishItems(exchange, stage, all);
			await waitFor('batch', () => h.emits.length === 1);
			h.emits[0].fail('Xero 500');
			await waitFor('first half', () => h.emits.length === 2);
			expect(keysOf(h.emits[1].json)).toEqual([all[0].billingKey, all[1].billingKey]);

			const before = consumer()!.generation;
			await closeConnection(pid);
			await waitFor('reconnect', () => consumer()?.connected === true && consumer()!.generation > before);
			await waitFor('consumer back', async () => (await probe.consumers(`${exchange}.${stage}`)) === 1);
			await sleep(300); // the 4 copies are redelivered and wait for the outcome of their execution
			await forward(h.emits[1].json, next, setup);
			h.emits[1].succeed();

			// The second half is not run on a lost channel: its copies go to retry with attempt 2.
			await waitFor('retried half', () => h.emits.length === 3, 10000);
			// In either order: the two redelivered copies are settled to retry independently.
			expect(h.emits[2].json.map((j) => [j.billingKey, meta(j).attempt]).sort()).toEqual([
				[all[2].billingKey, 2],
				[all[3].billingKey, 2],
			]);
			await forward(h.emits[2].json, next, setup);
			h.emits[2].succeed();
			await waitFor('all forwarded', async () => (await probe.count(`${exchange}.${next}`)) === 4);
			await sleep(300);
		} finally {
			await h.close();
		}
		expect(h.emits).toHaveLength(3);
		await expectStageDrained(stage);
		expect(await probe.count(`${exchange}.${stage}.parked`)).toBe(0);
		expect(await forwardedKeys(next)).toEqual(all.map((i) => i.billingKey).sort());
	});
});
