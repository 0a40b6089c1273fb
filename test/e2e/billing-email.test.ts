// The Billing Email node end to end in a real n8n: the packed package installed as a community
// package, a `billingSmtp` credential (SMTP sink started here, with AUTH required) and a Xero
// credential (Xero sandbox started here) imported with the n8n CLI, and two published Webhook
// workflows: Get invoice PDF → Send invoice email → Mark as sent, and Send payment notice.
// Every case is checked against the webhook answer, the execution n8n stored and what the SMTP
// sink actually received (MIME parts, attachment, headers), plus the Xero sandbox's records.
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { startSmtpSink, type SinkMessage, type SmtpSink } from '../../sandbox/smtp';
import { startXeroSandbox, type XeroSandbox } from '../../sandbox/xero';
import { N8nInstance, startN8n } from '../../support/n8n';
import { startXeroTokenProxy, type XeroTokenProxy } from '../../support/xero-token-proxy';
import { emailPaymentNotices, emailSendInvoices } from './fixtures/email';

const invoiceWorkflow = emailSendInvoices();
const noticeWorkflow = emailPaymentNotices();
const WORKFLOW_IDS = [invoiceWorkflow, noticeWorkflow].map((w) => w.id as string);
const SMTP_CREDENTIAL = { id: 'emE2eSmtpCred001', name: 'SMTP sink (e2e)', type: 'billingSmtp' };
const XERO_CREDENTIAL = { id: 'emE2eXeroCred001', name: 'Xero sandbox (email e2e)', type: 'xeroCustomConnectionApi' };
const SMTP_USER = 'billing-e2e';
const SMTP_PASSWORD = `smtp-e2e-${randomBytes(12).toString('hex')}`;
const XERO_CLIENT_ID = 'E2EEMAILCUSTOMCONNECTION1';
const XERO_SECRET = `e2e-xero-secret-${randomBytes(12).toString('hex')}`;
const SENDER = 'Acme Accounts <accounts@billing.example>';
const HOSTILE = '<script>alert(1)</script>';

type Json = Record<string, any>;

const invoiceMessageId = (billingKey: string) => `<billing.invoice.k-${billingKey}@billing.example>`;

describe('Billing Email node in a real n8n', () => {
	let sink: SmtpSink;
	let sb: XeroSandbox;
	let tap: XeroTokenProxy;
	let n8n: N8nInstance;
	const seen = new Set<string>();

	/** A client with an approved invoice in the Xero sandbox, shaped as Create Invoices outputs it. */
	function invoiceFor(n: number, clientName: string): Json {
		const clientId = `EM${String(n).padStart(3, '0')}`;
		const billingKey = `${clientId}-20261101-20261201`;
		const contact = sb.seedContact({ Name: clientName, ContactNumber: clientId, EmailAddress: `accounts@${clientId.toLowerCase()}.example` });
		const [inv] = sb.seedInvoices([
			{
				Type: 'ACCREC',
				Contact: { ContactID: contact.ContactID },
				Reference: billingKey,
				Date: '2026-12-01',
				DueDate: '2026-12-15',
				Status: 'AUTHORISED',
				CurrencyCode: 'GBP',
				LineAmountTypes: 'Exclusive',
				LineItems: [{ Description: `Leads for ${clientId}`, Quantity: 3, UnitAmount: 12.5 + n, AccountCode: '200' }],
			},
		]);
		const total = inv.Total as number;
		return {
			billingKey,
			clientId,
			clientName,
			billingEmail: `accounts@${clientId.toLowerCase()}.example`,
			currency: 'GBP',
			xeroContactId: contact.ContactID,
			xeroInvoice: { invoiceId: inv.InvoiceID, invoiceNumber: inv.InvoiceNumber, reference: billingKey, status: 'AUTHORISED', total, totalMinor: Math.round(total * 100), dueDate: '2026-12-15', sentToContact: false },
		};
	}

	async function post(pathName: string, body: unknown): Promise<Json[]> {
		const res = await fetch(`${n8n.url}/webhook/${pathName}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
		const text = await res.text();
		expect(res.status).toBe(200);
		try {
			const parsed = JSON.parse(text) as unknown;
			return (Array.isArray(parsed) ? parsed : [parsed]) as Json[];
		} catch {
			throw new Error(`webhook ${pathName} answered ${res.status} with non-JSON: ${text.slice(0, 300)}\n${n8n.logs(40)}`);
		}
	}

	/** The execution of `workflowId` that finished since the last call. */
	async function newExecution(workflowId: string): Promise<string> {
		const all = await n8n.waitForExecutions(workflowId, [...seen].filter((id) => id.startsWith(`${workflowId}:`)).length + 1);
		const fresh = all.filter((e) => !seen.has(`${workflowId}:${e.id}`));
		expect(fresh).toHaveLength(1);
		seen.add(`${workflowId}:${fresh[0].id}`);
		expect(fresh[0].status).toBe('success');
		return fresh[0].id;
	}

	const gbp = (minor: number) => new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'GBP' }).format(minor / 100);

	beforeAll(async () => {
		sink = await startSmtpSink({ auth: { user: SMTP_USER, password: SMTP_PASSWORD } });
		sb = await startXeroSandbox({ clientId: XERO_CLIENT_ID, clientSecret: XERO_SECRET });
		tap = await startXeroTokenProxy(sb.tokenUrl);
		n8n = await startN8n({
			credentials: [
				{ ...SMTP_CREDENTIAL, data: { host: sink.host, port: sink.port, tlsMode: 'none', user: SMTP_USER, password: SMTP_PASSWORD, from: SENDER, allowUnauthorizedCerts: false } },
				{ ...XERO_CREDENTIAL, data: { clientId: XERO_CLIENT_ID, clientSecret: XERO_SECRET, endpoints: 'custom', tokenUrl: tap.tokenUrl, apiBaseUrl: sb.apiBaseUrl } },
			],
			workflows: [invoiceWorkflow, noticeWorkflow],
			publish: WORKFLOW_IDS,
		});
	}, 240_000);

	afterAll(async () => {
		await n8n?.dispose();
		await tap?.close();
		await sb?.close();
		await sink?.close();
	});

	it('emails each invoice with its Xero PDF attached (HTML and text), escapes a hostile client name, then marks it sent', async () => {
		const invoices = [invoiceFor(1, 'Northwind Traders Ltd'), invoiceFor(2, HOSTILE), invoiceFor(3, 'Fabrikam & Sons')];
		const reply = await post('billing/e2e/email/invoices', { invoices });

		expect(reply.map((i) => [i.billingKey, i.emailDelivery?.status, i.xeroInvoice?.sentToContact, i.error])).toEqual(invoices.map((i) => [i.billingKey, 'sent', true, undefined]));
		for (const inv of invoices) expect(sb.invoice(inv.xeroInvoice.invoiceId)).toMatchObject({ SentToContact: true });

		const messages = await sink.waitForCount(3, 10_000);
		expect(messages).toHaveLength(3);
		for (const inv of invoices) {
			const [m] = sink.byRecipient(inv.billingEmail);
			expect(m).toBeDefined();
			const number = inv.xeroInvoice.invoiceNumber as string;
			// Deterministic Message-ID from the billing key, reported in the output item too.
			expect(m.messageId).toBe(invoiceMessageId(inv.billingKey));
			expect(reply.find((r) => r.billingKey === inv.billingKey)!.emailDelivery.messageId).toBe(m.messageId);
			expect(m.authUser).toBe(SMTP_USER);
			expect(m.from).toEqual({ name: 'Acme Accounts', address: 'accounts@billing.example' });
			expect(m.to).toEqual([{ name: inv.clientName, address: inv.billingEmail }]);
			expect(m.subject).toBe(`Invoice ${number}: ${gbp(inv.xeroInvoice.totalMinor)} due 15 December 2026`);
			expect(m.headers['x-billing-key']).toBe(inv.billingKey);
			// Both parts, saying the same thing.
			expect(m.html).toContain(`Please find attached invoice <strong>${number}</strong> for <strong>${gbp(inv.xeroInvoice.totalMinor)}</strong>`);
			expect(m.text).toContain(`Please find attached invoice ${number} for ${gbp(inv.xeroInvoice.totalMinor)}, due on 15 December 2026.`);
			// The PDF Xero rendered, carried through n8n's binary data store into the attachment.
			expect(m.attachments).toHaveLength(1);
			const [pdf] = m.attachments;
			expect(pdf).toMatchObject({ filename: `Invoice ${number}.pdf`, contentType: 'application/pdf' });
			const bytes = pdf.content.toString('latin1');
			expect(bytes.startsWith('%PDF-1.4')).toBe(true);
			expect(bytes).toContain(`(Invoice ${number})`);
			expect(bytes).toContain(inv.billingKey);
		}

		const hostile = sink.byRecipient(invoices[1].billingEmail)[0];
		expect(hostile.html).toContain('Dear &lt;script&gt;alert(1)&lt;/script&gt;,');
		expect(hostile.html).not.toContain('<script');
		expect(hostile.text).toContain(`Dear ${HOSTILE},`);
		const ampersand = sink.byRecipient(invoices[2].billingEmail)[0];
		expect(ampersand.html).toContain('Dear Fabrikam &amp; Sons,');

		const executionId = await newExecution(invoiceWorkflow.id as string);
		const [sent, failed] = await n8n.nodeOutput(executionId, 'Billing Email');
		expect(failed ?? []).toHaveLength(0);
		expect(sent.map((i) => [(i as Json).pairedItem, i.json.emailDelivery.attachment])).toEqual(
			invoices.map((inv, k) => [{ item: k }, { fileName: `Invoice ${inv.xeroInvoice.invoiceNumber}.pdf`, contentType: 'application/pdf', size: expect.any(Number) }]),
		);
		// The binary PDF passes through the email node untouched, for steps that follow.
		expect(sent.map((i) => (i as Json).binary?.data?.mimeType)).toEqual(['application/pdf', 'application/pdf', 'application/pdf']);
	});

	it('a message the SMTP server refuses goes to the second output with the SMTP error and is not marked sent; the retry has the same Message-ID', async () => {
		const inv = invoiceFor(4, 'Contoso Ltd');
		const before = sink.stats();
		sink.refuseNext(1, { code: 451, message: 'Greylisted, please try again later' });
		const [refused] = await post('billing/e2e/email/invoices', { invoices: [inv] });

		expect(refused).toMatchObject({
			billingKey: inv.billingKey,
			emailDelivery: {
				status: 'failed',
				kind: 'invoice',
				messageId: invoiceMessageId(inv.billingKey),
				temporary: true,
				responseCode: 451,
				response: expect.stringContaining('Greylisted, please try again later'),
			},
			error: { code: '451', retryable: true },
		});
		expect(refused.error.message).toContain('Greylisted, please try again later');
		expect(sink.stats().refused).toBe(before.refused + 1);
		expect(sink.byRecipient(inv.billingEmail)).toEqual([]);
		expect(sb.invoice(inv.xeroInvoice.invoiceId)).toMatchObject({ SentToContact: false });

		const executionId = await newExecution(invoiceWorkflow.id as string);
		const [sent, failed] = await n8n.nodeOutput(executionId, 'Billing Email');
		expect(sent ?? []).toHaveLength(0);
		expect(failed.map((i) => [(i as Json).pairedItem, i.json.emailDelivery.status, i.json.emailDelivery.responseCode])).toEqual([[{ item: 0 }, 'failed', 451]]);
		const { runData } = await n8n.execution(executionId);
		expect(runData['Mark As Sent']).toBeUndefined();

		// Retrying the item sends it, under the same Message-ID, and only now marks it sent.
		const [retried] = await post('billing/e2e/email/invoices', { invoices: [inv] });
		expect(retried.emailDelivery).toMatchObject({ status: 'sent', messageId: invoiceMessageId(inv.billingKey) });
		const [m] = sink.byRecipient(inv.billingEmail);
		expect(m.messageId).toBe(invoiceMessageId(inv.billingKey));
		expect(sink.countByMessageId(invoiceMessageId(inv.billingKey))).toBe(1);
		expect(sb.invoice(inv.xeroInvoice.invoiceId)).toMatchObject({ SentToContact: true });
		await newExecution(invoiceWorkflow.id as string);
	});

	it('sends paid, declined and no-card notices with deterministic Message-IDs threaded under the invoice email', async () => {
		const base = { clientName: HOSTILE, currency: 'GBP', dueDate: '2026-12-15' };
		const notices = [
			{ ...base, kind: 'paid', billingKey: 'EM010-20261101-20261201', billingEmail: 'ap@em010.example', invoiceNumber: 'INV-0910', amountMinor: 4500 },
			{ ...base, kind: 'declined', billingKey: 'EM011-20261101-20261201', billingEmail: 'ap@em011.example', invoiceNumber: 'INV-0911', amountMinor: 12050, acquirerResponseCode: '51', attempt: 2 },
			{ ...base, kind: 'noCardOnFile', billingKey: 'EM012-20261101-20261201', billingEmail: 'ap@em012.example', invoiceNumber: 'INV-0912', amountMinor: 999, attempt: 1 },
		];
		const expectedIds = [
			'<billing.paid.k-EM010-20261101-20261201@billing.example>',
			'<billing.declined.a2.k-EM011-20261101-20261201@billing.example>',
			'<billing.noCardOnFile.a1.k-EM012-20261101-20261201@billing.example>',
		];
		const reply = await post('billing/e2e/email/notices', { notices });
		expect(reply.map((r) => [r.kind, r.emailDelivery?.status, r.emailDelivery?.messageId])).toEqual(notices.map((n, k) => [n.kind, 'sent', expectedIds[k]]));

		const received = notices.map((n) => sink.byRecipient(n.billingEmail));
		expect(received.map((list) => list.length)).toEqual([1, 1, 1]);
		const [paid, declined, noCard] = received.map((list) => list[0]) as SinkMessage[];
		expect([paid, declined, noCard].map((m) => m.messageId)).toEqual(expectedIds);
		for (const [k, m] of [paid, declined, noCard].entries()) {
			expect(m.headers['in-reply-to']).toBe(invoiceMessageId(notices[k].billingKey));
			expect(m.headers['x-billing-email-kind']).toBe(notices[k].kind);
			expect(m.html).toContain('Dear &lt;script&gt;alert(1)&lt;/script&gt;,');
			expect(m.html).not.toContain('<script');
			expect(m.text).toContain(`Dear ${HOSTILE},`);
			expect(m.attachments).toEqual([]);
		}
		expect(paid.subject).toBe('Payment received for invoice INV-0910, thank you');
		expect(paid.text).toContain(`We have received your payment of ${gbp(4500)} for invoice INV-0910.`);
		expect(declined.subject).toBe('Payment for invoice INV-0911 was declined');
		expect(declined.html).toContain('but the payment was declined: <strong>insufficient funds</strong>.');
		expect(declined.text).toContain('(attempt 2)');
		expect(noCard.subject).toBe(`Invoice INV-0912: please arrange payment of ${gbp(999)}`);
		expect(noCard.text).toContain('is due on 15 December 2026. We do not hold a payment card for your account');

		const executionId = await newExecution(noticeWorkflow.id as string);
		const [sent, failed] = await n8n.nodeOutput(executionId, 'Payment Notice');
		expect(failed ?? []).toHaveLength(0);
		expect(sent.map((i) => (i as Json).pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);

		// A redelivered notice (same Message-ID) is not sent again: the node's journal in n8n's user
		// folder says it went out, and the item carries on as already sent.
		const [again] = await post('billing/e2e/email/notices', { notices: [notices[0]] });
		expect(again.emailDelivery).toMatchObject({ messageId: expectedIds[0], status: 'alreadySent' });
		expect(sink.countByMessageId(expectedIds[0])).toBe(1);
		const journalDir = path.join(n8n.userFolder, '.n8n', 'billing-email-journal');
		expect(fs.readdirSync(journalDir).join('\n')).toMatch(/^sent-\d{4}-\d{2}-\d{2}\.log$/m);
		await newExecution(noticeWorkflow.id as string);
	});

	it("n8n's credential test (POST /rest/credentials/test) logs in to the SMTP server and reports a wrong password", async () => {
		const stored = await n8n.rest<{ id: string; name: string; type: string; data: Json }>('GET', `/credentials/${SMTP_CREDENTIAL.id}?includeData=true`);
		expect(stored).toMatchObject(SMTP_CREDENTIAL);
		expect(stored.data).toMatchObject({ host: sink.host, port: sink.port, user: SMTP_USER, tlsMode: 'none' });
		expect(stored.data.password).not.toBe(SMTP_PASSWORD);
		const test = async (data: Json) => await n8n.rest<{ status: string; message: string }>('POST', '/credentials/test', { credentials: { ...SMTP_CREDENTIAL, data } });

		const received = sink.stats().received;
		expect(await test(stored.data)).toEqual({ status: 'OK', message: 'Connection successful' });
		const wrong = await test({ ...stored.data, password: 'not-the-password' });
		expect(wrong.status).toBe('Error');
		expect(wrong.message).toMatch(/535 Authentication credentials invalid/);
		// Testing sends no mail.
		expect(sink.stats().received).toBe(received);
	});

	it('no SMTP password, Xero client secret or access token appears in any execution n8n stored', async () => {
		expect(tap.issued.size).toBeGreaterThan(0);
		const secrets = [
			SMTP_PASSWORD,
			Buffer.from(`\u0000${SMTP_USER}\u0000${SMTP_PASSWORD}`).toString('base64'), // AUTH PLAIN
			Buffer.from(SMTP_PASSWORD).toString('base64'), // AUTH LOGIN
			XERO_SECRET,
			Buffer.from(`${XERO_CLIENT_ID}:${XERO_SECRET}`).toString('base64'),
			...tap.issued,
		];
		const cookie = await n8n.login();
		let scanned = 0;
		let sawMessageId = false;
		for (const id of WORKFLOW_IDS) {
			for (const e of await n8n.executions(id)) {
				const res = await fetch(`${n8n.url}/rest/executions/${e.id}`, { headers: { cookie } });
				expect(res.status).toBe(200);
				const raw = await res.text();
				for (const secret of secrets) expect(raw).not.toContain(secret);
				sawMessageId ||= raw.includes('billing.invoice.k-EM001-20261101-20261201@billing.example');
				scanned++;
			}
		}
		// 3 invoice-email runs and 2 notice runs; the scan looked at real run data.
		expect(scanned).toBe(5);
		expect(sawMessageId).toBe(true);
	});
});
