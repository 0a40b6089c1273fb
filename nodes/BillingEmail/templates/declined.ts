import { htmlLayout } from './layout';
import type { EmailTemplate } from './types';

/**
 * What the declined notice says about the next attempt (`{{retryPromise}}`), chosen per item: a
 * date only when the item carries `nextAttemptAt`, a count only with `attemptsRemaining` (the
 * attempts still to come, the next one included). Without a date nothing is promised: the debit
 * stage, not this email, knows whether another attempt is scheduled.
 */
export const RETRY_PROMISES = {
	onDate: 'We will try again on {{nextAttemptDate}} ({{attemptsRemaining}} attempts left).',
	onDateLastAttempt: 'We will try again on {{nextAttemptDate}}; that will be the last attempt.',
	onDateUncounted: 'We will try again on {{nextAttemptDate}}.',
	noDate: 'The amount is still due.',
} as const;
export type RetryPromise = keyof typeof RETRY_PROMISES;

// A soft decline: the card may be charged again, and {{retryPromise}} says when, if it is known.
export const declinedTemplate: EmailTemplate = {
	subject: 'Payment for invoice {{invoiceNumber}} was declined',
	html: htmlLayout(
		'Payment declined',
		`<p style="margin:0 0 16px;">Dear {{clientName}},</p>
<p style="margin:0 0 16px;">We tried to charge <strong>{{amount}}</strong> for invoice <strong>{{invoiceNumber}}</strong> to the card we hold for your account, but the payment was declined: <strong>{{reason}}</strong>.</p>
<p style="margin:0 0 16px;">{{retryPromise}} If your card details have changed, or you would rather pay another way, please contact us.</p>
<p style="margin:0 0 24px;">{{senderName}}</p>
<p style="margin:0;font-size:12px;color:#6b7280;">Reference: {{billingKey}} (attempt {{attempt}})</p>`,
	),
	text: `Dear {{clientName}},

We tried to charge {{amount}} for invoice {{invoiceNumber}} to the card we hold for your account, but the payment was declined: {{reason}}.

{{retryPromise}} If your card details have changed, or you would rather pay another way, please contact us.

{{senderName}}

Reference: {{billingKey}} (attempt {{attempt}})
`,
};
