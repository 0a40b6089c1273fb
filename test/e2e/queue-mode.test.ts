// The shipped pipeline on n8n's queue mode, as teams scale it: one main instance (the Billing
// Queue Triggers) and two workers (the executions), each with its own user folder and the same
// package installed, on a PostgreSQL database and Redis keys of this run's own. The sent and
// charge records live in that database (workers share no folder and no memory).
import { queueCounts, waitUntil } from '../../support/broker';
import { allExecutions, type N8nInstance } from '../../support/n8n';
import { isSettled, type PipelineRun, startPipeline } from '../../support/pipeline';

const MAX_CHARGES = 3;
/** The SMTP latency in the worker-kill test plus a margin: a message received this long before the kill was answered and recorded. */
const ANSWERED_MS = 3000;

/** Execution ids a worker ran, from its log ("Worker started execution <id>"). */
function ranBy(worker: N8nInstance): Set<string> {
	return new Set([...worker.logs(100_000).matchAll(/Worker started execution (\d+)/g)].map((m) => m[1]));
}

/** A billing item for one client, as stage 1 would publish it, with a card that pays. */
function soloItem(run: PipelineRun, key: string, card: string): Record<string, unknown> {
	return {
		billingKey: key,
		billingRunId: 'BR-queue-mode',
		clientId: key,
		clientName: `Client ${key} Ltd`,
		billingEmail: `ap@${key.toLowerCase()}.example`,
		currency: 'GBP',
		cardReference: card,
		periodStart: run.sandbox.period.from,
		periodEnd: run.sandbox.period.to,
		lines: [{ leadId: `${key}-L1`, description: `Lead ${key}-L1`, quantity: 1, unitAmount: '40.00', unitAmountMinor: 4000, lineAmountMinor: 4000, deliveredAt: null }],
		leadCount: 1,
		totalMinor: 4000,
		total: '40.00',
		dunningAttempt: 1,
	};
}

describe('billing pipeline in n8n queue mode (main + 2 workers, PostgreSQL, Redis)', () => {
	let run: PipelineRun;

	beforeAll(async () => {
		run = await startPipeline({
			queueMode: { workers: 2 },
			sandbox: { clients: 10, seed: 11, hostile: ['invalidEmail'] },
			settings: {
				retryDelays: '1s, 2s, 4s, 8s',
				dunningDelays: '2s, 3s',
				batchWindowMs: 300,
				// A batch lost with a worker comes back within the test (n8n fails a stalled job after
				// its 60 s lock; this is the trigger's own limit should n8n never report back).
				executionWaitMinutes: 3,
			},
		});
	}, 300_000);

	afterAll(async () => {
		await run?.stop();
	});

	it('bills every client into the right end state, the executions running on the workers', async () => {
		await run.requestRun();
		const ledger = await run.waitFor('every client settled', (l) => l.every((c) => isSettled(c, MAX_CHARGES)), 240_000);

		const by = (e: string) => ledger.filter((c) => c.expected === e);
		expect(by('paid')).toHaveLength(7);
		expect(by('declined-soft')).toHaveLength(1);
		expect(by('no-card')).toHaveLength(1);
		expect(by('declined-hard')).toHaveLength(1);
		expect(by('rejected')).toHaveLength(1);
		expect(ledger.every((c) => c.duplicateEmails === 0)).toBe(true);
		expect(ledger.filter((c) => c.expected !== 'rejected').every((c) => c.invoices === 1)).toBe(true);

		// Every stage's executions ran on a worker, none on the main instance, and both workers took some.
		const executions = (await Promise.all(['bpStage2Invoices', 'bpStage3EmailInv', 'bpStage4DebitCrd'].map((id) => allExecutions(run.n8n, id).catch(() => [])))).flat();
		const [a, b] = run.workers.map(ranBy);
		expect(a.size + b.size).toBeGreaterThan(0);
		for (const e of executions) expect({ id: e.id, onWorker: a.has(e.id) || b.has(e.id) }).toEqual({ id: e.id, onWorker: true });
		expect(run.n8n.logs(100_000)).not.toMatch(/Worker started execution/);

		const depths = await run.queueDepths();
		const ex = run.settings.exchange;
		expect(depths[`${ex}.collect.parked`]).toBe(1);
		for (const stage of ['invoice', 'email', 'debit', 'notify', 'dunning']) {
			expect({ stage, ready: depths[`${ex}.${stage}`], parked: depths[`${ex}.${stage}.parked`] }).toEqual({ stage, ready: 0, parked: 0 });
		}
	}, 300_000);

	it('a second run of the same period creates, charges and emails nothing new', async () => {
		const before = run.ledger();
		// Client emails only: the rerun has its own run report, and alerts come on their own schedule.
		const clientMails = () => run.sandbox.smtp.messages().filter((m) => !/^<billing\.(runReport|alert)\./.test(String(m.messageId))).length;
		const mails = clientMails();
		const collectRuns = (await run.n8n.executions('bpStage1Collect0')).length;
		await run.requestRun();
		await run.n8n.waitForExecutions('bpStage1Collect0', collectRuns + 1, 120_000);
		await new Promise((r) => setTimeout(r, 8000));
		const pick = (l: typeof before) => l.map(({ invoices, charges, payments, declinedAuths, clientId }) => ({ clientId, invoices, charges, payments, declinedAuths }));
		expect(pick(run.ledger())).toEqual(pick(before));
		expect(clientMails()).toBe(mails);
	}, 180_000);

	it('acknowledges a batch only when its execution has finished on the worker that ran it', async () => {
		const queue = `${run.settings.exchange}.invoice`;
		const card = run.sandbox.secureTrading.addStoredCard({ behaviour: 'approve' });
		// Both workers frozen: the main instance hands the batch to Redis, and no worker can finish it.
		run.workers.forEach((w) => w.pause());
		try {
			await run.publish('invoice', soloItem(run, 'QM-ACK-1', card));
			const held = await waitUntil('the batch held unacknowledged by the trigger', async () => {
				const counts = (await queueCounts([queue])).get(queue);
				return counts && counts.unacked === 1 ? counts : null;
			}, 60_000, 1000);
			expect(held).toMatchObject({ ready: 0, unacked: 1 });
			// Still held while no worker runs: n8n has not reported the execution finished.
			await new Promise((r) => setTimeout(r, 5000));
			expect((await queueCounts([queue])).get(queue)).toMatchObject({ ready: 0, unacked: 1 });
			expect(run.sandbox.xero.invoicesByReference('QM-ACK-1')).toHaveLength(0);
		} finally {
			run.workers.forEach((w) => w.resume());
		}
		// A worker runs it; only then is the message acknowledged.
		await waitUntil('the batch acknowledged', async () => ((await queueCounts([queue])).get(queue)?.unacked === 0 ? true : null), 120_000, 1000);
		expect(run.sandbox.xero.invoicesByReference('QM-ACK-1')).toHaveLength(1);
		const invoiceRuns = await allExecutions(run.n8n, 'bpStage2Invoices');
		const last = invoiceRuns[invoiceRuns.length - 1];
		expect(last.status).toBe('success');
		const [a, b] = run.workers.map(ranBy);
		expect(a.has(last.id) || b.has(last.id)).toBe(true);
		await run.waitFor('QM-ACK-1 paid', () => run.sandbox.smtp.messages().some((m) => String(m.messageId).startsWith('<billing.paid.k-QM-ACK-1@')), 120_000);
	}, 240_000);

	it('a worker SIGKILLed mid-batch: the batch comes back, nothing lost, nothing invoiced, charged or emailed twice', async () => {
		const keys = Array.from({ length: 12 }, (_, i) => `QM-KILL-${String(i + 1).padStart(2, '0')}`);
		const card = run.sandbox.secureTrading.addStoredCard({ behaviour: 'approve' });
		const [doomed, other] = run.workers;
		// Only the doomed worker takes jobs: the other one is stopped, not paused. A frozen worker's
		// blocking Redis reads, already sent, still take jobs it cannot run, and n8n fails those as
		// stalled only 30-60 s later (maxStalledCount 0), which this test is not about.
		await other.stop();
		// The SMTP server answers each message after 2 s.
		run.sandbox.smtp.setLatency([2000, 2000]);
		const invoiceCopies = (k: string) => run.sandbox.smtp.messages().filter((m) => String(m.messageId).startsWith(`<billing.invoice.k-${k}@`));
		let killedAt = 0;
		try {
			for (const key of keys) await run.publish('invoice', soloItem(run, key, card));
			// Killed once some emails were accepted well before (answered, so recorded) and others are in flight.
			const acceptedBefore = (at: number) => keys.filter((k) => invoiceCopies(k).some((m) => Date.parse(m.receivedAt) < at - ANSWERED_MS));
			await waitUntil('some invoice emails accepted and recorded', () => (acceptedBefore(Date.now()).length >= 3 ? true : null), 120_000, 100);
			killedAt = Date.now();
			await doomed.kill();
			expect(keys.filter((k) => invoiceCopies(k).length > 0).length).toBeLessThan(keys.length);
		} finally {
			run.sandbox.smtp.setLatency(undefined);
		}
		// A replacement worker, as an orchestrator would start one.
		await run.addWorker();
		await run.waitFor(
			'every killed-batch client paid',
			() => keys.every((k) => run.sandbox.smtp.messages().some((m) => String(m.messageId).startsWith(`<billing.paid.k-${k}@`))),
			300_000,
		);
		for (const key of keys) {
			expect({ key, invoices: run.sandbox.xero.invoicesByReference(key).length }).toEqual({ key, invoices: 1 });
			expect({ key, charges: run.sandbox.secureTrading.chargesFor(key).length }).toEqual({ key, charges: 1 });
		}
		// The replacement skipped what the dead worker had sent and recorded (the sent record is in n8n's
		// database, not a user folder): an email answered before the kill went out once. Only those
		// in flight at the kill (received, not yet answered: at most the node's concurrency, 5) may
		// have gone out twice, as with any SMTP client that dies before the server's reply.
		const answered = keys.filter((k) => invoiceCopies(k).some((m) => Date.parse(m.receivedAt) < killedAt - ANSWERED_MS));
		expect(answered.length).toBeGreaterThanOrEqual(3);
		for (const k of answered) expect({ k, copies: invoiceCopies(k).length }).toEqual({ k, copies: 1 });
		const copies = keys.map((k) => invoiceCopies(k).length);
		expect(copies.every((n) => n >= 1)).toBe(true);
		expect(copies.reduce((sum, n) => sum + n, 0) - keys.length).toBeLessThanOrEqual(5);
		const depths = await run.queueDepths();
		for (const stage of ['invoice', 'email', 'debit', 'notify']) expect({ stage, parked: depths[`${run.settings.exchange}.${stage}.parked`] }).toEqual({ stage, parked: 0 });
	}, 420_000);
});
