// Bookkeepers change invoices in Xero between our stages. With the shipped workflows in a real
// n8n, the debit stage charges only what Xero says is due when it charges: an invoice paid by
// bank transfer or voided meanwhile is not charged, a part-paid one is charged exactly the rest,
// and each client is told what really happened. The invoice email promised "today", and the card
// is charged without waiting for the due date.
import { activate, deactivate } from '../../support/n8n';
import { isSettled, PipelineRun, startPipeline, type ClientLedger } from '../../support/pipeline';

const MAX_CHARGES = 3;
const DEBIT_WORKFLOW = 'bpStage4DebitCrd';

describe('invoices changed in Xero between invoicing and charging', () => {
	let run: PipelineRun;

	beforeAll(async () => {
		run = await startPipeline({
			sandbox: { clients: 10, seed: 11 },
			settings: { retryDelays: '1s, 2s, 4s', dunningDelays: '2s, 3s', settleDelays: '2s, 2s', batchWindowMs: 300 },
		});
	}, 300_000);

	afterAll(async () => {
		await run?.stop();
	});

	it('charges what is due now, never a paid or voided invoice, and says so to the client', async () => {
		// Hold the debit stage while the bookkeeper works: invoices are made and emailed first.
		await deactivate(run.n8n, DEBIT_WORKFLOW);
		await run.requestRun();
		const emailed = await run.waitFor('every invoice emailed', (l) => l.filter((c) => c.expected !== 'rejected').every((c) => c.emails.invoice === 1));

		const payers = emailed.filter((c) => c.expected === 'paid');
		expect(payers.length).toBeGreaterThanOrEqual(4);
		const [paidByTransfer, partPaid, voided] = payers;
		const invoiceOf = (c: ClientLedger) => run.sandbox.xero.invoicesByReference(c.billingKey)[0] as { InvoiceID: string; Total: number };
		const cents = (c: ClientLedger) => Math.round(invoiceOf(c).Total * 100);

		// The email promised what this pipeline does by default: a charge today.
		const invoiceMail = run.sandbox.smtp.messages().find((m) => String(m.messageId).includes(`.k-${paidByTransfer.billingKey}@`));
		expect(invoiceMail?.text).toContain('We will charge the card we hold for your account today.');

		const book = run.sandbox.xero.bookkeeper;
		book.pay(invoiceOf(paidByTransfer).InvoiceID, cents(paidByTransfer), { reference: 'Bank transfer' });
		const partCents = Math.floor(cents(partPaid) / 2);
		book.partPay(invoiceOf(partPaid).InvoiceID, partCents, { reference: 'Bank transfer' });
		book.void(invoiceOf(voided).InvoiceID);
		const changed = new Set([paidByTransfer.clientId, partPaid.clientId, voided.clientId]);

		await activate(run.n8n, DEBIT_WORKFLOW);
		const done = await run.waitFor('every client settled after the bookkeeper', (l) =>
			l.every((c) => {
				if (c.clientId === paidByTransfer.clientId || c.clientId === voided.clientId) return c.emails.nothingToCharge === 1;
				if (c.clientId === partPaid.clientId) return c.emails.chargedRemainder === 1 && c.payments === 2;
				return isSettled(c, MAX_CHARGES);
			}),
		);

		const by = (id: string) => done.find((c) => c.clientId === id)!;
		// Paid by bank transfer: no charge, one payment (the bookkeeper's), "not charged" notice.
		expect(by(paidByTransfer.clientId)).toMatchObject({ charges: 0, payments: 1, invoiceStatus: 'PAID' });
		expect(by(paidByTransfer.clientId).emails.paid).toBeUndefined();
		// Voided: no charge at all.
		expect(by(voided.clientId)).toMatchObject({ charges: 0, payments: 0, invoiceStatus: 'VOIDED' });
		// Part-paid: the card is charged exactly the remainder, and Xero records exactly that.
		const remainderCents = cents(partPaid) - partCents;
		const charges = run.sandbox.secureTrading.chargesFor(partPaid.billingKey);
		expect(charges).toHaveLength(1);
		expect(charges[0].fields.baseamount).toBe(String(remainderCents));
		expect(by(partPaid.clientId)).toMatchObject({ charges: 1, payments: 2, invoiceStatus: 'PAID' });
		const payments = run.sandbox.xero.payments() as unknown as Array<{ Invoice?: { InvoiceID?: string }; Amount: number }>;
		const onPartPaid = payments.filter((p) => p.Invoice?.InvoiceID === invoiceOf(partPaid).InvoiceID).map((p) => Math.round(p.Amount * 100)).sort((a, b) => a - b);
		expect(onPartPaid).toEqual([partCents, remainderCents].sort((a, b) => a - b));
		const remainderMail = run.sandbox.smtp.messages().find((m) => String(m.messageId).includes(`billing.chargedRemainder.k-${partPaid.billingKey}@`));
		expect(remainderMail?.text).toMatch(/We charged the remaining amount/);

		// Everyone else settled as usual; no key was charged twice.
		for (const c of done.filter((x) => !changed.has(x.clientId))) expect(isSettled(c, MAX_CHARGES)).toBe(true);
		expect(Object.values(run.sandbox.secureTrading.chargeCounts()).every((n) => n <= 1)).toBe(true);
		expect(run.sandbox.secureTrading.reattemptsAfterHardDecline()).toBe(0);
	});
});
