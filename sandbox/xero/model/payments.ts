// Payments against invoices: the record, list filtering, the rules of PUT /Payments (authorised
// invoice, bank or payment-enabled account, amount within what is due) with their effect on the
// invoice, and deleting a payment, which reopens the invoice. Reading elements and writing records
// in Xero's JSON is wire/payments.ts.
import { randomUUID } from 'crypto';
import { amountToCents, fromCents, isGuid, todayUtc } from './values';
import type { AccountDef } from './accounts';
import type { DayInput, NumberInput } from './inputs';
import { amountDueCents, markPaidIfSettled, type InvoiceRec } from './invoices';
import type { Organisation } from './organisation';
import { compileFilter, sortBy, type ListQuery, type SaveOutcome } from './query';

export interface PaymentRec {
	PaymentID: string;
	InvoiceID: string;
	AccountCode: string;
	AccountID: string;
	/** Epoch ms of the calendar day (midnight UTC). */
	Date: number;
	AmountCents: number;
	Reference: string;
	Status: 'AUTHORISED' | 'DELETED';
	PaymentType: string;
	CurrencyRate: number;
	UpdatedDateUTC: number;
}

/** What one element of PUT /Payments gives. */
export interface PaymentInput {
	invoiceId?: string;
	/** From Invoice.InvoiceNumber, else a top-level InvoiceNumber. */
	invoiceNumber?: string;
	/** A CreditNote, Prepayment or Overpayment was named instead of an invoice (not supported here). */
	otherTarget: boolean;
	accountCode?: string;
	accountId?: string;
	amount: NumberInput;
	date?: DayInput;
	reference?: string;
}

/**
 * Xero's validation messages for a payment an invoice cannot take, word for word (see docs/xero.md):
 * the Xero OpenAPI example of PUT /Payments and integrators quoting Xero, e.g. "A validation
 * exception occurred; Payments can only be made against Authorised documents; Payment amount
 * exceeds the amount outstanding on this document" for a paid invoice.
 */
export const PAYMENT_NOT_AUTHORISED = 'Payments can only be made against Authorised documents';
export const PAYMENT_EXCEEDS_OUTSTANDING = 'Payment amount exceeds the amount outstanding on this document';

export const PAYMENT_WHERE_FIELDS = [
	'PaymentID', 'Date', 'Amount', 'Reference', 'Status', 'PaymentType', 'CurrencyRate', 'IsReconciled', 'UpdatedDateUTC',
	'Invoice', 'Invoice.InvoiceID', 'Invoice.InvoiceNumber', 'Invoice.Type', 'Account.Code', 'Account.AccountID',
];

/** What a payment looks like to `where` and `order` clauses. */
function paymentView(org: Organisation, p: PaymentRec): Record<string, unknown> {
	const inv = org.invoices.get(p.InvoiceID);
	return {
		PaymentID: p.PaymentID,
		Date: p.Date,
		Amount: fromCents(p.AmountCents),
		Reference: p.Reference,
		Status: p.Status,
		PaymentType: p.PaymentType,
		CurrencyRate: p.CurrencyRate,
		IsReconciled: false,
		UpdatedDateUTC: p.UpdatedDateUTC,
		Invoice: { InvoiceID: p.InvoiceID, InvoiceNumber: inv?.InvoiceNumber ?? null, Type: inv?.Type ?? null },
		Account: { Code: p.AccountCode, AccountID: p.AccountID },
	};
}

export function findPayment(org: Organisation, id: string): PaymentRec | undefined {
	return org.payments.get(id.toLowerCase());
}

export function listPayments(org: Organisation, q: ListQuery): PaymentRec[] {
	let rows = [...org.payments.values()];
	if (q.ifModifiedSince !== undefined) rows = rows.filter((p) => p.UpdatedDateUTC > q.ifModifiedSince!);
	if (q.where) {
		const pred = compileFilter(q.where, 'Payment', PAYMENT_WHERE_FIELDS);
		rows = rows.filter((p) => pred(paymentView(org, p)));
	}
	return sortBy(rows, q.order, (p) => paymentView(org, p));
}

function paymentInvoice(org: Organisation, input: PaymentInput, errors: string[]): InvoiceRec | undefined {
	const { invoiceId: invId, invoiceNumber: invNumber } = input;
	let inv: InvoiceRec | undefined;
	if (invId) inv = isGuid(invId) ? org.invoices.get(invId.toLowerCase()) : undefined;
	else if (invNumber) inv = [...org.invoices.values()].find((i) => i.InvoiceNumber === invNumber && i.Status !== 'DELETED');
	if (!invId && !invNumber && !input.otherTarget) {
		errors.push('You must specify an Invoice, Credit Note, Prepayment or Overpayment to apply the payment to.');
	} else if (!inv) {
		errors.push(`Invoice could not be found.`);
	} else if (inv.Status !== 'AUTHORISED') {
		// Real Xero's texts: a PAID invoice is not Authorised any more, and nothing is outstanding on it.
		errors.push(PAYMENT_NOT_AUTHORISED);
		if (inv.Status === 'PAID') errors.push(PAYMENT_EXCEEDS_OUTSTANDING);
	}
	return inv;
}

function paymentAccount(org: Organisation, input: PaymentInput, errors: string[]): AccountDef | undefined {
	const { accountCode: accCode, accountId: accId } = input;
	const account = accCode ? org.account(accCode) : accId ? org.accounts.find((a) => a.AccountID === accId.toLowerCase()) : undefined;
	if (!accCode && !accId) errors.push('You must specify an Account to make the payment from/to.');
	else if (!account) errors.push('Account could not be found.');
	else if (account.Type !== 'BANK' && !account.EnablePaymentsToAccount) {
		errors.push(`Account type is invalid for making a payment to/from. Account '${account.Code}' is not a bank account and does not allow payments.`);
	}
	return account;
}

function paymentCents(input: PaymentInput, inv: InvoiceRec | undefined, errors: string[]): number | null {
	const amountIn = input.amount;
	if (amountIn === undefined) errors.push('Payment amount must be specified.');
	else if (amountIn === 'invalid') errors.push('Payment amount must be a valid number.');
	else if (amountIn <= 0) errors.push('Payment amount must be greater than zero.');
	else {
		const cents = amountToCents(amountIn);
		if (cents === null) errors.push('Payment amount must not have more than 2 decimal places.');
		else if (inv && inv.Status === 'AUTHORISED' && cents > amountDueCents(inv)) {
			errors.push(PAYMENT_EXCEEDS_OUTSTANDING);
		}
		return cents;
	}
	return null;
}

function savePayment(org: Organisation, input: PaymentInput): SaveOutcome<PaymentRec> {
	const errors: string[] = [];
	const inv = paymentInvoice(org, input, errors);
	const account = paymentAccount(org, input, errors);
	const cents = paymentCents(input, inv, errors);
	const date = !input.date || input.date.empty ? todayUtc(org.now()) : input.date.day;
	if (date === null) errors.push(`The date '${input.date!.text}' is not a valid date.`);
	const reference = input.reference ?? '';
	if (reference.length > 255) errors.push('Reference must not be more than 255 characters long.');
	if (errors.length || !inv || !account || cents === null || date === null) return { ok: false, errors };

	const now = org.now();
	const p: PaymentRec = {
		PaymentID: randomUUID(),
		InvoiceID: inv.InvoiceID,
		AccountCode: account.Code,
		AccountID: account.AccountID!,
		Date: date,
		AmountCents: cents,
		Reference: reference,
		Status: 'AUTHORISED',
		PaymentType: inv.Type === 'ACCREC' ? 'ACCRECPAYMENT' : 'ACCPAYPAYMENT',
		CurrencyRate: inv.CurrencyRate,
		UpdatedDateUTC: now,
	};
	org.payments.set(p.PaymentID, p);
	inv.PaymentIDs.push(p.PaymentID);
	inv.AmountPaidCents += cents;
	markPaidIfSettled(inv, date);
	inv.UpdatedDateUTC = now;
	return { ok: true, rec: p };
}

/** PUT /Payments: applies each payment in order, so two payments in one batch see each other. */
export function savePayments(org: Organisation, items: PaymentInput[]): Array<SaveOutcome<PaymentRec>> {
	return items.map((input) => savePayment(org, input));
}

/**
 * POST /Payments/{id} with Status DELETED (the only change Xero allows): removes the payment and
 * reopens the invoice. Undefined when there is no such payment.
 */
export function deletePayment(org: Organisation, id: string, status: string | undefined): SaveOutcome<PaymentRec> | undefined {
	const p = findPayment(org, id);
	if (!p) return undefined;
	if (status?.toUpperCase() !== 'DELETED') {
		return { ok: false, rec: p, errors: ['Only the Status of a payment can be changed, to DELETED.'] };
	}
	if (p.Status === 'DELETED') return { ok: false, rec: p, errors: ['Payment has already been deleted.'] };
	const inv = org.invoices.get(p.InvoiceID)!;
	p.Status = 'DELETED';
	p.UpdatedDateUTC = org.now();
	inv.AmountPaidCents -= p.AmountCents;
	if (inv.Status === 'PAID') {
		inv.Status = 'AUTHORISED';
		inv.FullyPaidOnDate = undefined;
	}
	inv.UpdatedDateUTC = p.UpdatedDateUTC;
	return { ok: true, rec: p };
}
