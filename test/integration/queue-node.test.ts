// Billing Queue node (action) against the real RabbitMQ: publish with confirms, bad input,
// broker errors, holding until "Deliver Not Before", retry/park, replay of parked messages,
// statistics, and the credential test.
import { createServer } from 'net';
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { NodeApiError, NodeOperationError, sleep } from 'n8n-workflow';
import { BillingQueue } from '../../nodes/BillingQueue/BillingQueue.node';
import { closeAllConnections, pooledConnections } from '../../nodes/BillingQueue/transport';
import { BROKER_CREDENTIALS, bodyOf as body, BrokerProbe as Probe, closeConnection as closeConnectionPid, connectionPid, headerOf as header } from '../../support/broker';
import { billingQueue, setupFor, unique, waitFor } from './queue-harness';

const exchange = unique('bq-node');
const setup = setupFor(exchange, '300ms, 600ms');
const slowSetup = setupFor(exchange, '1m, 2m');
const ALL_DELAYS = '300ms, 600ms, 1m, 2m';
const stages: string[] = [];
let probe: Probe;

function stageName(prefix: string): string {
	const s = unique(prefix);
	stages.push(s);
	return s;
}

const fromTrigger = (stage: string, billingKey: string, attempt = 1, extra: IDataObject = {}): INodeExecutionData => ({
	json: {
		billingKey,
		customer: 'ACME Ltd',
		amountMinor: 12345,
		...extra,
		_queue: { stage, exchange, queue: `${exchange}.${stage}`, messageUid: 'm-1', billingKey, attempt, correlationId: 'run-9', redelivered: false, publishedAt: null, lastError: null },
	},
});

beforeAll(async () => {
	probe = await Probe.open();
	// Retry or Park reports each retry and park of a billing run to this stage (cleaned up with the rest).
	stages.push('report');
});

afterAll(async () => {
	await closeAllConnections();
	await probe.cleanup(exchange, stages, ALL_DELAYS);
	await probe.close();
});

describe('Billing Queue node: Publish to Stage', () => {
	test('publishes persistent JSON with billing key, run id and attempt; an item is forwarded once confirmed', async () => {
		const from = stageName('invoice');
		const to = stageName('email');
		const out = await billingQueue(
			{ resource: 'message', operation: 'publish', stage: to, billingKey: 'INV-1', billingRunId: 'run-7', queueSetup: setup as never },
			[{ json: { billingKey: 'INV-1', amountMinor: 500 } }, fromTrigger(from, 'INV-2', 4), fromTrigger(to, 'INV-3', 3)],
		);
		expect(out).toHaveLength(3);
		expect(out.map((o) => o.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		const fwd = out.map((o) => o.json._forwarded as IDataObject);
		expect(fwd.map((f) => f.billingKey)).toEqual(['INV-1', 'INV-2', 'INV-3']);
		// The attempt count belongs to a stage: kept when re-publishing to the same stage only.
		expect(fwd.map((f) => f.attempt)).toEqual([1, 1, 3]);
		expect(fwd.every((f) => typeof f.confirmedAt === 'string' && f.queue === `${exchange}.${to}`)).toBe(true);
		expect(out[1].json).not.toHaveProperty('_queue');

		const msgs = await probe.drain(`${exchange}.${to}`);
		expect(msgs.map((m) => m.properties.messageId)).toEqual(['INV-1', 'INV-2', 'INV-3']);
		expect(msgs.map((m) => m.properties.correlationId)).toEqual(['run-7', 'run-9', 'run-9']);
		expect(msgs.map((m) => header(m, 'x-billing-attempt'))).toEqual([1, 1, 3]);
		expect(msgs.map((m) => header(m, 'x-billing-publish-id'))).toEqual(fwd.map((f) => f.messageUid));
		for (const m of msgs) {
			expect(m.properties.deliveryMode).toBe(2);
			expect(m.properties.contentType).toBe('application/json');
			expect(header(m, 'x-billing-stage')).toBe(to);
			expect(body(m)).not.toHaveProperty('_queue');
		}
		expect(body(msgs[1])).toEqual({ billingKey: 'INV-2', customer: 'ACME Ltd', amountMinor: 12345 });
	});

	test('an item a stage gave a new billing key (a supplementary invoice) is published under the key its body carries', async () => {
		const from = stageName('invoice');
		const to = stageName('email');
		const rekeyed = fromTrigger(from, 'C1-20261116-20261119', 1, {});
		rekeyed.json = { ...rekeyed.json, billingKey: 'SP-0123456789abcdef0123' };
		const out = await billingQueue({ resource: 'message', operation: 'publish', stage: to, billingKey: '={{ $json.billingKey }}', queueSetup: setup as never }, [rekeyed]);
		expect((out[0].json._forwarded as IDataObject).billingKey).toBe('SP-0123456789abcdef0123');
		const msgs = await probe.drain(`${exchange}.${to}`);
		expect(msgs.map((m) => m.properties.messageId)).toEqual(['SP-0123456789abcdef0123']);
		expect(body(msgs[0]).billingKey).toBe('SP-0123456789abcdef0123');
	});

	test('bad input fails before anything is sent, naming the field and the item; continueOnFail keeps going', async () => {
		const to = stageName('badinput');
		const params = { resource: 'message', operation: 'publish', stage: to, billingKey: '', billingRunId: '', queueSetup: setup as never };
		const good = fromTrigger(to, 'OK-1');
		const noKey: INodeExecutionData = { json: { customer: 'no key' } };

		const error = await billingQueue(params, [good, noKey]).catch((e) => e);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toBe('Billing key is missing or empty (field "billingKey") [item 1]');
		expect((await probe.count(`${exchange}.${to}`)) ?? 0).toBe(0);

		const out = await billingQueue(params, [good, noKey], true);
		expect(out[0].json._forwarded).toMatchObject({ billingKey: 'OK-1' });
		// The kit's failure item: the input's own fields, `error` as an object.
		expect(out[1]).toEqual({
			json: {
				customer: 'no key',
				error: {
					message: 'Billing key is missing or empty (field "billingKey") [item 1]',
					field: 'billingKey',
					retryable: false,
					description: 'Check the value of "billingKey".',
				},
			},
			pairedItem: { item: 1 },
		});
		expect((await probe.drain(`${exchange}.${to}`)).map((m) => m.properties.messageId)).toEqual(['OK-1']);

		// The package's billing-key rule: at most 25 characters.
		const long = await billingQueue({ ...params, billingKey: 'K'.repeat(26) }, [{ json: {} }], true);
		expect(long[0].json.error).toMatchObject({ field: 'billingKey', message: expect.stringContaining('is longer than 25 characters'), retryable: false });

		await expect(billingQueue({ ...params, stage: 'in voice' }, [good])).rejects.toThrow(/Invalid stage name "in voice" in "Target Stage"/);
		await expect(billingQueue({ ...params, queueSetup: { ...setup, retryDelays: '5x' } as never }, [good])).rejects.toThrow(
			/Invalid delay "5x" in "Queue Setup → Retry Delays"/,
		);
	});

	test('a body the next stage would park (too large, too deep, a billingKey that differs from the key) is refused before anything is sent', async () => {
		const to = stageName('refuse');
		const params = { resource: 'message', operation: 'publish', stage: to, billingKey: '', billingRunId: '', queueSetup: setup as never };
		// The trigger's default limit (256 KB) applies when the option is unset.
		const big = fromTrigger(to, 'BIG-1', 1, { xeroLines: 'x'.repeat(300 * 1024) });
		const size = Buffer.byteLength(JSON.stringify({ billingKey: 'BIG-1', customer: 'ACME Ltd', amountMinor: 12345, xeroLines: 'x'.repeat(300 * 1024) }));
		const error = await billingQueue(params, [fromTrigger(to, 'OK-1'), big]).catch((e) => e);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toBe(`The message for billing key "BIG-1" is ${size} bytes, over the 262144-byte limit (Max Message Size) of stage "${to}" (field "body") [item 1]`);
		expect((await probe.count(`${exchange}.${to}`)) ?? 0).toBe(0); // nothing sent, not even OK-1

		const deep = fromTrigger(to, 'DEEP-1', 1, { tree: JSON.parse(`${'{"a":'.repeat(70)}1${'}'.repeat(70)}`) as IDataObject });
		const mismatch: INodeExecutionData = { json: { billingKey: 'BODY-1', amountMinor: 1 } };
		const out = await billingQueue(
			{ ...params, billingKey: '={{ "OTHER-1" }}', options: { maxMessageSizeKb: 2 } },
			[
				fromTrigger(to, 'OK-2'),
				fromTrigger(to, 'MID-1', 1, { pad: 'x'.repeat(3000) }),
				deep,
				mismatch,
				{ json: { billingKey: ' OTHER-1 ' } }, // the same key as the key rule reads it
			],
			true,
		);
		const failures = out.filter((o) => o.json.error).map((o) => [o.pairedItem, o.json.error]);
		expect(failures).toEqual([
			[
				{ item: 1 },
				{
					message: expect.stringMatching(/^The message for billing key "MID-1" is \d+ bytes, over the 2048-byte limit \(Max Message Size\) of stage "[^"]+" \(field "body"\) \[item 1\]$/),
					field: 'body',
					code: 'messageTooLarge',
					retryable: false,
					description: expect.stringContaining('would park it'),
				},
			],
			[{ item: 2 }, expect.objectContaining({ field: 'body', code: 'messageTooDeep', retryable: false, message: expect.stringContaining('"DEEP-1" nests objects and arrays more than 64 levels deep') })],
			[
				{ item: 3 },
				expect.objectContaining({
					field: 'billingKey',
					retryable: false,
					message: `Billing key "OTHER-1" differs from the item's billingKey field "BODY-1" (field "billingKey"); the stage "${to}" would park the message [item 3]`,
				}),
			],
		]);
		expect((await probe.drain(`${exchange}.${to}`)).map((m) => m.properties.messageId)).toEqual(['OK-2', 'OTHER-1']);
	});

	test('broker errors surface as NodeApiError with RabbitMQ’s own message', async () => {
		const to = stageName('conflict');
		await billingQueue({ resource: 'parked', operation: 'peek', stage: to, queueSetup: { ...setup, queueType: 'classic' } as never });
		const conflict = await billingQueue(
			{ resource: 'message', operation: 'publish', stage: to, billingKey: '', billingRunId: '', queueSetup: setup as never },
			[fromTrigger(to, 'C-1')],
		).catch((e) => e);
		expect(conflict).toBeInstanceOf(NodeApiError);
		expect(conflict.message).toMatch(new RegExp(`queue "${exchange}.${to}" already exists with different settings`));
		expect(conflict.message).toMatch(/RabbitMQ said: PRECONDITION_FAILED - inequivalent arg '/);
		await probe.deleteQueues([`${exchange}.${to}`, `${exchange}.${to}.parked`, `${exchange}.${to}.retry.300ms`, `${exchange}.${to}.retry.600ms`]);

		const { runNode } = await import('../helpers/run-node');
		const refused = await runNode(new BillingQueue(), {
			parameters: { resource: 'stage', operation: 'statistics', stages: 'x', queueSetup: setup as never },
			credentials: { billingRabbitMqApi: { ...BROKER_CREDENTIALS, password: 'wrong-password' } },
		}).catch((e) => e);
		expect(refused).toBeInstanceOf(NodeApiError);
		expect(refused.message).toMatch(/login refused/);
		expect(refused.description).toMatch(/ACCESS_REFUSED/);

		// Continue On Fail: a connection that cannot be made fails every item, never the success path.
		const failed = await runNode(new BillingQueue(), {
			parameters: { resource: 'stage', operation: 'statistics', stages: 'x', queueSetup: setup as never },
			items: [{ json: { n: 1 } }, { json: { n: 2 } }],
			credentials: { billingRabbitMqApi: { ...BROKER_CREDENTIALS, password: 'wrong-password' } },
			continueOnFail: true,
		});
		expect(failed[0].map((o) => [o.json.n, o.pairedItem])).toEqual([
			[1, { item: 0 }],
			[2, { item: 1 }],
		]);
		expect(failed[0][0].json.error).toMatchObject({ message: expect.stringMatching(/login refused/), code: '403', retryable: false });

		const badCredential = await runNode(new BillingQueue(), {
			parameters: { resource: 'stage', operation: 'statistics', stages: 'x', queueSetup: setup as never },
			credentials: { billingRabbitMqApi: { ...BROKER_CREDENTIALS, hostname: '' } },
		}).catch((e) => e);
		expect(badCredential).toBeInstanceOf(NodeOperationError);
		expect(badCredential.message).toBe('Billing RabbitMQ credential: Host is empty');
	});
});

describe('Billing Queue node: Publish to Stage with Deliver Not Before', () => {
	const publishParams = (stage: string, deliverNotBefore: string) => ({
		resource: 'message',
		operation: 'publish',
		stage,
		billingKey: '',
		billingRunId: '',
		queueSetup: setup as never,
		options: { deliverNotBefore },
	});

	/** Polls the stage queue until `count` messages are there; fails if any shows up before `notBefore`. */
	async function arrivals(queue: string, count: number, notBefore: number): Promise<number> {
		for (;;) {
			const n = (await probe.count(queue)) ?? 0;
			const at = Date.now();
			if (n > 0 && at < notBefore) throw new Error(`${n} message(s) in ${queue} ${notBefore - at} ms before their time`);
			if (n >= count) return at;
			if (at > notBefore + 10000) throw new Error(`only ${n} of ${count} message(s) in ${queue} 10 s after their time`);
			await sleep(20);
		}
	}

	test('a message held for ~1.5 s is not in the stage queue before its time and is after it, unchanged', async () => {
		const stage = stageName('hold');
		const notBefore = Date.now() + 1500;
		const out = await billingQueue(publishParams(stage, '={{ $json.dueAt }}'), [fromTrigger('email', 'D-1', 1, { dueAt: new Date(notBefore).toISOString() })]);
		const fwd = out[0].json._forwarded as IDataObject;
		expect(fwd).toMatchObject({ stage, queue: `${exchange}.${stage}.hold`, held: true, billingKey: 'D-1', deliverNotBefore: new Date(notBefore).toISOString() });
		expect(fwd.holdMs).toBeGreaterThan(1000);
		expect(fwd.holdMs).toBeLessThanOrEqual(1500);
		expect(await probe.count(`${exchange}.${stage}`)).toBe(0);
		expect(await probe.count(`${exchange}.${stage}.hold`)).toBe(1);

		const arrived = await arrivals(`${exchange}.${stage}`, 1, notBefore);
		expect(arrived - notBefore).toBeLessThan(3000); // late by at most the polling and dead-lettering
		const [m] = await probe.drain(`${exchange}.${stage}`);
		expect(m.properties.messageId).toBe('D-1');
		expect(m.properties.correlationId).toBe('run-9');
		expect(m.properties.deliveryMode).toBe(2);
		// RabbitMQ drops the expiration when it dead-letters, so the stage queue never expires it again.
		expect(m.properties.expiration).toBeUndefined();
		expect(header(m, 'x-billing-attempt')).toBe(1);
		expect(header(m, 'x-billing-stage')).toBe(stage);
		expect(header(m, 'x-billing-publish-id')).toBe(fwd.messageUid);
		expect(header(m, 'x-first-death-reason')).toBe('expired');
		expect(header(m, 'x-first-death-queue')).toBe(`${exchange}.${stage}.hold`);
		expect(body(m)).toEqual({ billingKey: 'D-1', customer: 'ACME Ltd', amountMinor: 12345, dueAt: new Date(notBefore).toISOString() });
		expect(await probe.count(`${exchange}.${stage}.hold`)).toBe(0);
	});

	test('messages with different times arrive in time order, each not before its time, whatever the input order', async () => {
		const stage = stageName('holdorder');
		const now = Date.now();
		const [early, late] = [now + 800, now + 1600];
		const out = await billingQueue(publishParams(stage, '={{ $json.dueAt }}'), [
			fromTrigger('email', 'LATE-1', 1, { dueAt: new Date(late).toISOString() }),
			fromTrigger('email', 'EARLY-1', 1, { dueAt: new Date(early).toISOString() }),
		]);
		expect(out.map((o) => [(o.json._forwarded as IDataObject).billingKey, (o.json._forwarded as IDataObject).held, o.pairedItem])).toEqual([
			['LATE-1', true, { item: 0 }],
			['EARLY-1', true, { item: 1 }],
		]);
		await arrivals(`${exchange}.${stage}`, 1, early);
		const first = await probe.drain(`${exchange}.${stage}`);
		expect(first.map((m) => m.properties.messageId)).toEqual(['EARLY-1']);
		await arrivals(`${exchange}.${stage}`, 1, late);
		expect((await probe.drain(`${exchange}.${stage}`)).map((m) => m.properties.messageId)).toEqual(['LATE-1']);
	});

	test('a time in the past (or now) goes straight to the stage', async () => {
		const stage = stageName('holdpast');
		const out = await billingQueue(publishParams(stage, '2020-01-01T00:00:00Z'), [fromTrigger('email', 'P-1')]);
		expect(out[0].json._forwarded).toMatchObject({ queue: `${exchange}.${stage}`, held: false, deliverNotBefore: '2020-01-01T00:00:00.000Z' });
		expect(out[0].json._forwarded).not.toHaveProperty('holdMs');
		const [m] = await probe.drain(`${exchange}.${stage}`);
		expect(m.properties.messageId).toBe('P-1');
		expect(m.properties.expiration).toBeUndefined();
		expect(await probe.count(`${exchange}.${stage}.hold`)).toBe(0);

		// Empty (the option unset) is "now" as before: no hold fields at all.
		const plain = await billingQueue(publishParams(stage, ''), [fromTrigger('email', 'P-2')]);
		expect(plain[0].json._forwarded).not.toHaveProperty('held');
		expect((await probe.drain(`${exchange}.${stage}`)).map((m) => m.properties.messageId)).toEqual(['P-2']);
	});

	test('a time beyond the 32-bit TTL limit, an expression without a value or a time without zone fail the item, naming the option; nothing is sent', async () => {
		const stage = stageName('holdbad');
		const tooFar = new Date(Date.now() + 50 * 86400000).toISOString();
		const error = await billingQueue(publishParams(stage, tooFar), [fromTrigger('email', 'F-1')]).catch((e) => e);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toMatch(/^"Deliver Not Before" .* is 50\.0 days ahead; RabbitMQ can hold a message at most 4294967295 ms \(about 49\.7 days\) \[item 0\]$/);

		const out = await billingQueue(
			publishParams(stage, '={{ $json.dueAt }}'),
			[
				fromTrigger('email', 'F-2', 1, { dueAt: tooFar }),
				fromTrigger('email', 'F-3', 1, {}),
				fromTrigger('email', 'F-4', 1, { dueAt: '2026-12-14T09:00:00' }),
				fromTrigger('email', 'F-5', 1, { dueAt: '2020-01-01' }),
			],
			true,
		);
		// One output: successes first, then the failure items (each paired with its input).
		expect(out.map((o) => o.pairedItem)).toEqual([{ item: 3 }, { item: 0 }, { item: 1 }, { item: 2 }]);
		expect(out.map((o) => (o.json.error as IDataObject | undefined)?.field ?? null)).toEqual([
			null,
			'options.deliverNotBefore',
			'options.deliverNotBefore',
			'options.deliverNotBefore',
		]);
		expect(out[0].json._forwarded).toMatchObject({ billingKey: 'F-5', held: false });
		expect((out[1].json.error as IDataObject).message).toMatch(/RabbitMQ can hold a message at most .* \[item 0\]$/);
		expect((out[2].json.error as IDataObject).message).toMatch(/is an expression that gave no value for this item .* \[item 1\]$/);
		expect((out[3].json.error as IDataObject).message).toMatch(/has no time zone: add Z or an offset such as \+01:00 \[item 2\]$/);
		expect((await probe.drain(`${exchange}.${stage}`)).map((m) => m.properties.messageId)).toEqual(['F-5']);
		expect(await probe.count(`${exchange}.${stage}.hold`)).toBe(0);
	});
});

describe('Billing Queue node: pooled connection', () => {
	test('one pooled connection per credential; after the broker drops it, the next execution reconnects and publishes', async () => {
		const to = stageName('heal');
		const params = { resource: 'message', operation: 'publish', stage: to, billingKey: '', billingRunId: '', queueSetup: setup as never };
		await billingQueue(params, [fromTrigger(to, 'H-1')]);
		await billingQueue(params, [fromTrigger(to, 'H-2')]);
		const pooled = pooledConnections().filter((c) => c.role === 'publisher');
		expect(pooled).toHaveLength(1); // reused between executions, lingering idle
		expect(pooled[0].leases).toBe(0);

		await closeConnectionPid(await connectionPid(pooled[0].name));
		const out = await billingQueue(params, [fromTrigger(to, 'H-3')]);
		expect(out[0].json._forwarded).toMatchObject({ billingKey: 'H-3' });
		expect(pooledConnections().filter((c) => c.role === 'publisher')).toEqual([
			expect.objectContaining({ name: pooled[0].name, connected: true, generation: pooled[0].generation + 1 }),
		]);
		expect((await probe.drain(`${exchange}.${to}`)).map((m) => m.properties.messageId)).toEqual(['H-1', 'H-2', 'H-3']);
	});
});

describe('Billing Queue node: Retry or Park', () => {
	test('retry goes through the delay queue back into the stage with attempt + 1 and the error', async () => {
		const stage = stageName('debit');
		const t0 = Date.now();
		const out = await billingQueue(
			{ resource: 'message', operation: 'retryOrPark', stage, errorMessage: 'Gateway timeout', failedNode: 'Charge Card', parkNow: false, maxAttempts: 3, billingKey: '', billingRunId: '', queueSetup: setup as never },
			[fromTrigger(stage, 'D-1', 1, { error: 'Gateway timeout' }), fromTrigger(stage, 'D-2', 2)],
		);
		expect(out.map((o) => o.json._retry)).toEqual([
			expect.objectContaining({ action: 'retry', attempt: 1, nextAttempt: 2, delayMs: 300, queue: `${exchange}.${stage}.retry.300ms` }),
			expect.objectContaining({ action: 'retry', attempt: 2, nextAttempt: 3, delayMs: 600, queue: `${exchange}.${stage}.retry.600ms` }),
		]);
		expect(out[0].json).not.toHaveProperty('error');
		// Both wait in their delay queue, then dead-letter back into the stage queue.
		expect(await probe.count(`${exchange}.${stage}.retry.300ms`)).toBe(1);
		expect(await probe.count(`${exchange}.${stage}.retry.600ms`)).toBe(1);
		await waitFor('back in stage', async () => (await probe.count(`${exchange}.${stage}`)) === 2, 5000, 20);
		expect(Date.now() - t0).toBeGreaterThanOrEqual(580);
		const msgs = await probe.drain(`${exchange}.${stage}`);
		expect(msgs.map((m) => [m.properties.messageId, header(m, 'x-billing-attempt')])).toEqual([
			['D-1', 2],
			['D-2', 3],
		]);
		expect(msgs.map((m) => header(m, 'x-billing-error-message'))).toEqual(['Gateway timeout', 'Gateway timeout']);
		expect(header(msgs[0], 'x-billing-error-node')).toBe('Charge Card');
		expect(body(msgs[0])).toEqual({ billingKey: 'D-1', customer: 'ACME Ltd', amountMinor: 12345 });
		expect((msgs[0].properties.headers?.['x-death'] as unknown as IDataObject[])[0]).toMatchObject({ reason: 'expired' });
	});

	test('an item its stage gave a new billing key is parked under the key its body carries, so a replay is not refused', async () => {
		const stage = stageName('invoice');
		const item = fromTrigger(stage, 'C1-20261116-20261119', 1);
		item.json = { ...item.json, billingKey: 'SP-abcdefabcdefabcdefabcd' };
		await billingQueue(
			{ resource: 'message', operation: 'retryOrPark', stage, errorMessage: 'Xero refused', failedNode: 'Create Invoices', parkNow: true, maxAttempts: 3, billingKey: '={{ $json.billingKey }}', billingRunId: '', queueSetup: setup as never },
			[item],
		);
		const msgs = await probe.drain(`${exchange}.${stage}.parked`);
		expect(msgs.map((m) => m.properties.messageId)).toEqual(['SP-abcdefabcdefabcdefabcd']);
		expect(body(msgs[0]).billingKey).toBe('SP-abcdefabcdefabcdefabcd');
	});

	test("reports every retry and park of a billing run's item to the report stage, before the retry or park itself", async () => {
		const stage = stageName('email');
		const out = await billingQueue(
			{ resource: 'message', operation: 'retryOrPark', stage, errorMessage: 'SMTP 550', failedNode: 'Email Invoice', parkNow: true, maxAttempts: 3, billingKey: '', billingRunId: '', queueSetup: setup as never },
			[fromTrigger(stage, 'REP-1', 1, { billingRunId: 'BR-20261126-20261130-7', runKey: 'REP-1' })],
		);
		const [parked] = await probe.drain(`${exchange}.${stage}.parked`);
		// Other tests' items report there too (they carry a run id): this one's event is found by its key.
		const event = (await probe.drain(`${exchange}.report`)).find((m) => m.properties.messageId === 'REP-1')!;
		expect(event.properties).toMatchObject({ messageId: 'REP-1', correlationId: 'run-9' });
		expect(body(event)).toMatchObject({
			billingKey: 'REP-1',
			runKey: 'REP-1',
			outcome: { state: 'parked', stage, eventId: header(parked, 'x-billing-publish-id'), attempt: 1, error: { message: 'SMTP 550', node: 'Email Invoice' } },
		});
		expect(out[0].json._retry).toMatchObject({ action: 'parked' });
		// Not for the report stage itself, and not when Report to Stage is empty.
		await billingQueue(
			{ resource: 'message', operation: 'retryOrPark', stage, errorMessage: 'x', failedNode: 'n', parkNow: true, maxAttempts: 3, billingKey: '', billingRunId: '', reportStage: '', queueSetup: setup as never },
			[fromTrigger(stage, 'REP-2')],
		);
		expect((await probe.drain(`${exchange}.report`)).map((m) => m.properties.messageId)).not.toContain('REP-2');
		await probe.drain(`${exchange}.${stage}.parked`);
	});

	test('an explicit attempt walks its own schedule (dunning), whatever attempt the item arrived with', async () => {
		const stage = stageName('dunning');
		const out = await billingQueue(
			{ resource: 'message', operation: 'retryOrPark', stage, errorMessage: 'insufficient funds', failedNode: 'Debit', parkNow: false, attempt: 2, maxAttempts: 3, billingKey: '', billingRunId: '', queueSetup: setup as never },
			[fromTrigger(stage, 'DN-1', 4)],
		);
		expect(out[0].json._retry).toEqual(expect.objectContaining({ action: 'retry', attempt: 2, nextAttempt: 3, delayMs: 600 }));
		await waitFor('back in stage', async () => (await probe.count(`${exchange}.${stage}`)) === 1, 5000, 20);
		const [msg] = await probe.drain(`${exchange}.${stage}`);
		expect(header(msg, 'x-billing-attempt')).toBe(3);

		await expect(
			billingQueue(
				{ resource: 'message', operation: 'retryOrPark', stage, errorMessage: 'x', failedNode: 'n', parkNow: false, attempt: -1, maxAttempts: 3, billingKey: '', billingRunId: '', queueSetup: setup as never },
				[fromTrigger(stage, 'DN-2', 1)],
			),
		).rejects.toThrow('"Attempt" must be a whole number at least 0, got -1 [item 0]');
	});

	test('with Error Message empty, the failure comes from the item’s error: the kit’s failure object or n8n’s error-output text', async () => {
		const stage = stageName('failure');
		const failure = { message: 'Card declined', code: '70000', field: 'card', retryable: false };
		const out = await billingQueue(
			{ resource: 'message', operation: 'retryOrPark', stage, errorMessage: '', failedNode: 'Debit', parkNow: true, maxAttempts: 3, billingKey: '', billingRunId: '', queueSetup: setup as never },
			[fromTrigger(stage, 'F-1', 1, { error: failure }), fromTrigger(stage, 'F-2', 1, { error: 'Stage step refused F-2' }), fromTrigger(stage, 'F-3', 1, { error: { code: 'no message' } })],
		);
		expect((out[0].json._retry as IDataObject).error).toMatchObject({ message: 'Card declined', node: 'Debit', code: '70000', field: 'card', retryable: false });
		// n8n's own error output carries the message as text.
		expect((out[1].json._retry as IDataObject).error).toMatchObject({ message: 'Stage step refused F-2', node: 'Debit' });
		expect((out[2].json._retry as IDataObject).error).toMatchObject({ message: 'No error message was given', node: 'Debit' });
		expect(out[0].json).not.toHaveProperty('error');
		const parked = await probe.drain(`${exchange}.${stage}.parked`);
		expect(parked.map((m) => [m.properties.messageId, header(m, 'x-billing-error-message'), header(m, 'x-billing-error-code'), header(m, 'x-billing-error-field'), header(m, 'x-billing-error-retryable')])).toEqual([
			['F-1', 'Card declined', '70000', 'card', false],
			['F-2', 'Stage step refused F-2', undefined, undefined, undefined],
			['F-3', 'No error message was given', undefined, undefined, undefined],
		]);
		expect(body(parked[0])).toEqual({ billingKey: 'F-1', customer: 'ACME Ltd', amountMinor: 12345 });
	});

	test('parks at max attempts, and at once with Park Now; sample items from a manual run are skipped', async () => {
		const stage = stageName('park');
		const params = { resource: 'message', operation: 'retryOrPark', stage, errorMessage: 'Card reported stolen', failedNode: 'Charge Card', maxAttempts: 3, billingKey: '', billingRunId: '', queueSetup: setup as never };
		const sample = fromTrigger(stage, 'P-S');
		(sample.json._queue as IDataObject).sample = true;
		const out = await billingQueue({ ...params, parkNow: false }, [fromTrigger(stage, 'P-1', 3), sample]);
		expect(out[0].json._retry).toMatchObject({ action: 'parked', reason: 'max-attempts', attempt: 3 });
		expect((out[1].json._retry as IDataObject).skipped).toMatch(/manual run/);
		const now = await billingQueue({ ...params, parkNow: true }, [fromTrigger(stage, 'P-2', 1)]);
		expect(now[0].json._retry).toMatchObject({ action: 'parked', reason: 'park-now', attempt: 1 });

		const parked = await billingQueue({ resource: 'parked', operation: 'peek', stage, maxMessages: 10, queueSetup: setup as never });
		expect(parked.map((p) => [p.json.billingKey, p.json.reason, p.json.attempt])).toEqual([
			['P-1', 'max-attempts', 3],
			['P-2', 'park-now', 1],
		]);
		expect(parked[0].json.error).toMatchObject({ message: 'Card reported stolen', node: 'Charge Card' });
		expect(parked[0].json.payload).toEqual({ billingKey: 'P-1', customer: 'ACME Ltd', amountMinor: 12345 });
		expect(await probe.count(`${exchange}.${stage}.parked`)).toBe(2);
		expect(await probe.count(`${exchange}.${stage}`)).toBe(0);
		expect(await probe.drain(`${exchange}.${stage}.parked`)).toHaveLength(2);

		// An empty parking queue lists nothing.
		const none = await billingQueue({ resource: 'parked', operation: 'peek', stage, maxMessages: 10, queueSetup: setup as never });
		expect(none).toEqual([]);
		await expect(billingQueue({ resource: 'parked', operation: 'peek', stage, maxMessages: 0, queueSetup: setup as never })).rejects.toThrow(
			'"Max Messages" must be a whole number from 1 to 10000, got 0 [item 0]',
		);
	});
});

describe('Billing Queue node: parked messages and statistics', () => {
	test('replay moves valid parked messages back (attempt 1) and leaves unreadable ones in place', async () => {
		const stage = stageName('replay');
		await billingQueue(
			{ resource: 'message', operation: 'retryOrPark', stage, errorMessage: 'Xero 500', failedNode: 'Xero', parkNow: true, maxAttempts: 5, billingKey: '', billingRunId: '', queueSetup: setup as never },
			[fromTrigger(stage, 'R-1', 4), fromTrigger(stage, 'R-2', 2)],
		);
		await probe.publish(exchange, `${stage}.parked`, 'garbage{', { messageId: 'R-bad' });
		const out = await billingQueue({ resource: 'parked', operation: 'replay', stage, maxMessages: 10, queueSetup: setup as never });
		expect(out.map((o) => [o.json.billingKey, o.json.replayed])).toEqual([
			['R-1', true],
			['R-2', true],
			['R-bad', false],
		]);
		expect(out[0].json).toMatchObject({ previousAttempt: 4, previousError: { message: 'Xero 500', node: 'Xero' }, correlationId: 'run-9' });
		expect(out[2].json.reason).toMatch(/not valid JSON/);

		const back = await probe.drain(`${exchange}.${stage}`);
		expect(back.map((m) => [m.properties.messageId, header(m, 'x-billing-attempt'), header(m, 'x-billing-replay-count')])).toEqual([
			['R-1', 1, 1],
			['R-2', 1, 1],
		]);
		expect(back.every((m) => header(m, 'x-billing-error-message') === undefined)).toBe(true);
		const left = await probe.drain(`${exchange}.${stage}.parked`);
		expect(left.map((m) => m.content.toString())).toEqual(['garbage{']);

		const none = await billingQueue({ resource: 'parked', operation: 'replay', stage, maxMessages: 10, queueSetup: setup as never });
		expect(none).toEqual([]);
	});

	test('list operations keep input order and pairing with several input items', async () => {
		const a = stageName('lista');
		const b = stageName('listb');
		await billingQueue(
			{ resource: 'message', operation: 'retryOrPark', stage: a, errorMessage: 'e', failedNode: 'n', parkNow: true, maxAttempts: 5, billingKey: '', billingRunId: '', queueSetup: setup as never },
			[fromTrigger(a, 'LA-1'), fromTrigger(a, 'LA-2')],
		);
		const { runNode } = await import('../helpers/run-node');
		const [out] = await runNode(new BillingQueue(), {
			parameters: { resource: 'parked', operation: 'peek', stage: '={{ $json.stage }}', maxMessages: 10, queueSetup: setup as never },
			items: [{ json: { stage: b } }, { json: { stage: a } }, { json: { stage: 'bad stage' } }],
			credentials: { billingRabbitMqApi: BROKER_CREDENTIALS },
			continueOnFail: true,
			resolve: (value, _i, item) => (value === '={{ $json.stage }}' ? item?.json.stage : value),
		});
		// Stage b's parking queue is empty: nothing for item 0.
		expect(out.map((o) => [o.json.stage ?? null, o.json.billingKey ?? null, o.pairedItem])).toEqual([
			[a, 'LA-1', { item: 1 }],
			[a, 'LA-2', { item: 1 }],
			['bad stage', null, { item: 2 }],
		]);
		expect(out[2].json.error).toMatchObject({ field: 'stage', message: expect.stringContaining('Invalid stage name "bad stage" in "Stage"') });
		expect(await probe.drain(`${exchange}.${a}.parked`)).toHaveLength(2);
	});

	test('statistics: ready, consumers, retrying per delay queue, parked and held; missing stages are reported, not created', async () => {
		const stage = stageName('stats');
		const missing = stageName('nothere');
		await billingQueue(
			{ resource: 'message', operation: 'publish', stage, billingKey: '', billingRunId: '', queueSetup: slowSetup as never },
			[fromTrigger('x', 'S-1'), fromTrigger('x', 'S-2')],
		);
		await billingQueue(
			{ resource: 'message', operation: 'retryOrPark', stage, errorMessage: 'e', failedNode: 'n', parkNow: false, maxAttempts: 5, billingKey: '', billingRunId: '', queueSetup: slowSetup as never },
			[fromTrigger(stage, 'S-3', 1), fromTrigger(stage, 'S-4', 2), fromTrigger(stage, 'S-5', 2)],
		);
		await billingQueue(
			{ resource: 'message', operation: 'retryOrPark', stage, errorMessage: 'e', failedNode: 'n', parkNow: true, maxAttempts: 5, billingKey: '', billingRunId: '', queueSetup: slowSetup as never },
			[fromTrigger(stage, 'S-6', 1)],
		);
		await billingQueue(
			{ resource: 'message', operation: 'publish', stage, billingKey: '', billingRunId: '', queueSetup: slowSetup as never, options: { deliverNotBefore: new Date(Date.now() + 600000).toISOString() } },
			[fromTrigger('x', 'S-7')],
		);
		const out = await billingQueue({ resource: 'stage', operation: 'statistics', stages: `${stage}, ${missing}`, queueSetup: slowSetup as never });
		expect(out.map((o) => o.json)).toEqual([
			{ stage, exchange, queue: `${exchange}.${stage}`, exists: true, ready: 2, consumers: 0, unacknowledged: null, retrying: 3, retryQueues: { '1m': 1, '2m': 2 }, parked: 1, held: 1 },
			{ stage: missing, exchange, queue: `${exchange}.${missing}`, exists: false, ready: 0, consumers: 0, unacknowledged: null, retrying: 0, retryQueues: { '1m': 0, '2m': 0 }, parked: 0, held: 0 },
		]);
		expect(await probe.count(`${exchange}.${missing}`)).toBeNull();
		// Account for everything: 2 ready, 3 retrying, 1 parked, 1 held.
		expect(await probe.drain(`${exchange}.${stage}`)).toHaveLength(2);
		expect((await probe.drain(`${exchange}.${stage}.retry.1m`)).length + (await probe.drain(`${exchange}.${stage}.retry.2m`)).length).toBe(3);
		expect(await probe.drain(`${exchange}.${stage}.parked`)).toHaveLength(1);
		expect((await probe.drain(`${exchange}.${stage}.hold`)).map((m) => m.properties.messageId)).toEqual(['S-7']);
	});
});

describe('Billing RabbitMQ credential test', () => {
	const test$ = new BillingQueue().methods.credentialTest.billingRabbitMqConnectionTest;
	const check = (data: IDataObject) =>
		test$.call({} as never, { id: 'c1', name: 'Billing RabbitMQ', type: 'billingRabbitMqApi', data } as never);

	test('connects and closes with good credentials', async () => {
		const result = await check(BROKER_CREDENTIALS);
		expect(result.status).toBe('OK');
		expect(result.message).toMatch(/^Connected to RabbitMQ 3\.\d+\.\d+ at amqp:\/\/127\.0\.0\.1:5672\/$/);
	});

	test('reports a refused login, an unknown vhost and a closed port clearly', async () => {
		const badPassword = await check({ ...BROKER_CREDENTIALS, password: 'nope' });
		expect(badPassword.status).toBe('Error');
		expect(badPassword.message).toMatch(/login refused, check user and password.*ACCESS_REFUSED/);

		const badVhost = await check({ ...BROKER_CREDENTIALS, vhost: unique('no-such-vhost') });
		expect(badVhost.status).toBe('Error');
		expect(badVhost.message).toMatch(/RabbitMQ refused to open the virtual host; it does not exist or the user has no permission for it/);

		const server = createServer();
		await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
		const port = (server.address() as { port: number }).port;
		await new Promise<void>((r) => server.close(() => r()));
		const closed = await check({ ...BROKER_CREDENTIALS, port });
		expect(closed.status).toBe('Error');
		expect(closed.message).toMatch(new RegExp(`Could not connect to RabbitMQ at amqp://127.0.0.1:${port}/.*ECONNREFUSED`));

		const empty = await check({ ...BROKER_CREDENTIALS, hostname: '' });
		expect(empty).toEqual({ status: 'Error', message: 'Billing RabbitMQ credential: Host is empty' });
		await sleep(10);
	});
});
