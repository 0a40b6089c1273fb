// What each payment notice promises must be what the pipeline does next (issue #21): only the
// soft decline with a scheduled attempt promises a retry, on its date; a final notice says the
// card will not be charged again and how to pay instead.
import type { ICredentialDataDecryptedObject, IDataObject, INodeParameters } from 'n8n-workflow';
import { BillingEmail } from '../../nodes/BillingEmail/BillingEmail.node';
import { closeAllTransports } from '../../nodes/BillingEmail/transport';
import { startSmtpSink, type SmtpSink } from '../../sandbox/smtp';
import { runNode } from '../helpers/run-node';

const node = new BillingEmail();

// An item as workflow 4 hands it to the notify stage (Payment Result, then the routing's fields).
const item = (extra: IDataObject = {}): IDataObject => ({
	billingEmail: 'client10@client.example',
	clientName: 'Client 10 Ltd',
	billingKey: 'C0010-20261101-20261130',
	invoiceNumber: 'INV-0042',
	amountMinor: 123450,
	currency: 'GBP',
	dueDate: '2026-11-30',
	cardReference: '55-9-35032',
	xeroInvoice: { invoiceId: 'a1b2', totalMinor: 123450, amountPaidMinor: 0, amountCreditedMinor: 0 },
	chargeable: { charge: true, state: 'due', amountDueMinor: 123450, currency: 'GBP' },
	...extra,
});
const softDecline = (attempt: number) => ({
	dunningAttempt: attempt,
	attempt,
	declineReason: 'insufficient funds',
	acquirerResponseCode: '51',
	payment: { outcome: 'declined', retryable: true, reason: 'insufficient funds', acquirerresponsecode: '51', errorcode: '70000' },
});
const hardDecline = (attempt: number) => ({
	dunningAttempt: attempt,
	attempt,
	declineReason: 'lost card',
	acquirerResponseCode: '41',
	payment: { outcome: 'declined', retryable: false, reason: 'lost card', acquirerresponsecode: '41', errorcode: '70000' },
});
const ONLINE = 'https://in.xero.com/Hk3lV9gS0mQ?utm=email&x=1';

interface Case {
	name: string;
	notice: string;
	json: IDataObject;
	/** What the pipeline does next: a charge on this day, or none. */
	nextCharge?: string;
}

const CASES: Case[] = [
	{ name: 'paid', notice: 'paid', json: item({ payment: { outcome: 'paid' } }) },
	{
		name: 'charged the remainder',
		notice: 'chargedRemainder',
		json: item({ chargedMinor: 7000, chargeable: { state: 'partPaid', amountDueMinor: 7000 }, xeroInvoice: { totalMinor: 12000, amountPaidMinor: 5000, amountCreditedMinor: 0 } }),
	},
	{ name: 'nothing to charge (paid elsewhere)', notice: 'nothingToCharge', json: item({ chargeable: { state: 'paid', amountDueMinor: 0 } }) },
	{ name: 'nothing to charge (voided)', notice: 'nothingToCharge', json: item({ chargeable: { state: 'voided', amountDueMinor: 0 } }) },
	{ name: 'nothing to charge (credited)', notice: 'nothingToCharge', json: item({ chargeable: { state: 'credited', amountDueMinor: 0 } }) },
	{ name: 'no card on file', notice: 'noCardOnFile', json: item({ cardReference: '', attempt: 1 }) },
	{
		name: 'soft decline on attempt 1 of 3',
		notice: 'declined',
		json: item({ ...softDecline(1), nextAttemptAt: '2026-12-03T09:00:00Z', attemptsRemaining: 2 }),
		nextCharge: '3 December 2026',
	},
	{
		name: 'soft decline on attempt 2 of 3',
		notice: 'declined',
		json: item({ ...softDecline(2), nextAttemptAt: '2026-12-07T09:00:00+00:00', attemptsRemaining: 1 }),
		nextCharge: '7 December 2026',
	},
	{ name: 'soft decline without a scheduled attempt', notice: 'declined', json: item({ ...softDecline(1) }) },
	{ name: 'never-approve decline on attempt 1', notice: 'finalNotice', json: item({ ...hardDecline(1), onlineInvoiceUrl: ONLINE }) },
	{ name: 'never-approve decline on attempt 2', notice: 'finalNotice', json: item({ ...hardDecline(2) }) },
	{ name: 'soft decline on the last attempt', notice: 'finalNotice', json: item({ ...softDecline(3), onlineInvoiceUrl: ONLINE }) },
];

// Any promise of another charge, and one that names a day.
const PROMISES_RETRY = /\bwe will (try|charge)\b|\btry again\b|\bcoming days\b/i;
const RETRY_ON_DAY = /\bWe will try again on (\d{1,2} [A-Z][a-z]+ \d{4})\b/;
const NO_MORE_CHARGES = 'We will not charge your card again.';

describe('payment notices promise only what happens next', () => {
	let sink: SmtpSink;
	beforeAll(async () => {
		sink = await startSmtpSink();
	});
	afterAll(async () => {
		closeAllTransports();
		await sink.close();
	});
	beforeEach(() => sink.clear());

	const credentials = (): Record<string, ICredentialDataDecryptedObject> => ({
		billingSmtp: { host: sink.host, port: sink.port, tlsMode: 'none', user: '', password: '', from: 'Acme Accounts <accounts@billing.example>', allowUnauthorizedCerts: false },
	});
	async function send(notice: string, json: IDataObject, continueOnFail = false) {
		const parameters: INodeParameters = { operation: 'sendPaymentNotice', noticeKind: notice, sentRecord: 'off', options: {} };
		const [sent, failed] = await runNode(node, { parameters, items: [{ json }], credentials: credentials(), continueOnFail });
		const delivery = sent[0]?.json.emailDelivery as IDataObject | undefined;
		const mail = delivery ? sink.byMessageId(String(delivery.messageId)) : undefined;
		return { sent, failed, mail, text: String(mail?.text ?? ''), html: String(mail?.html ?? '') };
	}

	it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
		const { mail, text, html } = await send(c.notice, c.json);
		expect(mail).toBeDefined();
		for (const body of [text, html]) {
			// A retry (on a day) is promised exactly when one is scheduled, and names that day.
			expect(PROMISES_RETRY.test(body)).toBe(c.nextCharge !== undefined);
			expect(RETRY_ON_DAY.exec(body)?.[1]).toBe(c.nextCharge);
			// "Not charged again" exactly in the final notice.
			expect(body.includes(NO_MORE_CHARGES)).toBe(c.notice === 'finalNotice');
		}
	});

	it('names the attempts left, and says when the next one is the last', async () => {
		const [first, second, undated] = CASES.filter((c) => c.notice === 'declined');
		expect((await send('declined', first.json)).text).toContain('declined: insufficient funds.\n\nWe will try again on 3 December 2026 (2 attempts left). If your card details have changed');
		expect((await send('declined', second.json)).text).toContain('We will try again on 7 December 2026; that will be the last attempt.');
		const { text, html } = await send('declined', undated.json);
		expect(text).toContain('declined: insufficient funds.\n\nThe amount is still due. If your card details have changed, or you would rather pay another way, please contact us.');
		expect(html).toContain('<p style="margin:0 0 16px;">The amount is still due. If your card details have changed');
	});

	it('shows the day as the debit stage wrote it, in its own zone', async () => {
		const late = item({ ...softDecline(1), nextAttemptAt: '2026-12-03T00:30:00+01:00', attemptsRemaining: 2 });
		expect((await send('declined', late)).text).toContain('We will try again on 3 December 2026 (2 attempts left).');
	});

	it('final notice: no "repeated attempts" after one charge; the reason, the online invoice link and the invoice details', async () => {
		const [firstHard, laterHard, lastSoft] = CASES.filter((c) => c.notice === 'finalNotice');
		const first = await send('finalNotice', firstHard.json);
		expect(first.mail!.subject).toBe('Final notice: payment for invoice INV-0042 has failed');
		expect(first.text).toContain(
			'Your card issuer declined our charge of £1,234.50 for invoice INV-0042, which was due on 30 November 2026. The reason given: lost card. We will not charge your card again.',
		);
		expect(first.text).toContain(`Please pay the outstanding amount now, online at ${ONLINE} or using the payment details on the invoice.`);
		expect(first.text).toContain('please contact us to update the card details we hold');
		expect(first.html).toContain(ONLINE.replace('&', '&amp;'));
		for (const body of [first.text, first.html]) expect(body).not.toMatch(/despite|repeated/i);

		expect((await send('finalNotice', laterHard.json)).text).toContain('Despite 2 attempts, we have not been able to collect £1,234.50 for invoice INV-0042');
		const last = await send('finalNotice', lastSoft.json);
		expect(last.text).toContain('Despite 3 attempts, we have not been able to collect £1,234.50 for invoice INV-0042, which was due on 30 November 2026. The reason given: insufficient funds.');
		// Without the link, the invoice's own payment details.
		const noLink = await send('finalNotice', laterHard.json);
		expect(noLink.text).toContain('Please pay the outstanding amount now, using the payment details on the invoice.');
		expect(noLink.text).not.toContain('online at');
		// Without an attempt count the summary claims none.
		const uncounted = await send('finalNotice', item({ declineReason: '', acquirerResponseCode: '' }));
		expect(uncounted.text).toContain('We have not been able to collect £1,234.50 for invoice INV-0042, which was due on 30 November 2026. We will not charge your card again.');
	});

	it.each([
		['declined', 'no attempt left', { ...softDecline(3), nextAttemptAt: '2026-12-03T09:00:00Z', attemptsRemaining: 0 }, 'attemptsRemaining', /^Attempts Remaining \(item field attemptsRemaining\) is 0, but the declined notice is for a decline that will be charged again \[item 0\]$/],
		['declined', 'a count in words', { ...softDecline(1), nextAttemptAt: '2026-12-03T09:00:00Z', attemptsRemaining: 'two' }, 'attemptsRemaining', /"two" is not a whole number of at least 0/],
		['declined', 'a date in words', { ...softDecline(1), nextAttemptAt: 'next week' }, 'nextAttemptAt', /^Next Attempt At \(item field nextAttemptAt\) "next week" is not an ISO 8601 date and time with a zone/],
		['declined', 'a time without a zone', { ...softDecline(1), nextAttemptAt: '2026-12-03T09:00:00' }, 'nextAttemptAt', /"2026-12-03T09:00:00" is not an ISO 8601 date and time with a zone/],
		['finalNotice', 'a plain http link', { ...hardDecline(1), onlineInvoiceUrl: 'http://in.xero.com/abc' }, 'onlineInvoiceUrl', /"http:\/\/in.xero.com\/abc" is not an https:\/\/ link/],
		['finalNotice', 'a script link', { ...hardDecline(1), onlineInvoiceUrl: 'javascript:alert(1)' }, 'onlineInvoiceUrl', /is not an https:\/\/ link/],
		['finalNotice', 'attempt 0', { ...hardDecline(1), attempt: 0 }, 'attempt', /^Attempt \(item field attempt\) 0 is not a whole number of at least 1/],
	] as const)('%s refuses %s, naming the field; nothing is sent', async (notice, _label, extra, field, message) => {
		const { sent, failed } = await send(notice, item(extra), true);
		expect(sent).toEqual([]);
		expect(failed[0].json.error).toMatchObject({ field, message: expect.stringMatching(message), retryable: false });
		expect(sink.messages()).toHaveLength(0);
	});

	it('a template override that names the next attempt fails for an item without one, instead of sending a hole', async () => {
		const [, , undated] = CASES.filter((c) => c.notice === 'declined');
		const templateOverrides = { subject: 'Declined', html: '<p>Next try {{nextAttemptDate}}</p>', text: 'Next try {{nextAttemptDate}}' };
		const [sent, failed] = await runNode(node, {
			parameters: { operation: 'sendPaymentNotice', noticeKind: 'declined', sentRecord: 'off', templateOverrides, options: {} },
			items: [{ json: undated.json }],
			credentials: credentials(),
			continueOnFail: true,
		});
		expect(sent).toEqual([]);
		expect(failed[0].json.error).toMatchObject({ field: 'nextAttemptAt', message: expect.stringMatching(/^Next Attempt At \(item field nextAttemptAt\) is empty, but the (HTML|text) body uses \{\{nextAttemptDate\}\}/) });
	});
});
