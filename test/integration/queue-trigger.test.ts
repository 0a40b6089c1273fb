// Billing Queue Trigger against the real RabbitMQ: batching, ack only after the execution
// finished, failure → retry with growing delays → parking, poison messages, replay, and the
// editor's manual mode. Every test ends with every message accounted for.
import type { IDataObject } from 'n8n-workflow';
import { connect } from 'amqplib';
import { closeAllConnections } from '../../nodes/BillingQueue/transport';
import { sleep } from 'n8n-workflow';
import { bodyOf as body, BROKER_URL, BrokerProbe as Probe, headerOf as header } from '../../support/broker';
import {
	billingQueue,
	forward,
	items,
	setupFor,
	throwingEmit,
	triggerHarness,
	unique,
	waitFor,
	type EmitRecord,
	type TriggerHarness,
} from './queue-harness';

const exchange = unique('bq-trigger');
const setup = setupFor(exchange, '300ms, 600ms');
const stages: string[] = [];
let probe: Probe;

function stageName(prefix: string): string {
	const s = unique(prefix);
	stages.push(s);
	return s;
}

function meta(json: IDataObject): IDataObject {
	return json._queue as IDataObject;
}

/** Asserts the stage's own queues are empty: nothing left waiting, retrying or unacked. */
async function expectStageDrained(stage: string): Promise<void> {
	expect(await probe.count(`${exchange}.${stage}`)).toBe(0);
	expect(await probe.count(`${exchange}.${stage}.retry.300ms`)).toBe(0);
	expect(await probe.count(`${exchange}.${stage}.retry.600ms`)).toBe(0);
}

async function forwardAndSucceed(record: EmitRecord, next: string): Promise<void> {
	const out = await forward(record.json, next, setup);
	expect(out).toHaveLength(record.json.length);
	record.succeed();
}

beforeAll(async () => {
	probe = await Probe.open();
});

afterAll(async () => {
	await closeAllConnections();
	await probe.cleanup(exchange, stages, setup.retryDelays);
	await probe.close();
});

describe('Billing Queue Trigger (real RabbitMQ)', () => {
	test('batch mode: batches of Batch Size, acked only after the execution finished, forwarded exactly once', async () => {
		const stage = stageName('invoice');
		const next = stageName('email');
		const h = triggerHarness({ parameters: { stage, mode: 'batch', batchSize: 5, batchWindowMs: 300, queueSetup: setup } });
		try {
			await h.start();
			await probe.publishItems(exchange, stage, items(12, stage));

			await waitFor('first batch', () => h.emits.length === 1);
			expect(h.emits[0].json).toHaveLength(5);
			// Prefetch defaults to the batch size: nothing else arrives while batch 1 is unsettled,
			// and its 5 messages are held unacked (not ready in the queue, not lost).
			await sleep(700);
			expect(h.emits).toHaveLength(1);
			expect(await probe.count(`${exchange}.${stage}`)).toBe(7);

			const first = meta(h.emits[0].json[0]);
			expect(first).toMatchObject({ stage, attempt: 1, correlationId: 'run-1', redelivered: false, queue: `${exchange}.${stage}` });
			expect(typeof first.messageUid).toBe('string');
			expect(first).not.toHaveProperty('deliveryTag');
			expect(h.emits[0].json[0]).toMatchObject({ billingKey: `${stage}-1`, customer: 'C1', amountMinor: 1000 });

			await forwardAndSucceed(h.emits[0], next);
			await waitFor('second batch', () => h.emits.length === 2);
			expect(h.emits[1].json).toHaveLength(5);
			await forwardAndSucceed(h.emits[1], next);
			await waitFor('third batch', () => h.emits.length === 3);
			expect(h.emits[2].json).toHaveLength(2);
			await forwardAndSucceed(h.emits[2], next);
			await waitFor('all acked', async () => (await probe.count(`${exchange}.${stage}`)) === 0);
		} finally {
			await h.close();
		}
		// After close nothing came back: all 12 were acked.
		await expectStageDrained(stage);
		const forwarded = await probe.drain(`${exchange}.${next}`);
		const keys = forwarded.map((m) => m.properties.messageId).sort();
		expect(keys).toEqual(items(12, stage).map((i) => i.billingKey).sort());
		expect(forwarded.every((m) => m.properties.correlationId === 'run-1' && header(m, 'x-billing-attempt') === 1)).toBe(true);
		expect(forwarded.every((m) => m.properties.deliveryMode === 2 && m.properties.contentType === 'application/json')).toBe(true);
		expect(body(forwarded[0])).not.toHaveProperty('_queue');
	});

	test('batch mode: a batch starts after Batch Window ms with whatever arrived; single mode emits one per execution', async () => {
		const stage = stageName('window');
		const next = stageName('window-next');
		const h = triggerHarness({
			parameters: { stage, mode: 'batch', batchSize: 50, batchWindowMs: 700, queueSetup: setup },
			workflow: async (json) => {
				await forward(json, next, setup);
				return 'success';
			},
		});
		try {
			await h.start();
			const t0 = Date.now();
			await probe.publishItems(exchange, stage, items(3, `${stage}-a`));
			await waitFor('window batch', () => h.emits.length === 1);
			expect(h.emits[0].json).toHaveLength(3);
			expect(h.emits[0].at - t0).toBeGreaterThanOrEqual(650);
			await probe.publishItems(exchange, stage, items(2, `${stage}-b`));
			await waitFor('second window batch', () => h.emits.length === 2);
			expect(h.emits[1].json).toHaveLength(2);
			await waitFor('acked', async () => (await probe.count(`${exchange}.${next}`)) === 5);
		} finally {
			await h.close();
		}

		const single = triggerHarness({
			parameters: { stage, mode: 'single', queueSetup: setup },
			workflow: async (json) => {
				await forward(json, next, setup);
				return 'success';
			},
		});
		try {
			await single.start();
			await probe.publishItems(exchange, stage, items(4, `${stage}-s`));
			await waitFor('4 single executions', () => single.emits.length === 4);
			expect(single.emits.every((e) => e.json.length === 1)).toBe(true);
			await waitFor('all forwarded', async () => (await probe.count(`${exchange}.${next}`)) === 9);
		} finally {
			await single.close();
		}
		await expectStageDrained(stage);
		const keys = (await probe.drain(`${exchange}.${next}`)).map((m) => m.properties.messageId);
		expect(new Set(keys).size).toBe(9);
	});

	test('a message its quorum queue has delivered often (lost channels count) is named in a warning, then run once', async () => {
		const stage = stageName('bounced');
		const next = stageName('bounced-next');
		const forwarding = () =>
			triggerHarness({
				parameters: { stage, mode: 'batch', batchSize: 5, batchWindowMs: 100, queueSetup: setup },
				workflow: async (json) => (await forward(json, next, setup), 'success'),
			});
		// The stage's queues as the trigger declares them, then one message bounced 10 times by a
		// consumer whose channel closes with it unacked (as a flapping connection would).
		const first = forwarding();
		await first.start();
		await first.close();
		await probe.publishItems(exchange, stage, items(1, stage));
		const conn = await connect(BROKER_URL);
		try {
			for (let n = 0; n < 10; n++) {
				const ch = await conn.createChannel();
				const got = new Promise<void>((resolve) => void ch.consume(`${exchange}.${stage}`, (m) => m && resolve(), { noAck: false }));
				await got;
				await ch.close();
			}
		} finally {
			await conn.close();
		}
		const again = forwarding();
		try {
			await again.start();
			await waitFor('the bounced message forwarded', async () => (await probe.count(`${exchange}.${next}`)) === 1);
			expect(again.emits).toHaveLength(1);
			expect(again.logs.filter((l) => l.startsWith('warn '))).toEqual([
				`warn Billing Queue Trigger: ${stage}-1 has been delivered 10 times on "${exchange}.${stage}"; after 20 RabbitMQ moves it to parking`,
			]);
			expect(again.logs).toContainEqual(`debug Billing Queue Trigger runs an execution of 1 message(s) from "${exchange}.${stage}": ${stage}-1 (redelivered, count 10)`);
		} finally {
			await again.close();
		}
		await expectStageDrained(stage);
	});

	test('failed execution: retry with attempt + 1 after growing delays, then parking with the error after Max Attempts', async () => {
		const stage = stageName('debit');
		const h = triggerHarness({
			parameters: { stage, batchSize: 10, batchWindowMs: 150, queueSetup: setup, options: { maxAttempts: 3 } },
			workflow: () => new Error('Secure Trading: 70000 Decline'),
		});
		try {
			await h.start();
			await probe.publishItems(exchange, stage, items(2, stage), 'run-42');
			await waitFor('parked', async () => (await probe.count(`${exchange}.${stage}.parked`)) === 2, 15000);
		} finally {
			await h.close();
		}
		// Each attempt: the batch with both messages, then each half alone to look for a poison
		// message; both halves fail too (systemic), so both go on together, attempt 1 → 2 → 3.
		// The two retry copies are published concurrently, so a batch may come back in either
		// order; its halves follow the order of the batch.
		const keys = (k: number) => h.emits[k].json.map((j) => j.billingKey);
		expect(h.emits.map((e) => [e.json.length, meta(e.json[0]).attempt])).toEqual([1, 2, 3].flatMap((attempt) => [[2, attempt], [1, attempt], [1, attempt]]));
		for (let k = 0; k < h.emits.length; k += 3) {
			expect([...keys(k)].sort()).toEqual([`${stage}-1`, `${stage}-2`]);
			expect([...keys(k + 1), ...keys(k + 2)]).toEqual(keys(k));
		}
		const batches = h.emits.filter((e) => e.json.length === 2);
		expect(meta(batches[0].json[0]).lastError).toBeNull();
		expect(meta(batches[1].json[0]).lastError).toMatchObject({ message: 'Secure Trading: 70000 Decline', node: 'Xero' });
		expect(meta(batches[1].json[0]).redelivered).toBe(false);
		// Growing delays: ≥ 300 ms before attempt 2, ≥ 600 ms before attempt 3 (after the halves ran).
		expect(batches[1].at - h.emits[2].at).toBeGreaterThanOrEqual(280);
		expect(batches[2].at - h.emits[5].at).toBeGreaterThanOrEqual(580);

		await expectStageDrained(stage);
		const parked = await probe.drain(`${exchange}.${stage}.parked`);
		expect(parked.map((m) => m.properties.messageId).sort()).toEqual([`${stage}-1`, `${stage}-2`]);
		for (const m of parked) {
			expect(header(m, 'x-billing-attempt')).toBe(3);
			expect(header(m, 'x-billing-parked-reason')).toBe('max-attempts');
			expect(header(m, 'x-billing-error-message')).toBe('Secure Trading: 70000 Decline');
			expect(header(m, 'x-billing-error-node')).toBe('Xero');
			expect(Number.isNaN(Date.parse(String(header(m, 'x-billing-error-time'))))).toBe(false);
			expect(m.properties.correlationId).toBe('run-42');
			expect(body(m)).toMatchObject({ customer: expect.any(String) });
		}
	});

	test('emit() throwing fails the whole batch (nothing ran); a rejected donePromise is a failed execution whose halves then run alone and forward once', async () => {
		const stage = stageName('notify');
		const next = stageName('notify-next');
		let calls = 0;
		const h = triggerHarness({
			parameters: { stage, batchSize: 5, batchWindowMs: 100, queueSetup: setup },
			workflow: async (json) => {
				calls += 1;
				if (calls === 1) return { reject: new Error('Execution was cancelled') };
				await forward(json, next, setup);
				return 'success';
			},
		});
		throwingEmit(h, 1);
		try {
			await h.start();
			await probe.publishItems(exchange, stage, items(3, stage));
			await waitFor('forwarded', async () => (await probe.count(`${exchange}.${next}`)) === 3, 15000);
		} finally {
			await h.close();
		}
		// attempt 1: emit threw, no execution ran, so no bisection: all three to retry.
		// attempt 2: done rejected; each half (2 + 1) then runs alone and succeeds, still attempt 2.
		expect(h.emits.map((e) => [e.json.length, meta(e.json[0]).attempt])).toEqual([
			[3, 1],
			[3, 2],
			[2, 2],
			[1, 2],
		]);
		expect(meta(h.emits[1].json[0]).lastError).toMatchObject({ message: expect.stringContaining('Workflow could not be started') });
		await expectStageDrained(stage);
		expect(await probe.count(`${exchange}.${stage}.parked`)).toBe(0);
		const keys = (await probe.drain(`${exchange}.${next}`)).map((m) => m.properties.messageId).sort();
		expect(keys).toEqual([`${stage}-1`, `${stage}-2`, `${stage}-3`]);
	});

	test('poison messages go straight to parking with the reason and the stage keeps flowing', async () => {
		const stage = stageName('poison');
		const next = stageName('poison-next');
		const h = triggerHarness({
			parameters: { stage, batchSize: 10, batchWindowMs: 200, queueSetup: setup, options: { maxMessageSizeKb: 1 } },
			workflow: async (json) => {
				await forward(json, next, setup);
				return 'success';
			},
		});
		try {
			await h.start();
			await probe.publish(exchange, stage, 'this is { not json', { messageId: 'p-notjson' });
			await probe.publish(exchange, stage, [1, 2, 3], { messageId: 'p-array' });
			await probe.publish(exchange, stage, { customer: 'no key' });
			await probe.publish(exchange, stage, { billingKey: 'p-big', blob: 'x'.repeat(2048) }, { messageId: 'p-big' });
			await probe.publishItems(exchange, stage, items(3, stage));
			await waitFor('flow', async () => (await probe.count(`${exchange}.${next}`)) === 3 && (await probe.count(`${exchange}.${stage}.parked`)) === 4);
		} finally {
			await h.close();
		}
		expect(h.emits.flatMap((e) => e.json.map((j) => j.billingKey)).sort()).toEqual([`${stage}-1`, `${stage}-2`, `${stage}-3`]);
		await expectStageDrained(stage);
		const parked = await probe.drain(`${exchange}.${stage}.parked`);
		const reasons = Object.fromEntries(parked.map((m) => [m.properties.messageId ?? 'none', String(header(m, 'x-billing-error-message'))]));
		expect(reasons['p-notjson']).toMatch(/not valid JSON/);
		expect(reasons['p-array']).toMatch(/must be a JSON object, got an array/);
		expect(reasons.none).toMatch(/no billing key/);
		expect(reasons['p-big']).toMatch(/over the 1024-byte limit/);
		expect(parked.every((m) => header(m, 'x-billing-parked-reason') === 'invalid-message')).toBe(true);
		expect(parked.every((m) => header(m, 'x-billing-error-node') === 'Billing Queue Trigger')).toBe(true);
		// The original bytes are kept for inspection.
		expect(parked.find((m) => m.properties.messageId === 'p-notjson')!.content.toString()).toBe('this is { not json');
		expect(await probe.drain(`${exchange}.${next}`)).toHaveLength(3);
	});

	test('replay: parked messages return to their stage with attempt 1 and are processed once', async () => {
		const stage = stageName('replay');
		const next = stageName('replay-next');
		let healthy = false;
		let failedEmits = 0;
		const h = triggerHarness({
			parameters: { stage, batchSize: 10, batchWindowMs: 150, queueSetup: setup, options: { maxAttempts: 1 } },
			workflow: async (json) => {
				if (!healthy) return new Error('Xero is down for maintenance');
				await forward(json, next, setup);
				return 'success';
			},
		});
		try {
			await h.start();
			await probe.publishItems(exchange, stage, items(4, stage));
			await waitFor('parked', async () => (await probe.count(`${exchange}.${stage}.parked`)) === 4);

			const peeked = await billingQueue({ resource: 'parked', operation: 'peek', stage, maxMessages: 10, queueSetup: setup as never });
			expect(peeked).toHaveLength(4);
			expect(peeked[0].json).toMatchObject({ reason: 'max-attempts', attempt: 1, error: { message: 'Xero is down for maintenance' } });
			expect(await probe.count(`${exchange}.${stage}.parked`)).toBe(4); // peeking removed nothing

			healthy = true;
			failedEmits = h.emits.length;
			const replayed = await billingQueue({ resource: 'parked', operation: 'replay', stage, maxMessages: 3, queueSetup: setup as never });
			expect(replayed).toHaveLength(3);
			expect(replayed.every((r) => r.json.replayed === true && (r.json.previousError as IDataObject).message === 'Xero is down for maintenance')).toBe(true);
			await waitFor('3 forwarded', async () => (await probe.count(`${exchange}.${next}`)) === 3);
			expect(await probe.count(`${exchange}.${stage}.parked`)).toBe(1);
			await billingQueue({ resource: 'parked', operation: 'replay', stage, maxMessages: 10, queueSetup: setup as never });
			await waitFor('4 forwarded', async () => (await probe.count(`${exchange}.${next}`)) === 4);
		} finally {
			await h.close();
		}
		const replayedEmits = h.emits.slice(failedEmits);
		expect(replayedEmits.flatMap((e) => e.json.map((j) => meta(j).attempt))).toEqual([1, 1, 1, 1]);
		expect(replayedEmits.every((e) => e.json.every((j) => meta(j).lastError === null))).toBe(true);
		await expectStageDrained(stage);
		expect(await probe.count(`${exchange}.${stage}.parked`)).toBe(0);
		const keys = (await probe.drain(`${exchange}.${next}`)).map((m) => m.properties.messageId).sort();
		expect(keys).toEqual(items(4, stage).map((i) => i.billingKey).sort());
	});

	test('manual mode (editor test run): emits a sample, puts every message back, and the sample is never forwarded', async () => {
		const stage = stageName('manual');
		const next = stageName('manual-next');
		// Peeking declares the stage's topology (as any Billing Queue operation does).
		expect(await billingQueue({ resource: 'parked', operation: 'peek', stage, maxMessages: 5, queueSetup: setup as never })).toEqual([]);
		await probe.publishItems(exchange, stage, items(3, stage), 'run-m');
		expect(await probe.count(`${exchange}.${stage}`)).toBe(3);

		const h: TriggerHarness = triggerHarness({ mode: 'manual', parameters: { stage, batchSize: 10, batchWindowMs: 200, queueSetup: setup } });
		const response = await h.start();
		expect(h.emits).toHaveLength(0); // nothing happens before n8n calls manualTriggerFunction
		await response.manualTriggerFunction!();
		await h.close();
		expect(h.emits).toHaveLength(1);
		expect(h.emits[0].json).toHaveLength(3);
		expect(h.emits[0].json.every((j) => meta(j).sample === true)).toBe(true);
		// All three are back in the queue, unchanged.
		await waitFor('returned', async () => (await probe.count(`${exchange}.${stage}`)) === 3);

		const out = await forward(h.emits[0].json, next, setup);
		expect(out.every((o) => (o.json._forwarded as IDataObject).skipped)).toBe(true);
		expect((await probe.count(`${exchange}.${next}`)) ?? 0).toBe(0); // never even declared

		const back = await probe.drain(`${exchange}.${stage}`);
		expect(back.map((m) => m.properties.messageId).sort()).toEqual(items(3, stage).map((i) => i.billingKey).sort());
		expect(back.every((m) => header(m, 'x-billing-attempt') === 1 && m.properties.correlationId === 'run-m')).toBe(true);
		await expectStageDrained(stage);
	});
});
