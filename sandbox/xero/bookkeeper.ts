// The bookkeeper: what people do to invoices in Xero between the pipeline's stages, for tests and
// the chaos run. A client pays by bank transfer (in full or in part), an invoice is voided, a
// credit note is raised against it. Each change goes through the same rules as the API (a payment
// is refused above what is due, an invoice with payments cannot be voided) and throws with
// Xero's message when Xero would refuse it. No API call is counted.
import { creditInvoice } from './model/creditNotes';
import { amountDueCents, findInvoice, saveInvoices } from './model/invoices';
import { savePayments } from './model/payments';
import type { Organisation } from './model/organisation';
import type { XeroBookkeeper } from './types';
import { invoiceJson } from './wire/invoices';
import { paymentJson } from './wire/payments';

function invoiceOf(org: Organisation, invoiceId: string, what: string) {
	const inv = findInvoice(org, invoiceId);
	if (!inv) throw new Error(`${what}: Xero has no invoice ${invoiceId}`);
	return inv;
}

export function bookkeeper(org: Organisation): XeroBookkeeper {
	const bankAccount = () => org.accounts.find((a) => a.Type === 'BANK')?.Code;
	const pay: XeroBookkeeper['pay'] = (invoiceId, amountCents, opts = {}) => {
		const inv = invoiceOf(org, invoiceId, 'pay');
		if (!Number.isInteger(amountCents) || amountCents <= 0) throw new Error(`pay: amountCents ${amountCents} is not a positive whole number`);
		const [r] = savePayments(org, [
			{
				invoiceId: inv.InvoiceID,
				otherTarget: false,
				accountCode: opts.accountCode ?? bankAccount(),
				amount: amountCents / 100,
				reference: opts.reference ?? 'Bank transfer',
			},
		]);
		if (!r.ok) throw new Error(`pay ${inv.InvoiceNumber}: ${r.errors.join('; ')}`);
		return paymentJson(org, r.rec);
	};
	return {
		pay,
		partPay: (invoiceId, amountCents, opts) => {
			const inv = invoiceOf(org, invoiceId, 'partPay');
			if (amountCents >= amountDueCents(inv)) {
				throw new Error(`partPay ${inv.InvoiceNumber}: ${amountCents} cents is not less than the ${amountDueCents(inv)} cents due; use pay`);
			}
			return pay(invoiceId, amountCents, opts);
		},
		void: (invoiceId) => {
			const inv = invoiceOf(org, invoiceId, 'void');
			const [r] = saveInvoices(org, [
				{ fields: ['status'], status: 'VOIDED', currencyRate: undefined, over: () => { throw new Error('no field changes'); } },
			], { pathId: inv.InvoiceID });
			if (!r.ok) throw new Error(`void ${inv.InvoiceNumber}: ${r.errors.join('; ')}`);
			return invoiceJson(org, r.rec);
		},
		credit: (invoiceId, amountCents, opts = {}) => {
			const r = creditInvoice(org, invoiceId, amountCents, opts.reference);
			if (!r.ok) throw new Error(`credit ${invoiceId}: ${r.error}`);
			return { creditNote: { CreditNoteID: r.rec.CreditNoteID, CreditNoteNumber: r.rec.CreditNoteNumber, Type: r.rec.Type, Total: r.rec.TotalCents / 100 }, invoice: invoiceJson(org, r.invoice) };
		},
	};
}
