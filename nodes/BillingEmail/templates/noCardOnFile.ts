import { htmlLayout } from './layout';
import type { EmailTemplate } from './types';

export const noCardOnFileTemplate: EmailTemplate = {
	subject: 'Invoice {{invoiceNumber}}: please arrange payment of {{amount}}',
	html: htmlLayout(
		'Payment needed',
		`<p style="margin:0 0 16px;">Dear {{clientName}},</p>
<p style="margin:0 0 16px;">Invoice <strong>{{invoiceNumber}}</strong> for <strong>{{amount}}</strong> is due on <strong>{{dueDate}}</strong>. We do not hold a payment card for your account, so we cannot collect this payment automatically.</p>
<p style="margin:0 0 16px;">Please pay using the details on the invoice, or contact us to register a card for future invoices.</p>
<p style="margin:0 0 24px;">{{senderName}}</p>
<p style="margin:0;font-size:12px;color:#6b7280;">Reference: {{billingKey}}</p>`,
	),
	text: `Dear {{clientName}},

Invoice {{invoiceNumber}} for {{amount}} is due on {{dueDate}}. We do not hold a payment card for your account, so we cannot collect this payment automatically.

Please pay using the details on the invoice, or contact us to register a card for future invoices.

{{senderName}}

Reference: {{billingKey}}
`,
};
