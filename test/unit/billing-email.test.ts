import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { ICredentialDataDecryptedObject, ICredentialTestFunctions, IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';
import { BillingEmail } from '../../nodes/BillingEmail/BillingEmail.node';
import { closeAllTransports, openTransportCount, setIdleCloseDelay } from '../../nodes/BillingEmail/transport';
import { SentJournal } from '../../nodes/BillingEmail/helpers/sentJournal';
import { startSmtpSink, type SmtpSink } from '../../sandbox/smtp';
import { runNode } from '../helpers/run-node';

const node = new BillingEmail();
const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n% test invoice\n'), randomBytes(2048)]);

function credentialsFor(sink: SmtpSink, extra: ICredentialDataDecryptedObject = {}): Record<string, ICredentialDataDecryptedObject> {
	return {
		billingSmtp: {
			host: sink.host,
			port: sink.port,
			tlsMode: 'none',
			user: '',
			password: '',
			from: 'Acme Accounts <accounts@billing.example>',
			allowUnauthorizedCerts: false,
			...extra,
		},
	};
}

// Field values straight from the item, as the default expressions would give them.
const fieldParams: INodeParameters = {
	recipientEmail: '',
	clientName: '',
	billingKey: '',
	invoiceNumber: '',
	amount: '',
	amountUnit: 'minor',
	currency: '',
	dueDate: '',
};

interface Row {
	billingEmail: string;
	clientName: string;
	billingKey: string;
	invoiceNumber: string;
	amountMinor: string;
	currency: string;
	dueDate: string;
	/** Xero's online invoice link (stage 3 with the online link instead of a PDF). */
	onlineInvoiceUrl?: string;
}

const row = (n: number, extra: Partial<Row> = {}): Row => ({
	billingEmail: `client${n}@client.example`,
	clientName: `Client ${n} Ltd`,
	billingKey: `C000${n}-20250301-20250401`,
	invoiceNumber: `INV-00${n}`,
	amountMinor: '123450',
	currency: 'GBP',
	dueDate: '2025-04-15',
	...extra,
});

/** runNode evaluates no expressions, so per-item values are resolved here, one item at a time. */
async function run(
	sink: SmtpSink,
	rows: Row[],
	parameters: INodeParameters,
	opts: { binary?: boolean; continueOnFail?: boolean; credentials?: ICredentialDataDecryptedObject } = {},
): Promise<INodeExecutionData[][]> {
	const sent: INodeExecutionData[] = [];
	const failed: INodeExecutionData[] = [];
	for (const [index, r] of rows.entries()) {
		const item: INodeExecutionData = { json: { ...r, index } };
		if (opts.binary) {
			item.binary = { data: { data: pdf.toString('base64'), mimeType: 'application/pdf', fileName: `${r.invoiceNumber}.pdf` } };
		}
		const [ok, bad] = await runNode(node, {
			parameters: {
				...fieldParams,
				recipientEmail: r.billingEmail,
				clientName: r.clientName,
				billingKey: r.billingKey,
				invoiceNumber: r.invoiceNumber,
				amount: r.amountMinor,
				currency: r.currency,
				dueDate: r.dueDate,
				...parameters,
			},
			items: [item],
			credentials: credentialsFor(sink, opts.credentials),
			continueOnFail: opts.continueOnFail,
		});
		sent.push(...ok);
		failed.push(...bad);
	}
	return [sent, failed];
}

describe('Billing Email node against the SMTP sink', () => {
	let sink: SmtpSink;
	beforeAll(async () => {
		sink = await startSmtpSink();
	});
	afterAll(async () => {
		closeAllTransports();
		await sink.close();
	});
	beforeEach(() => sink.clear());

	it('sends an invoice with HTML and text parts, the PDF attached and a deterministic Message-ID', async () => {
		const [sent, failed] = await run(sink, [row(1)], { operation: 'sendInvoice', attachInvoice: true, binaryPropertyName: 'data' }, { binary: true });
		expect(failed).toEqual([]);
		expect(sent).toHaveLength(1);
		const delivery = sent[0].json.emailDelivery as Record<string, any>;
		expect(delivery).toMatchObject({
			status: 'sent',
			kind: 'invoice',
			messageId: '<billing.invoice.k-C0001-20250301-20250401@billing.example>',
			accepted: ['client1@client.example'],
			rejected: [],
			attachment: { fileName: 'INV-001.pdf', contentType: 'application/pdf', size: pdf.length },
		});
		expect(delivery.response).toMatch(/^250 /);
		expect(sent[0].pairedItem).toEqual({ item: 0 });
		expect(sent[0].json.invoiceNumber).toBe('INV-001');

		const mail = sink.byMessageId(delivery.messageId as string)!;
		expect(mail).toBeDefined();
		expect(mail.from).toEqual({ address: 'accounts@billing.example', name: 'Acme Accounts' });
		expect(mail.to).toEqual([{ address: 'client1@client.example', name: 'Client 1 Ltd' }]);
		expect(mail.subject).toBe('Invoice INV-001: £1,234.50 due 15 April 2025');
		expect(mail.html).toContain('Please find attached invoice INV-001 for £1,234.50, due on 15 April 2025.');
		expect(mail.html).toContain('Dear Client 1 Ltd,');
		expect(mail.text).toContain('Please find attached invoice INV-001 for £1,234.50, due on 15 April 2025.');
		expect(mail.text).not.toContain('<');
		expect(mail.headers['x-billing-key']).toBe('C0001-20250301-20250401');
		expect(mail.headers['auto-submitted']).toBe('auto-generated');
		expect(mail.attachments).toHaveLength(1);
		expect(mail.attachments[0]).toMatchObject({
			filename: 'INV-001.pdf',
			contentType: 'application/pdf',
			sha256: createHash('sha256').update(pdf).digest('hex'),
		});
	});

	it('sends without attachment when the item has no PDF, unless one is required', async () => {
		const [sent] = await run(sink, [row(2)], { operation: 'sendInvoice', attachInvoice: true });
		expect((sent[0].json.emailDelivery as any).attachment).toBeNull();
		expect(sink.messages()[0].attachments).toEqual([]);
		await expect(
			run(sink, [row(2)], { operation: 'sendInvoice', attachInvoice: true, options: { requireAttachment: true } }),
		).rejects.toThrow(/^The item has no binary property "data" holding the invoice PDF .*\[item 0\]$/);
	});

	it("says how the client gets the invoice: attached, at Xero's online link, or this email itself", async () => {
		const link = 'https://in.xero.com/bCWCCfytGdTXoJam9HENWlQt07G6zcDaj4gQojHu';
		const [sent, failed] = await run(sink, [row(1), row(2, { onlineInvoiceUrl: link }), row(3)], { operation: 'sendInvoice', attachInvoice: false });
		expect(failed).toEqual([]);
		expect(sent).toHaveLength(3);
		const [withPdf] = await run(sink, [row(4)], { operation: 'sendInvoice', attachInvoice: true, binaryPropertyName: 'data' }, { binary: true });
		const mail = (item: INodeExecutionData) => sink.byMessageId((item.json.emailDelivery as Record<string, string>).messageId)!;

		expect(mail(withPdf[0]).text).toContain('Please find attached invoice INV-004 for £1,234.50, due on 15 April 2025.');
		expect(mail(withPdf[0]).attachments).toHaveLength(1);
		const online = mail(sent[1]);
		expect(online.text).toContain(`Invoice INV-002 for £1,234.50 is due on 15 April 2025. You can view, download and print it online at ${link}`);
		expect(online.html).toContain(link);
		expect(online.attachments).toEqual([]);
		// Nothing attached, no link: the email does not promise an attachment.
		for (const item of [sent[0], sent[2]]) {
			expect(mail(item).text).not.toContain('attached');
			expect(mail(item).attachments).toEqual([]);
		}
		expect(mail(sent[2]).text).toContain('This is invoice INV-003 for £1,234.50, due on 15 April 2025.');
	});

	it('refuses an online invoice link that is not one https URL, naming the field; nothing is sent', async () => {
		for (const bad of ['http://in.xero.com/abc', 'https://in.xero.com/a b', 'javascript:alert(1)']) {
			await expect(run(sink, [row(5, { onlineInvoiceUrl: bad })], { operation: 'sendInvoice', attachInvoice: false })).rejects.toThrow(/Online Invoice URL \(item field onlineInvoiceUrl\)/);
		}
		expect(sink.messages()).toEqual([]);
	});

	it('keeps hostile names as text in HTML and refuses header injection', async () => {
		const hostile = '<script>alert("x")</script> & <b>Bold</b> Co';
		const [sent] = await run(sink, [row(3, { clientName: hostile })], { operation: 'sendInvoice' });
		const mail = sink.byMessageId((sent[0].json.emailDelivery as any).messageId)!;
		expect(mail.html).not.toContain('<script>');
		expect(mail.html).toContain('Dear &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;Bold&lt;/b&gt; Co,');
		expect(mail.text).toContain(`Dear ${hostile},`);
		expect(mail.to[0].name).toBe(hostile);

		sink.clear();
		const injection = 'Acme Ltd\r\nBcc: attacker@evil.example';
		await expect(run(sink, [row(4, { clientName: injection })], { operation: 'sendInvoice' })).rejects.toThrow(
			/^Client Name contains a line break .*\[item 0\]$/,
		);
		await expect(
			run(sink, [row(4, { billingEmail: 'victim@client.example\r\nBcc: attacker@evil.example' })], { operation: 'sendInvoice' }),
		).rejects.toThrow(/^Recipient Email contains a line break .*\[item 0\]$/);
		await expect(
			run(sink, [row(4)], { operation: 'sendInvoice', templateOverrides: { subject: 'Invoice\r\nBcc: attacker@evil.example' } }),
		).rejects.toThrow(/^The subject contains a line break/);
		expect(sink.messages()).toHaveLength(0);
		expect(sink.byRecipient('attacker@evil.example')).toHaveLength(0);
	});

	it('names the item and field for bad addresses, currency and amounts; continueOnFail routes them to output 2', async () => {
		await expect(run(sink, [row(5, { billingEmail: 'accounts.at.example' })], { operation: 'sendInvoice' })).rejects.toThrow(
			'Recipient Email "accounts.at.example" is not a valid email address [item 0]',
		);
		await expect(run(sink, [row(5, { currency: 'EURO' })], { operation: 'sendInvoice' })).rejects.toThrow('Currency "EURO" is not a three-letter ISO 4217 code [item 0]');
		await expect(run(sink, [row(5, { amountMinor: '-2500' })], { operation: 'sendInvoice' })).rejects.toThrow(/^Amount "-2500" is negative.*\[item 0\]$/);
		// Blank, not empty: n8n itself refuses an empty required parameter before the node runs.
		await expect(run(sink, [row(5, { billingEmail: ' ' })], { operation: 'sendInvoice' })).rejects.toThrow(
			'Recipient Email is empty; an email address is required [item 0]',
		);

		// With continueOnFail the invalid item goes to output 2 instead of stopping the run.
		const bad = row(7, { billingEmail: 'broken' });
		const [sent, failed] = await runNode(node, {
			parameters: { ...fieldParams, operation: 'sendInvoice', recipientEmail: bad.billingEmail, clientName: bad.clientName, billingKey: bad.billingKey, invoiceNumber: bad.invoiceNumber, amount: bad.amountMinor, currency: bad.currency, dueDate: bad.dueDate },
			items: [{ json: { ...bad } }],
			credentials: credentialsFor(sink),
			continueOnFail: true,
		});
		expect(sent).toEqual([]);
		expect(failed).toHaveLength(1);
		expect(failed[0].pairedItem).toEqual({ item: 0 });
		expect(failed[0].json.error).toEqual({
			message: 'Recipient Email "broken" is not a valid email address [item 0]',
			field: 'recipientEmail',
			retryable: false,
			description: 'Fix the value (or the CRM record it comes from) and run the item again. Nothing was sent for this item.',
		});
		expect(failed[0].json.emailDelivery).toEqual({ status: 'invalid', kind: 'invoice', temporary: false });
		expect(failed[0].json.billingEmail).toBe('broken');
		expect(sink.messages()).toHaveLength(0);
	});

	it('renders payment notices: paid, declined with a readable reason, no card, final notice', async () => {
		const base = { operation: 'sendPaymentNotice' };
		const [paid] = await run(sink, [row(1)], { ...base, noticeKind: 'paid' });
		const [declined] = await run(sink, [row(1)], { ...base, noticeKind: 'declined', reason: '', acquirerResponseCode: '51', attempt: '2' });
		const [noCard] = await run(sink, [row(1)], { ...base, noticeKind: 'noCardOnFile', attempt: '1' });
		const [final] = await run(sink, [row(1)], { ...base, noticeKind: 'finalNotice', reason: '', acquirerResponseCode: '' });
		const ids = [paid, declined, noCard, final].map((out) => (out[0].json.emailDelivery as any).messageId);
		expect(ids).toEqual([
			'<billing.paid.k-C0001-20250301-20250401@billing.example>',
			'<billing.declined.a2.k-C0001-20250301-20250401@billing.example>',
			'<billing.noCardOnFile.a1.k-C0001-20250301-20250401@billing.example>',
			'<billing.finalNotice.k-C0001-20250301-20250401@billing.example>',
		]);
		const [paidMail, declinedMail, noCardMail, finalMail] = ids.map((id) => sink.byMessageId(id)!);
		expect(paidMail.subject).toBe('Payment received for invoice INV-001, thank you');
		expect(paidMail.text).toContain('We have received your payment of £1,234.50 for invoice INV-001.');
		expect(declinedMail.subject).toBe('Payment for invoice INV-001 was declined');
		expect(declinedMail.html).toContain('declined: <strong>insufficient funds</strong>');
		expect(declinedMail.text).toContain('(attempt 2)');
		expect(declinedMail.headers['x-billing-attempt']).toBe('2');
		expect(noCardMail.text).toContain('We do not hold a payment card for your account');
		expect(finalMail.subject).toBe('Final notice: payment for invoice INV-001 has failed');
		// Notices thread under the invoice email.
		expect(declinedMail.headers['in-reply-to']).toBe('<billing.invoice.k-C0001-20250301-20250401@billing.example>');

		await expect(run(sink, [row(1)], { ...base, noticeKind: 'declined', reason: '', acquirerResponseCode: '', attempt: '1' })).rejects.toThrow(
			/^Decline Reason is empty, but the (subject|HTML body|text body) uses \{\{reason\}\} \[item 0\]$/,
		);
		await expect(run(sink, [row(1)], { ...base, noticeKind: 'declined', reason: 'x', attempt: 'zero' })).rejects.toThrow('Attempt "zero" is not a positive whole number [item 0]');
	});

	it('gives a resend the same Message-ID, so the duplicate is recognisable', async () => {
		const [first] = await run(sink, [row(9)], { operation: 'sendInvoice', options: { skipAlreadySent: false } });
		const [second] = await run(sink, [row(9)], { operation: 'sendInvoice', options: { skipAlreadySent: false } });
		const id = (first[0].json.emailDelivery as any).messageId;
		expect((second[0].json.emailDelivery as any).messageId).toBe(id);
		expect(sink.countByMessageId(id)).toBe(2);
		expect(sink.duplicates()).toEqual({ [id]: 2 });
		// A billing key with unusual characters is hashed, still deterministically.
		const [odd] = await run(sink, [row(9, { billingKey: 'client/with spaces@2025' })], { operation: 'sendInvoice' });
		expect((odd[0].json.emailDelivery as any).messageId).toMatch(/^<billing\.invoice\.h-[0-9a-f]{40}@billing\.example>$/);
	});

	it('skips an email the sent journal already holds (a batch redelivered after a crash), and records each send durably', async () => {
		const [first] = await run(sink, [row(9), row(10)], { operation: 'sendInvoice' });
		expect(first.map((i) => (i.json.emailDelivery as any).status)).toEqual(['sent', 'sent']);
		// The redelivered batch: the two sent emails are skipped, a new one beside them goes out.
		const [again] = await run(sink, [row(9), row(11), row(10)], { operation: 'sendInvoice' });
		expect(again.map((i) => [(i.json.emailDelivery as any).status, i.json.invoiceNumber])).toEqual([
			['alreadySent', row(9).invoiceNumber],
			['sent', row(11).invoiceNumber],
			['alreadySent', row(10).invoiceNumber],
		]);
		expect((again[0].json.emailDelivery as any).sentAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
		expect(sink.duplicates()).toEqual({});
		expect(sink.messages()).toHaveLength(3);
		// The journal is a plain file in n8n's user folder: a restarted n8n (new process) reads it back.
		const dir = path.join(process.env.N8N_USER_FOLDER!, '.n8n', 'billing-email-journal');
		const lines = fs.readFileSync(path.join(dir, fs.readdirSync(dir)[0]), 'utf8').trim().split('\n');
		expect(lines.map((l) => l.split('\t')[0])).toEqual(sink.messages().map((m) => m.messageId));
		const fresh = new SentJournal(dir);
		await fresh.refresh();
		for (const m of sink.messages()) expect(fresh.sentAt(String(m.messageId))).toMatch(/^\d{4}-/);
		expect(fresh.sentAt('<never.sent@billing.example>')).toBeUndefined();
	});

	it('sends each email once when two executions hold the same batch at once (redelivered after a broker restart)', async () => {
		sink.setLatency(150);
		try {
			const batch = [row(21), row(22), row(23)];
			const [a, b] = await Promise.all([run(sink, batch, { operation: 'sendInvoice' }), run(sink, batch, { operation: 'sendInvoice' })]);
			const statuses = [...a[0], ...b[0]].map((i) => (i.json.emailDelivery as any).status).sort();
			expect(statuses).toEqual(['alreadySent', 'alreadySent', 'alreadySent', 'sent', 'sent', 'sent']);
			expect(sink.duplicates()).toEqual({});
			expect(sink.messages()).toHaveLength(3);
		} finally {
			sink.setLatency(undefined);
		}
	});

	it('applies template overrides and refuses unknown or empty placeholders', async () => {
		const [sent] = await run(sink, [row(1)], {
			operation: 'sendInvoice',
			templateOverrides: { subject: '{{clientName}}: invoice {{invoiceNumber}} ({{amountValue}} {{currency}})', html: '<p>Hi {{clientName}}</p>', text: 'Hi {{clientName}}' },
			options: { locale: 'de-DE' },
		});
		const mail = sink.byMessageId((sent[0].json.emailDelivery as any).messageId)!;
		expect(mail.subject).toBe('Client 1 Ltd: invoice INV-001 (1234.50 GBP)');
		expect(mail.html).toContain('<p>Hi Client 1 Ltd</p>');
		expect(mail.text?.trim()).toBe('Hi Client 1 Ltd');
		await expect(run(sink, [row(1)], { operation: 'sendInvoice', templateOverrides: { subject: 'Hello {{nickname}}' } })).rejects.toThrow(
			/subject uses unknown placeholder \{\{nickname\}\}/,
		);
		await expect(run(sink, [row(1, { dueDate: '' })], { operation: 'sendInvoice' })).rejects.toThrow(
			'Due Date is empty, but the subject uses {{dueDate}} [item 0]',
		);
	});

	it('routes a temporary SMTP refusal to the second output with the server reply', async () => {
		sink.refuseNext(1, { code: 451, message: 'Greylisted, try again later' });
		const items: INodeExecutionData[] = [{ json: { n: 1 } }, { json: { n: 2 } }];
		// Same fields for both items; different billing keys would need expressions.
		const [sent, failed] = await runNode(node, {
			parameters: { ...fieldParams, operation: 'sendInvoice', recipientEmail: 'c@client.example', clientName: 'C', billingKey: 'K1', invoiceNumber: 'INV-9', amount: '100', currency: 'USD', dueDate: '2025-05-01', options: { concurrency: 1 } },
			items,
			credentials: credentialsFor(sink),
		});
		expect(failed).toHaveLength(1);
		expect(sent).toHaveLength(1);
		expect(failed[0].pairedItem).toEqual({ item: 0 });
		expect(sent[0].pairedItem).toEqual({ item: 1 });
		expect(failed[0].json.n).toBe(1);
		expect(failed[0].json.emailDelivery).toMatchObject({
			status: 'failed',
			temporary: true,
			messageId: '<billing.invoice.k-K1@billing.example>',
			responseCode: 451,
			command: 'DATA',
		});
		expect((failed[0].json.emailDelivery as any).response).toMatch(/Greylisted/);
		expect((failed[0].json.emailDelivery as any).error).toBeUndefined();
		// The error is the kit's failure object: Retry or Park reads message and retryable.
		expect(failed[0].json.error).toEqual({ message: expect.stringMatching(/Greylisted/), code: '451', retryable: true });
		expect(sink.stats()).toMatchObject({ received: 1, refused: 1 });
	});

	it('refuses an out-of-range concurrency and a bad notice kind, naming the parameter', async () => {
		for (const concurrency of [0, 21, 2.5]) {
			await expect(run(sink, [row(1)], { operation: 'sendInvoice', options: { concurrency } })).rejects.toThrow(
				`"Concurrency" must be a whole number from 1 to 20, got ${concurrency}`,
			);
		}
		const [ok, failed] = await run(sink, [row(1)], { operation: 'sendInvoice', options: { concurrency: 50 } }, { continueOnFail: true });
		expect(ok).toEqual([]);
		expect(failed[0].json.error).toMatchObject({ field: 'options.concurrency', retryable: false });
		const [, badKind] = await run(sink, [row(1)], { operation: 'sendPaymentNotice', noticeKind: 'overdue' }, { continueOnFail: true });
		expect(badKind[0].json.error).toMatchObject({ field: 'noticeKind', message: expect.stringMatching(/must be one of paid, declined, noCardOnFile, finalNotice/) });
		expect(badKind[0].json.emailDelivery).toEqual({ status: 'invalid', kind: null, temporary: false });
		expect(sink.messages()).toHaveLength(0);
	});

	it('refuses a journal folder it cannot use, naming the option, and sends nothing', async () => {
		const file = path.join(process.env.N8N_USER_FOLDER!, 'not-a-folder');
		fs.writeFileSync(file, 'x');
		await expect(run(sink, [row(1)], { operation: 'sendInvoice', options: { journalFolder: file } })).rejects.toThrow(
			/^Cannot read the sent-email journal in .*not-a-folder: file already exists/,
		);
		const [ok, failed] = await run(sink, [row(1)], { operation: 'sendInvoice', options: { journalFolder: file } }, { continueOnFail: true });
		expect(ok).toEqual([]);
		expect(failed[0].json.error).toMatchObject({ field: 'options.journalFolder', description: expect.stringMatching(/Nothing was sent/) });
		expect(sink.messages()).toHaveLength(0);
	});

	it('reuses the pooled transport across executions and closes it when idle', async () => {
		closeAllTransports();
		sink.clear();
		await run(sink, [row(1)], { operation: 'sendInvoice' });
		const afterFirst = sink.stats().connections;
		await run(sink, [row(2), row(3)], { operation: 'sendInvoice' });
		expect(sink.stats().received).toBe(3);
		expect(sink.stats().connections).toBe(afterFirst);
		expect(openTransportCount()).toBe(1);
		setIdleCloseDelay(50);
		try {
			await run(sink, [row(4)], { operation: 'sendInvoice' });
			await new Promise((r) => setTimeout(r, 150));
			expect(openTransportCount()).toBe(0);
		} finally {
			setIdleCloseDelay(30_000);
		}
	});
});

describe('Billing Email node: auth, TLS and the credential test', () => {
	afterAll(() => closeAllTransports());
	const test = node.methods.credentialTest.billingSmtpConnectionTest;
	const ctx = {} as ICredentialTestFunctions;
	const verify = (data: ICredentialDataDecryptedObject) => test.call(ctx, { id: 'c', name: 'Billing SMTP', type: 'billingSmtp', data });

	it('logs in with the credential; a wrong password fails the send with EAUTH on output 2', async () => {
		const sink = await startSmtpSink({ auth: { user: 'billing', password: 's3cret' } });
		try {
			const good = credentialsFor(sink, { user: 'billing', password: 's3cret' }).billingSmtp;
			expect(await verify(good)).toEqual({ status: 'OK', message: 'Connection successful' });
			const bad = await verify({ ...good, password: 'wrong' });
			expect(bad.status).toBe('Error');
			expect(bad.message).toMatch(/535|Invalid login|auth/i);

			const [sent] = await run(sink, [row(1)], { operation: 'sendInvoice' }, { credentials: { user: 'billing', password: 's3cret' } });
			expect(sent).toHaveLength(1);
			expect(sink.messages()[0].authUser).toBe('billing');
			const [none, failed] = await run(sink, [row(2)], { operation: 'sendInvoice' }, { credentials: { user: 'billing', password: 'wrong' } });
			expect(none).toEqual([]);
			expect(failed[0].json.emailDelivery).toMatchObject({ status: 'failed', temporary: false, responseCode: 535 });
			expect(failed[0].json.error).toMatchObject({ code: '535', retryable: false, message: expect.stringMatching(/Invalid login/) });
		} finally {
			closeAllTransports();
			await sink.close();
		}
	});

	it('honours the TLS mode and the allow-unauthorized-certificates switch', async () => {
		for (const mode of ['starttls', 'implicit'] as const) {
			const sink = await startSmtpSink({ tls: mode });
			try {
				const creds = credentialsFor(sink, { tlsMode: mode }).billingSmtp;
				const strict = await verify(creds);
				expect(strict.status).toBe('Error');
				expect(strict.message).toMatch(/certificate/i);
				expect(await verify({ ...creds, allowUnauthorizedCerts: true })).toMatchObject({ status: 'OK' });
				const [sent] = await run(sink, [row(1)], { operation: 'sendInvoice' }, { credentials: { tlsMode: mode, allowUnauthorizedCerts: true } });
				expect(sent).toHaveLength(1);
			} finally {
				closeAllTransports();
				await sink.close();
			}
		}
	});

	it('refuses an unusable credential with a message naming the field', async () => {
		const sink = await startSmtpSink();
		try {
			expect(await verify({ ...credentialsFor(sink).billingSmtp, port: 70000 })).toEqual({
				status: 'Error',
				message: 'Billing SMTP credential: Port "70000" is not a port number (1-65535)',
			});
			await expect(run(sink, [row(1)], { operation: 'sendInvoice' }, { credentials: { host: '' } })).rejects.toThrow('Billing SMTP credential: Host is empty');
			// Under Continue On Fail a bad credential fails every item, naming the credential field.
			const [ok, failed] = await run(sink, [row(1)], { operation: 'sendInvoice' }, { credentials: { host: '' }, continueOnFail: true });
			expect(ok).toEqual([]);
			expect(failed[0].json.error).toMatchObject({ message: 'Billing SMTP credential: Host is empty', field: 'host', retryable: false });
			await expect(run(sink, [row(1)], { operation: 'sendInvoice' }, { credentials: { from: 'not an address' } })).rejects.toThrow(
				'Billing SMTP credential: Default Sender "not an address" is not a valid email address [item 0]',
			);
		} finally {
			await sink.close();
		}
	});
});

// Issue 15 (one amount unit): `amountUnit` with minor | major, default minor, as Secure Trading and Xero Billing.
describe('Billing Email node: amount unit', () => {
	let sink: SmtpSink;
	beforeAll(async () => {
		sink = await startSmtpSink();
	});
	afterAll(async () => {
		closeAllTransports();
		await sink.close();
	});
	beforeEach(() => sink.clear());

	const subjectOf = (sent: INodeExecutionData[]) => sink.byMessageId(String((sent[0].json.emailDelivery as Record<string, unknown>).messageId))?.subject;

	it('reads minor units by default and major units when amountUnit is major', async () => {
		// No amountUnit at all: the node's default (minor) applies. Fails on the old code only through the renamed parameter below.
		const { amountUnit: _unit, ...withoutUnit } = fieldParams;
		const r = row(41);
		const [byDefault] = await runNode(node, {
			parameters: { ...withoutUnit, operation: 'sendInvoice', recipientEmail: r.billingEmail, clientName: r.clientName, billingKey: r.billingKey, invoiceNumber: r.invoiceNumber, amount: '123450', currency: 'GBP', dueDate: r.dueDate },
			items: [{ json: { ...r } }],
			credentials: credentialsFor(sink),
		});
		expect(subjectOf(byDefault)).toBe('Invoice INV-0041: £1,234.50 due 15 April 2025');

		// Fails on the old code: amountUnit was ignored there (amountFormat), so "1234.50" was refused as minor units.
		const [major, failed] = await run(sink, [row(42, { amountMinor: '1234.50' })], { operation: 'sendInvoice', amountUnit: 'major' });
		expect(failed).toEqual([]);
		expect(subjectOf(major)).toBe('Invoice INV-0042: £1,234.50 due 15 April 2025');
	});

	it('refuses the old value "decimal", naming amountUnit', async () => {
		await expect(run(sink, [row(43)], { operation: 'sendInvoice', amountUnit: 'decimal' })).rejects.toThrow('Amount Unit must be minor or major, got "decimal" [item 0]');
		const [sent, failed] = await run(sink, [row(44)], { operation: 'sendInvoice', amountUnit: 'decimal' }, { continueOnFail: true });
		expect(sent).toEqual([]);
		expect(failed[0].json.error).toMatchObject({ field: 'amountUnit', retryable: false });
		expect(sink.messages()).toHaveLength(0);
	});
});

describe('Billing Email node: charge timing promise and invoice-state notices (issue 15)', () => {
	let sink: SmtpSink;
	beforeAll(async () => {
		sink = await startSmtpSink();
	});
	afterAll(async () => {
		closeAllTransports();
		await sink.close();
	});
	beforeEach(() => sink.clear());

	// Field parameters left to their default expressions: the item's own fields drive the email.
	const item = (extra: IDataObject = {}): IDataObject => ({
		billingEmail: 'client1@client.example',
		clientName: 'Client 1 Ltd',
		billingKey: 'C0001-20250301-20250401',
		invoiceNumber: 'INV-001',
		amountMinor: 12000,
		currency: 'GBP',
		dueDate: '2025-04-15',
		...extra,
	});
	async function send(parameters: INodeParameters, json: IDataObject, continueOnFail = false) {
		const [sent, failed] = await runNode(node, {
			parameters: { ...parameters, options: { skipAlreadySent: false, ...(parameters.options as IDataObject | undefined) } },
			items: [{ json }],
			credentials: credentialsFor(sink),
			continueOnFail,
		});
		const delivery = sent[0]?.json.emailDelivery as IDataObject | undefined;
		return { sent, failed, delivery, mail: delivery ? sink.byMessageId(String(delivery.messageId)) : undefined };
	}

	const PROMISES = {
		onInvoicing: 'We will charge the card we hold for your account today.',
		onDueDate: 'We will charge the card we hold for your account on or after 15 April 2025.',
		noCard: 'Please pay by 15 April 2025 using the payment details on the invoice.',
	} as const;
	const count = (haystack: string, needle: string) => haystack.split(needle).length - 1;

	it.each([
		['onInvoicing', { cardReference: '1-2-345' }, 'onInvoicing'],
		['onDueDate', { cardReference: '1-2-345' }, 'onDueDate'],
		['noCard', { cardReference: '1-2-345' }, 'noCard'],
		['onInvoicing', {}, 'noCard'],
		['onDueDate', { cardReference: '  ' }, 'noCard'],
	] as const)('chargeTiming %s with card %j: the invoice makes exactly the %s promise', async (chargeTiming, card, promised) => {
		const { delivery, mail } = await send({ operation: 'sendInvoice', chargeTiming }, item(card));
		expect(delivery).toMatchObject({ status: 'sent', kind: 'invoice', chargeTiming: promised });
		for (const [timing, sentence] of Object.entries(PROMISES)) {
			const expected = timing === promised ? 1 : 0;
			expect([timing, count(mail!.text!, sentence), count(mail!.html as string, sentence)]).toEqual([timing, expected, expected]);
		}
		// Nothing else in the email speaks of the charge: no older or contradicting wording.
		const others = `${mail!.text}\n${mail!.html}`.split(PROMISES[promised]).join('');
		expect(others).not.toMatch(/charge|on or after|pay by/i);
		expect(mail!.html).toContain(`<p style="margin:0 0 16px;">${PROMISES[promised]}</p>`);
	});

	it('reads the card on file from a configurable field, and refuses an unknown timing', async () => {
		const json = item({ client: { card: 'ref-9' } });
		const viaField = await send({ operation: 'sendInvoice', chargeTiming: 'onDueDate', cardReference: '={{ $json.client.card }}' }, json);
		expect(viaField.delivery?.chargeTiming).toBe('onDueDate');
		expect(viaField.mail!.text).toContain(PROMISES.onDueDate);
		expect(viaField.mail!.text).not.toContain('ref-9');
		const missing = await send({ operation: 'sendInvoice', chargeTiming: 'onDueDate', cardReference: '={{ $json.client.other }}' }, json);
		expect(missing.mail!.text).toContain(PROMISES.noCard);
		// The due date the promise names is required.
		const onlyPromise = { subject: 'Invoice {{invoiceNumber}}', html: '<p>{{chargePromise}}</p>', text: '{{chargePromise}}' };
		await expect(send({ operation: 'sendInvoice', chargeTiming: 'onDueDate', templateOverrides: onlyPromise }, item({ cardReference: 'r', dueDate: '' }))).rejects.toThrow(
			'Due Date is empty, but the charge promise uses {{dueDate}} [item 0]',
		);
		const bad = await send({ operation: 'sendInvoice', chargeTiming: 'whenever' }, item({ cardReference: 'r' }), true);
		expect(bad.sent).toEqual([]);
		expect(bad.failed[0].json.error).toMatchObject({ field: 'chargeTiming', message: expect.stringMatching(/must be one of onInvoicing, onDueDate, noCard/) });
		expect(sink.messages()).toHaveLength(2);
	});

	it.each([
		['paidElsewhere', 'Invoice INV-001 is already paid, thank you', 'Invoice INV-001 is already paid — thank you; we have not charged your card.'],
		['paid', 'Invoice INV-001 is already paid, thank you', 'Invoice INV-001 is already paid — thank you; we have not charged your card.'],
		['voided', 'Invoice INV-001 was cancelled', 'Invoice INV-001 was cancelled; we have not charged your card.'],
		['credited', 'Invoice INV-001 is covered by a credit note', 'Invoice INV-001 is covered by a credit note; we have not charged your card.'],
	])('nothingToCharge (%s) says what happened and that the card was not charged', async (state, subject, sentence) => {
		// The default reads Xero Billing's read-back verdict.
		const { delivery, mail } = await send({ operation: 'sendPaymentNotice', noticeKind: 'nothingToCharge' }, item({ chargeable: { state, amountDueMinor: 0 } }));
		expect(delivery).toMatchObject({
			status: 'sent',
			kind: 'nothingToCharge',
			noChargeReason: state === 'paid' ? 'paidElsewhere' : state,
			messageId: '<billing.nothingToCharge.k-C0001-20250301-20250401@billing.example>',
		});
		expect(mail!.subject).toBe(subject);
		expect(mail!.text).toContain(sentence);
		expect(mail!.html).toContain(sentence.replace('INV-001', '<strong>INV-001</strong>'));
		expect(mail!.headers['in-reply-to']).toBe('<billing.invoice.k-C0001-20250301-20250401@billing.example>');
	});

	it('nothingToCharge refuses a missing or unknown reason, naming the field; nothing is sent', async () => {
		const unknown = await send({ operation: 'sendPaymentNotice', noticeKind: 'nothingToCharge' }, item({ chargeable: { state: 'due' } }), true);
		expect(unknown.failed[0].json.error).toMatchObject({
			field: 'noChargeReason',
			message: 'Nothing-to-Charge Reason "due" must be one of paidElsewhere, voided, credited [item 0]',
			retryable: false,
		});
		expect(unknown.failed[0].json.emailDelivery).toEqual({ status: 'invalid', kind: 'nothingToCharge', temporary: false });
		await expect(send({ operation: 'sendPaymentNotice', noticeKind: 'nothingToCharge' }, item())).rejects.toThrow(
			'Nothing-to-Charge Reason is empty; use one of paidElsewhere, voided, credited [item 0]',
		);
		expect(sink.messages()).toHaveLength(0);
	});

	it('chargedRemainder names the remainder, the total and what was already paid, in ISO 4217 digits', async () => {
		const readBack = { chargeable: { state: 'partPaid', amountDueMinor: 7000 }, xeroInvoice: { totalMinor: 12000, amountPaidMinor: 5000, amountCreditedMinor: 0 } };
		const { delivery, mail } = await send({ operation: 'sendPaymentNotice', noticeKind: 'chargedRemainder' }, item(readBack));
		expect(delivery).toMatchObject({ status: 'sent', kind: 'chargedRemainder', messageId: '<billing.chargedRemainder.k-C0001-20250301-20250401@billing.example>' });
		expect(mail!.subject).toBe('Payment received for invoice INV-001: remaining £70.00 charged');
		expect(mail!.text).toContain('We charged the remaining amount £70.00 of invoice INV-001 (total £120.00, already paid £50.00) to the card we hold for your account.');
		expect(mail!.html).toContain('We charged the remaining amount <strong>£70.00</strong> of invoice <strong>INV-001</strong> (total £120.00, already paid £50.00)');

		// Credits count as paid; HUF keeps its two ISO 4217 digits where Intl alone would round to whole forints.
		sink.clear();
		const huf = await send(
			{ operation: 'sendPaymentNotice', noticeKind: 'chargedRemainder' },
			item({ currency: 'HUF', chargeable: { amountDueMinor: 1250 }, xeroInvoice: { totalMinor: 10000, amountPaidMinor: 5000, amountCreditedMinor: 3750 } }),
		);
		expect(huf.mail!.text!.replace(/\s/g, ' ')).toContain('remaining amount HUF 12.50 of invoice INV-001 (total HUF 100.00, already paid HUF 87.50)');
	});

	it('chargedRemainder refuses amounts that do not add up, and an empty charge, naming the field', async () => {
		// E.g. Amount Charged mapped to the frozen invoice total instead of what was due.
		const wrong = await send(
			{ operation: 'sendPaymentNotice', noticeKind: 'chargedRemainder', amountCharged: '={{ $json.amountMinor }}' },
			item({ xeroInvoice: { totalMinor: 12000, amountPaidMinor: 5000 } }),
			true,
		);
		expect(wrong.sent).toEqual([]);
		expect(wrong.failed[0].json.error).toMatchObject({
			field: 'amountCharged',
			message: 'Amount Charged 120.00 GBP plus Already Paid 50.00 GBP is not the Invoice Total 120.00 GBP; the notice would not add up [item 0]',
			retryable: false,
			description: expect.stringMatching(/Nothing was sent/),
		});
		await expect(
			send({ operation: 'sendPaymentNotice', noticeKind: 'chargedRemainder' }, item({ chargeable: { amountDueMinor: 0 }, xeroInvoice: { totalMinor: 12000, amountPaidMinor: 12000 } })),
		).rejects.toThrow('Amount Charged is zero; when nothing was charged, send the nothingToCharge notice [item 0]');
		await expect(send({ operation: 'sendPaymentNotice', noticeKind: 'chargedRemainder' }, item({ chargeable: { amountDueMinor: 7000 } }))).rejects.toThrow(/^Invoice Total is required \[item 0\]$/);
		expect(sink.messages()).toHaveLength(0);
	});
});
