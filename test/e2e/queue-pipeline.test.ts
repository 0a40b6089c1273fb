// The Billing Queue Trigger ACTIVE in a real n8n 2.x, against the real RabbitMQ: batches, ack
// after forward, retries with delays then parking, poison messages, replay of parked items and a
// consumer connection closed by the broker mid-batch. Each case has its own exchange (set in the
// node parameters of its own copy of a fixture workflow) and is published only while it runs.
// Every case ends with every message accounted for: forwarded exactly once to the next stage, or
// parked with a reason; the source queue ends empty (nothing ready, nothing unacknowledged).
import { randomBytes } from 'crypto';
import type { GetMessage } from 'amqplib';
import { sleep } from 'n8n-workflow';
import {
	bodyOf,
	BrokerProbe as Broker,
	closeConnection,
	connectionsNamed,
	countKeys,
	headerOf,
	queueCounts,
	type StageSetup,
	waitUntil,
} from '../../support/broker';
import { activate, deactivate, N8nInstance, RABBIT_CREDENTIAL, startN8n, variant, type ExecutionSummary, type Workflow } from '../../support/n8n';
import { queueFailExecution, queueFailItem, queueForward, queueReplay, type QueueFixture } from './fixtures/queue';

const FORWARD = queueForward;
const FAIL_EXECUTION = queueFailExecution;
const FAIL_ITEM = queueFailItem;
const REPLAY = queueReplay();

const runId = randomBytes(3).toString('hex');
const RETRY_DELAYS = '1s, 2s';

interface Case {
	setup: StageSetup;
	workflow: Workflow;
	id: string;
}

function makeCase(label: string, base: QueueFixture, params?: Record<string, Record<string, unknown>>, queueType: 'quorum' | 'classic' = 'quorum'): Case {
	const exchange = `bq-e2e-${runId}-${label}`;
	const id = `bq${runId}${label}0000000000`.slice(0, 16);
	const setup: StageSetup = { exchange, queueType, retryDelays: RETRY_DELAYS };
	const workflow = variant(base(setup), { id, params });
	return { setup, id, workflow };
}

const cases = {
	batch: makeCase('batch', FORWARD),
	// Classic queues: rabbitmqctl reports their unacknowledged count live (quorum queues' lags).
	ack: makeCase('ackfw', FORWARD, undefined, 'classic'),
	failExec: makeCase('failx', FAIL_EXECUTION),
	failItem: makeCase('faili', FAIL_ITEM),
	poison: makeCase('poisn', FORWARD),
	connLoss: makeCase('connl', FORWARD),
};

const q = (c: Case, suffix: string) => `${c.setup.exchange}.${suffix}`;

function billingItems(n: number, prefix: string, extra: Record<string, unknown> = {}) {
	return Array.from({ length: n }, (_, i) => ({ billingKey: `${prefix}-${String(i + 1).padStart(3, '0')}`, amountMinor: 1000 + i, ...extra }));
}

describe('Billing Queue Trigger active in a real n8n', () => {
	let n8n: N8nInstance;
	let broker: Broker;

	/** Finished executions of a workflow, oldest first. */
	async function finished(c: Case, count: number, timeoutMs = 60_000): Promise<ExecutionSummary[]> {
		const list = await n8n.waitForExecutions(c.id, count, timeoutMs);
		return list.sort((a, b) => Number(a.id) - Number(b.id));
	}

	/** The items the trigger emitted in an execution. */
	async function triggerItems(executionId: string): Promise<Array<Record<string, any>>> {
		const [out = []] = await n8n.nodeOutput(executionId, 'Billing Queue Trigger');
		return out.map((i) => i.json);
	}

	async function waitForReady(queue: string, count: number, timeoutMs = 60_000): Promise<void> {
		await waitUntil(`${count} ready in ${queue}`, async () => (await broker.check(queue))?.ready === count, timeoutMs);
	}

	/**
	 * The source queue is empty: nothing ready and nothing unacknowledged. The trigger is
	 * unpublished first, so whatever it might still hold unacked would be back in the queue;
	 * AMQP's own count is exact (rabbitmqctl's figures for quorum queues lag by seconds).
	 */
	async function expectDrained(c: Case): Promise<void> {
		await deactivate(n8n, c.id);
		const name = q(c, 'in');
		const state = await waitUntil(`the trigger to leave ${name}`, async () => {
			const got = await broker.check(name);
			return got && got.consumers === 0 ? got : undefined;
		}, 30_000);
		expect(state).toEqual({ ready: 0, consumers: 0 });
		for (const delay of ['1s', '2s']) expect((await broker.check(q(c, `in.retry.${delay}`)))?.ready).toBe(0);
	}

	/** Takes everything forwarded to the next stage; each billing key must be there exactly once. */
	async function expectForwardedOnce(c: Case, keys: string[]): Promise<GetMessage[]> {
		const messages = await broker.drain(q(c, 'out'));
		const counts = countKeys(messages);
		const duplicates = [...counts].filter(([, n]) => n > 1);
		expect(duplicates).toEqual([]);
		expect([...counts.keys()].sort()).toEqual([...keys].sort());
		return messages;
	}

	beforeAll(async () => {
		broker = await Broker.open('billing-queue-e2e');
		// The stages exist before the workflows run, so messages can wait in them first.
		for (const c of Object.values(cases)) {
			await broker.declareStage(c.setup, 'in');
			await broker.declareStage(c.setup, 'out');
		}
		n8n = await startN8n({
			credentials: [RABBIT_CREDENTIAL],
			workflows: [...Object.values(cases).map((c) => c.workflow), REPLAY],
			publish: [REPLAY.id as string],
		});
	});

	afterAll(async () => {
		await n8n?.dispose();
		if (broker) {
			for (const c of Object.values(cases)) await broker.deleteStages(c.setup, ['in', 'out']);
			await broker.close();
		}
	});

	afterEach(async () => {
		// Leave no trigger running into the next case (they share n8n's consumer connection).
		for (const c of Object.values(cases)) {
			if (n8n?.published.has(c.id)) await deactivate(n8n, c.id).catch(() => undefined);
		}
	});

	it('delivers a backlog of 120 messages in executions of at most 50 items, each item once', async () => {
		const c = cases.batch;
		const sent = billingItems(120, `${runId}-batch`);
		await broker.publishItems(c.setup.exchange, 'in', sent);
		await activate(n8n, c.id);

		await waitForReady(q(c, 'out'), 120);
		const executions = await finished(c, 3);
		expect(executions).toHaveLength(3);
		expect(executions.map((e) => e.status)).toEqual(['success', 'success', 'success']);
		const perExecution = await Promise.all(executions.map((e) => triggerItems(e.id)));
		const sizes = perExecution.map((items) => items.length);
		expect(Math.max(...sizes)).toBeLessThanOrEqual(50);
		expect(sizes.reduce((a, b) => a + b, 0)).toBe(120);
		expect([...sizes].sort((a, b) => b - a)).toEqual([50, 50, 20]);
		// Each item carries its queue meta: key, first attempt, the stage it came from.
		const emitted = perExecution.flat();
		expect(new Set(emitted.map((i) => i._queue.billingKey)).size).toBe(120);
		expect(emitted.every((i) => i._queue.attempt === 1 && i._queue.stage === 'in' && i._queue.queue === q(c, 'in'))).toBe(true);

		const out = await expectForwardedOnce(c, sent.map((s) => s.billingKey));
		// The forwarded body is the item without the meta; the key travels as messageId.
		const first = out.find((m) => m.properties.messageId === sent[0].billingKey)!;
		expect(bodyOf(first)).toEqual(sent[0]);
		expect(headerOf(first, 'x-billing-stage')).toBe('out');
		expect(headerOf(first, 'x-billing-attempt')).toBe(1);
		await expectDrained(c);
	});

	it('acknowledges a batch only after its execution forwarded it', async () => {
		const c = cases.ack;
		// The Hold node waits `holdSeconds` of the batch's first item before forwarding.
		const sent = billingItems(30, `${runId}-ack`, { holdSeconds: 8 });
		await broker.publishItems(c.setup.exchange, 'in', sent);
		await activate(n8n, c.id);

		// While the execution holds the batch (8 s before forwarding), the broker has handed all 30
		// out but holds them unacknowledged, and nothing has reached the next stage yet.
		await waitUntil('the batch to be running', async () => (await n8n.executions(c.id)).some((e) => e.status === 'running'), 30_000);
		const during = (await queueCounts([q(c, 'in'), q(c, 'out')]));
		expect(during.get(q(c, 'in'))).toMatchObject({ ready: 0, unacked: 30 });
		expect(during.get(q(c, 'out'))).toMatchObject({ ready: 0 });

		await waitForReady(q(c, 'out'), 30);
		const [execution] = await finished(c, 1);
		expect(execution.status).toBe('success');
		await expectForwardedOnce(c, sent.map((s) => s.billingKey));
		await expectDrained(c);
	});

	it('retries a failed execution after 1 s and 2 s, parks it after 3 attempts, and replays it', async () => {
		const c = cases.failExec;
		const failUntil = Date.now() + 20_000;
		const sent = billingItems(3, `${runId}-fx`, { failUntil });
		await broker.publishItems(c.setup.exchange, 'in', sent);
		await activate(n8n, c.id);

		await waitForReady(q(c, 'in.parked'), 3, 30_000);
		// Each attempt: the batch, then each half on its own (looking for a poison message); both
		// halves fail too, so it is an outage and the three are retried together.
		const executions = await finished(c, 9);
		expect(executions.map((e) => e.status)).toEqual(Array(9).fill('error'));
		const attempts = await Promise.all(executions.map(async (e) => (await triggerItems(e.id)).map((i) => i._queue.attempt)));
		expect(attempts).toEqual([
			[1, 1, 1],
			[1, 1],
			[1],
			[2, 2, 2],
			[2, 2],
			[2],
			[3, 3, 3],
			[3, 3],
			[3],
		]);
		// The retry delays sit between one attempt's last execution and the next attempt's first.
		const gap = (a: ExecutionSummary, b: ExecutionSummary) => new Date(b.startedAt).getTime() - new Date(a.stoppedAt!).getTime();
		expect(gap(executions[2], executions[3])).toBeGreaterThanOrEqual(900);
		expect(gap(executions[5], executions[6])).toBeGreaterThanOrEqual(1900);
		// The second attempt saw the first failure.
		const second = await triggerItems(executions[3].id);
		expect(second[0]._queue.lastError).toMatchObject({ message: expect.stringContaining('Stage step refused'), node: 'Stage Step Fails' });

		const parked = await broker.peek(q(c, 'in.parked'));
		expect(parked).toHaveLength(3);
		for (const m of parked) {
			expect(headerOf(m, 'x-billing-parked-reason')).toBe('max-attempts');
			expect(headerOf(m, 'x-billing-attempt')).toBe(3);
			// A failed execution fails its whole batch: each message keeps the execution's error.
			expect(String(headerOf(m, 'x-billing-error-message'))).toMatch(new RegExp(`^Stage step refused ${runId}-fx-00[123]: marked to fail until `));
			expect(headerOf(m, 'x-billing-error-node')).toBe('Stage Step Fails');
			expect(bodyOf(m)).toEqual(sent.find((s) => s.billingKey === m.properties.messageId));
		}
		expect((await broker.check(q(c, 'out')))?.ready).toBe(0);
		expect((await broker.check(q(c, 'in')))?.ready).toBe(0);

		// Once the cause is gone (failUntil passed), replaying puts them back with attempt 1.
		await sleep(Math.max(failUntil - Date.now() + 200, 0));
		const res = await fetch(`${n8n.url}/webhook/billing-queue/e2e/replay`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ exchange: c.setup.exchange, stage: 'in', maxMessages: 10 }),
		});
		expect(res.status).toBe(200);
		const replayed = (await res.json()) as Array<Record<string, any>>;
		expect(replayed).toHaveLength(3);
		expect(replayed.every((r) => r.replayed === true && r.previousAttempt === 3)).toBe(true);
		expect(replayed.map((r) => r.billingKey).sort()).toEqual(sent.map((s) => s.billingKey));

		await waitForReady(q(c, 'out'), 3);
		const all = await finished(c, 10);
		expect(all[9].status).toBe('success');
		expect((await triggerItems(all[9].id)).map((i) => i._queue.attempt)).toEqual([1, 1, 1]);
		await expectForwardedOnce(c, sent.map((s) => s.billingKey));
		expect((await broker.check(q(c, 'in.parked')))?.ready).toBe(0);
		await expectDrained(c);
	});

	it('sends items failing on an error output to Retry or Park while the rest go forward once', async () => {
		const c = cases.failItem;
		const good = billingItems(10, `${runId}-ok`);
		const bad = billingItems(3, `${runId}-bad`, { failUntil: Date.now() + 120_000 });
		await broker.publishItems(c.setup.exchange, 'in', [...good.slice(0, 5), ...bad, ...good.slice(5)]);
		await activate(n8n, c.id);

		await waitForReady(q(c, 'in.parked'), 3, 30_000);
		const executions = await finished(c, 3);
		// Every execution succeeded: the workflow itself handled its failed items.
		expect(executions.map((e) => e.status)).toEqual(['success', 'success', 'success']);
		const emitted = await Promise.all(executions.map((e) => triggerItems(e.id)));
		expect(emitted.map((items) => items.length)).toEqual([13, 3, 3]);
		expect(emitted[1].map((i) => i._queue.attempt)).toEqual([2, 2, 2]);
		expect(emitted[2].map((i) => i._queue.attempt)).toEqual([3, 3, 3]);
		const gap = (a: ExecutionSummary, b: ExecutionSummary) => new Date(b.startedAt).getTime() - new Date(a.stoppedAt!).getTime();
		expect(gap(executions[0], executions[1])).toBeGreaterThanOrEqual(900);
		expect(gap(executions[1], executions[2])).toBeGreaterThanOrEqual(1900);
		// What Retry or Park reported in the first execution: retry with attempt 2 after 1 s.
		const [retried = []] = await n8n.nodeOutput(executions[0].id, 'Retry or Park');
		expect(retried.map((i) => i.json._retry)).toEqual(
			bad.map((b) => expect.objectContaining({ action: 'retry', billingKey: b.billingKey, attempt: 1, nextAttempt: 2, delayMs: 1000 })),
		);

		const parked = await broker.peek(q(c, 'in.parked'));
		expect(parked.map((m) => m.properties.messageId).sort()).toEqual(bad.map((b) => b.billingKey));
		for (const m of parked) {
			expect(headerOf(m, 'x-billing-parked-reason')).toBe('max-attempts');
			expect(headerOf(m, 'x-billing-attempt')).toBe(3);
			expect(String(headerOf(m, 'x-billing-error-message'))).toContain(`Stage step refused ${m.properties.messageId}`);
			expect(headerOf(m, 'x-billing-error-node')).toBe('Stage Step');
			// n8n's `error` field travels in the headers, not in the body.
			expect(bodyOf(m)).toEqual(bad.find((b) => b.billingKey === m.properties.messageId));
		}
		await expectForwardedOnce(c, good.map((g) => g.billingKey));
		await expectDrained(c);
	});

	it('parks poison messages with the reason and keeps the stage flowing', async () => {
		const c = cases.poison;
		const good = billingItems(5, `${runId}-fine`);
		const ex = c.setup.exchange;
		await broker.publishItems(ex, 'in', good.slice(0, 2));
		await broker.publishRaw(ex, 'in', Buffer.from('{"billingKey": "broken'), { messageId: `${runId}-notjson`, contentType: 'application/json' });
		await broker.publishRaw(ex, 'in', Buffer.from('[1,2,3]'), { messageId: `${runId}-array` });
		await broker.publishRaw(ex, 'in', Buffer.from(JSON.stringify({ customer: 'C9', amountMinor: 5 })), { contentType: 'application/json' });
		await broker.publishRaw(ex, 'in', Buffer.from(JSON.stringify({ billingKey: `${runId}-huge`, pad: 'x'.repeat(300 * 1024) })), {
			messageId: `${runId}-huge`,
		});
		await broker.publishItems(ex, 'in', good.slice(2));
		await activate(n8n, c.id);

		await waitForReady(q(c, 'out'), 5);
		await waitForReady(q(c, 'in.parked'), 4);
		const executions = await finished(c, 1);
		expect(executions.every((e) => e.status === 'success')).toBe(true);
		const emitted = (await Promise.all(executions.map((e) => triggerItems(e.id)))).flat();
		expect(emitted.map((i) => i.billingKey).sort()).toEqual(good.map((g) => g.billingKey));

		const parked = await broker.peek(q(c, 'in.parked'));
		const reasons = new Map(parked.map((m) => [m.properties.messageId ?? '(none)', String(headerOf(m, 'x-billing-error-message'))]));
		expect(parked.every((m) => headerOf(m, 'x-billing-parked-reason') === 'invalid-message')).toBe(true);
		expect(parked.every((m) => headerOf(m, 'x-billing-error-node') === 'Billing Queue Trigger')).toBe(true);
		expect(reasons.get(`${runId}-notjson`)).toMatch(/not valid JSON/);
		expect(reasons.get(`${runId}-array`)).toMatch(/must be a JSON object, got an array/);
		expect(reasons.get('(none)')).toMatch(/no billing key/);
		expect(reasons.get(`${runId}-huge`)).toMatch(/over the 262144-byte limit/);
		// Parked as they came: the bytes are kept for a human to fix.
		expect(parked.find((m) => m.properties.messageId === `${runId}-notjson`)!.content.toString()).toBe('{"billingKey": "broken');

		await expectForwardedOnce(c, good.map((g) => g.billingKey));
		await expectDrained(c);
	});

	it('survives its consumer connection being closed by the broker mid-batch: every message forwarded once', async () => {
		const c = cases.connLoss;
		// The first batch (the first 50 in the queue) is held 10 s in its execution, the next one not.
		const sent = [...billingItems(50, `${runId}-conn-a`, { holdSeconds: 10 }), ...billingItems(50, `${runId}-conn-b`)];
		await broker.publishItems(c.setup.exchange, 'in', sent);
		await activate(n8n, c.id);

		const prefix = `n8n-billing-queue/consumer/${n8n.pid}/`;
		const [conn] = await waitUntil('the trigger connection', () => connectionsNamed(prefix).then((l) => (l.length ? l : undefined)), 30_000);
		expect(conn.name).toContain(prefix);
		// The first batch of 50 is being held by its execution, unacknowledged.
		await waitUntil('the first batch to be running', async () => (await n8n.executions(c.id)).some((e) => e.status === 'running'), 30_000, 100);
		await closeConnection(conn.pid, 'e2e: connection closed mid-batch');
		const atClose = await n8n.executions(c.id);
		// Still mid-batch when the connection went: nothing forwarded, nothing finished yet.
		expect(atClose.filter((e) => e.status !== 'running')).toEqual([]);
		expect((await broker.check(q(c, 'out')))?.ready).toBe(0);

		await waitForReady(q(c, 'out'), 100, 90_000);
		// The trigger came back on a new connection and is consuming again.
		const after = await connectionsNamed(prefix);
		expect(after.length).toBeGreaterThanOrEqual(1);
		expect(after.map((a) => a.pid)).not.toContain(conn.pid);
		expect((await broker.check(q(c, 'in')))?.consumers).toBe(1);
		expect(n8n.logs(400)).toMatch(/lost its channel|resuming/);
		// The running execution still forwarded its batch; the copies the broker handed back after
		// the drop were recognised and acked without running twice.
		await sleep(1500); // anything forwarded twice would show up by now
		await expectDrained(c);
		await expectForwardedOnce(c, sent.map((s) => s.billingKey));
		const executions = await n8n.executions(c.id);
		expect(executions.every((e) => e.status === 'success')).toBe(true);
		const emitted = (await Promise.all(executions.map((e) => triggerItems(e.id)))).flat();
		expect(emitted).toHaveLength(100);
	}, 180_000);
});
