// xero-node's models ↔ the transport's SDK-free shapes (see types.ts), and the reading of batch
// answers sent with summarizeErrors=false (one saved-or-refused element per record sent).
import { Invoice, LineAmountTypes, type Address, type AddressForOrganisation, type BrandingTheme, type Contact, type CurrencyCode, type Organisation, type Payment, type Phone } from 'xero-node';
import { XeroApiError } from './errors';
import type { ContactWrite, ElementResult, InvoiceWrite, PaymentWrite, XeroBrandingTheme, XeroContact, XeroInvoice, XeroOrganisation, XeroPayment } from './types';

/** xero-node turns "/Date(…)/" into Date objects; we hand dates on as YYYY-MM-DD. */
function isoDay(v: unknown): string | undefined {
	if (v instanceof Date && !Number.isNaN(v.getTime())) return v.toISOString().slice(0, 10);
	if (typeof v === 'string' && v) {
		const m = /\/Date\((-?\d+)/.exec(v);
		if (m) return new Date(Number(m[1])).toISOString().slice(0, 10);
		return v.slice(0, 10);
	}
	return undefined;
}

function num(v: unknown): number {
	return typeof v === 'number' ? v : Number(v ?? 0);
}

function messagesOf(list: Array<{ message?: string }> | undefined): string[] {
	return (list ?? []).map((v) => v.message ?? '').filter(Boolean);
}

export function toContact(c: Contact): XeroContact {
	return {
		contactId: c.contactID ?? '',
		name: c.name ?? '',
		...(c.contactNumber ? { contactNumber: c.contactNumber } : {}),
		...(c.emailAddress ? { email: c.emailAddress } : {}),
		...(c.contactStatus !== undefined ? { status: String(c.contactStatus) } : {}),
	};
}

const trimmed = (v: string | undefined) => (v ?? '').trim();

/** An address as the lines an envelope shows: street lines, then "city, region postcode", then country. */
function addressLines(a: Address | AddressForOrganisation): string[] {
	const place = [[a.city, a.region].map(trimmed).filter(Boolean).join(', '), trimmed(a.postalCode)].filter(Boolean).join(' ');
	return [trimmed(a.attentionTo), trimmed(a.addressLine1), trimmed(a.addressLine2), trimmed(a.addressLine3), trimmed(a.addressLine4), place, trimmed(a.country)].filter(Boolean);
}

function typedAddresses(list: Array<Address | AddressForOrganisation> | undefined): Array<{ type: string; lines: string[] }> {
	return (list ?? []).map((a) => ({ type: String(a.addressType ?? ''), lines: addressLines(a) })).filter((a) => a.lines.length > 0);
}

/** The postal (POBOX) address when it has lines, else the first that has: what Xero prints. */
function postal(list: Array<{ type: string; lines: string[] }>): string[] | undefined {
	return (list.find((a) => a.type === 'POBOX') ?? list[0])?.lines;
}

/** Country code, area code and number as Xero holds them (a trunk 0 is kept: Italy dials it from abroad). */
function phoneNumber(p: Phone): string {
	const country = trimmed(p.phoneCountryCode).replace(/^\+/, '');
	return [country ? `+${country}` : '', trimmed(p.phoneAreaCode), trimmed(p.phoneNumber)].filter(Boolean).join(' ');
}

export function toOrganisation(o: Organisation): XeroOrganisation {
	return {
		organisationId: o.organisationID ?? '',
		name: o.name ?? '',
		legalName: o.legalName ?? o.name ?? '',
		...(o.taxNumber ? { taxNumber: o.taxNumber } : {}),
		addresses: typedAddresses(o.addresses),
		phones: (o.phones ?? [])
			.filter((p) => p.phoneNumber)
			.map((p) => ({ type: String(p.phoneType ?? ''), number: phoneNumber(p) })),
	};
}

export function toBrandingTheme(b: BrandingTheme): XeroBrandingTheme {
	return {
		brandingThemeId: b.brandingThemeID ?? '',
		name: b.name ?? '',
		sortOrder: num(b.sortOrder),
		...(b.logoUrl ? { logoUrl: b.logoUrl } : {}),
	};
}

/** The address lines of the organisation to print: its postal address, else the first it has. */
export function organisationAddress(o: XeroOrganisation): string[] {
	return postal(o.addresses) ?? [];
}

export function toInvoice(i: Invoice): XeroInvoice {
	const contactAddress = postal(typedAddresses(i.contact?.addresses));
	return {
		invoiceId: i.invoiceID ?? '',
		invoiceNumber: i.invoiceNumber ?? '',
		reference: i.reference ?? '',
		type: String(i.type ?? ''),
		status: String(i.status ?? ''),
		contactId: i.contact?.contactID ?? '',
		...(i.contact?.name ? { contactName: i.contact.name } : {}),
		...(i.contact?.emailAddress ? { contactEmail: i.contact.emailAddress } : {}),
		...(contactAddress ? { contactAddress } : {}),
		...(i.brandingThemeID ? { brandingThemeId: i.brandingThemeID } : {}),
		...(i.lineAmountTypes !== undefined ? { lineAmountTypes: String(i.lineAmountTypes) } : {}),
		currency: String(i.currencyCode ?? ''),
		subTotal: num(i.subTotal),
		totalTax: num(i.totalTax),
		total: num(i.total),
		amountDue: num(i.amountDue),
		amountPaid: num(i.amountPaid),
		amountCredited: num(i.amountCredited),
		sentToContact: i.sentToContact === true,
		date: isoDay(i.date),
		dueDate: isoDay(i.dueDate),
		...(i.lineItems
			? {
					lineItems: i.lineItems.map((l) => ({
						description: l.description ?? '',
						quantity: num(l.quantity),
						unitAmount: num(l.unitAmount),
						lineAmount: num(l.lineAmount),
						...(l.accountCode ? { accountCode: l.accountCode } : {}),
						...(l.taxType ? { taxType: l.taxType } : {}),
						taxAmount: num(l.taxAmount),
					})),
				}
			: {}),
		payments: (i.payments ?? []).map((p) => ({
			paymentId: p.paymentID ?? '',
			amount: num(p.amount),
			reference: p.reference ?? '',
			date: isoDay(p.date),
		})),
	};
}

export function toPayment(p: Payment): XeroPayment {
	return {
		paymentId: p.paymentID ?? '',
		invoiceId: p.invoice?.invoiceID ?? '',
		amount: num(p.amount),
		date: isoDay(p.date),
		reference: p.reference ?? '',
		...(p.status !== undefined ? { status: String(p.status) } : {}),
	};
}

export function contactModel(c: ContactWrite): Contact {
	return {
		...(c.contactId ? { contactID: c.contactId } : {}),
		...(c.name !== undefined ? { name: c.name } : {}),
		...(c.contactNumber !== undefined ? { contactNumber: c.contactNumber } : {}),
		...(c.email !== undefined ? { emailAddress: c.email } : {}),
	};
}

export function invoiceModel(w: InvoiceWrite): Invoice {
	const inv: Invoice = {};
	if (w.invoiceId) inv.invoiceID = w.invoiceId;
	if (w.type) inv.type = Invoice.TypeEnum.ACCREC;
	if (w.contactId) inv.contact = { contactID: w.contactId };
	if (w.reference !== undefined) inv.reference = w.reference;
	if (w.invoiceNumber) inv.invoiceNumber = w.invoiceNumber;
	if (w.date) inv.date = w.date;
	if (w.dueDate) inv.dueDate = w.dueDate;
	if (w.status) inv.status = Invoice.StatusEnum[w.status];
	if (w.currency) inv.currencyCode = w.currency as unknown as CurrencyCode;
	if (w.lineAmountTypes) inv.lineAmountTypes = LineAmountTypes[w.lineAmountTypes];
	if (w.sentToContact !== undefined) inv.sentToContact = w.sentToContact;
	if (w.lineItems) {
		inv.lineItems = w.lineItems.map((l) => ({
			description: l.description,
			quantity: l.quantity,
			unitAmount: l.unitAmount,
			...(l.accountCode ? { accountCode: l.accountCode } : {}),
			...(l.taxType ? { taxType: l.taxType } : {}),
		}));
	}
	return inv;
}

/** True when some unit amount has more than 2 decimals: Xero keeps it only when the call passes unitdp=4. */
export function needsUnitdp4(w: InvoiceWrite): boolean {
	return (w.lineItems ?? []).some((l) => {
		const cents = l.unitAmount * 100;
		return Math.abs(cents - Math.round(cents)) > 1e-6;
	});
}

export function paymentModel(p: PaymentWrite): Payment {
	return {
		invoice: { invoiceID: p.invoiceId },
		account: { code: p.accountCode },
		amount: p.amount,
		date: p.date,
		reference: p.reference,
	};
}

/** Splits a summarizeErrors=false answer into per-element results, in request order. */
export function elements<M extends { validationErrors?: Array<{ message?: string }>; warnings?: Array<{ message?: string }>; statusAttributeString?: string }, T>(
	list: M[] | undefined,
	expected: number,
	map: (m: M) => T,
	what: string,
	errorFlag: (m: M) => boolean,
): Array<ElementResult<T>> {
	const items = list ?? [];
	if (items.length !== expected) {
		throw new XeroApiError(`${what}: Xero answered with ${items.length} element(s) for ${expected} sent`, 'other', 200);
	}
	return items.map((m) => {
		const failed = m.statusAttributeString === 'ERROR' || errorFlag(m) || (m.validationErrors?.length ?? 0) > 0;
		if (failed) {
			const errors = messagesOf(m.validationErrors);
			return { ok: false, errors: errors.length ? errors : ['Xero refused this element without a message'] };
		}
		return { ok: true, value: map(m), warnings: messagesOf(m.warnings) };
	});
}
