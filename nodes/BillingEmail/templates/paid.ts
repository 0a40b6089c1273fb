import { htmlLayout } from './layout';
import type { EmailTemplate } from './types';

export const paidTemplate: EmailTemplate = {
	subject: 'Payment received for invoice {{invoiceNumber}}, thank you',
	html: htmlLayout(
		'Payment received',
		`<p style="margin:0 0 16px;">Dear {{clientName}},</p>
<p style="margin:0 0 16px;">We have received your payment of <strong>{{amount}}</strong> for invoice <strong>{{invoiceNumber}}</strong>. Nothing more is due on this invoice.</p>
<p style="margin:0 0 16px;">Thank you.</p>
<p style="margin:0 0 24px;">{{senderName}}</p>
<p style="margin:0;font-size:12px;color:#6b7280;">Reference: {{billingKey}}</p>`,
	),
	text: `Dear {{clientName}},

We have received your payment of {{amount}} for invoice {{invoiceNumber}}. Nothing more is due on this invoice.

Thank you.

{{senderName}}

Reference: {{billingKey}}
`,
};
