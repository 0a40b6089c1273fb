import { htmlLayout } from './layout';
import type { EmailTemplate } from './types';

// Part of the invoice was paid (or credited) before the charge; the card paid only the rest.
export const chargedRemainderTemplate: EmailTemplate = {
	subject: 'Payment received for invoice {{invoiceNumber}}: remaining {{amountCharged}} charged',
	html: htmlLayout(
		'Remaining amount charged',
		`<p style="margin:0 0 16px;">Dear {{clientName}},</p>
<p style="margin:0 0 16px;">We charged the remaining amount <strong>{{amountCharged}}</strong> of invoice <strong>{{invoiceNumber}}</strong> (total {{invoiceTotal}}, already paid {{amountPaid}}) to the card we hold for your account. Nothing more is due on this invoice.</p>
<p style="margin:0 0 16px;">Thank you.</p>
<p style="margin:0 0 24px;">{{senderName}}</p>
<p style="margin:0;font-size:12px;color:#6b7280;">Reference: {{billingKey}}</p>`,
	),
	text: `Dear {{clientName}},

We charged the remaining amount {{amountCharged}} of invoice {{invoiceNumber}} (total {{invoiceTotal}}, already paid {{amountPaid}}) to the card we hold for your account. Nothing more is due on this invoice.

Thank you.

{{senderName}}

Reference: {{billingKey}}
`,
};
