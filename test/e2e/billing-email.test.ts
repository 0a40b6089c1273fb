// The Billing Email node end to end in a real n8n: the packed package installed as a community
// package, a `billingSmtp` credential (SMTP sink started here, with AUTH required) and a Xero
// credential (Xero sandbox started here) imported with the n8n CLI, and published Webhook
// workflows: the invoice document (Xero's PDF, a PDF rendered in n8n, or Xero's online invoice
// link) → Send invoice email → Mark as sent, and Send payment notice.
// Every case is checked against the webhook answer, the execution n8n stored and what the SMTP
// sink actually received (MIME parts, attachment, headers), plus the Xero sandbox's records;
// rendered PDFs are read back with poppler (pdftotext, pdftoppm) as a mail client's viewer would.
import { execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startSmtpSink, type SinkMessage, type SmtpSink } from '../../sandbox/smtp';
import { startXeroSandbox, type XeroSandbox } from '../../sandbox/xero';
import { N8nInstance, startN8n } from '../../support/n8n';
import { startXeroTokenProxy, type XeroTokenProxy } from '../../support/xero-token-proxy';
import { emailPaymentNotices, emailSendInvoices, emailSendOnlineInvoiceLinks, emailSendRenderedInvoices } from './fixtures/email';

const invoiceWorkflow = emailSendInvoices();
const renderedWorkflow = emailSendRenderedInvoices();
const onlineWorkflow = emailSendOnlineInvoiceLinks();
const noticeWorkflow = emailPaymentNotices();
const WORKFLOWS = [invoiceWorkflow, renderedWorkflow, onlineWorkflow, noticeWorkflow];
const WORKFLOW_IDS = WORKFLOWS.map((w) => w.id as string);
const SMTP_CREDENTIAL = { id: 'emE2eSmtpCred001', name: 'SMTP sink (e2e)', type: 'billingSmtp' };
const XERO_CREDENTIAL = { id: 'emE2eXeroCred001', name: 'Xero sandbox (email e2e)', type: 'xeroCustomConnectionApi' };
const SMTP_USER = 'billing-e2e';
const SMTP_PASSWORD = `smtp-e2e-${randomBytes(12).toString('hex')}`;
const XERO_CLIENT_ID = 'E2EEMAILCUSTOMCONNECTION1';
const XERO_SECRET = `e2e-xero-secret-${randomBytes(12).toString('hex')}`;
const SENDER = 'Acme Accounts <accounts@billing.example>';
const HOSTILE = '<script>alert(1)</script>';
/** The organisation GET /Organisation names: printed at the top of every PDF rendered in n8n. */
const ORGANISATION = 'Harbour Leads Ltd';

type Json = Record<string, any>;

const invoiceMessageId = (billingKey: string) => `<billing.invoice.k-${billingKey}@billing.example>`;

// ---------------------------------------------------------------- reading PDFs back (poppler-utils)

const pdfDir = fs.mkdtempSync(path.join(os.tmpdir(), 'billing-email-e2e-'));
let pdfFiles = 0;

function savedPdf(pdf: Buffer): string {
	const file = path.join(pdfDir, `attachment${pdfFiles++}.pdf`);
	fs.writeFileSync(file, pdf);
	return file;
}

/** The PDF's text as pdftotext lays it out, runs of spaces squeezed to one. */
function pdfText(pdf: Buffer): string {
	return execFileSync('/usr/bin/pdftotext', ['-layout', savedPdf(pdf), '-'], { encoding: 'utf8' }).replace(/[ \t]+/g, ' ');
}

/** Page 1 drawn by pdftoppm at 40 dpi: the PNG file's bytes. */
function firstPagePng(pdf: Buffer): Buffer {
	const out = path.join(pdfDir, `page${pdfFiles++}`);
	execFileSync('/usr/bin/pdftoppm', ['-png', '-r', '40', '-f', '1', '-l', '1', '-singlefile', savedPdf(pdf), out]);
	return fs.readFileSync(`${out}.png`);
}

/** Width and height from a PNG's IHDR chunk, after checking the PNG signature. */
function pngSize(png: Buffer): { width: number; height: number } {
	expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
	expect(png.toString('latin1', 12, 16)).toBe('IHDR');
	return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('Billing Email node in a real n8n', () => {
	let sink: SmtpSink;
	let sb: XeroSandbox;
	let tap: XeroTokenProxy;
	let n8n: N8nInstance;
	const seen = new Set<string>();

	/**
	 * A client with an invoice in the Xero sandbox (approved, 3 leads in GBP unless told), shaped
	 * as Create Invoices outputs it.
	 */
	function invoiceFor(n: number, clientName: string, opts: { currency?: string; quantity?: number; status?: 'AUTHORISED' | 'DRAFT' } = {}): Json {
		const { currency = 'GBP', quantity = 3, status = 'AUTHORISED' } = opts;
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
				Status: status,
				CurrencyCode: currency,
				LineAmountTypes: 'Exclusive',
				LineItems: [{ Description: `Leads for ${clientId}`, Quantity: quantity, UnitAmount: 12.5 + n, AccountCode: '200' }],
			},
		]);
		const total = inv.Total as number;
		return {
			billingKey,
			clientId,
			clientName,
			billingEmail: `accounts@${clientId.toLowerCase()}.example`,
			currency,
			xeroContactId: contact.ContactID,
			xeroInvoice: { invoiceId: inv.InvoiceID, invoiceNumber: inv.InvoiceNumber, reference: billingKey, status, total, totalMinor: Math.round(total * 100), dueDate: '2026-12-15', sentToContact: false },
		};
	}

	async function post(pathName: string, body: unknown): Promise<Json[]> {
		const res = await fetch(`${n8n.url}/webhook/${pathName}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
		const text = await res.text();
		if (res.status !== 200) throw new Error(`webhook ${pathName} answered ${res.status}: ${text.slice(0, 500)}\n${n8n.logs(40)}`);
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

	const money = (minor: number, currency: string) => new Intl.NumberFormat('en-GB', { style: 'currency', currency }).format(minor / 100);
	const gbp = (minor: number) => money(minor, 'GBP');
	/** Xero calls made since `from` (an index into the call log), counted by route. */
	const routesSince = (from: number): Record<string, number> => {
		const counts: Record<string, number> = {};
		for (const c of sb.calls().slice(from)) counts[c.route] = (counts[c.route] ?? 0) + 1;
		return counts;
	};

	beforeAll(async () => {
		sink = await startSmtpSink({ auth: { user: SMTP_USER, password: SMTP_PASSWORD } });
		sb = await startXeroSandbox({ clientId: XERO_CLIENT_ID, clientSecret: XERO_SECRET, organisation: { name: ORGANISATION } });
		tap = await startXeroTokenProxy(sb.tokenUrl);
		n8n = await startN8n({
			credentials: [
				{ ...SMTP_CREDENTIAL, data: { host: sink.host, port: sink.port, tlsMode: 'none', user: SMTP_USER, password: SMTP_PASSWORD, from: SENDER, allowUnauthorizedCerts: false } },
				{ ...XERO_CREDENTIAL, data: { clientId: XERO_CLIENT_ID, clientSecret: XERO_SECRET, endpoints: 'custom', tokenUrl: tap.tokenUrl, apiBaseUrl: sb.apiBaseUrl } },
			],
			workflows: WORKFLOWS,
			publish: WORKFLOW_IDS,
		});
	}, 240_000);

	afterAll(async () => {
		await n8n?.dispose();
		await tap?.close();
		await sb?.close();
		await sink?.close();
		fs.rmSync(pdfDir, { recursive: true, force: true });
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
			expect(m.html).toContain(`Please find attached invoice ${number} for ${gbp(inv.xeroInvoice.totalMinor)}, due on 15 December 2026.`);
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

	it("attaches a PDF rendered in n8n from the invoices read back in one Xero call, with the organisation read once per billing run; a voided invoice gets no PDF and no email and is not marked sent", async () => {
		const billingRunId = `run-e2e-${randomBytes(4).toString('hex')}`;
		const ofRun = (inv: Json): Json => ({ ...inv, billingRunId });
		// Over a thousand (digit grouping), another currency, and an ordinary one.
		const good = [invoiceFor(20, 'Tailspin Toys Ltd', { quantity: 100 }), invoiceFor(21, 'Wingtip Café', { currency: 'EUR' }), invoiceFor(22, 'Litware Inc')].map(ofRun);
		const voided = ofRun(invoiceFor(23, 'Adventure Works'));
		// A bookkeeper voids it in Xero after stage 2 created it: the item still says AUTHORISED.
		sb.bookkeeper.void(voided.xeroInvoice.invoiceId);
		const fromCall = sb.calls().length;
		const logosBefore = sb.logoDownloads();
		const received = sink.stats().received;

		const reply = await post('billing/e2e/email/rendered-invoices', { invoices: [good[0], voided, good[1], good[2]] });

		const byKey = new Map(reply.map((r) => [r.billingKey as string, r]));
		expect(reply).toHaveLength(4);
		for (const inv of good) {
			expect(byKey.get(inv.billingKey)).toMatchObject({ emailDelivery: { status: 'sent' }, xeroInvoice: { sentToContact: true } });
			expect(byKey.get(inv.billingKey)!.error).toBeUndefined();
			// The logo was fetched: nothing was left out of the PDF.
			expect(byKey.get(inv.billingKey)!.pdfWarnings).toBeUndefined();
			expect(sb.invoice(inv.xeroInvoice.invoiceId)).toMatchObject({ SentToContact: true });
		}
		// The voided invoice is answered on the failure path, not retryable, and never emailed or marked.
		const refused = byKey.get(voided.billingKey)!;
		expect(refused.error).toMatchObject({ code: 'notSendable', retryable: false });
		expect(refused.error.message).toContain(`Invoice ${voided.xeroInvoice.invoiceNumber as string} (billing key ${voided.billingKey as string}) is VOIDED in Xero`);
		expect(refused.emailDelivery).toBeUndefined();
		expect(sink.byRecipient(voided.billingEmail)).toEqual([]);
		expect(sb.invoice(voided.xeroInvoice.invoiceId)).toMatchObject({ Status: 'VOIDED', SentToContact: false });

		// Xero calls: no PDF download (GET /Invoices/{id}), the four invoices read back in one
		// GET /Invoices, the organisation and its branding themes once, Mark as Sent's one POST.
		const routes = routesSince(fromCall);
		expect(routes['GET /Invoices/{id}']).toBeUndefined();
		expect(routes).toEqual({ 'GET /Invoices': 1, 'GET /Organisation': 1, 'GET /BrandingThemes': 1, 'POST /Invoices': 1 });
		const [readBack] = sb.calls({ route: 'GET /Invoices' }).slice(-1);
		expect(readBack.query.IDs.split(',').sort()).toEqual([...good, voided].map((i) => i.xeroInvoice.invoiceId as string).sort());
		expect(sb.logoDownloads()).toBe(logosBefore + 1);

		await sink.waitForCount(received + 3, 10_000);
		expect(sink.stats().received).toBe(received + 3);
		const address = sb.organisation.addresses.find((a) => a.AddressType === 'STREET')!;
		for (const inv of good) {
			const number = inv.xeroInvoice.invoiceNumber as string;
			const total = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(inv.xeroInvoice.totalMinor / 100);
			const [m] = sink.byRecipient(inv.billingEmail);
			expect(m.text).toContain(`Please find attached invoice ${number} for ${money(inv.xeroInvoice.totalMinor, inv.currency)}, due on 15 December 2026.`);
			expect(m.attachments).toHaveLength(1);
			const [pdf] = m.attachments;
			expect(pdf).toMatchObject({ filename: `Invoice ${number}.pdf`, contentType: 'application/pdf' });
			expect(pdf.content.toString('latin1', 0, 5)).toBe('%PDF-');
			// What the client's viewer shows: the invoice as Xero holds it, issued by the organisation Xero names.
			const text = pdfText(pdf.content);
			expect(text).toContain(sb.organisation.name);
			expect(sb.organisation.name).toBe(ORGANISATION);
			expect(text).toContain(address.AddressLine2);
			expect(text).toContain(`Invoice number ${number}`);
			expect(text).toContain(inv.clientName);
			expect(text).toContain(`Reference ${inv.billingKey as string}`);
			expect(text).toContain(`TOTAL ${inv.currency as string} ${total}`);
			// It draws: page 1 as a portrait PNG (A4 at 40 dpi is about 331 × 468 pixels).
			const { width, height } = pngSize(firstPagePng(pdf.content));
			expect(width).toBeGreaterThan(300);
			expect(height / width).toBeCloseTo(297 / 210, 1);
		}
		expect(pdfText(sink.byRecipient(good[0].billingEmail)[0].attachments[0].content)).toContain('TOTAL GBP 3,900.00');

		const executionId = await newExecution(renderedWorkflow.id as string);
		const [rendered, notRendered] = await n8n.nodeOutput(executionId, 'Get Invoice PDF');
		expect(rendered.map((i) => [(i as Json).pairedItem, (i as Json).binary?.data?.mimeType])).toEqual([
			[{ item: 0 }, 'application/pdf'],
			[{ item: 2 }, 'application/pdf'],
			[{ item: 3 }, 'application/pdf'],
		]);
		expect(notRendered.map((i) => [(i as Json).pairedItem, i.json.error.code, (i as Json).binary])).toEqual([[{ item: 1 }, 'notSendable', undefined]]);
		const { runData } = await n8n.execution(executionId);
		expect(runData['Billing Email'][0].data.main[0]).toHaveLength(3);

		// Another invoice of the same billing run, in its own execution: only its read-back costs a
		// call; the organisation, its themes and the logo come from the run's cache.
		const later = ofRun(invoiceFor(24, 'Northwind Energy Ltd'));
		const fromLater = sb.calls().length;
		const [again] = await post('billing/e2e/email/rendered-invoices', { invoices: [later] });
		expect(again).toMatchObject({ billingKey: later.billingKey, emailDelivery: { status: 'sent' }, xeroInvoice: { sentToContact: true } });
		expect(routesSince(fromLater)).toEqual({ 'GET /Invoices': 1, 'POST /Invoices': 1 });
		expect(sb.logoDownloads()).toBe(logosBefore + 1);
		const [laterMail] = sink.byRecipient(later.billingEmail);
		const laterText = pdfText(laterMail.attachments[0].content);
		expect(laterText).toContain(ORGANISATION);
		expect(laterText).toContain(`Invoice number ${later.xeroInvoice.invoiceNumber as string}`);
		await newExecution(renderedWorkflow.id as string);
	});

	it('a draft invoice gets no online link: answered on the failure path with Xero\'s message, not emailed, not marked sent', async () => {
		const draft = invoiceFor(31, 'Lucerne Publishing', { status: 'DRAFT' });
		const fromCall = sb.calls().length;
		const received = sink.stats().received;

		const [refused] = await post('billing/e2e/email/online-invoices', { invoices: [draft] });

		// Xero refuses a draft with a 400 ValidationException: its own message on the failure path.
		const xeroMessage = 'An online invoice URL cannot be generated for a draft invoice.';
		expect(refused.billingKey).toBe(draft.billingKey);
		expect(refused.error).toMatchObject({ code: 'validation', retryable: false });
		expect(refused.error.message).toContain(xeroMessage);
		expect(refused.xeroErrors).toEqual([xeroMessage]);
		expect(refused.onlineInvoiceUrl).toBeUndefined();
		expect(refused.emailDelivery).toBeUndefined();
		expect(sb.onlineInvoiceUrl(draft.xeroInvoice.invoiceId)).toBeUndefined();
		expect(routesSince(fromCall)).toEqual({ 'GET /Invoices/{id}/OnlineInvoice': 1 });
		expect(sink.stats().received).toBe(received);
		expect(sink.byRecipient(draft.billingEmail)).toEqual([]);
		expect(sb.invoice(draft.xeroInvoice.invoiceId)).toMatchObject({ Status: 'DRAFT', SentToContact: false });

		const executionId = await newExecution(onlineWorkflow.id as string);
		const [linked, notLinked] = await n8n.nodeOutput(executionId, 'Get Online Invoice Link');
		expect(linked ?? []).toHaveLength(0);
		expect(notLinked.map((i) => [(i as Json).pairedItem, i.json.error.code])).toEqual([[{ item: 0 }, 'validation']]);
		const { runData } = await n8n.execution(executionId);
		expect(runData['Billing Email']).toBeUndefined();
	});

	it("links Xero's online invoice in the email and attaches nothing; the link opens the invoice", async () => {
		const inv = invoiceFor(30, 'Proseware Ltd');
		const fromCall = sb.calls().length;
		const received = sink.stats().received;

		const [sent] = await post('billing/e2e/email/online-invoices', { invoices: [inv] });

		const url = sb.onlineInvoiceUrl(inv.xeroInvoice.invoiceId);
		expect(url).toMatch(/\/in\/[A-Za-z0-9]{40}$/);
		expect(sent).toMatchObject({ billingKey: inv.billingKey, onlineInvoiceUrl: url, emailDelivery: { status: 'sent' }, xeroInvoice: { sentToContact: true } });
		expect(sent.error).toBeUndefined();
		expect(sent.emailDelivery.attachment).toBeNull();
		expect(sb.invoice(inv.xeroInvoice.invoiceId)).toMatchObject({ SentToContact: true });
		// One link call, no PDF download; Mark as Sent's one POST.
		expect(routesSince(fromCall)).toEqual({ 'GET /Invoices/{id}/OnlineInvoice': 1, 'POST /Invoices': 1 });

		await sink.waitForCount(received + 1, 10_000);
		expect(sink.stats().received).toBe(received + 1);
		const [m] = sink.byRecipient(inv.billingEmail);
		const number = inv.xeroInvoice.invoiceNumber as string;
		expect(m.attachments).toEqual([]);
		expect(m.text).toContain(`Invoice ${number} for ${gbp(inv.xeroInvoice.totalMinor)} is due on 15 December 2026. You can view, download and print it online at ${url!}`);
		expect(m.html).toContain(url);
		// It promises no attachment it does not carry.
		expect(m.text).not.toContain('attached');
		expect(m.html).not.toContain('attached');

		// The link the client got opens the invoice.
		const page = await fetch(url!);
		expect(page.status).toBe(200);
		expect(await page.text()).toContain(`<dd id="invoice-number">${number}</dd>`);
		expect(sb.onlineInvoiceViews()[inv.xeroInvoice.invoiceId]).toBe(1);

		const executionId = await newExecution(onlineWorkflow.id as string);
		const [linked] = await n8n.nodeOutput(executionId, 'Get Online Invoice Link');
		expect(linked.map((i) => [(i as Json).pairedItem, i.json.onlineInvoiceUrl])).toEqual([[{ item: 0 }, url]]);
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
		// Run data each workflow's stored executions must show: a billing key one of its runs handled.
		const marker: Record<string, string> = {
			[invoiceWorkflow.id as string]: 'billing.invoice.k-EM001-20261101-20261201@billing.example',
			[renderedWorkflow.id as string]: 'billing.invoice.k-EM020-20261101-20261201@billing.example',
			[onlineWorkflow.id as string]: 'EM031-20261101-20261201',
			[noticeWorkflow.id as string]: 'billing.paid.k-EM010-20261101-20261201@billing.example',
		};
		const scanned: Record<string, number> = {};
		const sawMarker = new Set<string>();
		for (const id of WORKFLOW_IDS) {
			for (const e of await n8n.executions(id)) {
				const res = await fetch(`${n8n.url}/rest/executions/${e.id}`, { headers: { cookie } });
				expect(res.status).toBe(200);
				const raw = await res.text();
				for (const secret of secrets) expect(raw).not.toContain(secret);
				if (raw.includes(marker[id])) sawMarker.add(id);
				scanned[id] = (scanned[id] ?? 0) + 1;
			}
		}
		// 3 runs with Xero's PDF, 2 with rendered PDFs, 2 with online links and 2 notice runs; the
		// scan looked at real run data of every workflow.
		expect(scanned).toEqual({ [invoiceWorkflow.id as string]: 3, [renderedWorkflow.id as string]: 2, [onlineWorkflow.id as string]: 2, [noticeWorkflow.id as string]: 2 });
		expect([...sawMarker].sort()).toEqual([...WORKFLOW_IDS].sort());
	});
});
