// Builds one outgoing email from one input item: reads the fields, validates them, renders
// the template (default or overridden) and derives the deterministic Message-ID.
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { itemParameter } from '../../shared/itemParameter';
import {
	CHARGE_PROMISES,
	CHARGE_TIMINGS,
	DECLINE_SUMMARIES,
	defaultTemplate,
	HOW_TO_PAY,
	INVOICE_LEADS,
	NOTHING_TO_CHARGE_PHRASES,
	NOTHING_TO_CHARGE_REASONS,
	RETRY_PROMISES,
	type ChargeTiming,
	type EmailKind,
	type NothingToChargeReason,
	type Placeholder,
	type RetryPromise,
} from '../templates';
import type { MailAddress, OutgoingEmail } from '../transport';
import { formatDate } from './dates';
import { readableDeclineReason } from './declineReasons';
import { FieldError } from '../../shared/errors';
import { CONTROL_CHARACTERS, parseZonedTime, readPath } from '../../shared/itemFields';
import { choiceParameter } from '../../shared/parameters';
import { fieldError, type NodeField } from './fields';
import { billingMessageId, DUNNING_KINDS, MESSAGE_ID_DOMAIN } from './messageId';
import { formatMoney, minorToDecimal, parseAmount, requireCurrency } from './money';
import { renderTemplate } from './render';
import { assertHeaderSafe, headerName, parseAddressList, parseMailbox } from './text';

/** The node fields items are read from: parameter path (the failure's `error.field`) and editor label. */
export const FIELDS = {
	recipientEmail: { path: 'recipientEmail', label: 'Recipient Email' },
	clientName: { path: 'clientName', label: 'Client Name' },
	billingKey: { path: 'billingKey', label: 'Billing Key' },
	invoiceNumber: { path: 'invoiceNumber', label: 'Invoice Number' },
	amount: { path: 'amount', label: 'Amount' },
	amountUnit: { path: 'amountUnit', label: 'Amount Unit' },
	currency: { path: 'currency', label: 'Currency' },
	dueDate: { path: 'dueDate', label: 'Due Date' },
	reason: { path: 'reason', label: 'Decline Reason' },
	acquirerResponseCode: { path: 'acquirerResponseCode', label: 'Acquirer Response Code' },
	attempt: { path: 'attempt', label: 'Attempt' },
	chargeTiming: { path: 'chargeTiming', label: 'Charge Timing' },
	cardReference: { path: 'cardReference', label: 'Card on File' },
	noChargeReason: { path: 'noChargeReason', label: 'Nothing-to-Charge Reason' },
	amountCharged: { path: 'amountCharged', label: 'Amount Charged' },
	invoiceTotal: { path: 'invoiceTotal', label: 'Invoice Total' },
	amountPaid: { path: 'amountPaid', label: 'Already Paid' },
	binaryPropertyName: { path: 'binaryPropertyName', label: 'Invoice PDF Binary Property' },
	from: { path: 'options.from', label: 'From' },
	replyTo: { path: 'options.replyTo', label: 'Reply To' },
	bcc: { path: 'options.bcc', label: 'BCC' },
	locale: { path: 'options.locale', label: 'Locale' },
	messageIdDomain: { path: 'options.messageIdDomain', label: 'Message-ID Domain' },
	attachmentFileName: { path: 'options.attachmentFileName', label: 'Attachment File Name' },
} as const satisfies Record<string, NodeField>;

/**
 * Fields the notices read from the item itself (set by the debit stage), so that what they
 * promise is what the pipeline scheduled: the next attempt, and how the client can pay now.
 */
export const ITEM_FIELDS = {
	nextAttemptAt: { path: 'nextAttemptAt', label: 'Next Attempt At (item field nextAttemptAt)' },
	attemptsRemaining: { path: 'attemptsRemaining', label: 'Attempts Remaining (item field attemptsRemaining)' },
	attemptsMade: { path: 'attempt', label: 'Attempt (item field attempt)' },
	onlineInvoiceUrl: { path: 'onlineInvoiceUrl', label: 'Online Invoice URL (item field onlineInvoiceUrl)' },
} as const satisfies Record<string, NodeField>;

type ParameterName = Exclude<keyof typeof FIELDS, 'from' | 'replyTo' | 'bcc' | 'locale' | 'messageIdDomain' | 'attachmentFileName'>;
type OptionName = 'from' | 'replyTo' | 'bcc' | 'locale' | 'messageIdDomain' | 'attachmentFileName';

/** The credential's Default Sender, when no From option overrides it. */
const DEFAULT_SENDER: NodeField = { path: 'from', label: 'Billing SMTP credential: Default Sender' };

const PLACEHOLDER_FIELDS: Record<Placeholder, NodeField> = {
	clientName: FIELDS.clientName,
	invoiceNumber: FIELDS.invoiceNumber,
	amount: FIELDS.amount,
	amountValue: FIELDS.amount,
	currency: FIELDS.currency,
	dueDate: FIELDS.dueDate,
	reason: FIELDS.reason,
	billingKey: FIELDS.billingKey,
	attempt: FIELDS.attempt,
	senderName: FIELDS.from,
	recipientEmail: FIELDS.recipientEmail,
	chargePromise: FIELDS.chargeTiming,
	invoiceLead: FIELDS.binaryPropertyName,
	amountCharged: FIELDS.amountCharged,
	invoiceTotal: FIELDS.invoiceTotal,
	amountPaid: FIELDS.amountPaid,
	noChargeReason: FIELDS.noChargeReason,
	nextAttemptDate: ITEM_FIELDS.nextAttemptAt,
	attemptsRemaining: ITEM_FIELDS.attemptsRemaining,
	retryPromise: ITEM_FIELDS.nextAttemptAt,
	declineSummary: ITEM_FIELDS.attemptsMade,
	howToPay: ITEM_FIELDS.onlineInvoiceUrl,
	onlineInvoiceUrl: ITEM_FIELDS.onlineInvoiceUrl,
};

export interface ComposedEmail {
	email: OutgoingEmail;
	/** What the output item reports about this email. */
	summary: IDataObject;
}

/** n8n field values may be numbers, booleans or null; templates want text. */
function asText(value: unknown, field: NodeField): string {
	if (value === undefined || value === null) return '';
	if (typeof value === 'string') return value;
	if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
	throw fieldError(field, `must be text, got ${Array.isArray(value) ? 'a list' : 'an object'}`);
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

/** Xero Billing's read-back verdict says `paid`; from the debit stage's view that is paid elsewhere. */
const REASON_ALIASES: Readonly<Record<string, NothingToChargeReason>> = { paid: 'paidElsewhere' };

function noChargeReason(raw: string): NothingToChargeReason {
	const text = raw.trim();
	if (!text) throw fieldError(FIELDS.noChargeReason, `is empty; use one of ${NOTHING_TO_CHARGE_REASONS.join(', ')}`);
	const reason = REASON_ALIASES[text] ?? text;
	if (!(NOTHING_TO_CHARGE_REASONS as readonly string[]).includes(reason)) {
		throw fieldError(FIELDS.noChargeReason, `"${text}" must be one of ${NOTHING_TO_CHARGE_REASONS.join(', ')}`);
	}
	return reason as NothingToChargeReason;
}

/** The three amounts of a remainder notice, checked to add up, so the email never claims a sum that is not so. */
interface Remainder {
	charged: number;
	total: number;
	paid: number;
}

function checkRemainder({ charged, total, paid }: Remainder, currency: string): Remainder {
	if (charged === 0) throw fieldError(FIELDS.amountCharged, 'is zero; when nothing was charged, send the nothingToCharge notice');
	if (charged + paid !== total) {
		const money = (minor: number) => `${minorToDecimal(minor, currency)} ${currency}`;
		throw fieldError(
			FIELDS.amountCharged,
			`${money(charged)} plus Already Paid ${money(paid)} is not the Invoice Total ${money(total)}; the notice would not add up`,
			'Map Amount Charged to what the card was charged, Invoice Total and Already Paid to the invoice as read before the charge. Nothing was sent for this item.',
		);
	}
	return { charged, total, paid };
}

/** An item field that may be absent: undefined, null and '' (or blanks) are "not given". */
function given(json: IDataObject, field: NodeField): unknown {
	const raw = readPath(json, field.path);
	return raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '') ? undefined : raw;
}

/** A whole number at least `min` (a number or its digits), or undefined when the item has none. */
function countField(json: IDataObject, field: NodeField, min: number): number | undefined {
	const raw = given(json, field);
	if (raw === undefined) return undefined;
	const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
	if (!/^\d+$/.test(text) || Number(text) < min) throw fieldError(field, `${JSON.stringify(raw)} is not a whole number of at least ${min}`);
	return Number(text);
}

/**
 * The day of the next attempt for people ("3 December 2026"), as written in the time's own zone,
 * so the date the client reads is the debit stage's. Zoned ISO 8601 only (or a bare day): a time
 * without a zone could mean another day.
 */
function nextAttemptDay(json: IDataObject, locale: string): string | undefined {
	const field = ITEM_FIELDS.nextAttemptAt;
	const raw = given(json, field);
	if (raw === undefined) return undefined;
	if (raw instanceof Date) return formatDate(raw, locale, field);
	// A Luxon DateTime, as n8n expressions return, carries its zone in its ISO form.
	const iso = raw && typeof raw === 'object' && typeof (raw as { toISO?: unknown }).toISO === 'function' ? (raw as { toISO: () => string }).toISO() : raw;
	const text = typeof iso === 'string' ? iso.trim() : '';
	if (parseZonedTime(text, { dayAsUtcMidnight: true }) === undefined) {
		throw fieldError(field, `${JSON.stringify(raw)} is not an ISO 8601 date and time with a zone, e.g. 2026-12-03T09:00:00Z`);
	}
	return formatDate(text.slice(0, 10), locale, field);
}

/** Xero's online invoice link; a link in a billing email must be https and one plain URL. */
function onlineInvoiceUrl(json: IDataObject): string {
	const field = ITEM_FIELDS.onlineInvoiceUrl;
	const raw = given(json, field);
	if (raw === undefined) return '';
	const text = typeof raw === 'string' ? raw.trim() : '';
	let url: URL | undefined;
	try {
		url = text && !/\s/.test(text) && !CONTROL_CHARACTERS.test(text) ? new URL(text) : undefined;
	} catch {
		url = undefined;
	}
	// http only on this machine (the sandbox's online invoices); a client's link is always https.
	const loopback = url?.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]');
	if (url?.protocol !== 'https:' && !loopback) throw fieldError(field, `${JSON.stringify(raw)} is not an https:// link`);
	return text;
}

/** Which retry sentence the declined notice carries: a date only when the item has one. */
function retryPromiseOf(day: string | undefined, remaining: number | undefined): RetryPromise {
	if (day === undefined) return 'noDate';
	if (remaining === undefined) return 'onDateUncounted';
	return remaining === 1 ? 'onDateLastAttempt' : 'onDate';
}


/**
 * Composes the email of one item. Throws a FieldError naming the parameter (and so the item's
 * field behind it) when a value cannot go into a mail; nothing is sent for such an item.
 */
export async function composeEmail(fns: IExecuteFunctions, itemIndex: number, kind: EmailKind, defaultSender: string): Promise<ComposedEmail> {
	const param = (name: ParameterName, fallback: unknown = '') => asText(itemParameter(fns, name, itemIndex, fallback), FIELDS[name]);
	const options = itemParameter(fns, 'options', itemIndex, {}) as IDataObject;
	const overrides = itemParameter(fns, 'templateOverrides', itemIndex, {}) as IDataObject;
	const option = (name: OptionName) => asText(options[name], FIELDS[name]).trim();

	// Sender: node option, else the credential's default sender.
	const fromOption = option('from');
	const fromField = fromOption ? FIELDS.from : DEFAULT_SENDER;
	const fromText = fromOption || defaultSender;
	if (!fromText.trim()) throw fieldError(FIELDS.from, 'is empty and the Billing SMTP credential has no Default Sender');
	const from: MailAddress = parseMailbox(fromText, fromField);

	const clientName = headerName(param('clientName'), FIELDS.clientName);
	const recipients = parseAddressList(param('recipientEmail'), FIELDS.recipientEmail, true);
	const to: MailAddress[] = recipients.map((address) => ({ name: clientName, address }));

	const billingKey = assertHeaderSafe(param('billingKey').trim(), FIELDS.billingKey);
	if (!billingKey) throw fieldError(FIELDS.billingKey, 'is empty; it is needed for the Message-ID that makes resends recognisable');

	const locale = option('locale') || 'en-GB';
	try {
		Intl.getCanonicalLocales(locale);
	} catch {
		throw fieldError(FIELDS.locale, `"${locale}" is not a BCP 47 locale (e.g. en-GB)`);
	}

	let attempt: number | undefined;
	if (DUNNING_KINDS.includes(kind)) {
		const raw = param('attempt', 1).trim();
		attempt = Number(raw);
		if (!/^\d+$/.test(raw) || attempt < 1) throw fieldError(FIELDS.attempt, `"${raw}" is not a positive whole number`);
	}

	const domain = option('messageIdDomain') || from.address.slice(from.address.lastIndexOf('@') + 1);
	if (!MESSAGE_ID_DOMAIN.test(domain)) throw fieldError(FIELDS.messageIdDomain, `"${domain}" is not a plain ASCII domain name`);
	const messageId = billingMessageId(billingKey, kind, domain, attempt);

	const currency = memo(() => requireCurrency(param('currency'), FIELDS.currency));
	const amountMinor = (() => {
		let cached: number | undefined;
		return () => {
			if (cached === undefined) {
				// One unit name and default across the package: minor units unless told 'major'.
				const unit = param('amountUnit', 'minor').trim();
				if (unit !== 'minor' && unit !== 'major') throw fieldError(FIELDS.amountUnit, `must be minor or major, got "${unit}"`);
				cached = parseAmount(itemParameter(fns, 'amount', itemIndex, ''), unit, currency(), FIELDS.amount);
			}
			return cached;
		};
	})();
	// Remainder amounts are minor units whatever the Amount unit says: they come from Xero's read-back.
	const remainder = (() => {
		let cached: Remainder | undefined;
		return () => {
			if (cached === undefined) {
				const read = (name: 'amountCharged' | 'invoiceTotal' | 'amountPaid') => parseAmount(itemParameter(fns, name, itemIndex, ''), 'minor', currency(), FIELDS[name]);
				cached = checkRemainder({ charged: read('amountCharged'), total: read('invoiceTotal'), paid: read('amountPaid') }, currency());
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
			const raw = itemParameter(fns, 'dueDate', itemIndex, '');
			return raw === '' || raw === null || raw === undefined ? '' : formatDate(raw, locale, FIELDS.dueDate);
		}),
		reason,
		billingKey,
		attempt: attempt === undefined ? '' : String(attempt),
		senderName: from.name || 'The accounts team',
		recipientEmail: recipients.join(', '),
		chargePromise: '',
		invoiceLead: '',
		amountCharged: memo(() => formatMoney(remainder().charged, currency(), locale)),
		invoiceTotal: memo(() => formatMoney(remainder().total, currency(), locale)),
		amountPaid: memo(() => formatMoney(remainder().paid, currency(), locale)),
		noChargeReason: '',
		nextAttemptDate: '',
		attemptsRemaining: '',
		retryPromise: '',
		declineSummary: '',
		howToPay: '',
		onlineInvoiceUrl: '',
	};

	// What the decline notices promise comes from the item the debit stage routed: a retry date only
	// when one was scheduled, "not charged again" with the attempts actually made.
	const item = fns.getInputData()[itemIndex]?.json ?? {};
	const sentence = (template: string, part: string) => renderTemplate(template, values, 'text', part, PLACEHOLDER_FIELDS);
	if (kind === 'declined') {
		const day = nextAttemptDay(item, locale);
		const remaining = countField(item, ITEM_FIELDS.attemptsRemaining, 0);
		if (remaining === 0) {
			throw fieldError(
				ITEM_FIELDS.attemptsRemaining,
				'is 0, but the declined notice is for a decline that will be charged again',
				'Send the finalNotice when no attempt is left. Nothing was sent for this item.',
			);
		}
		values.nextAttemptDate = day ?? '';
		values.attemptsRemaining = remaining === undefined ? '' : String(remaining);
		const promise = RETRY_PROMISES[retryPromiseOf(day, remaining)];
		values.retryPromise = memo(() => sentence(promise, 'retry promise'));
	}
	if (kind === 'finalNotice') {
		const made = countField(item, ITEM_FIELDS.attemptsMade, 1);
		if (made !== undefined) values.attempt = String(made);
		const summary = DECLINE_SUMMARIES[made === undefined ? 'uncounted' : made === 1 ? 'oneAttempt' : 'repeated'];
		values.declineSummary = memo(() => [sentence(summary, 'decline summary'), ...(reason() ? [sentence(DECLINE_SUMMARIES.withReason, 'decline summary')] : [])].join(' '));
		const link = onlineInvoiceUrl(item);
		values.onlineInvoiceUrl = link;
		values.howToPay = memo(() => sentence(link ? HOW_TO_PAY.online : HOW_TO_PAY.invoiceDetails, 'payment instructions'));
	}

	// The PDF, when this email attaches one: known before the text, whose first sentence says so.
	const attachInvoice = itemParameter(fns, 'attachInvoice', itemIndex, false) === true;
	const property = param('binaryPropertyName', 'data').trim() || 'data';
	const binary = attachInvoice ? fns.getInputData()[itemIndex]?.binary?.[property] : undefined;

	// The invoice says how to get it and when the card is charged; with no card on file it asks the client to pay.
	let chargeTiming: ChargeTiming | undefined;
	if (kind === 'invoice') {
		const link = onlineInvoiceUrl(item);
		values.onlineInvoiceUrl = link;
		const lead = INVOICE_LEADS[binary ? 'attached' : link ? 'online' : 'inEmail'];
		values.invoiceLead = memo(() => sentence(lead, 'invoice lead'));
		chargeTiming = choiceParameter(fns, 'chargeTiming', itemIndex, CHARGE_TIMINGS, 'onInvoicing', FIELDS.chargeTiming.label);
		if (chargeTiming !== 'noCard' && !param('cardReference').trim()) chargeTiming = 'noCard';
		const promise = CHARGE_PROMISES[chargeTiming];
		values.chargePromise = memo(() => renderTemplate(promise, values, 'text', 'charge promise', PLACEHOLDER_FIELDS));
	}
	let nothingToCharge: NothingToChargeReason | undefined;
	if (kind === 'nothingToCharge') {
		nothingToCharge = noChargeReason(param('noChargeReason'));
		values.noChargeReason = NOTHING_TO_CHARGE_PHRASES[nothingToCharge];
	}

	const template = defaultTemplate(kind, nothingToCharge);
	const pick = (name: 'subject' | 'html' | 'text', fallback: string) => {
		const value = asText(overrides[name], { path: `templateOverrides.${name}`, label: `Template Override ${name}` });
		return value.trim() ? value : fallback;
	};
	const subject = renderTemplate(pick('subject', template.subject), values, 'header', 'subject', PLACEHOLDER_FIELDS, 'templateOverrides.subject').trim();
	const html = renderTemplate(pick('html', template.html), values, 'html', 'HTML body', PLACEHOLDER_FIELDS, 'templateOverrides.html');
	const text = renderTemplate(pick('text', template.text), values, 'text', 'text body', PLACEHOLDER_FIELDS, 'templateOverrides.text');

	const attachments: OutgoingEmail['attachments'] = [];
	let attachmentSummary: IDataObject | null = null;
	if (attachInvoice) {
		if (binary) {
			const content = await fns.helpers.getBinaryDataBuffer(itemIndex, property);
			const invoiceNumber = values.invoiceNumber as () => string;
			const wanted = option('attachmentFileName') || binary.fileName || `invoice-${invoiceNumber() || billingKey}.pdf`;
			// The name goes into a MIME header: one line, no path.
			const filename = assertHeaderSafe(wanted, FIELDS.attachmentFileName).replace(/[\\/]/g, '_');
			const contentType = binary.mimeType || 'application/pdf';
			attachments.push({ filename, content, contentType });
			attachmentSummary = { fileName: filename, contentType, size: content.length };
		} else if (options.requireAttachment === true) {
			throw new FieldError(
				FIELDS.binaryPropertyName.path,
				`The item has no binary property "${property}" holding the invoice PDF (${FIELDS.binaryPropertyName.label}, Require Attachment is on)`,
			);
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
		replyTo: replyTo ? parseAddressList(replyTo, FIELDS.replyTo, false).map((address) => ({ name: '', address })) : undefined,
		bcc: bcc ? parseAddressList(bcc, FIELDS.bcc, false).map((address) => ({ name: '', address })) : undefined,
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
	if (chargeTiming !== undefined) summary.chargeTiming = chargeTiming;
	if (nothingToCharge !== undefined) summary.noChargeReason = nothingToCharge;
	return { email, summary };
}
