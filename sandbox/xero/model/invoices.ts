// Invoices of an organisation: the record, lookups by id or number, list filtering, and the rules
// of PUT/POST /Invoices (create, update fields, status transitions, SentToContact) and of
// POST /Invoices/{id}/Email. Line arithmetic is in invoiceLines.ts; reading elements and writing
// records in Xero's JSON is wire/invoices.ts.
import { randomUUID } from 'crypto';
import { EMPTY_GUID, fromCents, isGuid, todayUtc } from './values';
import { contactByName, contactByNumber, saveContacts, type ContactRec } from './contacts';
import type { DayInput, NumberInput } from './inputs';
import { computeLines, type ComputedLines, type LineInput, type LineRec } from './invoiceLines';
import type { Organisation } from './organisation';
import { compileFilter, sortBy, type InvoiceListQuery, type SaveOutcome } from './query';

export type { LineInput, LineRec } from './invoiceLines';

/** How an invoice names its contact. */
export interface ContactRef {
	contactId?: string;
	contactNumber?: string;
	name?: string;
	/** Used when a contact named only by a new name is created. */
	emailAddress?: string;
}

/** The editable fields of an invoice after an update is laid over it (see InvoiceInput.over). */
export interface InvoiceDraftInput {
	type: string;
	status: string;
	contact?: ContactRef;
	lineAmountTypes?: string;
	date: DayInput;
	dueDate?: DayInput;
	currencyCode?: string;
	reference?: string;
	brandingThemeId?: string;
	/** Undefined when what was given is not a list. */
	lineItems?: LineInput[];
}

/** What one element of PUT/POST /Invoices gives. */
export interface InvoiceInput {
	/** Lower-cased names of the fields the element gives (an update's changes are read from them). */
	fields: string[];
	invoiceId?: string;
	invoiceNumber?: string;
	type?: string;
	status?: string;
	/** Undefined when not given as an object. */
	contact?: ContactRef;
	lineAmountTypes?: string;
	date?: DayInput;
	dueDate?: DayInput;
	currencyCode?: string;
	currencyRate: NumberInput;
	reference?: string;
	brandingThemeId?: string;
	/** Undefined when absent or null; 'notAList' when something else than a list. */
	lineItems?: LineInput[] | 'notAList';
	/** Undefined when absent; true only when given as true. */
	sentToContact?: boolean;
	/** The element laid over an existing invoice: the fields an update would give it. */
	over(current: InvoiceRec): InvoiceDraftInput;
}

export interface InvoiceRec {
	InvoiceID: string;
	Type: string;
	InvoiceNumber: string;
	Reference: string;
	ContactID: string;
	/** Epoch ms of the calendar day (midnight UTC), as are DueDate and FullyPaidOnDate. */
	Date: number;
	DueDate?: number;
	Status: string;
	LineAmountTypes: string;
	LineItems: LineRec[];
	SubTotalCents: number;
	TotalTaxCents: number;
	TotalCents: number;
	AmountPaidCents: number;
	/** Credit notes allocated to the invoice (AmountCredited): they lower AmountDue as payments do. */
	AmountCreditedCents: number;
	CurrencyCode: string;
	CurrencyRate: number;
	/** The branding theme the invoice is shown in, when one was chosen. */
	BrandingThemeID?: string;
	SentToContact: boolean;
	FullyPaidOnDate?: number;
	PaymentIDs: string[];
	CreditNoteIDs: string[];
	UpdatedDateUTC: number;
	CreatedOrder: number;
}

const INVOICE_TYPES = ['ACCREC', 'ACCPAY'];
const CREATE_STATUSES = ['DRAFT', 'SUBMITTED', 'AUTHORISED'];
const LINE_AMOUNT_TYPES = ['Exclusive', 'Inclusive', 'NoTax'];
/** Element keys that are not field changes on an update. */
const NOT_CHANGES = ['invoiceid', 'invoicenumber', 'senttocontact', 'status', 'type'];
const STATUS_MOVES: Record<string, string[]> = {
	DRAFT: ['SUBMITTED', 'AUTHORISED', 'DELETED'],
	SUBMITTED: ['DRAFT', 'AUTHORISED', 'DELETED'],
	AUTHORISED: ['VOIDED'],
	PAID: [],
};

export const INVOICE_WHERE_FIELDS = [
	'Type', 'InvoiceID', 'InvoiceNumber', 'Reference', 'Status', 'Date', 'DueDate', 'SubTotal', 'TotalTax', 'Total',
	'AmountDue', 'AmountPaid', 'AmountCredited', 'CurrencyCode', 'SentToContact', 'UpdatedDateUTC', 'FullyPaidOnDate',
	'LineAmountTypes', 'HasAttachments', 'IsDiscounted', 'Contact', 'Contact.ContactID', 'Contact.Name',
	'Contact.ContactNumber', 'Contact.EmailAddress', 'Contact.ContactStatus', 'ContactNumber',
];

export function amountDueCents(inv: InvoiceRec): number {
	return inv.TotalCents - inv.AmountPaidCents - inv.AmountCreditedCents;
}

/** After a payment or credit: an invoice with nothing left due is PAID, as of `date`. */
export function markPaidIfSettled(inv: InvoiceRec, date: InvoiceRec['FullyPaidOnDate']): void {
	if (amountDueCents(inv) !== 0) return;
	inv.Status = 'PAID';
	inv.FullyPaidOnDate = date;
}

export function findInvoice(org: Organisation, idOrNumber: string): InvoiceRec | undefined {
	if (isGuid(idOrNumber)) return org.invoices.get(idOrNumber.toLowerCase());
	return [...org.invoices.values()].find((i) => i.InvoiceNumber === idOrNumber);
}

/** What an invoice looks like to `where` and `order` clauses (Xero's field names, amounts in units). */
function invoiceView(org: Organisation, inv: InvoiceRec): Record<string, unknown> {
	const contact = org.contacts.get(inv.ContactID);
	return {
		Type: inv.Type,
		InvoiceID: inv.InvoiceID,
		InvoiceNumber: inv.InvoiceNumber,
		Reference: inv.Reference,
		Status: inv.Status,
		Date: inv.Date,
		DueDate: inv.DueDate ?? null,
		SubTotal: fromCents(inv.SubTotalCents),
		TotalTax: fromCents(inv.TotalTaxCents),
		Total: fromCents(inv.TotalCents),
		AmountDue: fromCents(amountDueCents(inv)),
		AmountPaid: fromCents(inv.AmountPaidCents),
		AmountCredited: fromCents(inv.AmountCreditedCents),
		CurrencyCode: inv.CurrencyCode,
		SentToContact: inv.SentToContact,
		UpdatedDateUTC: inv.UpdatedDateUTC,
		FullyPaidOnDate: inv.FullyPaidOnDate ?? null,
		LineAmountTypes: inv.LineAmountTypes,
		HasAttachments: false,
		IsDiscounted: false,
		ContactNumber: contact?.ContactNumber ?? null,
		Contact: {
			ContactID: inv.ContactID,
			Name: contact?.Name ?? null,
			ContactNumber: contact?.ContactNumber ?? null,
			EmailAddress: contact?.EmailAddress ?? null,
			ContactStatus: contact?.ContactStatus ?? null,
		},
	};
}

function byIds<T>(rows: T[], ids: string[] | undefined, key: (r: T) => string, fold = true): T[] {
	if (!ids) return rows;
	const set = new Set(fold ? ids.map((i) => i.toLowerCase()) : ids);
	return rows.filter((r) => set.has(key(r)));
}

export function listInvoices(org: Organisation, q: InvoiceListQuery): InvoiceRec[] {
	let rows = [...org.invoices.values()];
	if (!q.includeArchived && !q.ids && !q.invoiceNumbers && !q.statuses) {
		// Xero leaves deleted invoices out of lists unless asked for by id, number or status.
		rows = rows.filter((i) => i.Status !== 'DELETED');
	}
	rows = byIds(rows, q.ids, (i) => i.InvoiceID);
	rows = byIds(rows, q.invoiceNumbers, (i) => i.InvoiceNumber, false);
	rows = byIds(rows, q.contactIds, (i) => i.ContactID);
	if (q.statuses) {
		const st = new Set(q.statuses.map((s) => s.toUpperCase()));
		rows = rows.filter((i) => st.has(i.Status));
	}
	if (q.ifModifiedSince !== undefined) rows = rows.filter((i) => i.UpdatedDateUTC > q.ifModifiedSince!);
	if (q.searchTerm) {
		const term = q.searchTerm.toLowerCase();
		rows = rows.filter((i) => i.InvoiceNumber.toLowerCase().includes(term) || i.Reference.toLowerCase().includes(term));
	}
	if (q.where) {
		const pred = compileFilter(q.where, 'Invoice', INVOICE_WHERE_FIELDS);
		rows = rows.filter((i) => pred(invoiceView(org, i)));
	}
	rows.sort((a, b) => a.CreatedOrder - b.CreatedOrder);
	return sortBy(rows, q.order, (i) => invoiceView(org, i));
}

/** A BrandingThemeID must name one of the organisation's themes; '' or absent chooses none. */
function brandingThemeOf(org: Organisation, id: string | undefined, errors: string[]): string | undefined {
	if (!id) return undefined;
	const theme = org.brandingTheme(id);
	if (!theme) errors.push(`BrandingThemeID '${id}' is not a branding theme of this organisation.`);
	return theme?.BrandingThemeID;
}

function nextInvoiceNumber(org: Organisation): string {
	const used = new Set([...org.invoices.values()].map((i) => i.InvoiceNumber));
	let n: string;
	do {
		org.invoiceSeq++;
		n = `${org.invoiceNumberPrefix}${String(org.invoiceSeq).padStart(4, '0')}`;
	} while (used.has(n));
	return n;
}

/**
 * PUT/POST /Invoices: creates each element, or updates it when InvoiceID / InvoiceNumber (or the
 * path id) names an existing invoice. Elements are independent: valid ones are saved even when
 * others in the batch fail, exactly as Xero does.
 */
export function saveInvoices(
	org: Organisation,
	items: Array<InvoiceInput | null>,
	opts: { unitdp?: number; pathId?: string } = {},
): Array<SaveOutcome<InvoiceRec>> {
	return items.map((input) => {
		// null: the element was not a JSON object.
		if (!input) return { ok: false, errors: ['Invoice must be an object.'] };
		const idIn = opts.pathId ?? input.invoiceId;
		let existing: InvoiceRec | undefined;
		if (idIn && idIn !== EMPTY_GUID) {
			existing = findInvoice(org, idIn);
			if (!existing) return { ok: false, errors: [`Invoice with InvoiceID '${idIn}' could not be found.`] };
		} else {
			const number = input.invoiceNumber;
			const byNumber = number ? [...org.invoices.values()].find((i) => i.InvoiceNumber === number && i.Status !== 'DELETED') : undefined;
			// POST with a known InvoiceNumber updates that invoice; a new one with the same number is refused below.
			if (byNumber && input.type === undefined) existing = byNumber;
		}
		const result = existing ? updateInvoice(org, existing, input, opts.unitdp ?? 2) : createInvoice(org, input, opts.unitdp ?? 2);
		if ('errors' in result) return { ok: false, errors: result.errors };
		return { ok: true, rec: result.inv };
	});
}

function contactByRef(org: Organisation, ref: ContactRef, errors: string[]): ContactRec | undefined {
	const id = ref.contactId;
	if (id) {
		if (!isGuid(id)) {
			errors.push(`'${id}' is not a valid ContactID.`);
			return undefined;
		}
		const c = org.contacts.get(id.toLowerCase());
		if (!c) errors.push(`The contact with ContactID '${id}' could not be found.`);
		else if (c.ContactStatus === 'ARCHIVED') errors.push(`The contact '${c.Name}' is archived and cannot be used on a new transaction.`);
		return c;
	}
	const number = ref.contactNumber;
	if (number) {
		const c = contactByNumber(org, number);
		if (!c) errors.push(`The contact with ContactNumber '${number}' could not be found.`);
		return c;
	}
	return undefined;
}

/** The invoice's contact by id, number or name; a contact given only by a new name is created on the fly, as in Xero. */
function resolveInvoiceContact(org: Organisation, ref: ContactRef | undefined, errors: string[]): ContactRec | undefined {
	if (!ref) {
		errors.push('A Contact must be specified for this type of transaction');
		return undefined;
	}
	if (ref.contactId || ref.contactNumber) return contactByRef(org, ref, errors);
	const name = ref.name?.trim();
	if (name) {
		const found = contactByName(org, name);
		if (found) return found;
		const [r] = saveContacts(org, [{ name, emailAddress: ref.emailAddress }]);
		if (!r.ok) {
			errors.push(...r.errors);
			return undefined;
		}
		return r.rec;
	}
	errors.push('A Contact must be specified for this type of transaction');
	return undefined;
}

interface InvoiceHeader {
	lineAmountTypes?: string;
	date: number | null;
	dueDate?: number;
	currency: string;
	rate: number | undefined | 'invalid';
	number?: string;
	reference: string;
}

/** Dates, currency, number and reference of a new invoice, with their errors in Xero's order. */
function readCreateHeader(org: Organisation, input: InvoiceInput, type: string | undefined, status: string, errors: string[]): InvoiceHeader {
	const lat = input.lineAmountTypes ?? 'Exclusive';
	const lineAmountTypes = LINE_AMOUNT_TYPES.find((l) => l.toLowerCase() === lat.toLowerCase());
	if (!lineAmountTypes) errors.push(`LineAmountTypes '${lat}' is not valid; use Exclusive, Inclusive or NoTax.`);
	const date = !input.date || input.date.empty ? todayUtc(org.now()) : input.date.day;
	if (date === null) errors.push(`The date '${input.date!.text}' is not a valid date.`);
	const dueIn = input.dueDate;
	let dueDate: number | undefined;
	if (dueIn && !dueIn.empty) {
		if (dueIn.day === null) errors.push(`The due date '${dueIn.text}' is not a valid date.`);
		else dueDate = dueIn.day;
	} else if (org.paymentTermsDays !== undefined && date !== null) {
		dueDate = date + org.paymentTermsDays * 86400000;
	} else if (status !== 'DRAFT') {
		errors.push('Due Date must be specified.');
	}
	const currency = (input.currencyCode ?? org.baseCurrency).toUpperCase();
	if (!/^[A-Z]{3}$/.test(currency) || !org.currencies.has(currency)) {
		errors.push(`Currency code '${currency}' is not a valid currency for this organisation.`);
	}
	const rate = input.currencyRate;
	if (rate === 'invalid' || (typeof rate === 'number' && rate <= 0)) errors.push('Currency rate must be a positive number.');
	const number = input.invoiceNumber?.trim();
	if (number !== undefined && number.length > 255) errors.push('Invoice # must not be more than 255 characters long.');
	if (number && [...org.invoices.values()].some((i) => i.InvoiceNumber === number && i.Type === type && i.Status !== 'DELETED')) {
		errors.push('Invoice # must be unique.');
	}
	const reference = input.reference ?? '';
	if (reference.length > 255) errors.push('Reference must not be more than 255 characters long.');
	return { lineAmountTypes, date, dueDate, currency, rate, number, reference };
}

function readCreateLines(
	org: Organisation,
	input: InvoiceInput,
	ctx: { type?: string; status: string; lineAmountTypes?: string; unitdp: number },
	errors: string[],
): ComputedLines | undefined {
	if (input.lineItems === 'notAList') {
		errors.push('LineItems must be a list.');
		return undefined;
	}
	const list = input.lineItems ?? [];
	if (list.length === 0 && ctx.status !== 'DRAFT') errors.push('Invoice must have at least one line item.');
	if (!ctx.lineAmountTypes || !ctx.type || !INVOICE_TYPES.includes(ctx.type)) return undefined;
	const computed = computeLines(org, list, { type: ctx.type, lineAmountTypes: ctx.lineAmountTypes, status: ctx.status, unitdp: ctx.unitdp });
	errors.push(...computed.errors);
	if (!computed.errors.length && computed.total < 0) errors.push('Invoice total must not be negative.');
	return computed;
}

/** An approved invoice with nothing to pay is paid straight away, as in Xero. */
function settleIfNothingDue(inv: InvoiceRec): void {
	if (inv.Status === 'AUTHORISED' && inv.TotalCents === 0) {
		inv.Status = 'PAID';
		inv.FullyPaidOnDate = inv.Date;
	}
}

function createInvoice(org: Organisation, input: InvoiceInput, unitdp: number): { inv: InvoiceRec } | { errors: string[] } {
	const errors: string[] = [];
	const type = input.type?.toUpperCase();
	if (!type) errors.push('Invoice Type must be specified.');
	else if (!INVOICE_TYPES.includes(type)) errors.push(`Invoice Type '${type}' is not valid.`);
	const status = (input.status ?? 'DRAFT').toUpperCase();
	if (!CREATE_STATUSES.includes(status)) errors.push('Invoice not of valid status for creation');
	const contact = resolveInvoiceContact(org, input.contact, errors);
	const h = readCreateHeader(org, input, type, status, errors);
	const computed = readCreateLines(org, input, { type, status, lineAmountTypes: h.lineAmountTypes, unitdp }, errors);
	const brandingThemeId = brandingThemeOf(org, input.brandingThemeId, errors);
	if (errors.length || !computed || !contact || h.date === null) return { errors: errors.length ? errors : ['Invoice is not valid.'] };

	const inv: InvoiceRec = {
		InvoiceID: randomUUID(),
		Type: type!,
		InvoiceNumber: h.number || (type === 'ACCREC' ? nextInvoiceNumber(org) : ''),
		Reference: h.reference,
		ContactID: contact.ContactID,
		Date: h.date,
		DueDate: h.dueDate,
		Status: status,
		LineAmountTypes: h.lineAmountTypes!,
		LineItems: computed.lines,
		SubTotalCents: computed.subTotal,
		TotalTaxCents: computed.totalTax,
		TotalCents: computed.total,
		AmountPaidCents: 0,
		AmountCreditedCents: 0,
		CurrencyCode: h.currency,
		CurrencyRate: typeof h.rate === 'number' ? h.rate : h.currency === org.baseCurrency ? 1 : (org.currencyRates[h.currency] ?? 1),
		...(brandingThemeId ? { BrandingThemeID: brandingThemeId } : {}),
		SentToContact: false,
		PaymentIDs: [],
		CreditNoteIDs: [],
		UpdatedDateUTC: org.now(),
		CreatedOrder: ++org.createdOrder,
	};
	if (input.sentToContact === true) {
		if (status !== 'AUTHORISED') return { errors: ['Invoice must be approved before it can be marked as sent.'] };
		inv.SentToContact = true;
	}
	settleIfNothingDue(inv);
	if (type === 'ACCREC') contact.IsCustomer = true;
	else contact.IsSupplier = true;
	org.invoices.set(inv.InvoiceID, inv);
	return { inv };
}

/** Why an invoice may not be changed at all, if it may not. */
function updateRefusal(inv: InvoiceRec, changes: string[], newStatus: string | undefined, sent: boolean | undefined): string | undefined {
	if (['VOIDED', 'DELETED'].includes(inv.Status) && (changes.length || (newStatus && newStatus !== inv.Status) || sent !== undefined)) {
		return 'Invoice not of valid status for modification';
	}
	if ((inv.AmountPaidCents > 0 || inv.AmountCreditedCents > 0) && changes.length) return 'This document cannot be edited as it has a payment or credit note allocated to it.';
	if (inv.Status === 'PAID' && changes.length) return 'Invoice not of valid status for modification';
	return undefined;
}

/** Field changes: rebuilds the invoice from the current one plus what was sent, with the same rules as creation. */
function applyFieldChanges(org: Organisation, inv: InvoiceRec, input: InvoiceInput, unitdp: number): { next: InvoiceRec } | { errors: string[] } {
	const draft = input.over(inv);
	const contactErrors: string[] = [];
	const contact = resolveInvoiceContact(org, draft.contact, contactErrors);
	const built = invoiceDraft(org, draft, unitdp);
	if ('errors' in built || contactErrors.length) return { errors: [...contactErrors, ...('errors' in built ? built.errors : [])] };
	return { next: { ...inv, ...built.fields, ContactID: contact!.ContactID } };
}

function statusChangeErrors(from: InvoiceRec, next: InvoiceRec, newStatus: string): string[] {
	// Xero voids only an invoice with nothing allocated to it (a part-paid one as much as a paid one).
	if (newStatus === 'VOIDED' && from.Status === 'AUTHORISED' && (from.AmountPaidCents > 0 || from.AmountCreditedCents > 0)) {
		return ['Payments must be removed before the invoice can be voided.'];
	}
	if (!(STATUS_MOVES[from.Status] ?? []).includes(newStatus)) {
		return [
			newStatus === 'VOIDED' && from.Status === 'PAID'
				? 'Payments must be removed before the invoice can be voided.'
				: 'Invoice not of valid status for modification',
		];
	}
	const errors: string[] = [];
	if (newStatus === 'AUTHORISED') {
		if (next.DueDate === undefined) errors.push('Due Date must be specified.');
		if (next.LineItems.length === 0) errors.push('Invoice must have at least one line item.');
		if (next.LineItems.some((l) => !l.AccountCode)) errors.push('Account code must be specified.');
	}
	return errors;
}

function updateInvoice(org: Organisation, inv: InvoiceRec, input: InvoiceInput, unitdp: number): { inv: InvoiceRec } | { errors: string[] } {
	const errors: string[] = [];
	const changes = input.fields.filter((k) => !NOT_CHANGES.includes(k));
	const newStatus = input.status?.toUpperCase();
	const sent = input.sentToContact;
	const refusal = updateRefusal(inv, changes, newStatus, sent);
	if (refusal) return { errors: [refusal] };

	let next: InvoiceRec = inv;
	if (changes.length) {
		const changed = applyFieldChanges(org, inv, input, unitdp);
		if ('errors' in changed) return changed;
		next = changed.next;
	}
	if (newStatus && newStatus !== inv.Status) {
		const statusErrors = statusChangeErrors(inv, next, newStatus);
		errors.push(...statusErrors);
		if (!statusErrors.length) next = { ...next, Status: newStatus };
	}
	if (sent !== undefined) {
		if (sent === true && !['AUTHORISED', 'PAID'].includes(next.Status)) {
			errors.push('Invoice must be approved before it can be marked as sent.');
		} else {
			next = { ...next, SentToContact: sent === true };
		}
	}
	if (errors.length) return { errors };
	settleIfNothingDue(next);
	next.UpdatedDateUTC = org.now();
	Object.assign(inv, next);
	return { inv };
}

/** Field validation for updates: the editable parts of an invoice computed from the draft. */
function invoiceDraft(org: Organisation, d: InvoiceDraftInput, unitdp: number): { fields: Partial<InvoiceRec> } | { errors: string[] } {
	const errors: string[] = [];
	const status = d.status.toUpperCase();
	const lat = d.lineAmountTypes ?? 'Exclusive';
	const lineAmountTypes = LINE_AMOUNT_TYPES.find((l) => l.toLowerCase() === lat.toLowerCase());
	if (!lineAmountTypes) errors.push(`LineAmountTypes '${lat}' is not valid; use Exclusive, Inclusive or NoTax.`);
	const date = d.date.day;
	if (date === null) errors.push(`The date '${d.date.text}' is not a valid date.`);
	const dueDate = !d.dueDate || d.dueDate.empty ? undefined : d.dueDate.day;
	if (dueDate === null) errors.push(`The due date '${d.dueDate!.text}' is not a valid date.`);
	if (dueDate === undefined && status !== 'DRAFT') errors.push('Due Date must be specified.');
	const currency = (d.currencyCode ?? org.baseCurrency).toUpperCase();
	if (!org.currencies.has(currency)) errors.push(`Currency code '${currency}' is not a valid currency for this organisation.`);
	const reference = d.reference ?? '';
	if (reference.length > 255) errors.push('Reference must not be more than 255 characters long.');
	const brandingThemeId = brandingThemeOf(org, d.brandingThemeId, errors);
	const linesIn = d.lineItems;
	if (!linesIn) errors.push('LineItems must be a list.');
	if (errors.length || !lineAmountTypes || !linesIn) return { errors };
	if (linesIn.length === 0 && status !== 'DRAFT') return { errors: ['Invoice must have at least one line item.'] };
	const computed = computeLines(org, linesIn, { type: d.type, lineAmountTypes, status, unitdp });
	if (computed.errors.length) return { errors: computed.errors };
	if (computed.total < 0) return { errors: ['Invoice total must not be negative.'] };
	return {
		fields: {
			Date: date!,
			DueDate: dueDate ?? undefined,
			Reference: reference,
			LineAmountTypes: lineAmountTypes,
			CurrencyCode: currency,
			BrandingThemeID: brandingThemeId,
			LineItems: computed.lines,
			SubTotalCents: computed.subTotal,
			TotalTaxCents: computed.totalTax,
			TotalCents: computed.total,
		},
	};
}

/** POST /Invoices/{id}/Email: Xero emails the contact and marks the invoice as sent. */
export function emailInvoice(org: Organisation, idOrNumber: string): { status: 204 | 404 } | { status: 400; error: string } {
	const inv = findInvoice(org, idOrNumber);
	if (!inv) return { status: 404 };
	const contact = org.contacts.get(inv.ContactID);
	if (!['AUTHORISED', 'PAID'].includes(inv.Status) || inv.Type !== 'ACCREC') {
		return { status: 400, error: 'Invoice must be an approved sales invoice to be emailed.' };
	}
	if (!contact?.EmailAddress) return { status: 400, error: 'The contact does not have an email address.' };
	inv.SentToContact = true;
	inv.UpdatedDateUTC = org.now();
	return { status: 204 };
}
