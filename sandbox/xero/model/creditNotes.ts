// Sales credit notes (ACCRECCREDIT) allocated to an invoice, as a bookkeeper raises them in Xero
// when a client is owed something back: the credit note is approved and allocated at once, so the
// invoice's AmountCredited goes up and its AmountDue down (to PAID when nothing is left), exactly
// as a payment would, but without a payment. Only the bookkeeper (bookkeeper.ts) creates them.
import { randomUUID } from 'crypto';
import { amountDueCents, findInvoice, markPaidIfSettled, type InvoiceRec } from './invoices';
import type { Organisation } from './organisation';
import { fromCents, todayUtc } from './values';

export interface CreditNoteRec {
	CreditNoteID: string;
	CreditNoteNumber: string;
	Type: 'ACCRECCREDIT';
	ContactID: string;
	InvoiceID: string;
	/** Epoch ms of the calendar day (midnight UTC). */
	Date: number;
	TotalCents: number;
	/** Allocated to the invoice: all of it (the credit note is PAID, nothing remains). */
	AppliedCents: number;
	CurrencyCode: string;
	Status: 'PAID';
	Reference: string;
	UpdatedDateUTC: number;
}

/** Raises a credit note for `cents` and allocates it to the invoice; Xero's message when it cannot. */
export function creditInvoice(org: Organisation, idOrNumber: string, cents: number, reference = ''): { ok: true; rec: CreditNoteRec; invoice: InvoiceRec } | { ok: false; error: string } {
	const inv = findInvoice(org, idOrNumber);
	if (!inv) return { ok: false, error: 'Invoice could not be found.' };
	if (inv.Status !== 'AUTHORISED') return { ok: false, error: 'Credit notes can only be allocated to Authorised documents' };
	if (!Number.isInteger(cents) || cents <= 0) return { ok: false, error: 'Amount must be a positive whole number of cents.' };
	if (cents > amountDueCents(inv)) {
		return { ok: false, error: `The amount allocated (${fromCents(cents).toFixed(2)}) exceeds the amount outstanding on the invoice (${fromCents(amountDueCents(inv)).toFixed(2)}).` };
	}
	const now = org.now();
	const rec: CreditNoteRec = {
		CreditNoteID: randomUUID(),
		CreditNoteNumber: `CN-${String(++org.creditNoteSeq).padStart(4, '0')}`,
		Type: 'ACCRECCREDIT',
		ContactID: inv.ContactID,
		InvoiceID: inv.InvoiceID,
		Date: todayUtc(now),
		TotalCents: cents,
		AppliedCents: cents,
		CurrencyCode: inv.CurrencyCode,
		Status: 'PAID',
		Reference: reference,
		UpdatedDateUTC: now,
	};
	org.creditNotes.set(rec.CreditNoteID, rec);
	inv.CreditNoteIDs.push(rec.CreditNoteID);
	inv.AmountCreditedCents += cents;
	markPaidIfSettled(inv, rec.Date);
	inv.UpdatedDateUTC = now;
	return { ok: true, rec, invoice: inv };
}
