// What Xero holds against what the item bills, after every create and for every invoice found
// for a billing key. Xero rounds on its own terms (UnitAmount to 2 decimals without unitdp=4, every
// LineAmount, tax and total to 2 decimals whatever the currency: developer.xero.com/documentation/
// guides/how-to-guides/rounding-in-xero), and an invoice found for a key may have been made from
// other data (a corrected currency, other leads). Either way the invoice must not be emailed or
// charged: the item goes to the failure output, saying so. Pure: no calls, no n8n.
import { formatMinorUnits, minorUnitExponent } from '../../shared/currency';
import type { Failure } from '../../shared/failure';
import type { XeroInvoice } from '../transport';
import type { ExpectedLine } from './invoice';
import { minor } from './invoice';
import { leadOf } from './leads';

/** What one item bills, as read from it before anything was sent. */
export interface Billed {
	key: string;
	currency: string;
	lineAmountTypes: 'Exclusive' | 'Inclusive' | 'NoTax';
	lines: ExpectedLine[];
}

export type MismatchCode = 'currencyMismatch' | 'invoiceDiffers' | 'xeroAmountMismatch' | 'xeroTotalNotExact';

const NOTHING_SENT = 'Nothing was emailed or charged.';

const money = (minorUnits: number, currency: string) => `${formatMinorUnits(minorUnits, currency)} ${currency}`;

/** Xero's amount as the currency writes it, exact when it can be, else as Xero sent it. */
function xeroMoney(amount: number, currency: string): string {
	const m = minor(amount, currency);
	return m === null ? `${amount} ${currency}` : money(m, currency);
}

function mismatch(code: MismatchCode, message: string, description: string): Failure {
	return { message: `${message} ${NOTHING_SENT}`, code, retryable: false, description };
}

function name(inv: XeroInvoice): string {
	return `Xero invoice ${inv.invoiceNumber || '(no number)'} (${inv.invoiceId})`;
}

const list = (xs: string[], max = 10) => (xs.length > max ? `${xs.slice(0, max).join(', ')} and ${xs.length - max} more` : xs.join(', '));

/**
 * Compares `inv` with what the item bills. Null when they agree; otherwise the failure to put on
 * the item (retryable false: the same invoice fails the same way until someone acts).
 * `found`: the invoice already existed for the key (rather than being created just now).
 */
export function verifyInvoice(billed: Billed, inv: XeroInvoice, found: boolean): Failure | null {
	const { key, currency } = billed;
	const what = `${name(inv)} for billing key ${key}`;
	const fixExisting = found
		? 'An invoice already exists for this billing key and does not bill what the item bills: check which is right, void the invoice in Xero or correct the item, then run it again.'
		: 'Void the invoice in Xero, correct the lines so Xero can hold their amounts exactly, then run the item again.';

	if (inv.currency.toUpperCase() !== currency) {
		return mismatch(
			'currencyMismatch',
			`${what} is in ${inv.currency || 'no currency'}, but the item bills ${currency}.`,
			fixExisting,
		);
	}

	const xeroLines = inv.lineItems;
	if (!xeroLines) {
		return mismatch('invoiceDiffers', `${what} came back without its lines, so what it bills cannot be checked.`, 'Run the item again; if this persists, check the invoice in Xero.');
	}

	// Lines are matched by lead when every line names one (the description carries it, leads.ts).
	const byLead = billed.lines.length > 0 && billed.lines.every((l) => l.leadId !== null);
	const pairs: Array<{ expected: ExpectedLine; lineAmount: number | undefined; label: string }> = [];
	if (byLead) {
		const held = new Map<string, number | undefined>();
		const unmarked: number[] = [];
		const twice = new Set<string>();
		xeroLines.forEach((l, n) => {
			const lead = leadOf(l.description);
			if (lead === null) unmarked.push(n);
			else if (held.has(lead)) twice.add(lead);
			else held.set(lead, l.lineAmount);
		});
		const expectedLeads = new Set(billed.lines.map((l) => l.leadId!));
		const missing = [...expectedLeads].filter((l) => !held.has(l));
		const extra = [...held.keys()].filter((l) => !expectedLeads.has(l));
		if (missing.length || extra.length || unmarked.length || twice.size) {
			const parts = [
				missing.length ? `lead(s) missing from the invoice: ${list(missing)}` : '',
				extra.length ? `lead(s) on the invoice the item does not bill: ${list(extra)}` : '',
				twice.size ? `lead(s) on more than one line: ${list([...twice])}` : '',
				unmarked.length ? `${unmarked.length} line(s) naming no lead` : '',
			].filter(Boolean);
			return mismatch('invoiceDiffers', `${what} bills other leads than the item: ${parts.join('; ')}.`, fixExisting);
		}
		for (const e of billed.lines) pairs.push({ expected: e, lineAmount: held.get(e.leadId!), label: `${e.field} (lead ${e.leadId})` });
	} else {
		if (xeroLines.length !== billed.lines.length) {
			return mismatch('invoiceDiffers', `${what} has ${xeroLines.length} line(s), but the item bills ${billed.lines.length}.`, fixExisting);
		}
		billed.lines.forEach((e, n) => pairs.push({ expected: e, lineAmount: xeroLines[n].lineAmount, label: e.field }));
	}

	const amountDiffers = (label: string, xero: number, expectedMinor: number) =>
		mismatch(
			'xeroAmountMismatch',
			`${what} differs from what the item bills: ${label} is ${xeroMoney(xero, currency)} in Xero, the item bills ${money(expectedMinor, currency)}.`,
			fixExisting,
		);
	for (const p of pairs) {
		const held = p.lineAmount === undefined ? null : minor(p.lineAmount, currency);
		if (held !== p.expected.lineAmountMinor) return amountDiffers(p.label, p.lineAmount ?? NaN, p.expected.lineAmountMinor);
	}

	// The line amounts are tax exclusive (SubTotal is their sum) or tax inclusive (Total is).
	const sum = billed.lines.reduce((s, l) => s + l.lineAmountMinor, 0);
	const inclusive = billed.lineAmountTypes === 'Inclusive';
	const summed = inclusive ? inv.total : inv.subTotal;
	if (minor(summed, currency) !== sum) return amountDiffers(inclusive ? 'the total' : 'the subtotal', summed, sum);

	// Xero keeps tax at 2 decimals whatever the currency: a JPY invoice with tax added can total 7221.60.
	if (minor(inv.total, currency) === null) {
		const digits = minorUnitExponent(currency);
		return mismatch(
			'xeroTotalNotExact',
			`${what} totals ${inv.total} ${currency} (tax ${inv.totalTax}), which ${currency} cannot be charged: it has ${digits === 0 ? 'no minor unit' : `${digits} decimal${digits === 1 ? '' : 's'}`}. Xero rounds tax to 2 decimals, not to the currency.`,
			`Void the invoice in Xero and bill ${currency} with Line Amount Types "Tax Inclusive" (the total is then the sum of the lines) or "No Tax", then run the item again.`,
		);
	}
	return null;
}
