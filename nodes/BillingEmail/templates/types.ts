/** A default email template. `{{name}}` placeholders are filled per item; values are HTML-escaped in `html`. */
export interface EmailTemplate {
	subject: string;
	html: string;
	text: string;
}

export type EmailKind = 'invoice' | 'paid' | 'declined' | 'noCardOnFile' | 'finalNotice' | 'nothingToCharge' | 'chargedRemainder';

/** Why the debit stage charged nothing: each has its own wording, so the notice says what happened. */
export type NothingToChargeReason = 'paidElsewhere' | 'voided' | 'credited';
export const NOTHING_TO_CHARGE_REASONS: readonly NothingToChargeReason[] = ['paidElsewhere', 'voided', 'credited'];

/** When the invoice email says the card will be charged; `noCard` asks the client to pay. */
export type ChargeTiming = 'onInvoicing' | 'onDueDate' | 'noCard';
export const CHARGE_TIMINGS: readonly ChargeTiming[] = ['onInvoicing', 'onDueDate', 'noCard'];
