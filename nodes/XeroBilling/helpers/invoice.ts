// Shapes shared by the invoice and payment operations: how an invoice appears in output items,
// and how line items are read from input (amounts become integer minor units first).
import type { IDataObject } from 'n8n-workflow';
import { AmountError, DEFAULT_MAX_MINOR_UNITS, formatMinorUnits, fromMinorUnits, minorUnitExponent, toMinorUnits } from '../../shared/currency';
import { FieldError, ServiceError } from '../../shared/errors';
import type { XeroInvoice, XeroLineItem } from '../transport';
import { leadOf, markLead, MAX_LEAD_ID_LENGTH } from './leads';

/** Xero's amount (major units, may be negative) as exact minor units; null when not exact in the currency. */
export function minor(amount: number, currency: string): number | null {
	try {
		return toMinorUnits(Math.abs(amount), currency, { field: 'amount' }) * (amount < 0 ? -1 : 1);
	} catch {
		return null;
	}
}

/** Xero's `what` (e.g. AmountDue) on `inv` as exact minor units; a ServiceError (not retryable) when it is not exact. */
export function exactMinor(amount: number, inv: XeroInvoice, what: string): number {
	const m = minor(amount, inv.currency);
	if (m === null) {
		throw new ServiceError(`Xero's ${what} ${amount} on invoice ${inv.invoiceNumber || inv.invoiceId} is not an exact amount of ${inv.currency || 'its currency'}`, {
			code: 'unreadableAmount',
			retryable: false,
		});
	}
	return m;
}

/**
 * The invoice as output items carry it: Xero's values plus exact minor-unit amounts. Xero's copy
 * of the lines only when asked (Get): items travel on as queue messages, and a 600-lead invoice
 * carrying its lines twice would pass the size every stage accepts.
 */
export function invoiceJson(inv: XeroInvoice, extra: IDataObject = {}, opts: { lines?: boolean } = {}): IDataObject {
	return {
		invoiceId: inv.invoiceId,
		invoiceNumber: inv.invoiceNumber,
		reference: inv.reference,
		status: inv.status,
		contactId: inv.contactId,
		...(inv.contactName ? { contactName: inv.contactName } : {}),
		currency: inv.currency,
		date: inv.date ?? null,
		dueDate: inv.dueDate ?? null,
		subTotal: inv.subTotal,
		totalTax: inv.totalTax,
		total: inv.total,
		totalMinor: minor(inv.total, inv.currency),
		amountDue: inv.amountDue,
		amountDueMinor: minor(inv.amountDue, inv.currency),
		amountPaid: inv.amountPaid,
		amountPaidMinor: minor(inv.amountPaid, inv.currency),
		amountCredited: inv.amountCredited,
		amountCreditedMinor: minor(inv.amountCredited, inv.currency),
		sentToContact: inv.sentToContact,
		...(opts.lines && inv.lineItems ? { lineItems: inv.lineItems as unknown as IDataObject[] } : {}),
		...(inv.payments.length ? { payments: inv.payments as unknown as IDataObject[] } : {}),
		...extra,
	};
}

export interface LineDefaults {
	accountCode: string;
	taxType: string;
}

/**
 * Of the invoices Xero holds for one key, the one to use: a live one before a voided one (when
 * someone duplicated it by hand), and how many others were found.
 */
export function preferLive(found: XeroInvoice[]): { invoice: XeroInvoice; extra: IDataObject } {
	const invoice = found.find((x) => x.status !== 'VOIDED') ?? found[0];
	return { invoice, extra: found.length > 1 ? { alsoFoundInXero: found.length - 1 } : {} };
}

/** What one line bills, as the item says it: checked against what Xero holds (see verify.ts). */
export interface ExpectedLine {
	/** The line's path in the item, e.g. `lines[2]`, for messages. */
	field: string;
	leadId: string | null;
	/** Quantity × unit price, exact, in minor units of the invoice currency. */
	lineAmountMinor: number;
}

export interface ReadLines {
	lineItems: XeroLineItem[];
	expected: ExpectedLine[];
}

/** Xero keeps UnitAmount at 2 decimals (4 with unitdp=4) and every LineAmount and total at 2. */
export const XERO_AMOUNT_DECIMALS = 2;
export const XERO_UNIT_DECIMALS_MAX = 4;

/** True when `minor` units of a currency with `exponent` decimals have at most `decimals` decimals. */
export function fitsDecimals(minor: bigint | number, exponent: number, decimals: number): boolean {
	if (exponent <= decimals) return true;
	return BigInt(minor) % 10n ** BigInt(exponent - decimals) === 0n;
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point: they are refused.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** The line's optional lead id: a non-empty text or whole number, at most MAX_LEAD_ID_LENGTH characters. */
function readLeadId(raw: unknown, field: string, n: number): string | null {
	if (raw === undefined || raw === null) return null;
	const text = typeof raw === 'string' ? raw.trim() : typeof raw === 'number' && Number.isSafeInteger(raw) ? String(raw) : undefined;
	if (text === undefined) throw new FieldError(field, `Line ${n} lead id must be text, got ${Array.isArray(raw) ? 'a list' : typeof raw} (field "${field}")`);
	if (!text) throw new FieldError(field, `Line ${n} lead id is empty (field "${field}"): leave it out or name the lead`);
	if (text.length > MAX_LEAD_ID_LENGTH) throw new FieldError(field, `Line ${n} lead id is longer than ${MAX_LEAD_ID_LENGTH} characters (field "${field}")`);
	if (CONTROL.test(text)) throw new FieldError(field, `Line ${n} lead id contains a line break or control character (field "${field}")`);
	return text;
}

/**
 * Reads the item's line list. Each line: `description`, `quantity` (default 1), and the unit
 * price as `unitAmountMinor` (integer minor units) or `unitAmount` (major units, e.g. "10.50");
 * optional `leadId` (the description sent to Xero then names the lead, see leads.ts),
 * `accountCode` / `taxType` override the node defaults, and `lineAmountMinor`, when given, must
 * be quantity × unit price.
 * A line Xero cannot hold exactly is refused: its amount (quantity × unit price) must be whole
 * minor units and have at most 2 decimals, Xero's precision for line amounts and totals.
 */
export function readLines(raw: unknown, path: string, currency: string, defaults: LineDefaults): ReadLines {
	if (!Array.isArray(raw) || raw.length === 0) {
		throw new FieldError(path, `Line items must be a non-empty list (field "${path}")`);
	}
	const exponent = minorUnitExponent(currency);
	const lineItems: XeroLineItem[] = [];
	const expected: ExpectedLine[] = [];
	const leads = new Map<string, number>();
	raw.forEach((line, n) => {
		const where = `${path}[${n}]`;
		if (!line || typeof line !== 'object' || Array.isArray(line)) throw new FieldError(where, `Line ${n} is not an object (field "${where}")`);
		const l = line as Record<string, unknown>;
		let description = typeof l.description === 'string' ? l.description.trim() : l.description === undefined ? '' : String(l.description);
		if (!description) throw new FieldError(`${where}.description`, `Line ${n} has no description (field "${where}.description")`);
		const leadId = readLeadId(l.leadId, `${where}.leadId`, n);
		if (leadId !== null) {
			const first = leads.get(leadId);
			if (first !== undefined) throw new FieldError(`${where}.leadId`, `Lead ${leadId} is billed twice, by lines ${first} and ${n} (field "${where}.leadId")`);
			leads.set(leadId, n);
			description = markLead(description, leadId);
			// Stage 1 reads billed leads back with leadOf: a lead id it would misread is refused now.
			if (leadOf(description) !== leadId) {
				throw new FieldError(`${where}.leadId`, `Line ${n} lead id "${leadId}" could not be read back from the line description (it must not contain " [lead ") (field "${where}.leadId")`);
			}
		}
		// Xero keeps 4000 characters of a description: checked on what is sent, marker included.
		if (description.length > 4000) {
			throw new FieldError(`${where}.description`, `Line ${n} description is longer than 4000 characters${leadId !== null ? ` once marked with lead ${leadId}` : ''} (field "${where}.description")`);
		}

		const qRaw = l.quantity ?? 1;
		const quantity = typeof qRaw === 'string' && qRaw.trim() !== '' ? Number(qRaw) : qRaw;
		if (typeof quantity !== 'number' || !Number.isFinite(quantity) || quantity <= 0 || Math.round(quantity * 10000) !== quantity * 10000) {
			throw new FieldError(`${where}.quantity`, `Line ${n} quantity ${JSON.stringify(qRaw)} must be a positive number with at most 4 decimals (field "${where}.quantity")`);
		}

		let unitMinor: number;
		let unitField: string;
		try {
			if (l.unitAmountMinor !== undefined && l.unitAmountMinor !== null && l.unitAmountMinor !== '') {
				unitField = `${where}.unitAmountMinor`;
				unitMinor = toMinorUnits(l.unitAmountMinor, currency, { mode: 'minor', field: unitField });
			} else {
				unitField = `${where}.unitAmount`;
				unitMinor = toMinorUnits(l.unitAmount, currency, { mode: 'major', field: unitField });
			}
		} catch (error) {
			/* eslint-disable @n8n/community-nodes/require-node-api-error -- below the router: toNodeError makes it a NodeApiError/NodeOperationError once */
			if (error instanceof AmountError) throw new FieldError(error.field, `Line ${n}: ${error.message}`);
			throw error;
			/* eslint-enable @n8n/community-nodes/require-node-api-error */
		}
		if (!fitsDecimals(unitMinor, exponent, XERO_UNIT_DECIMALS_MAX)) {
			throw new FieldError(unitField, `Line ${n} unit price ${formatMinorUnits(unitMinor, currency)} ${currency} has more than ${XERO_UNIT_DECIMALS_MAX} decimals, more than Xero keeps (field "${unitField}")`);
		}
		// More than 2 decimals is kept by Xero only with unitdp=4, which the transport then passes.

		// Quantity has at most 4 decimals: the line amount is exact in ten-thousandths of a minor unit.
		const scaled = BigInt(Math.round(quantity * 10000)) * BigInt(unitMinor);
		const amountText = `${String(quantity)} × ${formatMinorUnits(unitMinor, currency)} ${currency}`;
		if (scaled % 10000n !== 0n) {
			throw new FieldError(unitField, `Line ${n} amount ${amountText} is not a whole number of ${currency} minor units: Xero would round it, so the invoice would not bill what the line says (field "${unitField}")`);
		}
		const lineMinorBig = scaled / 10000n;
		if (!fitsDecimals(lineMinorBig, exponent, XERO_AMOUNT_DECIMALS)) {
			throw new FieldError(
				unitField,
				`Line ${n} amount ${amountText} = ${formatMinorUnits(Number(lineMinorBig), currency)} has more than ${XERO_AMOUNT_DECIMALS} decimals: Xero keeps line amounts at ${XERO_AMOUNT_DECIMALS} decimals, so the invoice would not bill what the line says (field "${unitField}")`,
				'Change the quantity or unit price so the line amount has at most 2 decimals, or bill the line as one unit of its total',
			);
		}
		const lineAmountMinor = Number(lineMinorBig);
		if (!Number.isSafeInteger(lineAmountMinor) || lineAmountMinor > DEFAULT_MAX_MINOR_UNITS) {
			throw new FieldError(unitField, `Line ${n} amount ${amountText} is too large (field "${unitField}")`);
		}
		// The item's own line amount, when it has one, must be what the line bills.
		if (l.lineAmountMinor !== undefined && l.lineAmountMinor !== null && l.lineAmountMinor !== '') {
			const stated = Number(l.lineAmountMinor);
			if (stated !== lineAmountMinor) {
				throw new FieldError(`${where}.lineAmountMinor`, `Line ${n} amount ${JSON.stringify(l.lineAmountMinor)} minor units is not quantity × unit price (${amountText} = ${lineAmountMinor}) (field "${where}.lineAmountMinor")`);
			}
		}

		const accountCode = typeof l.accountCode === 'string' && l.accountCode.trim() ? l.accountCode.trim() : defaults.accountCode;
		const taxType = typeof l.taxType === 'string' && l.taxType.trim() ? l.taxType.trim() : defaults.taxType;
		lineItems.push({
			description,
			quantity,
			unitAmount: fromMinorUnits(unitMinor, currency),
			...(accountCode ? { accountCode } : {}),
			...(taxType ? { taxType } : {}),
		});
		expected.push({ field: where, leadId, lineAmountMinor });
	});
	return { lineItems, expected };
}
