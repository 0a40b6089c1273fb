// The whole shipped pipeline in a real n8n against the sandbox: one billing run takes every
// client to the right end state in Xero, the gateway and the mailbox (judged on the sandbox's own
// records); a second run of the same period creates, charges and emails nothing new.
import type { RunReport } from '../../nodes/BillingReport/helpers/model';
import { minorUnitExponent } from '../../nodes/shared/currency';
import { isSettled, PipelineRun, startPipeline } from '../../support/pipeline';

const MAX_CHARGES = 3; // first charge + two dunning charges ('2s, 3s' here, '3d, 7d' shipped)

describe('billing pipeline in real n8n', () => {
	let run: PipelineRun;

	beforeAll(async () => {
		run = await startPipeline({
			sandbox: { clients: 10, seed: 11, hostile: ['invalidEmail'], retriedDecline: true },
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
		expect(by('declined-retried')).toHaveLength(1);
		expect(by('declined-soft')).toHaveLength(1);
		expect(by('no-card')).toHaveLength(1);
		expect(by('declined-hard')).toHaveLength(1);
		expect(by('rejected')).toHaveLength(1);
		expect(ledger.every((c) => c.duplicateEmails === 0)).toBe(true);

		// No card was charged again after a decline the card schemes say the issuer will never approve.
		expect(run.sandbox.secureTrading.reattemptsAfterHardDecline()).toBe(0);

		// What each declined client was promised is what then happened: a notice saying "we will try
		// again on <date>" is followed by another charge; "we will not charge your card again" by none.
		for (const c of ledger.filter((x) => x.declinedAuths > 0)) {
			const mails = run.sandbox.smtp.messages().filter((m) => String(m.messageId).includes(`.k-${c.billingKey}@`));
			const attempts = c.declinedAuths + c.charges;
			const retryPromises = mails.filter((m) => /\bwe will try again on\b/i.test(String(m.text)));
			const finalPromises = mails.filter((m) => /will not charge your card again/i.test(String(m.text)));
			const story = { client: c.clientId, expected: c.expected, attempts, retryPromises: retryPromises.length, finalPromises: finalPromises.length };
			// Every promised retry happened; the final word came after the last charge and no charge followed.
			const want = {
				'declined-retried': { attempts: 2, retryPromises: 1, finalPromises: 0 },
				'declined-soft': { attempts: MAX_CHARGES, retryPromises: MAX_CHARGES - 1, finalPromises: 1 },
				'declined-hard': { attempts: 1, retryPromises: 0, finalPromises: 1 },
			}[c.expected as 'declined-retried' | 'declined-soft' | 'declined-hard'];
			expect(story).toEqual({ client: c.clientId, expected: c.expected, ...want });
			for (const m of retryPromises) expect({ client: c.clientId, both: /will not charge your card again/i.test(String(m.text)) }).toEqual({ client: c.clientId, both: false });
		}

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

	it('emails exactly one report per run, whose figures match the sandbox\'s own records', async () => {
		const reports = () => run.sandbox.smtp.messages().filter((m) => String(m.messageId).startsWith('<billing.runReport.'));
		// The first run's report went out when its last key (the soft decline, after dunning) was final.
		await waitUntil(() => reports().length >= 1, 120_000);
		const first = reports()[0];
		expect(first.to.map((a) => a.address)).toEqual([run.settings.opsEmail]);
		const json = first.attachments.find((a) => a.contentType.startsWith('application/json'));
		const csv = first.attachments.find((a) => a.contentType.startsWith('text/csv'));
		expect(json && csv).toBeTruthy();
		const report = JSON.parse(json!.content.toString('utf8')) as RunReport;
		expect(report.status).toBe('complete');
		expect(String(first.subject)).toContain(report.runId);
		// Exactly one email for this run, however many batches completed it or Due Reports saw it.
		expect(run.sandbox.smtp.countByMessageId(String(first.messageId))).toBe(1);

		// One CSV row per billing key: every client's key, plus the CRM row parked at collect.
		const ledger = run.ledger();
		const lines = csv!.content.toString('utf8').trim().split(/\r\n/);
		expect(lines).toHaveLength(1 + ledger.length);
		const invoicedKeys = ledger.filter((c) => c.expected !== 'rejected').map((c) => c.billingKey).sort();
		expect(report.rows.map((r) => r.billingKey).filter((k) => !k.startsWith('RJ-')).sort()).toEqual(invoicedKeys);
		expect(new Set(report.rows.map((r) => r.billingKey)).size).toBe(report.rows.length);

		// States against what the sandbox holds: payments in Xero, declined AUTHs at the gateway, the parked queue.
		const stateOf = (key: string) => report.rows.find((r) => r.billingKey === key)?.state;
		for (const c of ledger.filter((x) => x.expected !== 'rejected')) {
			const want = c.ourPayments === 1 ? 'paid' : c.declinedAuths > 0 ? 'declined' : c.expected === 'no-card' ? 'noCard' : 'unexpected';
			expect({ key: c.billingKey, state: stateOf(c.billingKey) }).toEqual({ key: c.billingKey, state: want });
		}
		expect(report.counts.byState).toMatchObject({ paid: 8, declined: 2, noCard: 1, parked: 1, inFlight: 0, retryScheduled: 0 });
		expect(report.parked).toHaveLength(1);
		expect(report.parked[0]).toMatchObject({ stage: 'collect' });
		expect(report.parked[0].error?.message).toMatch(/Billing email .* is not a valid address/);
		expect(report.parked[0].replay).toContain('Replay');

		// Sums per currency from Xero's own invoices and payments (the report never asked Xero).
		const totals: Record<string, { invoicedMinor: number; collectedMinor: number; outstandingMinor: number }> = {};
		const minor = (v: unknown, currency: string) => Math.round(Number(v) * 10 ** minorUnitExponent(currency));
		for (const inv of run.sandbox.xero.invoices().filter((i) => invoicedKeys.includes(String(i.Reference)))) {
			const currency = String(inv.CurrencyCode);
			const t = (totals[currency] ??= { invoicedMinor: 0, collectedMinor: 0, outstandingMinor: 0 });
			t.invoicedMinor += minor(inv.Total, currency);
			t.outstandingMinor += minor(inv.AmountDue, currency);
			const paid = run.sandbox.xero.payments().filter((p) => (p.Invoice as { InvoiceID?: string } | undefined)?.InvoiceID === inv.InvoiceID);
			t.collectedMinor += paid.reduce((n, p) => n + minor(p.Amount, currency), 0);
		}
		expect(Object.fromEntries(Object.entries(report.currencies).map(([c, t]) => [c, { invoicedMinor: t.invoicedMinor, collectedMinor: t.collectedMinor, outstandingMinor: t.outstandingMinor }]))).toEqual(totals);
		expect(report.declines.reduce((n, d) => n + d.count, 0)).toBe(2);
		expect(report.noCard.map((r) => r.billingKey)).toEqual(ledger.filter((c) => c.expected === 'no-card').map((c) => c.billingKey));
	});

	it('a second run of the same period creates, charges and emails nothing new', async () => {
		// Alerts to ops come on their own schedule: this test counts client emails and run reports.
		const mailbox = () => run.sandbox.smtp.messages().filter((m) => !String(m.messageId).startsWith('<billing.alert.'));
		const before = run.ledger();
		const mails = mailbox().length;
		const collectRuns = (await run.n8n.executions('bpStage1Collect0')).length;
		await run.requestRun();
		await run.n8n.waitForExecutions('bpStage1Collect0', collectRuns + 1);
		// Give the downstream stages time to (not) act on what the second run published.
		await new Promise((r) => setTimeout(r, 8000));
		const mailsAfterRerun = mailbox().length;
		expect(mailsAfterRerun).toBeLessThanOrEqual(mails + 1);
		const after = run.ledger();
		expect(after.map(({ invoices, charges, payments, declinedAuths, clientId }) => ({ clientId, invoices, charges, payments, declinedAuths }))).toEqual(
			before.map(({ invoices, charges, payments, declinedAuths, clientId }) => ({ clientId, invoices, charges, payments, declinedAuths })),
		);
		// The rerun's own report says nothing new was billed; its rejected CRM row is parked again.
		const report = async () => {
			const mail = mailbox().slice(mails).find((m) => String(m.messageId).startsWith('<billing.runReport.'));
			return mail ? (JSON.parse(mail.attachments.find((x) => x.contentType.startsWith('application/json'))!.content.toString('utf8')) as RunReport) : undefined;
		};
		await waitUntil(() => mailbox().slice(mails).some((m) => String(m.messageId).startsWith('<billing.runReport.')), 60_000);
		expect((await report())!.counts.byState).toMatchObject({ alreadyBilled: 11, parked: 1, paid: 0, inFlight: 0 });
		// Only that report: no client email.
		expect(mailbox().length).toBe(mails + 1);
		// Each run still reports itself, in its execution log, and gets a run id of its own.
		const runs = (await run.n8n.executions('bpStage1Collect0')).filter((e) => e.status === 'success');
		expect(runs.length).toBeGreaterThanOrEqual(2);
		const [[summary]] = await run.n8n.nodeOutput(runs[0].id, 'Run Summary');
		expect(summary.json.billingRunId).toMatch(/^BR-\d{8}-\d{8}-\d+$/);
	});

	it('a parked item raises one alert, however many checks and runs see it in the period', async () => {
		const alerts = () => run.sandbox.smtp.messages().filter((m) => String(m.messageId).startsWith('<billing.alert.'));
		await waitUntil(() => alerts().some((m) => /parked/i.test(String(m.subject))), 90_000);
		// Both runs parked the bad CRM row and the check runs every 10 s here: still one email.
		await new Promise((r) => setTimeout(r, 25_000));
		const parked = alerts().filter((m) => /parked/i.test(String(m.subject)));
		expect(parked).toHaveLength(1);
		expect(parked[0].to.map((a) => a.address)).toEqual([run.settings.opsEmail]);
		expect(String(parked[0].text)).toMatch(/collect/);
		expect(String(parked[0].text)).toMatch(/What to do: .*Replay/s);
		// Nothing else is wrong in this run: no other condition alerted.
		expect(alerts().map((m) => String(m.subject)).filter((t) => !/parked/i.test(t))).toEqual([]);
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

	it('a card-data decline (expired card, 54) is not charged again, and the client is told so and asked for a new card', async () => {
		const card = run.sandbox.secureTrading.addStoredCard({ behaviour: 'expiredCard' });
		await run.publish('invoice', {
			billingKey: 'SOLO-EXPIRED-1',
			billingRunId: 'BR-solo',
			clientId: 'SOLO2',
			clientName: 'Expired Card Ltd',
			billingEmail: 'ap@expired.example',
			currency: 'GBP',
			cardReference: card,
			periodStart: run.sandbox.period.from,
			periodEnd: run.sandbox.period.to,
			lines: [{ leadId: 'S2', description: 'Lead S2', quantity: 1, unitAmount: '40.00', unitAmountMinor: 4000, lineAmountMinor: 4000, deliveredAt: null }],
			leadCount: 1,
			totalMinor: 4000,
			total: '40.00',
			dunningAttempt: 1,
		});
		const mails = () => run.sandbox.smtp.messages().filter((m) => String(m.messageId).includes('.k-SOLO-EXPIRED-1@'));
		await waitUntil(() => mails().some((m) => String(m.messageId).startsWith('<billing.finalNotice.')));
		// Longer than the whole dunning schedule here ('2s, 3s'): no second charge comes.
		await new Promise((r) => setTimeout(r, 8000));
		const auths = run.sandbox.secureTrading.transactions().filter((t) => t.fields.orderreference === 'SOLO-EXPIRED-1' && t.fields.requesttypedescription === 'AUTH');
		expect(auths.map((t) => t.fields.acquirerresponsecode)).toEqual(['54']);
		const [notice, ...others] = mails().filter((m) => !String(m.messageId).startsWith('<billing.invoice.'));
		expect(others).toEqual([]);
		expect(String(notice.text)).toMatch(/will not charge your card again/i);
		expect(String(notice.text)).not.toMatch(/\bwe will try again\b/i);
	});

});

async function waitUntil(fn: () => boolean, timeoutMs = 60_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!fn()) {
		if (Date.now() > deadline) throw new Error('timed out');
		await new Promise((r) => setTimeout(r, 300));
	}
}
