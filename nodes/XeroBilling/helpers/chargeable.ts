// What the debit stage may charge on an invoice, read from what Xero says now (not what the
// invoice was when it was made): Xero's own AmountDue, which is already net of payments and
// credit notes, and a plain state to route on. Never computed from the total or averaged.
import type { IDataObject } from 'n8n-workflow';
import { formatMinorUnits } from '../../shared/currency';
import type { XeroInvoice } from '../transport';
import { exactMinor } from './invoice';

export type ChargeState = 'due' | 'partPaid' | 'paid' | 'voided' | 'credited' | 'notAuthorised';

export interface Chargeable extends IDataObject {
	state: ChargeState;
	/** True only when something is due on an approved invoice: charge `amountDueMinor`, no more. */
	charge: boolean;
	/** What may be charged now, in minor units: Xero's AmountDue, 0 unless `charge`. */
	amountDueMinor: number;
	currency: string;
	reason: string;
}

/**
 * The verdict on one invoice: voided (VOIDED, DELETED), notAuthorised (DRAFT, SUBMITTED or any
 * other state Xero takes no payment in), paid (nothing due and paid, or PAID), credited (credit
 * notes brought AmountDue down, to zero or not), partPaid (paid in part, the rest due) or due.
 */
export function chargeableOf(inv: XeroInvoice): Chargeable {
	const cur = inv.currency;
	const name = `Invoice ${inv.invoiceNumber || inv.invoiceId}`;
	const fmt = (m: number) => `${formatMinorUnits(m, cur)} ${cur}`;
	const verdict = (state: ChargeState, amountDueMinor: number, reason: string): Chargeable => ({
		state,
		charge: amountDueMinor > 0,
		amountDueMinor,
		currency: cur,
		reason,
	});
	if (inv.status === 'VOIDED' || inv.status === 'DELETED') return verdict('voided', 0, `${name} is ${inv.status} in Xero: nothing to charge`);
	if (inv.status !== 'AUTHORISED' && inv.status !== 'PAID') {
		return verdict('notAuthorised', 0, `${name} is ${inv.status || 'of unknown status'} in Xero (not approved): nothing may be charged`);
	}
	const due = exactMinor(inv.amountDue, inv, 'AmountDue');
	const paid = exactMinor(inv.amountPaid, inv, 'AmountPaid');
	const credited = exactMinor(inv.amountCredited, inv, 'AmountCredited');
	const total = exactMinor(inv.total, inv, 'Total');
	if (inv.status === 'PAID' || due <= 0) {
		if (credited > 0 && paid === 0) return verdict('credited', 0, `${name} is fully credited (${fmt(credited)} by credit notes): nothing to charge`);
		const how = credited > 0 ? `${fmt(paid)} paid and ${fmt(credited)} credited` : `${fmt(paid)} paid`;
		return verdict('paid', 0, `${name} is paid in Xero (${how} of ${fmt(total)}): nothing to charge`);
	}
	if (credited > 0) {
		const alsoPaid = paid > 0 ? `, ${fmt(paid)} paid` : '';
		return verdict('credited', due, `${name} is credited ${fmt(credited)}${alsoPaid} of ${fmt(total)}: ${fmt(due)} due`);
	}
	if (paid > 0) return verdict('partPaid', due, `${name} has ${fmt(paid)} of ${fmt(total)} paid: ${fmt(due)} due`);
	return verdict('due', due, `${name} has ${fmt(due)} due`);
}
