import { htmlLayout } from './layout';
import type { EmailTemplate } from './types';

export const declinedTemplate: EmailTemplate = {
	subject: 'Payment for invoice {{invoiceNumber}} was declined',
	html: htmlLayout(
		'Payment declined',
		`<p style="margin:0 0 16px;">Dear {{clientName}},</p>
<p style="margin:0 0 16px;">We tried to charge <strong>{{amount}}</strong> for invoice <strong>{{invoiceNumber}}</strong> to the card we hold for your account, but the payment was declined: <strong>{{reason}}</strong>.</p>
<p style="margin:0 0 16px;">We will try again in the coming days. If your card details have changed, or you would rather pay another way, please contact us.</p>
<p style="margin:0 0 24px;">{{senderName}}</p>
<p style="margin:0;font-size:12px;color:#6b7280;">Reference: {{billingKey}} (attempt {{attempt}})</p>`,
	),
	text: `Dear {{clientName}},

We tried to charge {{amount}} for invoice {{invoiceNumber}} to the card we hold for your account, but the payment was declined: {{reason}}.

We will try again in the coming days. If your card details have changed, or you would rather pay another way, please contact us.

{{senderName}}

Reference: {{billingKey}} (attempt {{attempt}})
`,
};
