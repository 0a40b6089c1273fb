import { htmlLayout } from './layout';
import type { EmailTemplate } from './types';

export const finalNoticeTemplate: EmailTemplate = {
	subject: 'Final notice: payment for invoice {{invoiceNumber}} has failed',
	html: htmlLayout(
		'Final notice',
		`<p style="margin:0 0 16px;">Dear {{clientName}},</p>
<p style="margin:0 0 16px;">Despite repeated attempts, we have not been able to collect <strong>{{amount}}</strong> for invoice <strong>{{invoiceNumber}}</strong>, which was due on <strong>{{dueDate}}</strong>. We will not try to charge your card again.</p>
<p style="margin:0 0 16px;">Please pay the outstanding amount now, using the details on the invoice, or contact us straight away if you believe this is a mistake.</p>
<p style="margin:0 0 24px;">{{senderName}}</p>
<p style="margin:0;font-size:12px;color:#6b7280;">Reference: {{billingKey}}</p>`,
	),
	text: `Dear {{clientName}},

Despite repeated attempts, we have not been able to collect {{amount}} for invoice {{invoiceNumber}}, which was due on {{dueDate}}. We will not try to charge your card again.

Please pay the outstanding amount now, using the details on the invoice, or contact us straight away if you believe this is a mistake.

{{senderName}}

Reference: {{billingKey}}
`,
};
