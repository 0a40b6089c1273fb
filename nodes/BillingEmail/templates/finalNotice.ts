import { htmlLayout } from './layout';
import type { EmailTemplate } from './types';

/**
 * The final notice's first sentence (`{{declineSummary}}`), by how many charges were made: a
 * never-approve decline on the first attempt is not "repeated attempts". `withReason` follows it
 * when the decline reason is known.
 */
export const DECLINE_SUMMARIES = {
	oneAttempt: 'Your card issuer declined our charge of {{amount}} for invoice {{invoiceNumber}}, which was due on {{dueDate}}.',
	repeated: 'Despite {{attempt}} attempts, we have not been able to collect {{amount}} for invoice {{invoiceNumber}}, which was due on {{dueDate}}.',
	uncounted: 'We have not been able to collect {{amount}} for invoice {{invoiceNumber}}, which was due on {{dueDate}}.',
	withReason: 'The reason given: {{reason}}.',
} as const;

/** How the client can pay now (`{{howToPay}}`): Xero's online invoice when the item carries its link. */
export const HOW_TO_PAY = {
	online: 'Please pay the outstanding amount now, online at {{onlineInvoiceUrl}} or using the payment details on the invoice.',
	invoiceDetails: 'Please pay the outstanding amount now, using the payment details on the invoice.',
} as const;

// No further charge follows: a never-approve decline, or the last attempt used.
export const finalNoticeTemplate: EmailTemplate = {
	subject: 'Final notice: payment for invoice {{invoiceNumber}} has failed',
	html: htmlLayout(
		'Final notice',
		`<p style="margin:0 0 16px;">Dear {{clientName}},</p>
<p style="margin:0 0 16px;">{{declineSummary}} We will not charge your card again.</p>
<p style="margin:0 0 16px;">{{howToPay}} If you would like us to charge a different card, please contact us to update the card details we hold; contact us straight away too if you believe this is a mistake.</p>
<p style="margin:0 0 24px;">{{senderName}}</p>
<p style="margin:0;font-size:12px;color:#6b7280;">Reference: {{billingKey}}</p>`,
	),
	text: `Dear {{clientName}},

{{declineSummary}} We will not charge your card again.

{{howToPay}} If you would like us to charge a different card, please contact us to update the card details we hold; contact us straight away too if you believe this is a mistake.

{{senderName}}

Reference: {{billingKey}}
`,
};
