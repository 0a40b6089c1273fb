import { htmlLayout } from './layout';
import type { EmailTemplate } from './types';

/**
 * How the client gets the invoice (`{{invoiceLead}}`), as this email hands it over: the PDF
 * attached, Xero's online invoice link, or neither (the email is the notice).
 */
export const INVOICE_LEADS = {
	attached: 'Please find attached invoice {{invoiceNumber}} for {{amount}}, due on {{dueDate}}.',
	online: 'Invoice {{invoiceNumber}} for {{amount}} is due on {{dueDate}}. You can view, download and print it online at {{onlineInvoiceUrl}}',
	inEmail: 'This is invoice {{invoiceNumber}} for {{amount}}, due on {{dueDate}}.',
} as const;
export type InvoiceLead = keyof typeof INVOICE_LEADS;

// When the card is charged is one sentence chosen per item ({{chargePromise}}, see chargePromise.ts).
export const invoiceTemplate: EmailTemplate = {
	subject: 'Invoice {{invoiceNumber}}: {{amount}} due {{dueDate}}',
	html: htmlLayout(
		'Invoice {{invoiceNumber}}',
		`<p style="margin:0 0 16px;">Dear {{clientName}},</p>
<p style="margin:0 0 16px;">{{invoiceLead}}</p>
<p style="margin:0 0 16px;">{{chargePromise}}</p>
<p style="margin:0 0 16px;">Thank you for your business.</p>
<p style="margin:0 0 24px;">{{senderName}}</p>
<p style="margin:0;font-size:12px;color:#6b7280;">Reference: {{billingKey}}</p>`,
	),
	text: `Dear {{clientName}},

{{invoiceLead}}

{{chargePromise}}

Thank you for your business.

{{senderName}}

Reference: {{billingKey}}
`,
};
