import { formatDate } from '../../nodes/BillingEmail/helpers/dates';
import { readableDeclineReason } from '../../nodes/BillingEmail/helpers/declineReasons';
import { billingMessageId } from '../../nodes/BillingEmail/helpers/messageId';
import { formatMoney, minorToDecimal, parseAmount, requireCurrency } from '../../nodes/BillingEmail/helpers/money';
import { renderTemplate } from '../../nodes/BillingEmail/helpers/render';
import { assertHeaderSafe, escapeHtml, isEmailAddress, parseAddressList, parseMailbox } from '../../nodes/BillingEmail/helpers/text';
import { CHARGE_PROMISES, defaultTemplate, defaultTemplates, nothingToChargeTemplates, PLACEHOLDERS } from '../../nodes/BillingEmail/templates';
import { connectionFromCredentials, SmtpSendError } from '../../nodes/BillingEmail/transport';
import { FieldError, ServiceError } from '../../nodes/shared/errors';
import { CURRENCY_MINOR_UNITS, formatMinorUnits } from '../../nodes/shared/currency';

const fieldError = (fn: () => unknown): FieldError => {
	try {
		fn();
	} catch (error) {
		if (error instanceof FieldError) return error;
		throw error;
	}
	throw new Error('expected a FieldError');
};

describe('text helpers', () => {
	it('escapes HTML', () => {
		expect(escapeHtml(`<a href="x">Tom & 'Jerry'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;');
	});

	it('refuses line breaks and controls in header values, keeps Unicode and RTL text', () => {
		for (const bad of ['a\r\nBcc: x@y.z', 'a\nb', 'a\rb', 'a\u0000b', 'a\u2028b']) {
			expect(fieldError(() => assertHeaderSafe(bad, 'Subject')).field).toBe('Subject');
		}
		expect(assertHeaderSafe('Zoë 株式会社 \u202Eabc\tdef', 'Subject')).toBe('Zoë 株式会社 \u202Eabc\tdef');
	});

	it('validates addresses', () => {
		for (const good of ['a@b.example', 'first.last+tag@sub.domain.co.uk', 'zoë@bücher.example']) expect(isEmailAddress(good)).toBe(true);
		for (const bad of ['', 'plain', '@b.example', 'a@', 'a@b', 'a..b@c.example', 'a b@c.example', 'a@-b.example', 'a@b.123', `${'x'.repeat(65)}@b.example`]) {
			expect(isEmailAddress(bad)).toBe(false);
		}
		expect(parseAddressList(' a@b.example; c@d.example ,', 'To', true)).toEqual(['a@b.example', 'c@d.example']);
		expect(fieldError(() => parseAddressList('a@b.example, nope', 'To', true)).message).toBe('To "nope" is not a valid email address');
		const named = fieldError(() => parseAddressList('nope', { path: 'recipientEmail', label: 'Recipient Email' }, true));
		expect([named.field, named.message]).toEqual(['recipientEmail', 'Recipient Email "nope" is not a valid email address']);
		expect(parseMailbox('"Acme, Accounts" <acc@acme.example>', 'From')).toEqual({ name: 'Acme, Accounts', address: 'acc@acme.example' });
		expect(parseMailbox('acc@acme.example', 'From')).toEqual({ name: '', address: 'acc@acme.example' });
	});
});

describe('money helpers (on nodes/shared/currency)', () => {
	it('reads minor units and decimals exactly, per currency exponent', () => {
		expect(parseAmount('123450', 'minor', 'GBP', 'Amount')).toBe(123450);
		expect(parseAmount(1250, 'minor', 'GBP', 'Amount')).toBe(1250);
		expect(parseAmount('1234.5', 'major', 'GBP', 'Amount')).toBe(123450);
		expect(parseAmount('1234', 'major', 'JPY', 'Amount')).toBe(1234);
		expect(parseAmount('1.234', 'major', 'KWD', 'Amount')).toBe(1234);
		const tooPrecise = fieldError(() => parseAmount('10.005', 'major', 'GBP', 'Amount'));
		expect(tooPrecise.field).toBe('Amount');
		expect(tooPrecise.message).toMatch(/more than 2 decimal places/);
		expect(fieldError(() => parseAmount('12.50', 'minor', 'GBP', 'Amount')).message).toMatch(/whole number of minor units/);
		expect(fieldError(() => parseAmount('-1', 'minor', 'GBP', 'Amount')).message).toMatch(/negative/);
		expect(fieldError(() => parseAmount('ten', 'major', 'GBP', 'Amount')).message).toMatch(/not a valid amount/);
		expect(fieldError(() => parseAmount('90071992547409931', 'minor', 'GBP', 'Amount')).message).toMatch(/too large/);
		expect(minorToDecimal(123450, 'GBP')).toBe('1234.50');
		expect(minorToDecimal(5, 'JPY')).toBe('5');
	});

	it('formats for people in the chosen locale', () => {
		expect(formatMoney(123450, 'GBP', 'en-GB')).toBe('£1,234.50');
		expect(formatMoney(5, 'EUR', 'en-GB')).toBe('€0.05');
		expect(formatMoney(1234, 'JPY', 'en-GB')).toBe('JP¥1,234');
		expect(formatMoney(1234, 'KWD', 'en-GB').replace(/\s/g, ' ')).toBe('KWD 1.234');
		expect(formatMoney(123450, 'EUR', 'de-DE').replace(/\s/g, ' ')).toBe('1.234,50 €');
	});

	it('shows the ISO 4217 digits even where ICU would round (HUF, IDR, IQD have minor units)', () => {
		expect(formatMoney(1250, 'HUF', 'en-GB').replace(/\s/g, ' ')).toBe('HUF 12.50');
		expect(formatMoney(99, 'IDR', 'en-GB').replace(/\s/g, ' ')).toBe('IDR 0.99');
		expect(formatMoney(1, 'IQD', 'en-GB').replace(/\s/g, ' ')).toBe('IQD 0.001');
		expect(formatMoney(12345, 'CLF', 'en-GB').replace(/\s/g, ' ')).toBe('CLF 1.2345');
	});

	it('accepts only active ISO 4217 codes', () => {
		expect(requireCurrency(' GBP ', 'Currency')).toBe('GBP');
		for (const bad of ['EURO', 'XYZ', '', 12]) expect(fieldError(() => requireCurrency(bad, 'Currency')).field).toBe('Currency');
	});
});

describe('dates, reasons, Message-IDs', () => {
	it('formats due dates without shifting the day', () => {
		expect(formatDate('2025-04-15', 'en-GB', 'Due Date')).toBe('15 April 2025');
		expect(formatDate('2025-04-15T23:30:00Z', 'en-GB', 'Due Date')).toBe('15 April 2025');
		expect(formatDate('/Date(1744675200000+0000)/', 'en-GB', 'Due Date')).toBe('15 April 2025');
		expect(formatDate('2025-04-15', 'en-US', 'Due Date')).toBe('April 15, 2025');
		expect(fieldError(() => formatDate('15/04/2025x', 'en-GB', 'Due Date')).message).toMatch(/not a date/);
	});

	it('maps acquirer codes to readable reasons', () => {
		expect(readableDeclineReason('51')).toBe('insufficient funds');
		expect(readableDeclineReason('5')).toBe(readableDeclineReason('05'));
		expect(readableDeclineReason('999')).toMatch(/did not authorise/);
	});

	it('derives Message-IDs from billing key, kind and (for dunning) attempt', () => {
		expect(billingMessageId('C1-2025', 'invoice', 'b.example')).toBe('<billing.invoice.k-C1-2025@b.example>');
		expect(billingMessageId('C1-2025', 'invoice', 'b.example', 3)).toBe('<billing.invoice.k-C1-2025@b.example>');
		expect(billingMessageId('C1-2025', 'declined', 'b.example', 3)).toBe('<billing.declined.a3.k-C1-2025@b.example>');
		expect(billingMessageId('C1-2025', 'declined', 'b.example', 4)).not.toBe(billingMessageId('C1-2025', 'declined', 'b.example', 3));
		const hashed = billingMessageId('a b/c', 'paid', 'b.example');
		expect(hashed).toMatch(/^<billing\.paid\.h-[0-9a-f]{40}@b\.example>$/);
		expect(billingMessageId('a b/c', 'paid', 'b.example')).toBe(hashed);
	});
});

describe('templates', () => {
	const values = {
		clientName: '<Ünïcode & Co>',
		invoiceNumber: 'INV-1',
		amount: '£1.00',
		amountValue: '1.00',
		currency: 'GBP',
		dueDate: '1 May 2025',
		reason: 'insufficient funds',
		billingKey: 'K1',
		attempt: '2',
		senderName: 'Acme',
		recipientEmail: 'a@b.example',
		chargePromise: 'We will charge the card we hold for your account today.',
		invoiceLead: 'Please find attached invoice INV-1 for £1.00, due on 1 May 2025.',
		amountCharged: '£0.70',
		invoiceTotal: '£1.20',
		amountPaid: '£0.50',
		noChargeReason: 'already paid',
		nextAttemptDate: '3 December 2026',
		attemptsRemaining: '2',
		retryPromise: 'We will try again on 3 December 2026 (2 attempts left).',
		declineSummary: 'Your card issuer declined our charge of £1.00 for invoice INV-1, which was due on 1 May 2025.',
		howToPay: 'Please pay the outstanding amount now, using the payment details on the invoice.',
		onlineInvoiceUrl: 'https://in.xero.com/example',
	};
	const everyTemplate = [...Object.entries(defaultTemplates), ...Object.entries(nothingToChargeTemplates).map(([reason, t]) => [`nothingToCharge.${reason}`, t] as const)];

	it('ships a readable default for every kind that uses only known placeholders', () => {
		expect(everyTemplate).toHaveLength(9);
		for (const [kind, template] of everyTemplate) {
			const subject = renderTemplate(template.subject, values, 'header', 'subject');
			const html = renderTemplate(template.html, values, 'html', 'HTML body');
			const text = renderTemplate(template.text, values, 'text', 'text body');
			expect(subject.length).toBeGreaterThan(10);
			expect(html).toContain('&lt;Ünïcode &amp; Co&gt;');
			expect(html).not.toContain('{{');
			expect(text).toContain('<Ünïcode & Co>');
			expect(text).not.toMatch(/<\/?[a-z]+>/);
			expect(`${kind}:${html}`).toMatch(/<!DOCTYPE html>/);
		}
		expect(PLACEHOLDERS).toContain('reason');
	});

	it('picks the nothing-to-charge wording by reason, each true to what happened', () => {
		const sentence = (reason: 'paidElsewhere' | 'voided' | 'credited') => renderTemplate(defaultTemplate('nothingToCharge', reason).text, values, 'text', 'text body');
		expect(sentence('paidElsewhere')).toContain('Invoice INV-1 is already paid — thank you; we have not charged your card.');
		expect(sentence('voided')).toContain('Invoice INV-1 was cancelled; we have not charged your card.');
		expect(sentence('credited')).toContain('Invoice INV-1 is covered by a credit note; we have not charged your card.');
		expect(sentence('voided')).not.toMatch(/paid/);
		expect(() => defaultTemplate('nothingToCharge')).toThrow(/needs its reason/);
		expect(defaultTemplate('paid')).toBe(defaultTemplates.paid);
		const remainder = renderTemplate(defaultTemplates.chargedRemainder.text, values, 'text', 'text body');
		expect(remainder).toContain('We charged the remaining amount £0.70 of invoice INV-1 (total £1.20, already paid £0.50)');
	});

	it('has one charge promise per timing; only the invoice uses it, and no template promises another timing', () => {
		const promises = Object.values(CHARGE_PROMISES);
		expect(new Set(promises).size).toBe(3);
		for (const [kind, template] of everyTemplate) {
			const all = `${template.subject}\n${template.html}\n${template.text}`;
			expect([kind, /\{\{chargePromise\}\}/.test(all)]).toEqual([kind, kind === 'invoice']);
			// The charge timing lives in CHARGE_PROMISES alone, never in a template's own words.
			expect([kind, /on or after|will charge|pay by/i.test(all)]).toEqual([kind, false]);
		}
		expect(renderTemplate(CHARGE_PROMISES.onDueDate, values, 'text', 'charge promise')).toBe('We will charge the card we hold for your account on or after 1 May 2025.');
		expect(renderTemplate(CHARGE_PROMISES.noCard, values, 'text', 'charge promise')).toBe('Please pay by 1 May 2025 using the payment details on the invoice.');
	});

	it('refuses unknown placeholders and empty values, naming the field', () => {
		expect(fieldError(() => renderTemplate('{{nope}}', values, 'text', 'subject')).message).toMatch(/unknown placeholder \{\{nope\}\}/);
		const empty = fieldError(() => renderTemplate('Due {{ dueDate }}', { ...values, dueDate: '' }, 'text', 'subject', { dueDate: 'Due Date' }));
		expect(empty.field).toBe('Due Date');
		expect(empty.message).toBe('Due Date is empty, but the subject uses {{dueDate}}');
		const unknown = fieldError(() => renderTemplate('{{nope}}', values, 'header', 'subject', {}, 'templateOverrides.subject'));
		expect(unknown.field).toBe('templateOverrides.subject');
		expect(unknown.message).toMatch(/^The subject uses unknown placeholder/);
		expect(fieldError(() => renderTemplate('Hi {{clientName}}', { ...values, clientName: 'a\r\nb' }, 'header', 'subject', { clientName: 'Client Name' })).field).toBe(
			'Client Name',
		);
	});
});

describe('settings and SMTP errors', () => {
	it('reads the credential and names bad fields', () => {
		expect(connectionFromCredentials({ host: ' smtp.example ', port: 465, tlsMode: 'implicit', user: 'u', password: 'p', allowUnauthorizedCerts: true, from: 'A <a@b.example>' })).toEqual({
			host: 'smtp.example',
			port: 465,
			tlsMode: 'implicit',
			user: 'u',
			password: 'p',
			allowUnauthorizedCerts: true,
			defaultSender: 'A <a@b.example>',
		});
		const tls = fieldError(() => connectionFromCredentials({ host: 'h', port: 25, tlsMode: 'ssl' }));
		expect([tls.field, tls.message]).toEqual(['tlsMode', 'Billing SMTP credential: TLS Mode "ssl" is not one of none, starttls, implicit']);
		expect(fieldError(() => connectionFromCredentials({ host: ' ', port: 25 })).field).toBe('host');
		expect(fieldError(() => connectionFromCredentials({ host: 'h', port: 0 })).field).toBe('port');
	});

	it('classifies SMTP failures as temporary or permanent', () => {
		expect(new SmtpSendError({ message: 'x', responseCode: 451 }).temporary).toBe(true);
		expect(new SmtpSendError({ message: 'x', responseCode: 550 }).temporary).toBe(false);
		expect(new SmtpSendError({ message: 'x', code: 'ECONNECTION' }).temporary).toBe(true);
		expect(new SmtpSendError({ message: 'x', code: 'EAUTH', responseCode: 535 }).temporary).toBe(false);
	});

	it('is a service error: code is the SMTP reply code, else nodemailer\'s; retryable is temporary', () => {
		const greylisted = new SmtpSendError({ message: 'x', code: 'EMESSAGE', responseCode: 451, command: 'DATA' });
		expect(greylisted).toBeInstanceOf(ServiceError);
		expect([greylisted.code, greylisted.retryable, greylisted.command]).toEqual(['451', true, 'DATA']);
		const refused = new SmtpSendError({ message: 'x', code: 'ECONNECTION' });
		expect([refused.code, refused.retryable]).toEqual(['ECONNECTION', true]);
		expect(new SmtpSendError({ message: 'x', responseCode: 550 }).retryable).toBe(false);
	});
});

describe('money formatting over every currency whose ICU digits differ from ISO 4217', () => {
	// ICU (CLDR) shows e.g. HUF, IDR, PKR with 0 decimals and IQD with 0 where ISO 4217 has 2 or 3:
	// an email must show the amount billed, never one rounded for display.
	const differing = Object.entries(CURRENCY_MINOR_UNITS).filter(
		([code, digits]) => new Intl.NumberFormat('en-GB', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits !== digits,
	);

	it('finds the currencies to check (16 with this ICU: AFN ALL COP HUF IDR IQD IRR KPW LAK LBP MGA MMK PKR SOS SYP YER)', () => {
		expect(differing.map(([code]) => code)).toEqual(expect.arrayContaining(['HUF', 'IDR', 'IQD', 'PKR']));
		expect(differing.length).toBeGreaterThanOrEqual(4);
	});

	it.each(differing)('%s (%i digits) shows every ISO digit, not rounded', (code, digits) => {
		for (const minor of [123456, 1050, 1, 123456789012345]) {
			const text = formatMoney(minor, code, 'en-GB');
			const shown = /\d[\d,]*(?:\.\d+)?/.exec(text)?.[0].replace(/,/g, '');
			expect({ text, shown }).toEqual({ text, shown: formatMinorUnits(minor, code) });
			if (digits > 0) expect(shown).toMatch(new RegExp(`\\.\\d{${digits}}$`));
		}
	});
});
