// The whole shipped pipeline in a real n8n against the sandbox: one billing run takes every
// client to the right end state in Xero, the gateway and the mailbox (judged on the sandbox's own
// records); a second run of the same period creates, charges and emails nothing new.
import { isSettled, PipelineRun, startPipeline } from '../../support/pipeline';

const MAX_CHARGES = 3; // first charge + two dunning charges ('2s, 3s' here, '3d, 7d' shipped)

describe('billing pipeline in real n8n', () => {
	let run: PipelineRun;

	beforeAll(async () => {
		run = await startPipeline({
			sandbox: { clients: 10, seed: 11, hostile: ['invalidEmail'] },
			settings: { retryDelays: '1s, 2s, 4s', dunningDelays: '2s, 3s', batchWindowMs: 300, monitorCron: '*/10 * * * * *' },
		});
	}, 300_000);

	afterAll(async () => {
		await run?.stop();
	});

	it('bills every client into the right end state, with dunning for soft declines', async () => {
		await run.requestRun();
		const ledger = await run.waitFor('every client settled', (l) => l.every((c) => isSettled(c, MAX_CHARGES)));

		const by = (e: string) => ledger.filter((c) => c.expected === e);
		expect(by('paid')).toHaveLength(7);
		expect(by('declined-soft')).toHaveLength(1);
		expect(by('no-card')).toHaveLength(1);
		expect(by('declined-hard')).toHaveLength(1);
		expect(by('rejected')).toHaveLength(1);
		expect(ledger.every((c) => c.duplicateEmails === 0)).toBe(true);

		// Each Xero call carried many invoices: far below one call per invoice.
		const invoices = ledger.filter((c) => c.invoices === 1).length;
		const xeroCalls = run.sandbox.xero.callCount();
		const pdfCalls = run.sandbox.xero.callCount({ route: 'GET /Invoices/{id}' });
		expect(pdfCalls).toBe(invoices);
		expect((xeroCalls - pdfCalls) / invoices).toBeLessThanOrEqual(1);

		// The rejected CRM record is parked with its reason, nothing else is left in flight.
		const depths = await run.queueDepths();
		const ex = run.settings.exchange;
		expect(depths[`${ex}.collect.parked`]).toBe(1);
		for (const stage of ['invoice', 'email', 'debit', 'notify', 'dunning']) {
			expect({ stage, ready: depths[`${ex}.${stage}`], parked: depths[`${ex}.${stage}.parked`] }).toEqual({ stage, ready: 0, parked: 0 });
		}
	});

	it('a second run of the same period creates, charges and emails nothing new', async () => {
		const before = run.ledger();
		const mails = run.sandbox.smtp.messages().length;
		const collectRuns = (await run.n8n.executions('bpStage1Collect0')).length;
		await run.requestRun();
		await run.n8n.waitForExecutions('bpStage1Collect0', collectRuns + 1);
		// Give the downstream stages time to (not) act on what the second run published.
		await new Promise((r) => setTimeout(r, 8000));
		const after = run.ledger();
		expect(after.map(({ invoices, charges, payments, declinedAuths, clientId }) => ({ clientId, invoices, charges, payments, declinedAuths }))).toEqual(
			before.map(({ invoices, charges, payments, declinedAuths, clientId }) => ({ clientId, invoices, charges, payments, declinedAuths })),
		);
		expect(run.sandbox.smtp.messages().length).toBe(mails);
		// Each run still reports itself, in its execution log (nothing is published for it).
		const runs = (await run.n8n.executions('bpStage1Collect0')).filter((e) => e.status === 'success');
		expect(runs.length).toBeGreaterThanOrEqual(2);
		const [[summary]] = await run.n8n.nodeOutput(runs[0].id, 'Run Summary');
		expect(summary.json.billingRunId).toMatch(/^BR-/);
	});

	it('runs a stage alone from one message published to its queue', async () => {
		const card = run.sandbox.secureTrading.addStoredCard({ behaviour: 'approve' });
		const item = {
			billingKey: 'SOLO-20261123',
			billingRunId: 'BR-solo',
			clientId: 'SOLO1',
			clientName: 'Solo Stage Ltd',
			billingEmail: 'ap@solo.example',
			currency: 'GBP',
			cardReference: card,
			periodStart: run.sandbox.period.from,
			periodEnd: run.sandbox.period.to,
			lines: [{ leadId: 'S1', description: 'Lead S1', quantity: 2, unitAmount: '12.50', unitAmountMinor: 1250, lineAmountMinor: 2500, deliveredAt: null }],
			leadCount: 1,
			totalMinor: 2500,
			total: '25.00',
			dunningAttempt: 1,
		};
		await run.publish('invoice', item);
		await waitUntil(() => run.sandbox.smtp.messages().some((m) => String(m.messageId).startsWith('<billing.paid.k-SOLO-20261123@')));
		const [invoice] = run.sandbox.xero.invoicesByReference('SOLO-20261123');
		expect(invoice).toMatchObject({ Status: 'PAID', Total: 30 }); // 25.00 + 20% VAT
		expect(run.sandbox.secureTrading.chargesFor('SOLO-20261123')).toHaveLength(1);
		expect(run.sandbox.secureTrading.chargesFor('SOLO-20261123')[0].fields.baseamount).toBe('3000');

		// The notification stage alone: one message in, one email out.
		await run.publish('notify', { ...item, billingKey: 'SOLO-NOTIFY', notice: 'noCardOnFile', attempt: 1, invoiceNumber: 'INV-TEST', amountMinor: 3000, dueDate: '2026-12-07' });
		await waitUntil(() => run.sandbox.smtp.messages().some((m) => String(m.messageId).startsWith('<billing.noCardOnFile.a1.k-SOLO-NOTIFY@')));
	});

	it('shows queue statistics and parked items with their reasons in the monitor workflow', async () => {
		const deadline = Date.now() + 60_000;
		for (;;) {
			const runs = (await run.n8n.executions('bpStage7Monitor0')).filter((e) => e.status === 'success');
			if (runs.length > 0) {
				const [stats] = await run.n8n.nodeOutput(runs[0].id, 'Queue Statistics');
				expect(stats.map((i) => i.json.stage)).toEqual(['collect', 'invoice', 'email', 'debit', 'dunning', 'notify']);
				const [parked] = await run.n8n.nodeOutput(runs[0].id, 'Parked Items');
				const rejected = parked.map((i) => i.json).filter((p) => p.stage === 'collect');
				// Parked once by each of the two runs that read the bad CRM record: one billing key.
				const keys = new Set(rejected.map((p) => p.billingKey));
				expect(keys.size).toBe(1);
				expect([...keys][0]).toMatch(/^RJ-[0-9a-f]{22}$/);
				expect(JSON.stringify(rejected[0])).toContain('(client HX-invalidEmail)');
				expect(JSON.stringify(rejected[0])).toMatch(/Billing email .* is not a valid address/);
				break;
			}
			if (Date.now() > deadline) throw new Error('the monitor workflow did not run');
			await new Promise((r) => setTimeout(r, 1000));
		}
	});
});

async function waitUntil(fn: () => boolean, timeoutMs = 60_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!fn()) {
		if (Date.now() > deadline) throw new Error('timed out');
		await new Promise((r) => setTimeout(r, 300));
	}
}
