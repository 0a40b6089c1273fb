// Payments in Xero's JSON: records as Xero shows them (with the summary of the invoice they pay),
// and elements of PUT /Payments read into the model's PaymentInput.
import { amountDueCents } from '../model/invoices';
import type { Organisation } from '../model/organisation';
import type { PaymentInput, PaymentRec } from '../model/payments';
import { dayInput } from './dayInput';
import { fromCents } from '../model/values';
import { msDate, prop, propNumber, propString } from './values';

export function paymentJson(org: Organisation, p: PaymentRec): Record<string, unknown> {
	const inv = org.invoices.get(p.InvoiceID);
	return {
		PaymentID: p.PaymentID,
		Date: msDate(p.Date),
		BankAmount: fromCents(p.AmountCents),
		Amount: fromCents(p.AmountCents),
		Reference: p.Reference,
		CurrencyRate: p.CurrencyRate,
		PaymentType: p.PaymentType,
		Status: p.Status,
		UpdatedDateUTC: msDate(p.UpdatedDateUTC),
		HasAccount: true,
		IsReconciled: false,
		Account: { AccountID: p.AccountID, Code: p.AccountCode },
		Invoice: inv
			? {
					Type: inv.Type,
					InvoiceID: inv.InvoiceID,
					InvoiceNumber: inv.InvoiceNumber,
					Reference: inv.Reference,
					Contact: { ContactID: inv.ContactID, Name: org.contacts.get(inv.ContactID)?.Name ?? '' },
					CurrencyCode: inv.CurrencyCode,
					AmountDue: fromCents(amountDueCents(inv)),
					AmountPaid: fromCents(inv.AmountPaidCents),
					Status: inv.Status,
				}
			: { InvoiceID: p.InvoiceID },
		HasValidationErrors: false,
	};
}

/** Reads one element of PUT /Payments. */
export function paymentInput(element: unknown): PaymentInput {
	const invoice = prop(element, 'Invoice');
	const account = prop(element, 'Account');
	return {
		invoiceId: propString(invoice, 'InvoiceID'),
		invoiceNumber: propString(invoice, 'InvoiceNumber') ?? propString(element, 'InvoiceNumber'),
		otherTarget: Boolean(prop(element, 'CreditNote') || prop(element, 'Prepayment') || prop(element, 'Overpayment')),
		accountCode: propString(account, 'Code'),
		accountId: propString(account, 'AccountID'),
		amount: propNumber(element, 'Amount'),
		date: dayInput(prop(element, 'Date')),
		reference: propString(element, 'Reference'),
	};
}
