// Shapes shared by the invoice and payment operations: how an invoice appears in output items,
// and how line items are read from input (amounts become integer minor units first).
import type { IDataObject } from 'n8n-workflow';
import { AmountError, fromMinorUnits, toMinorUnits } from '../../shared/currency';
import { FieldError } from '../../shared/errors';
import type { XeroInvoice, XeroLineItem } from '../transport';

/** Xero's amount (major units, may be negative) as exact minor units; null when not exact in the currency. */
export function minor(amount: number, currency: string): number | null {
	try {
		return toMinorUnits(Math.abs(amount), currency, { field: 'amount' }) * (amount < 0 ? -1 : 1);
	} catch {
		return null;
	}
}

/** The invoice as output items carry it: Xero's values plus exact minor-unit amounts. */
export function invoiceJson(inv: XeroInvoice, extra: IDataObject = {}): IDataObject {
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
		...(inv.lineItems ? { lineItems: inv.lineItems as unknown as IDataObject[] } : {}),
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

/**
 * Reads the item's line list. Each line: `description`, `quantity` (default 1), and the unit
 * price as `unitAmountMinor` (integer minor units) or `unitAmount` (major units, e.g. "10.50");
 * optional `accountCode` / `taxType` override the node defaults.
 */
export function readLines(raw: unknown, path: string, currency: string, defaults: LineDefaults): XeroLineItem[] {
	if (!Array.isArray(raw) || raw.length === 0) {
		throw new FieldError(path, `Line items must be a non-empty list (field "${path}")`);
	}
	return raw.map((line, n) => {
		const where = `${path}[${n}]`;
		if (!line || typeof line !== 'object' || Array.isArray(line)) throw new FieldError(where, `Line ${n} is not an object (field "${where}")`);
		const l = line as Record<string, unknown>;
		const description = typeof l.description === 'string' ? l.description.trim() : l.description === undefined ? '' : String(l.description);
		if (!description) throw new FieldError(`${where}.description`, `Line ${n} has no description (field "${where}.description")`);
		if (description.length > 4000) throw new FieldError(`${where}.description`, `Line ${n} description is longer than 4000 characters`);

		const qRaw = l.quantity ?? 1;
		const quantity = typeof qRaw === 'string' && qRaw.trim() !== '' ? Number(qRaw) : qRaw;
		if (typeof quantity !== 'number' || !Number.isFinite(quantity) || quantity <= 0 || Math.round(quantity * 10000) !== quantity * 10000) {
			throw new FieldError(`${where}.quantity`, `Line ${n} quantity ${JSON.stringify(qRaw)} must be a positive number with at most 4 decimals (field "${where}.quantity")`);
		}

		let unitMinor: number;
		try {
			if (l.unitAmountMinor !== undefined && l.unitAmountMinor !== null && l.unitAmountMinor !== '') {
				unitMinor = toMinorUnits(l.unitAmountMinor, currency, { mode: 'minor', field: `${where}.unitAmountMinor` });
			} else {
				unitMinor = toMinorUnits(l.unitAmount, currency, { mode: 'major', field: `${where}.unitAmount` });
			}
		} catch (error) {
			if (error instanceof AmountError) throw new FieldError(error.field, `Line ${n}: ${error.message}`);
			throw error;
		}

		const accountCode = typeof l.accountCode === 'string' && l.accountCode.trim() ? l.accountCode.trim() : defaults.accountCode;
		const taxType = typeof l.taxType === 'string' && l.taxType.trim() ? l.taxType.trim() : defaults.taxType;
		return {
			description,
			quantity,
			unitAmount: fromMinorUnits(unitMinor, currency),
			...(accountCode ? { accountCode } : {}),
			...(taxType ? { taxType } : {}),
		};
	});
}
