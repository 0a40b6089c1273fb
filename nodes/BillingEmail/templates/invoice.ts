import { htmlLayout } from './layout';
import type { EmailTemplate } from './types';

// When the card is charged is one sentence chosen per item ({{chargePromise}}, see chargePromise.ts).
export const invoiceTemplate: EmailTemplate = {
	subject: 'Invoice {{invoiceNumber}}: {{amount}} due {{dueDate}}',
	html: htmlLayout(
		'Invoice {{invoiceNumber}}',
		`<p style="margin:0 0 16px;">Dear {{clientName}},</p>
<p style="margin:0 0 16px;">Please find attached invoice <strong>{{invoiceNumber}}</strong> for <strong>{{amount}}</strong>, due on <strong>{{dueDate}}</strong>.</p>
<p style="margin:0 0 16px;">{{chargePromise}}</p>
<p style="margin:0 0 16px;">Thank you for your business.</p>
<p style="margin:0 0 24px;">{{senderName}}</p>
<p style="margin:0;font-size:12px;color:#6b7280;">Reference: {{billingKey}}</p>`,
	),
	text: `Dear {{clientName}},

Please find attached invoice {{invoiceNumber}} for {{amount}}, due on {{dueDate}}.

{{chargePromise}}

Thank you for your business.

{{senderName}}

Reference: {{billingKey}}
`,
};
