// A failure never takes a success path, proven with the shipped workflows in a real n8n and
// judged only on the sandbox's own records and the broker's queues:
// 1. Xero refuses the payment after the card was charged: no "paid" email, the item is parked
//    in debit.parked with Xero's error, and a replay records the payment without a second charge.
// 2. The email journal folder is unusable: no invoice email, the items are parked in
//    email.parked naming the folder, nothing reaches the debit stage, no card is charged.
// One pipeline run for both cases; the journal folder starts as a folder and is then replaced
// by a regular file for case 2.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { sleep } from 'n8n-workflow';
import { BrokerProbe, bodyOf, headerOf, waitUntil } from '../../support/broker';
import { activate, deactivate } from '../../support/n8n';
import { AMQP_URL, PipelineRun, startPipeline } from '../../support/pipeline';

const DEBIT_WORKFLOW = 'bpStage4DebitCrd';

describe('failures never take a success path (real n8n)', () => {
	let run: PipelineRun;
	let tmp: string;
	let journal: string;

	beforeAll(async () => {
		tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-failure-paths-'));
		journal = path.join(tmp, 'journal');
		run = await startPipeline({
			// Regular mode always: case 2 breaks the email journal's folder, which queue mode replaces
			// with the shared record in PostgreSQL.
			queueMode: false,
			sandbox: { clients: 2, seed: 15, hostile: false },
			// Three attempts with short delays: a failing item is parked within seconds.
			settings: { retryDelays: '1s, 2s', maxAttempts: 3, dunningDelays: '2s, 3s', settleDelays: '2s, 2s', batchWindowMs: 300, emailJournalFolder: journal },
		});
	}, 300_000);

	afterAll(async () => {
		await run?.stop();
		if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
	});

	/** An invoice request as the collect stage publishes it, for a client with an approving card. */
	function invoiceRequest(key: string): Record<string, unknown> {
		const card = run.sandbox.secureTrading.addStoredCard({ behaviour: 'approve' });
		return {
			billingKey: key,
			billingRunId: `BR-${key}`,
			clientId: key,
			clientName: `Client ${key} Ltd`,
			billingEmail: `ap@${key.toLowerCase()}.example`,
			currency: 'GBP',
			cardReference: card,
			periodStart: run.sandbox.period.from,
			periodEnd: run.sandbox.period.to,
			lines: [{ leadId: `${key}-1`, description: 'Lead 1', quantity: 2, unitAmount: '12.50', unitAmountMinor: 1250, lineAmountMinor: 2500, deliveredAt: null }],
			leadCount: 1,
			totalMinor: 2500,
			total: '25.00',
			dunningAttempt: 1,
		};
	}

	const mailsFor = (key: string, kind: string) => run.sandbox.smtp.messages().filter((m) => String(m.messageId).startsWith(`<billing.${kind}.`) && String(m.messageId).includes(`.k-${key}@`));
	const invoiceOf = (key: string) => run.sandbox.xero.invoicesByReference(key)[0] as { InvoiceID: string; Status: string } | undefined;
	const paymentsFor = (key: string) => {
		const id = invoiceOf(key)?.InvoiceID;
		return run.sandbox.xero.payments().filter((p) => (p.Invoice as { InvoiceID?: string } | undefined)?.InvoiceID === id);
	};
	const queue = (name: string) => `${run.settings.exchange}.${name}`;

	async function parkedMessages(stage: string, key: string) {
		const probe = await BrokerProbe.open('failure-paths-test', AMQP_URL);
		try {
			return (await probe.peek(queue(`${stage}.parked`))).filter((m) => bodyOf(m).billingKey === key);
		} finally {
			await probe.close();
		}
	}

	it('Xero refusing Record Payment parks the charged item: no paid email, no second charge on replay', async () => {
		const key = 'FP-XERO-401';
		// Only the payments call is refused, for the whole case, as an expired connection would be.
		run.sandbox.xero.setFaults({ errorRate: 1, errorStatuses: [401], methods: ['PUT', 'POST'], routes: /\/Payments\b/ });
		await run.publish('invoice', invoiceRequest(key));

		await waitUntil('the charged item parked in debit.parked', async () => (await parkedMessages('debit', key)).length === 1, 120_000, 500);
		const [parked] = await parkedMessages('debit', key);
		// Xero's 401 is not retryable (code auth), so the item is parked at once: charged exactly once.
		expect(run.sandbox.secureTrading.chargesFor(key)).toHaveLength(1);
		expect(mailsFor(key, 'invoice')).toHaveLength(1);
		// Xero recorded nothing and the client was told nothing about a payment.
		expect(paymentsFor(key)).toHaveLength(0);
		expect(invoiceOf(key)?.Status).toBe('AUTHORISED');
		// Give the notify stage time to (wrongly) act on anything that slipped through.
		await sleep(4000);
		expect(mailsFor(key, 'paid')).toHaveLength(0);
		expect(mailsFor(key, 'chargedRemainder')).toHaveLength(0);
		// The parked message carries Xero's refusal, from the node that met it.
		expect(headerOf(parked, 'x-billing-error-node')).toBe('Record Payment in Xero');
		// Not the charge's own "authorised, pending settlement": Xero's answer, and its kind.
		expect(String(headerOf(parked, 'x-billing-error-message'))).toMatch(/Xero answered 401/);
		expect(headerOf(parked, 'x-billing-error-code')).toBe('auth');
		expect(run.sandbox.xero.callCount({ route: 'PUT /Payments' }) + run.sandbox.xero.callCount({ route: 'POST /Payments' })).toBeGreaterThanOrEqual(1);

		// Xero accepts payments again: the replayed item records the charge it already made.
		run.sandbox.xero.setFaults({});
		const probe = await BrokerProbe.open('failure-paths-test', AMQP_URL);
		let body: Record<string, unknown>;
		try {
			const taken = (await probe.drain(queue('debit.parked'))).filter((m) => bodyOf(m).billingKey === key);
			expect(taken).toHaveLength(1);
			body = bodyOf(taken[0]);
		} finally {
			await probe.close();
		}
		await run.publish('debit', body);
		await waitUntil('the replayed payment recorded and the client told', () => paymentsFor(key).length === 1 && mailsFor(key, 'paid').length === 1, 90_000, 500);
		expect(run.sandbox.secureTrading.chargesFor(key)).toHaveLength(1);
		expect(invoiceOf(key)?.Status).toBe('PAID');
		expect(Math.round(Number(paymentsFor(key)[0].Amount) * 100)).toBe(Number(run.sandbox.secureTrading.chargesFor(key)[0].fields.baseamount));
		expect((await parkedMessages('debit', key)).length).toBe(0);
	}, 240_000);

	it('an unusable email journal folder parks the invoices in email.parked: no email, no debit, no charge', async () => {
		// Anything published to the debit stage now stays in its queue, where the test can see it.
		await deactivate(run.n8n, DEBIT_WORKFLOW);
		try {
			fs.rmSync(journal, { recursive: true, force: true });
			fs.writeFileSync(journal, 'a regular file where the journal folder should be\n');
			const keys = ['FP-JOURNAL-1', 'FP-JOURNAL-2'];
			for (const key of keys) await run.publish('invoice', invoiceRequest(key));

			await waitUntil('both invoices parked in email.parked', async () => {
				for (const key of keys) if ((await parkedMessages('email', key)).length !== 1) return false;
				return true;
			}, 120_000, 500);
			for (const key of keys) {
				// The invoice exists in Xero (stage 2 ran), but it was never emailed or charged.
				expect(invoiceOf(key)).toBeDefined();
				expect(mailsFor(key, 'invoice')).toHaveLength(0);
				expect(run.sandbox.smtp.messages().filter((m) => String(m.messageId).includes(`.k-${key}@`))).toHaveLength(0);
				expect(run.sandbox.secureTrading.chargesFor(key)).toHaveLength(0);
				const [parked] = await parkedMessages('email', key);
				expect(String(headerOf(parked, 'x-billing-error-message'))).toContain(journal);
				expect(headerOf(parked, 'x-billing-error-field')).toBe('options.journalFolder');
				// Parked after the retries, not at once.
				expect(headerOf(parked, 'x-billing-attempt')).toBe(3);
			}
			const depths = await run.queueDepths();
			expect(depths[queue('debit')] ?? 0).toBe(0);
			expect(depths[queue('debit.hold')] ?? 0).toBe(0);
			expect(run.sandbox.secureTrading.transactions().filter((t) => keys.includes(String(t.fields.orderreference)))).toHaveLength(0);
		} finally {
			await activate(run.n8n, DEBIT_WORKFLOW);
		}
	}, 240_000);
});
