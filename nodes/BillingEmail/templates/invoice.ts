import { htmlLayout } from './layout';
import type { EmailTemplate } from './types';

export const invoiceTemplate: EmailTemplate = {
	subject: 'Invoice {{invoiceNumber}}: {{amount}} due {{dueDate}}',
	html: htmlLayout(
		'Invoice {{invoiceNumber}}',
		`<p style="margin:0 0 16px;">Dear {{clientName}},</p>
<p style="margin:0 0 16px;">Please find attached invoice <strong>{{invoiceNumber}}</strong> for <strong>{{amount}}</strong>, due on <strong>{{dueDate}}</strong>.</p>
<p style="margin:0 0 16px;">If we hold a payment card for your account, we will charge it on or after the due date and send you a confirmation. Otherwise, please pay by the due date using the details on the invoice.</p>
<p style="margin:0 0 16px;">Thank you for your business.</p>
<p style="margin:0 0 24px;">{{senderName}}</p>
<p style="margin:0;font-size:12px;color:#6b7280;">Reference: {{billingKey}}</p>`,
	),
	text: `Dear {{clientName}},

Please find attached invoice {{invoiceNumber}} for {{amount}}, due on {{dueDate}}.

If we hold a payment card for your account, we will charge it on or after the due date and send you a confirmation. Otherwise, please pay by the due date using the details on the invoice.

Thank you for your business.

{{senderName}}

Reference: {{billingKey}}
`,
};
