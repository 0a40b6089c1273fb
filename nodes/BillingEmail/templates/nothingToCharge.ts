import { htmlLayout } from './layout';
import type { EmailTemplate, NothingToChargeReason } from './types';

// The debit stage read the invoice back from Xero and found nothing due: no charge was made.
// One template per reason, so the client reads what actually happened.
function nothingToCharge(subject: string, title: string, lead: string, next: string): EmailTemplate {
	return {
		subject,
		html: htmlLayout(
			title,
			`<p style="margin:0 0 16px;">Dear {{clientName}},</p>
<p style="margin:0 0 16px;">${lead.replace('{{invoiceNumber}}', '<strong>{{invoiceNumber}}</strong>')}</p>
<p style="margin:0 0 16px;">${next}</p>
<p style="margin:0 0 24px;">{{senderName}}</p>
<p style="margin:0;font-size:12px;color:#6b7280;">Reference: {{billingKey}}</p>`,
		),
		text: `Dear {{clientName}},

${lead}

${next}

{{senderName}}

Reference: {{billingKey}}
`,
	};
}

export const nothingToChargeTemplates: Readonly<Record<NothingToChargeReason, EmailTemplate>> = {
	paidElsewhere: nothingToCharge(
		'Invoice {{invoiceNumber}} is already paid, thank you',
		'Invoice already paid',
		'Invoice {{invoiceNumber}} is already paid — thank you; we have not charged your card.',
		'Nothing more is due on this invoice.',
	),
	voided: nothingToCharge(
		'Invoice {{invoiceNumber}} was cancelled',
		'Invoice cancelled',
		'Invoice {{invoiceNumber}} was cancelled; we have not charged your card.',
		'Nothing is due on this invoice. If you have questions about it, please contact us.',
	),
	credited: nothingToCharge(
		'Invoice {{invoiceNumber}} is covered by a credit note',
		'Invoice credited',
		'Invoice {{invoiceNumber}} is covered by a credit note; we have not charged your card.',
		'Nothing more is due on this invoice.',
	),
};

/** `{{noChargeReason}}` for template overrides: "Invoice {{invoiceNumber}} is {{noChargeReason}}". */
export const NOTHING_TO_CHARGE_PHRASES: Readonly<Record<NothingToChargeReason, string>> = {
	paidElsewhere: 'already paid',
	voided: 'cancelled',
	credited: 'covered by a credit note',
};
