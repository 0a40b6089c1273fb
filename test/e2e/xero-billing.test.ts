// The Xero Billing node end to end in a real n8n: the packed package installed as a community
// package, a `xeroCustomConnectionApi` credential imported with the n8n CLI (custom token and API
// URLs pointing at the Xero sandbox started here), and published Webhook workflows for the
// pipeline's Xero steps: Ensure contacts → Create invoices, Record payments, Get PDF → Mark as
// sent. Each case is checked against the webhook answer, the execution n8n stored and the
// sandbox's own records (data and the log of API calls it received).
import { randomBytes } from 'crypto';
import { prepareInvoices, DEFAULT_FIELDS, type InvoiceRequest } from '../../nodes/InvoicePreparation/helpers/prepare';
import { markLead } from '../../nodes/XeroBilling/helpers/leads';
import { startXeroSandbox, XERO_MAX_QUERY_LENGTH, type CallRecord, type XeroSandbox } from '../../sandbox/xero';
import { N8nInstance, startN8n } from '../../support/n8n';
import { startXeroTokenProxy, type XeroTokenProxy } from '../../support/xero-token-proxy';
import { xeroCreateInvoices, xeroRecordPayments, xeroSendInvoices } from './fixtures/xero';

const createWorkflow = xeroCreateInvoices();
const paymentsWorkflow = xeroRecordPayments();
const sendWorkflow = xeroSendInvoices();
const WORKFLOW_IDS = [createWorkflow, paymentsWorkflow, sendWorkflow].map((w) => w.id as string);
const CREDENTIAL = { id: 'xeE2eSandboxCred', name: 'Xero sandbox (e2e)', type: 'xeroCustomConnectionApi' };
const CLIENT_ID = 'E2EXEROCUSTOMCONNECTION01';
const CLIENT_SECRET = `e2e-xero-secret-${randomBytes(12).toString('hex')}`;
const PERIOD = { periodStart: '2026-11-01T00:00:00.000Z', periodEnd: '2026-12-01T00:00:00.000Z' };

type Json = Record<string, any>;

/** CRM rows of `count` clients, two leads each, turned into invoice requests by Invoice Preparation's own logic. */
function invoiceRequests(prefix: string, count: number, currencyOf: (n: number) => string = () => 'GBP'): InvoiceRequest[] {
	const rows: Json[] = [];
	for (let n = 0; n < count; n++) {
		const clientId = `${prefix}${String(n).padStart(3, '0')}`;
		const common = { clientId, clientName: `${prefix} Client ${n} Ltd`, billingEmail: `accounts@${clientId.toLowerCase()}.example`, currency: currencyOf(n) };
		rows.push({ ...common, leadId: `${clientId}-L1`, price: '12.50', deliveredAt: '2026-11-03T10:00:00Z' });
		rows.push({ ...common, leadId: `${clientId}-L2`, price: '3.05', quantity: 2, description: `Premium lead ${clientId}-L2` });
	}
	const { invoices, rejected } = prepareInvoices(rows, { ...PERIOD, fields: DEFAULT_FIELDS, priceIn: 'major', maxQuantity: 1000 });
	expect(rejected).toEqual([]);
	return invoices.map((i) => i.invoice);
}

const routes = (calls: CallRecord[]) => {
	const out: Record<string, number> = {};
	for (const c of calls) out[c.route] = (out[c.route] ?? 0) + 1;
	return out;
};

describe('Xero Billing node in a real n8n', () => {
	let sb: XeroSandbox;
	let tap: XeroTokenProxy;
	let n8n: N8nInstance;
	const seen = new Set<string>();
	/** The first run's answer, by billing key. */
	const created = new Map<string, Json>();
	let requests: InvoiceRequest[];

	async function post(pathName: string, body: unknown): Promise<{ status: number; items: Json[] }> {
		const res = await fetch(`${n8n.url}/webhook/${pathName}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
		const text = await res.text();
		let parsed: unknown;
		try {
			parsed = JSON.parse(text);
		} catch {
			throw new Error(`webhook ${pathName} answered ${res.status} with non-JSON: ${text.slice(0, 300)}\n${n8n.logs(40)}`);
		}
		return { status: res.status, items: (Array.isArray(parsed) ? parsed : [parsed]) as Json[] };
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

	/** API calls the sandbox receives while `fn` runs. */
	async function callsDuring<T>(fn: () => Promise<T>): Promise<{ result: T; calls: CallRecord[] }> {
		const before = sb.calls().length;
		const result = await fn();
		return { result, calls: sb.calls().slice(before) };
	}

	beforeAll(async () => {
		sb = await startXeroSandbox({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, organisation: { name: 'E2E Billing Ltd' } });
		tap = await startXeroTokenProxy(sb.tokenUrl);
		n8n = await startN8n({
			credentials: [{ ...CREDENTIAL, data: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, endpoints: 'custom', tokenUrl: tap.tokenUrl, apiBaseUrl: sb.apiBaseUrl } }],
			workflows: [createWorkflow, paymentsWorkflow, sendWorkflow],
			publish: WORKFLOW_IDS,
		});
		requests = invoiceRequests('XE', 60);
	}, 240_000);

	afterAll(async () => {
		await n8n?.dispose();
		await tap?.close();
		await sb?.close();
	});

	it('60 invoice requests become 60 invoices, with email matching on, in at most 0.15 Xero calls per invoice', async () => {
		expect(requests).toHaveLength(60);
		const { result: reply, calls } = await callsDuring(() => post('billing/e2e/xero/invoices', { invoices: requests }));

		expect(reply.status).toBe(200);
		expect(reply.items).toHaveLength(60);
		expect(reply.items.filter((i) => i.error)).toEqual([]);
		for (const [k, item] of reply.items.entries()) {
			expect(item.billingKey).toBe(requests[k].billingKey);
			expect(item.xeroInvoice).toMatchObject({ created: true, reference: requests[k].billingKey, status: 'AUTHORISED', currency: 'GBP', subTotal: requests[k].totalMinor / 100 });
			expect(item.xeroContact).toMatchObject({ matchedBy: 'created', contactNumber: requests[k].clientId });
			created.set(item.billingKey, item);
		}

		// The sandbox's own books: one invoice per billing key, for the right contact and amount.
		expect(sb.invoices()).toHaveLength(60);
		expect(sb.contacts()).toHaveLength(60);
		for (const r of requests) {
			const [inv] = sb.invoicesByReference(r.billingKey) as Json[];
			expect(inv).toMatchObject({ Status: 'AUTHORISED', CurrencyCode: 'GBP', SubTotal: r.totalMinor / 100, Contact: { ContactNumber: r.clientId, Name: r.clientName } });
			expect(inv.LineItems.map((l: Json) => [l.Description, l.Quantity, l.UnitAmount])).toEqual(r.lines.map((l) => [markLead(l.description, l.leadId), l.quantity, l.unitAmountMinor / 100]));
			// Each line names the lead it bills: reruns bill only leads no invoice bills yet.
			expect(sb.invoicesByReference(r.billingKey)).toHaveLength(1);
		}

		// Counted at the sandbox, with the node's default settings (email matching on). Contacts:
		// every ContactNumber and email looked up in 3 lookups (60 × ~86 characters of where, at
		// most 2,000 per call: Xero refuses query strings over ~2,048) and written in 2 batches of
		// up to 50. Invoices: a lookup and a create per batch, the batch cut at 40 billing keys
		// by the same limit. Every write carried an idempotency key; nothing was rate-limited.
		expect(routes(calls)).toEqual({ 'GET /Contacts': 3, 'POST /Contacts': 2, 'GET /Invoices': 2, 'PUT /Invoices': 2 });
		const contactLookups = calls.filter((c) => c.route === 'GET /Contacts').map((c) => c.query.where);
		for (const r of requests) {
			expect(contactLookups.some((w) => w.includes(`ContactNumber=="${r.clientId}"`))).toBe(true);
			expect(contactLookups.some((w) => w.includes(`EmailAddress=="accounts@${r.clientId.toLowerCase()}.example"`))).toBe(true);
		}
		// Within Xero's query-string limit, paging parameter included.
		expect(calls.filter((c) => c.method === 'GET' && c.queryLength > XERO_MAX_QUERY_LENGTH)).toEqual([]);
		expect(calls.filter((c) => c.method !== 'GET' && !c.idempotencyKey)).toEqual([]);
		expect(calls.filter((c) => c.status !== 200)).toEqual([]);
		const perInvoice = calls.length / sb.invoices().length;
		expect(perInvoice).toBeLessThanOrEqual(0.15);
		process.stdout.write(`Xero calls for 60 invoices (contacts + invoices): ${calls.length} → ${perInvoice.toFixed(3)} per invoice\n`);

		const executionId = await newExecution(createWorkflow.id as string);
		const [ok, rejected] = await n8n.nodeOutput(executionId, 'Create Invoices');
		expect(ok).toHaveLength(60);
		expect(rejected ?? []).toHaveLength(0);
		expect(ok.map((i) => (i as Json).pairedItem)).toEqual(requests.map((_, k) => ({ item: k })));
	});

	it('the same 60 requests again create nothing new and only read from Xero', async () => {
		const { result: reply, calls } = await callsDuring(() => post('billing/e2e/xero/invoices', { invoices: requests }));

		expect(reply.status).toBe(200);
		expect(reply.items).toHaveLength(60);
		for (const item of reply.items) {
			const first = created.get(item.billingKey)!;
			expect(item.xeroInvoice).toMatchObject({ created: false, invoiceId: first.xeroInvoice.invoiceId, invoiceNumber: first.xeroInvoice.invoiceNumber });
			expect(item.xeroContact).toMatchObject({ matchedBy: 'contactNumber', contactId: first.xeroContactId });
		}
		expect(sb.invoices()).toHaveLength(60);
		expect(sb.contacts()).toHaveLength(60);
		expect(routes(calls)).toEqual({ 'GET /Contacts': 2, 'GET /Invoices': 2 });
		await newExecution(createWorkflow.id as string);
	});

	it("an invoice Xero refuses goes to the second output with Xero's message while the rest are created", async () => {
		// AUD is a valid ISO code (Invoice Preparation accepts it) but not enabled in the organisation.
		const batch = invoiceRequests('XB', 5, (n) => (n === 2 ? 'AUD' : 'GBP'));
		const bad = batch[2];
		const { result: reply, calls } = await callsDuring(() => post('billing/e2e/xero/invoices', { invoices: batch }));

		expect(reply.status).toBe(200);
		const made = reply.items.filter((i) => i.xeroInvoice);
		const refused = reply.items.filter((i) => i.error);
		expect(made.map((i) => i.billingKey).sort()).toEqual(batch.filter((r) => r !== bad).map((r) => r.billingKey).sort());
		expect(made.every((i) => i.xeroInvoice.created === true)).toBe(true);
		expect(refused).toEqual([
			expect.objectContaining({
				billingKey: bad.billingKey,
				currency: 'AUD',
				error: { message: `Xero refused invoice ${bad.billingKey}: Currency code 'AUD' is not a valid currency for this organisation.`, code: 'validation', retryable: false },
				xeroErrors: ["Currency code 'AUD' is not a valid currency for this organisation."],
			}),
		]);
		expect(sb.invoicesByReference(bad.billingKey)).toEqual([]);
		for (const r of batch.filter((x) => x !== bad)) expect(sb.invoicesByReference(r.billingKey)).toHaveLength(1);
		expect(sb.invoices()).toHaveLength(64);
		// Still one create call for the batch: the refusal is per element, not per call.
		expect(routes(calls)['PUT /Invoices']).toBe(1);

		const executionId = await newExecution(createWorkflow.id as string);
		const [ok, failed] = await n8n.nodeOutput(executionId, 'Create Invoices');
		expect(ok).toHaveLength(4);
		expect(failed.map((i) => [(i as Json).pairedItem, i.json.billingKey])).toEqual([[{ item: 2 }, bad.billingKey]]);
	});

	it('records payments once: a redelivery of the same payments records nothing more', async () => {
		const [a, b, c] = requests.slice(0, 3).map((r) => created.get(r.billingKey)!);
		const payments = [
			{ xeroInvoice: a.xeroInvoice, amountMinor: a.xeroInvoice.totalMinor, currency: 'GBP', transactionreference: '56-9-1000001' },
			{ xeroInvoice: b.xeroInvoice, amountMinor: b.xeroInvoice.totalMinor, currency: 'GBP', transactionreference: '56-9-1000002' },
			{ xeroInvoice: c.xeroInvoice, amountMinor: 500, currency: 'GBP', transactionreference: '56-9-1000003' },
		];
		const { result: reply, calls } = await callsDuring(() => post('billing/e2e/xero/payments', { payments }));

		expect(reply.status).toBe(200);
		expect(reply.items.map((i) => [i.xeroPayment?.recorded, i.xeroPayment?.reference, i.error])).toEqual([
			[true, '56-9-1000001', undefined],
			[true, '56-9-1000002', undefined],
			[true, '56-9-1000003', undefined],
		]);
		expect(routes(calls)).toEqual({ 'GET /Invoices': 1, 'PUT /Payments': 1 });
		expect(sb.invoice(a.xeroInvoice.invoiceId)).toMatchObject({ Status: 'PAID', AmountDue: 0 });
		expect(sb.invoice(b.xeroInvoice.invoiceId)).toMatchObject({ Status: 'PAID', AmountDue: 0 });
		expect(sb.invoice(c.xeroInvoice.invoiceId)).toMatchObject({ Status: 'AUTHORISED', AmountPaid: 5 });
		expect(sb.invoice(c.xeroInvoice.invoiceId)!.AmountDue).toBeCloseTo(c.xeroInvoice.total - 5, 2);
		expect(sb.payments().map((p) => p.Reference).sort()).toEqual(['56-9-1000001', '56-9-1000002', '56-9-1000003']);
		await newExecution(paymentsWorkflow.id as string);

		const again = await callsDuring(() => post('billing/e2e/xero/payments', { payments }));
		expect(again.result.items.map((i) => [i.xeroPayment?.recorded, i.xeroPayment?.skipped])).toEqual([
			[false, 'alreadyRecorded'],
			[false, 'alreadyRecorded'],
			[false, 'alreadyRecorded'],
		]);
		expect(routes(again.calls)).toEqual({ 'GET /Invoices': 1 });
		expect(sb.payments()).toHaveLength(3);
		await newExecution(paymentsWorkflow.id as string);
	});

	it('downloads invoice PDFs as binary data in the execution and marks the invoices as sent', async () => {
		const chosen = requests.slice(3, 6).map((r) => created.get(r.billingKey)!);
		const { result: reply, calls } = await callsDuring(() => post('billing/e2e/xero/send', { invoices: chosen.map((c) => ({ billingKey: c.billingKey, xeroInvoice: c.xeroInvoice })) }));

		expect(reply.status).toBe(200);
		expect(reply.items.map((i) => [i.billingKey, i.xeroInvoice?.sentToContact])).toEqual(chosen.map((c) => [c.billingKey, true]));
		for (const c of chosen) expect(sb.invoice(c.xeroInvoice.invoiceId)).toMatchObject({ SentToContact: true });
		expect(routes(calls)).toEqual({ 'GET /Invoices/{id}': 3, 'POST /Invoices': 1 });

		const executionId = await newExecution(sendWorkflow.id as string);
		const { runData } = await n8n.execution(executionId);
		const pdfItems = runData['Get Invoice PDF'][0].data.main[0] as Array<{ json: Json; binary?: Record<string, Json>; pairedItem: unknown }>;
		expect(pdfItems).toHaveLength(3);
		const cookie = await n8n.login();
		for (const [k, item] of pdfItems.entries()) {
			const c = chosen[k];
			const file = item.binary?.data;
			expect(item.pairedItem).toEqual({ item: k });
			expect(file).toMatchObject({ mimeType: 'application/pdf', fileName: `Invoice ${c.xeroInvoice.invoiceNumber}.pdf`, fileExtension: 'pdf' });
			// n8n keeps binary data on disk and lists its id; read the bytes back as the editor does.
			const res = await fetch(`${n8n.url}/rest/binary-data?id=${encodeURIComponent(file!.id)}&action=download`, { headers: { cookie } });
			expect(res.status).toBe(200);
			expect(res.headers.get('content-type')).toContain('application/pdf');
			const pdf = Buffer.from(await res.arrayBuffer()).toString('latin1');
			expect(pdf.startsWith('%PDF-1.4')).toBe(true);
			expect(pdf.trimEnd().endsWith('%%EOF')).toBe(true);
			expect(pdf).toContain(`(Invoice ${c.xeroInvoice.invoiceNumber})`);
			expect(pdf).toContain(c.billingKey);
			expect(pdf).toContain(c.clientName);
			expect(pdf).toContain(c.xeroInvoice.total.toFixed(2));
		}
	});

	it("n8n's credential test (POST /rest/credentials/test) connects with the stored secret and reports a wrong one", async () => {
		// As the editor does: read the credential (secrets come back blanked), send it back to test.
		const stored = await n8n.rest<{ id: string; name: string; type: string; data: Json }>('GET', `/credentials/${CREDENTIAL.id}?includeData=true`);
		expect(stored).toMatchObject(CREDENTIAL);
		expect(stored.data).toMatchObject({ clientId: CLIENT_ID, endpoints: 'custom', tokenUrl: tap.tokenUrl, apiBaseUrl: sb.apiBaseUrl });
		expect(stored.data.clientSecret).not.toBe(CLIENT_SECRET);
		const test = async (data: Json) => await n8n.rest<{ status: string; message: string }>('POST', '/credentials/test', { credentials: { ...CREDENTIAL, data } });

		const orgReads = sb.callCount({ route: 'GET /Organisation' });
		expect(await test(stored.data)).toEqual({ status: 'OK', message: 'Connected to the Xero organisation "E2E Billing Ltd"' });
		expect(sb.callCount({ route: 'GET /Organisation' })).toBe(orgReads + 1);

		const tokenRequests = sb.tokenRequests();
		const wrong = await test({ ...stored.data, clientSecret: 'not-the-client-secret' });
		expect(wrong.status).toBe('Error');
		expect(wrong.message).toMatch(/Xero refused the access token request: 401 invalid_client \(check the client id and secret/);
		expect(sb.tokenRequests()).toBe(tokenRequests + 1);
		expect(sb.callCount({ route: 'GET /Organisation' })).toBe(orgReads + 1);
	});

	it('no client secret or access token appears in any execution n8n stored', async () => {
		expect(tap.issued.size).toBeGreaterThan(0);
		const basic = Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64');
		const cookie = await n8n.login();
		let scanned = 0;
		let sawInvoice = false;
		for (const id of WORKFLOW_IDS) {
			for (const e of await n8n.executions(id)) {
				const res = await fetch(`${n8n.url}/rest/executions/${e.id}`, { headers: { cookie } });
				expect(res.status).toBe(200);
				const raw = await res.text();
				expect(raw).not.toContain(CLIENT_SECRET);
				expect(raw).not.toContain(basic);
				for (const token of tap.issued) expect(raw).not.toContain(token);
				sawInvoice ||= raw.includes(created.get(requests[0].billingKey)!.xeroInvoice.invoiceId);
				scanned++;
			}
		}
		// 3 create runs, 2 payment runs, 1 send run; and the scan looked at real run data.
		expect(scanned).toBe(6);
		expect(sawInvoice).toBe(true);
	});
});
