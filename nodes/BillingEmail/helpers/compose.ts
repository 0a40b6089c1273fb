// Builds one outgoing email from one input item: reads the fields, validates them, renders
// the template (default or overridden) and derives the deterministic Message-ID.
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { defaultTemplates, type EmailKind, type Placeholder } from '../templates';
import type { MailAddress, OutgoingEmail } from '../transport';
import { formatDate } from './dates';
import { readableDeclineReason } from './declineReasons';
import { FieldError } from './errors';
import { billingMessageId, DUNNING_KINDS } from './messageId';
import { formatMoney, minorToDecimal, parseAmount, requireCurrency } from './money';
import { renderTemplate } from './render';
import { assertHeaderSafe, headerName, parseAddressList, parseMailbox } from './text';

/** Display names of the node fields, for error messages. */
export const FIELD_LABELS = {
	recipientEmail: 'Recipient Email',
	clientName: 'Client Name',
	billingKey: 'Billing Key',
	invoiceNumber: 'Invoice Number',
	amount: 'Amount',
	amountFormat: 'Amount Format',
	currency: 'Currency',
	dueDate: 'Due Date',
	reason: 'Decline Reason',
	acquirerResponseCode: 'Acquirer Response Code',
	attempt: 'Attempt',
	binaryPropertyName: 'Invoice PDF Binary Property',
	from: 'From',
	replyTo: 'Reply To',
	bcc: 'BCC',
	locale: 'Locale',
	messageIdDomain: 'Message-ID Domain',
	attachmentFileName: 'Attachment File Name',
} as const;

const PLACEHOLDER_LABELS: Record<Placeholder, string> = {
	clientName: FIELD_LABELS.clientName,
	invoiceNumber: FIELD_LABELS.invoiceNumber,
	amount: FIELD_LABELS.amount,
	amountValue: FIELD_LABELS.amount,
	currency: FIELD_LABELS.currency,
	dueDate: FIELD_LABELS.dueDate,
	reason: FIELD_LABELS.reason,
	billingKey: FIELD_LABELS.billingKey,
	attempt: FIELD_LABELS.attempt,
	senderName: FIELD_LABELS.from,
	recipientEmail: FIELD_LABELS.recipientEmail,
};

export interface ComposedEmail {
	email: OutgoingEmail;
	/** What the output item reports about this email. */
	summary: IDataObject;
}

/** n8n field values may be numbers, booleans or null; templates want text. */
function asText(value: unknown, field: string): string {
	if (value === undefined || value === null) return '';
	if (typeof value === 'string') return value;
	if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
	throw new FieldError(field, `must be text, got ${Array.isArray(value) ? 'a list' : 'an object'}`);
}

function memo(fn: () => string): () => string {
	let done = false;
	let value = '';
	return () => {
		if (!done) {
			value = fn();
			done = true;
		}
		return value;
	};
}

const DOMAIN = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export async function composeEmail(
	this: IExecuteFunctions,
	itemIndex: number,
	kind: EmailKind,
	defaultSender: string,
): Promise<ComposedEmail> {
	const param = (name: keyof typeof FIELD_LABELS, fallback: unknown = '') =>
		asText(this.getNodeParameter(name, itemIndex, fallback), FIELD_LABELS[name]);
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const overrides = this.getNodeParameter('templateOverrides', itemIndex, {}) as IDataObject;
	const option = (name: keyof typeof FIELD_LABELS) => asText(options[name], FIELD_LABELS[name]).trim();

	// Sender: node option, else the credential's default sender.
	const fromText = option('from') || defaultSender;
	if (!fromText.trim()) throw new FieldError(FIELD_LABELS.from, 'is empty and the Billing SMTP credential has no Default Sender');
	const from: MailAddress = parseMailbox(fromText, FIELD_LABELS.from);

	const clientName = headerName(param('clientName'), FIELD_LABELS.clientName);
	const recipients = parseAddressList(param('recipientEmail'), FIELD_LABELS.recipientEmail, true);
	const to: MailAddress[] = recipients.map((address) => ({ name: clientName, address }));

	const billingKey = assertHeaderSafe(param('billingKey').trim(), FIELD_LABELS.billingKey);
	if (!billingKey) throw new FieldError(FIELD_LABELS.billingKey, 'is empty; it is needed for the Message-ID that makes resends recognisable');

	const locale = option('locale') || 'en-GB';
	try {
		Intl.getCanonicalLocales(locale);
	} catch {
		throw new FieldError(FIELD_LABELS.locale, `"${locale}" is not a BCP 47 locale (e.g. en-GB)`);
	}

	let attempt: number | undefined;
	if (DUNNING_KINDS.includes(kind)) {
		const raw = param('attempt', 1).trim();
		attempt = Number(raw);
		if (!/^\d+$/.test(raw) || attempt < 1) throw new FieldError(FIELD_LABELS.attempt, `"${raw}" is not a positive whole number`);
	}

	const domain = option('messageIdDomain') || from.address.slice(from.address.lastIndexOf('@') + 1);
	if (!DOMAIN.test(domain)) throw new FieldError(FIELD_LABELS.messageIdDomain, `"${domain}" is not a plain ASCII domain name`);
	const messageId = billingMessageId(billingKey, kind, domain, attempt);

	const currency = memo(() => requireCurrency(param('currency'), FIELD_LABELS.currency));
	const amountMinor = (() => {
		let cached: number | undefined;
		return () => {
			if (cached === undefined) {
				const format = param('amountFormat', 'minor') === 'decimal' ? 'decimal' : 'minor';
				cached = parseAmount(this.getNodeParameter('amount', itemIndex, ''), format, currency(), FIELD_LABELS.amount);
			}
			return cached;
		};
	})();
	const reason = memo(() => {
		const text = param('reason').trim();
		if (text) return text;
		const code = param('acquirerResponseCode').trim();
		return code ? readableDeclineReason(code) : '';
	});
	const values: Record<Placeholder, string | (() => string)> = {
		clientName,
		invoiceNumber: memo(() => param('invoiceNumber').trim()),
		amount: memo(() => formatMoney(amountMinor(), currency(), locale)),
		amountValue: memo(() => minorToDecimal(amountMinor(), currency())),
		currency,
		dueDate: memo(() => {
			const raw = this.getNodeParameter('dueDate', itemIndex, '');
			return raw === '' || raw === null || raw === undefined ? '' : formatDate(raw, locale, FIELD_LABELS.dueDate);
		}),
		reason,
		billingKey,
		attempt: attempt === undefined ? '' : String(attempt),
		senderName: from.name || 'The accounts team',
		recipientEmail: recipients.join(', '),
	};

	const template = defaultTemplates[kind];
	const pick = (name: string, fallback: string) => {
		const value = asText(overrides[name], `Template Override ${name}`);
		return value.trim() ? value : fallback;
	};
	const subject = renderTemplate(pick('subject', template.subject), values, 'header', 'subject', PLACEHOLDER_LABELS).trim();
	const html = renderTemplate(pick('html', template.html), values, 'html', 'HTML body', PLACEHOLDER_LABELS);
	const text = renderTemplate(pick('text', template.text), values, 'text', 'text body', PLACEHOLDER_LABELS);

	const attachments: OutgoingEmail['attachments'] = [];
	let attachmentSummary: IDataObject | null = null;
	if (this.getNodeParameter('attachInvoice', itemIndex, false) === true) {
		const property = param('binaryPropertyName', 'data').trim() || 'data';
		const binary = this.getInputData()[itemIndex]?.binary?.[property];
		if (binary) {
			const content = await this.helpers.getBinaryDataBuffer(itemIndex, property);
			const invoiceNumber = values.invoiceNumber as () => string;
			const wanted = option('attachmentFileName') || binary.fileName || `invoice-${invoiceNumber() || billingKey}.pdf`;
			// The name goes into a MIME header: one line, no path.
			const filename = assertHeaderSafe(wanted, FIELD_LABELS.attachmentFileName).replace(/[\\/]/g, '_');
			const contentType = binary.mimeType || 'application/pdf';
			attachments.push({ filename, content, contentType });
			attachmentSummary = { fileName: filename, contentType, size: content.length };
		} else if (options.requireAttachment === true) {
			throw new FieldError(FIELD_LABELS.binaryPropertyName, `the item has no binary property "${property}" holding the invoice PDF`);
		}
	}

	const replyTo = option('replyTo');
	const bcc = option('bcc');
	const headers: Record<string, string> = {
		'X-Billing-Key': billingKey,
		'X-Billing-Email-Kind': kind,
		// RFC 3834: automated mail; stops out-of-office replies flooding the billing mailbox.
		'Auto-Submitted': 'auto-generated',
	};
	if (attempt !== undefined) headers['X-Billing-Attempt'] = String(attempt);
	// Notices thread under the invoice email, whose Message-ID is known without a lookup.
	const invoiceMessageId = kind === 'invoice' ? undefined : billingMessageId(billingKey, 'invoice', domain);

	const email: OutgoingEmail = {
		from,
		to,
		replyTo: replyTo ? parseAddressList(replyTo, FIELD_LABELS.replyTo, false).map((address) => ({ name: '', address })) : undefined,
		bcc: bcc ? parseAddressList(bcc, FIELD_LABELS.bcc, false).map((address) => ({ name: '', address })) : undefined,
		subject,
		html,
		text,
		messageId,
		headers,
		inReplyTo: invoiceMessageId,
		references: invoiceMessageId ? [invoiceMessageId] : undefined,
		attachments,
	};
	const summary: IDataObject = {
		kind,
		messageId,
		billingKey,
		to: recipients,
		subject,
		attachment: attachmentSummary,
	};
	if (attempt !== undefined) summary.attempt = attempt;
	return { email, summary };
}
