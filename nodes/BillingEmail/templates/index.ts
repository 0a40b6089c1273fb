// Default templates shipped with the package (TypeScript modules, so tsc compiles them into dist).
import { declinedTemplate } from './declined';
import { finalNoticeTemplate } from './finalNotice';
import { invoiceTemplate } from './invoice';
import { noCardOnFileTemplate } from './noCardOnFile';
import { paidTemplate } from './paid';
import type { EmailKind, EmailTemplate } from './types';

export type { EmailKind, EmailTemplate } from './types';

export const defaultTemplates: Readonly<Record<EmailKind, EmailTemplate>> = {
	invoice: invoiceTemplate,
	paid: paidTemplate,
	declined: declinedTemplate,
	noCardOnFile: noCardOnFileTemplate,
	finalNotice: finalNoticeTemplate,
};

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
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
