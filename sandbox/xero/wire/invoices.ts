// Invoices in Xero's JSON: records as Xero shows them (amounts in units, MS dates with DateString
// companions, the contact summary and live payments; line items can be left out as list calls
// do), and elements of PUT/POST /Invoices read into the model's InvoiceInput.
import {
	amountDueCents,
	type ContactRef,
	type InvoiceDraftInput,
	type InvoiceInput,
	type InvoiceRec,
	type LineInput,
} from '../model/invoices';
import type { LineRec } from '../model/invoiceLines';
import type { Organisation } from '../model/organisation';
import type { PaymentRec } from '../model/payments';
import type { CreditNoteRec } from '../model/creditNotes';
import { dayInput } from './dayInput';
import { fromCents } from '../model/values';
import { dateString, msDate, parseXeroDate, prop, propNumber, propString } from './values';

function paymentSummaryJson(p: PaymentRec): Record<string, unknown> {
	return {
		PaymentID: p.PaymentID,
		Date: msDate(p.Date),
		Amount: fromCents(p.AmountCents),
		Reference: p.Reference,
		CurrencyRate: p.CurrencyRate,
		HasAccount: false,
		HasValidationErrors: false,
	};
}

/** A credit note as an invoice lists it (what real Xero shows under Invoice.CreditNotes). */
function creditNoteSummaryJson(c: CreditNoteRec): Record<string, unknown> {
	return {
		CreditNoteID: c.CreditNoteID,
		CreditNoteNumber: c.CreditNoteNumber,
		ID: c.CreditNoteID,
		HasErrors: false,
		AppliedAmount: fromCents(c.AppliedCents),
		DateString: dateString(c.Date),
		Date: msDate(c.Date),
		LineItems: [],
		Total: fromCents(c.TotalCents),
	};
}

function lineJson(l: LineRec): Record<string, unknown> {
	return {
		Description: l.Description,
		UnitAmount: l.UnitAmount,
		TaxType: l.TaxType,
		TaxAmount: fromCents(l.TaxAmountCents),
		LineAmount: fromCents(l.LineAmountCents),
		...(l.AccountCode ? { AccountCode: l.AccountCode } : {}),
		Tracking: [],
		Quantity: l.Quantity,
		LineItemID: l.LineItemID,
	};
}

function invoiceContactJson(org: Organisation, inv: InvoiceRec): Record<string, unknown> {
	const contact = org.contacts.get(inv.ContactID);
	if (!contact) return { ContactID: inv.ContactID };
	return {
		ContactID: contact.ContactID,
		...(contact.ContactNumber ? { ContactNumber: contact.ContactNumber } : {}),
		Name: contact.Name,
		EmailAddress: contact.EmailAddress ?? '',
		ContactStatus: contact.ContactStatus,
		HasValidationErrors: false,
	};
}

export function invoiceJson(
	org: Organisation,
	inv: InvoiceRec,
	opts: { lineItems?: boolean; statusAttribute?: boolean } = {},
): Record<string, unknown> {
	const payments = inv.PaymentIDs.map((id) => org.payments.get(id)!).filter((p) => p.Status === 'AUTHORISED');
	return {
		Type: inv.Type,
		InvoiceID: inv.InvoiceID,
		InvoiceNumber: inv.InvoiceNumber,
		Reference: inv.Reference,
		Payments: payments.map(paymentSummaryJson),
		CreditNotes: inv.CreditNoteIDs.map((id) => creditNoteSummaryJson(org.creditNotes.get(id)!)),
		Prepayments: [],
		Overpayments: [],
		AmountDue: fromCents(amountDueCents(inv)),
		AmountPaid: fromCents(inv.AmountPaidCents),
		AmountCredited: fromCents(inv.AmountCreditedCents),
		SentToContact: inv.SentToContact,
		CurrencyRate: inv.CurrencyRate,
		...(inv.BrandingThemeID ? { BrandingThemeID: inv.BrandingThemeID } : {}),
		IsDiscounted: false,
		HasAttachments: false,
		HasErrors: false,
		...(opts.statusAttribute ? { StatusAttributeString: 'OK' } : {}),
		Contact: invoiceContactJson(org, inv),
		DateString: dateString(inv.Date),
		Date: msDate(inv.Date),
		...(inv.DueDate !== undefined ? { DueDateString: dateString(inv.DueDate), DueDate: msDate(inv.DueDate) } : {}),
		Status: inv.Status,
		LineAmountTypes: inv.LineAmountTypes,
		...(opts.lineItems === false ? {} : { LineItems: inv.LineItems.map(lineJson) }),
		SubTotal: fromCents(inv.SubTotalCents),
		TotalTax: fromCents(inv.TotalTaxCents),
		Total: fromCents(inv.TotalCents),
		UpdatedDateUTC: msDate(inv.UpdatedDateUTC),
		CurrencyCode: inv.CurrencyCode,
		...(inv.FullyPaidOnDate !== undefined ? { FullyPaidOnDate: msDate(inv.FullyPaidOnDate) } : {}),
	};
}

function contactRef(value: unknown): ContactRef | undefined {
	if (!value || typeof value !== 'object') return undefined;
	return {
		contactId: propString(value, 'ContactID'),
		contactNumber: propString(value, 'ContactNumber'),
		name: propString(value, 'Name'),
		emailAddress: propString(value, 'EmailAddress'),
	};
}

function lineInput(line: unknown): LineInput {
	return {
		description: propString(line, 'Description'),
		itemCode: propString(line, 'ItemCode'),
		quantity: propNumber(line, 'Quantity'),
		unitAmount: propNumber(line, 'UnitAmount'),
		lineAmount: propNumber(line, 'LineAmount'),
		accountCode: propString(line, 'AccountCode'),
		taxType: propString(line, 'TaxType'),
	};
}

/** Keys of an element that an update does not lay over the invoice. */
const NOT_MERGED = ['invoiceid', 'invoicenumber', 'senttocontact', 'status'];

/**
 * An update as Xero applies it: the invoice in element form, with every field the element gives
 * (matched case-insensitively) put over it, read back as the draft the rules check.
 */
function overlay(element: Record<string, unknown>, inv: InvoiceRec): InvoiceDraftInput {
	const merged: Record<string, unknown> = {
		Type: inv.Type,
		Contact: { ContactID: inv.ContactID },
		Date: dateString(inv.Date),
		DueDate: inv.DueDate !== undefined ? dateString(inv.DueDate) : undefined,
		Reference: inv.Reference,
		LineAmountTypes: inv.LineAmountTypes,
		CurrencyCode: inv.CurrencyCode,
		CurrencyRate: inv.CurrencyRate,
		BrandingThemeID: inv.BrandingThemeID,
		Status: inv.Status,
		LineItems: inv.LineItems.map(lineJson),
	};
	for (const [k, v] of Object.entries(element)) {
		const canonical = Object.keys(merged).find((m) => m.toLowerCase() === k.toLowerCase()) ?? k;
		if (!NOT_MERGED.includes(k.toLowerCase())) merged[canonical] = v;
	}
	const date = prop(merged, 'Date');
	const lines = prop(merged, 'LineItems');
	return {
		type: String(merged.Type),
		status: String(merged.Status ?? 'DRAFT'),
		contact: contactRef(merged.Contact),
		lineAmountTypes: propString(merged, 'LineAmountTypes'),
		date: { empty: date === null || date === '', text: String(date), day: parseXeroDate(date) },
		dueDate: dayInput(prop(merged, 'DueDate')),
		currencyCode: propString(merged, 'CurrencyCode'),
		reference: propString(merged, 'Reference'),
		brandingThemeId: propString(merged, 'BrandingThemeID'),
		lineItems: Array.isArray(lines) ? lines.map(lineInput) : undefined,
	};
}

/** Reads one element of PUT/POST /Invoices; null when it is not a JSON object. */
export function invoiceInput(element: unknown): InvoiceInput | null {
	if (!element || typeof element !== 'object' || Array.isArray(element)) return null;
	const obj = element as Record<string, unknown>;
	const lines = prop(obj, 'LineItems');
	const sent = prop(obj, 'SentToContact');
	return {
		fields: Object.keys(obj).map((k) => k.toLowerCase()),
		invoiceId: propString(obj, 'InvoiceID'),
		invoiceNumber: propString(obj, 'InvoiceNumber'),
		type: propString(obj, 'Type'),
		status: propString(obj, 'Status'),
		contact: contactRef(prop(obj, 'Contact')),
		lineAmountTypes: propString(obj, 'LineAmountTypes'),
		date: dayInput(prop(obj, 'Date')),
		dueDate: dayInput(prop(obj, 'DueDate')),
		currencyCode: propString(obj, 'CurrencyCode'),
		currencyRate: propNumber(obj, 'CurrencyRate'),
		reference: propString(obj, 'Reference'),
		brandingThemeId: propString(obj, 'BrandingThemeID'),
		lineItems: lines === undefined || lines === null ? undefined : Array.isArray(lines) ? lines.map(lineInput) : 'notAList',
		sentToContact: sent === undefined ? undefined : sent === true,
		over: (inv) => overlay(obj, inv),
	};
}
