// Default templates shipped with the package (TypeScript modules, so tsc compiles them into dist).
import { chargedRemainderTemplate } from './chargedRemainder';
import { declinedTemplate } from './declined';
import { finalNoticeTemplate } from './finalNotice';
import { invoiceTemplate } from './invoice';
import { noCardOnFileTemplate } from './noCardOnFile';
import { nothingToChargeTemplates } from './nothingToCharge';
import { paidTemplate } from './paid';
import type { EmailKind, EmailTemplate, NothingToChargeReason } from './types';

export { CHARGE_PROMISES } from './chargePromise';
export { RETRY_PROMISES, type RetryPromise } from './declined';
export { DECLINE_SUMMARIES, HOW_TO_PAY } from './finalNotice';
export { INVOICE_LEADS, type InvoiceLead } from './invoice';
export { NOTHING_TO_CHARGE_PHRASES, nothingToChargeTemplates } from './nothingToCharge';
export { CHARGE_TIMINGS, NOTHING_TO_CHARGE_REASONS } from './types';
export type { ChargeTiming, EmailKind, EmailTemplate, NothingToChargeReason } from './types';

/** One template per kind; `nothingToCharge` has one per reason (`nothingToChargeTemplates`). */
export const defaultTemplates: Readonly<Record<Exclude<EmailKind, 'nothingToCharge'>, EmailTemplate>> = {
	invoice: invoiceTemplate,
	paid: paidTemplate,
	declined: declinedTemplate,
	noCardOnFile: noCardOnFileTemplate,
	finalNotice: finalNoticeTemplate,
	chargedRemainder: chargedRemainderTemplate,
};

/** The default template of an email; a nothing-to-charge notice needs its reason. */
export function defaultTemplate(kind: EmailKind, reason?: NothingToChargeReason): EmailTemplate {
	if (kind !== 'nothingToCharge') return defaultTemplates[kind];
	if (reason === undefined) throw new Error('A nothing-to-charge notice needs its reason');
	return nothingToChargeTemplates[reason];
}

/** Names every template may use; a template naming anything else is refused. */
export const PLACEHOLDERS = [
	'clientName',
	'invoiceNumber',
	'amount',
	'amountValue',
	'currency',
	'dueDate',
	'reason',
	'billingKey',
	'attempt',
	'senderName',
	'recipientEmail',
	'chargePromise',
	// The invoice email's first sentence: PDF attached, online link, or neither.
	'invoiceLead',
	'amountCharged',
	'invoiceTotal',
	'amountPaid',
	'noChargeReason',
	// The declined notice: the next attempt, from the item's nextAttemptAt and attemptsRemaining, and the sentence promising it.
	'nextAttemptDate',
	'attemptsRemaining',
	'retryPromise',
	// The final notice: what happened (by the attempt count) and how to pay now.
	'declineSummary',
	'howToPay',
	'onlineInvoiceUrl',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
