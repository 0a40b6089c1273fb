// Failures the node puts on its second output for records Xero refused or does not have. They
// are decisions, not errors: the same item would fail the same way again (retryable: false).
// Errors of whole calls (outages, rate limits, the day budget) are XeroApiErrors instead.
import type { Failure } from '../../shared/failure';

export type RefusalCode =
	/** Xero's validation refused the record; its messages go in the item's `xeroErrors`. */
	| 'validation'
	/** Xero has no such invoice. */
	| 'notFound'
	/** The invoice cannot take this payment (not approved, or in another currency). */
	| 'invoiceState'
	/** The item's currency is not the invoice's: nothing may be charged against it. */
	| 'currencyMismatch'
	/**
	 * A card was charged just now, but Xero says the invoice is paid already or has less due than
	 * the charge (paid elsewhere, credited): the charge is not recorded; a refund may be needed.
	 */
	| 'paidElsewhereAfterCharge'
	/** A card was charged just now, but the invoice is voided, deleted or not approved: not recorded; a refund may be needed. */
	| 'invoiceClosedAfterCharge'
	/** What Xero holds for a billing key differs from what the item bills (amounts, currency). */
	| 'xeroAmountMismatch'
	/** Xero's total is not a whole number of the currency's minor units (e.g. JPY with tax). */
	| 'xeroTotalNotExact'
	/** The invoice Xero holds for a billing key bills other leads than the item. */
	| 'invoiceDiffers'
	/** Leads of the item are already billed, but on an invoice in another currency or amount. */
	| 'billedDifferently'
	/** Leads not yet billed for a key whose invoice exists, parked for review (by option). */
	| 'unbilledLeads'
	/** The invoice is DRAFT, DELETED or VOIDED: no PDF is rendered for it, so it is not emailed. */
	| 'notSendable';

export function refusal(code: RefusalCode, message: string, description?: string): Failure {
	return { message, code, retryable: false, ...(description ? { description } : {}) };
}
