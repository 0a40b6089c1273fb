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
	| 'invoiceState';

export function refusal(code: RefusalCode, message: string): Failure {
	return { message, code, retryable: false };
}
