// The Xero sandbox driven through the real xero-node SDK: auth, contacts, invoices, payments, PDF.
import { Invoice, type XeroClient } from 'xero-node';
import { startXeroSandbox, type XeroSandbox } from '../../sandbox/xero';
import { connectXeroClient, fetchSandboxToken, sdkRejection } from '../../sandbox/xero/sdk';

let sb: XeroSandbox;
let xero: XeroClient;

beforeAll(async () => {
	sb = await startXeroSandbox({ clientId: 'SANDBOXCLIENT', clientSecret: 'sandbox-secret' });
	xero = await connectXeroClient(sb);
});
afterAll(async () => {
	await sb.close();
});
beforeEach(() => sb.reset());

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

const rejected = sdkRejection;

function contact(name = 'Acme Ltd', number = 'C-1', email = 'billing@acme.test') {
	return sb.seedContact({ Name: name, ContactNumber: number, EmailAddress: email });
}

function invoice(contactID: string, overrides: Partial<Invoice> = {}): Invoice {
	return {
		type: Invoice.TypeEnum.ACCREC,
		contact: { contactID },
		date: '2024-01-31',
		dueDate: '2024-02-14',
		status: Invoice.StatusEnum.AUTHORISED,
		reference: 'bk-1',
		lineItems: [{ description: 'Lead 1001', quantity: 2, unitAmount: 10.5, accountCode: '200', taxType: 'OUTPUT2' }],
		...overrides,
	};
}

describe('token endpoint (client credentials)', () => {
	it('issues a 30-minute bearer token for Basic-authenticated id and secret', async () => {
		const t = await fetchSandboxToken(sb);
		expect(t.token_type).toBe('Bearer');
		expect(t.expires_in).toBe(1800);
		expect(t.access_token.length).toBeGreaterThan(20);
		expect(sb.tokenRequests()).toBe(1);
	});

	it('refuses a wrong secret with 401 invalid_client and a wrong grant with 400', async () => {
		const bad = await fetch(sb.tokenUrl, {
			method: 'POST',
			headers: { Authorization: basic(sb.clientId, 'wrong'), 'Content-Type': 'application/x-www-form-urlencoded' },
			body: 'grant_type=client_credentials',
		});
		expect(bad.status).toBe(401);
		expect(await bad.json()).toEqual({ error: 'invalid_client' });
		const grant = await fetch(sb.tokenUrl, {
			method: 'POST',
			headers: { Authorization: basic(sb.clientId, sb.clientSecret), 'Content-Type': 'application/x-www-form-urlencoded' },
			body: 'grant_type=authorization_code',
		});
		expect(grant.status).toBe(400);
		expect(await grant.json()).toEqual({ error: 'unsupported_grant_type' });
	});

	it('rejects API calls without a valid token, with an expired token, or for another tenant', async () => {
		const none = await fetch(`${sb.apiBaseUrl}/Organisation`);
		expect(none.status).toBe(401);
		expect(((await none.json()) as { Detail: string }).Detail).toBe('AuthenticationUnsuccessful');

		const client = await connectXeroClient(sb);
		const other = await rejected(client.accountingApi.getOrganisations('6c3d8fb0-1111-4111-8111-111111111111'));
		expect(other.statusCode).toBe(403);

		sb.expireTokens();
		const expired = await rejected(client.accountingApi.getOrganisations(''));
		expect(expired.statusCode).toBe(401);
		expect(JSON.stringify(expired.body)).toContain('TokenExpired');
		xero = await connectXeroClient(sb);
	});

	it('serves the organisation and the connection list of a custom connection', async () => {
		const org = await xero.accountingApi.getOrganisations('');
		expect(org.body.organisations![0].name).toBe('Sandbox Billing Ltd');
		expect(String(org.body.organisations![0].baseCurrency)).toBe('GBP');
		expect(org.response.headers['x-daylimit-remaining']).toBeDefined();
		const t = await fetchSandboxToken(sb);
		const conns = await fetch(`${sb.url}/connections`, { headers: { Authorization: `Bearer ${t.access_token}` } });
		const list = (await conns.json()) as Array<{ tenantId: string; tenantType: string }>;
		expect(list).toEqual([expect.objectContaining({ tenantId: sb.tenantId, tenantType: 'ORGANISATION' })]);
	});
});

describe('contacts', () => {
	it('creates a batch, finds by ContactNumber/email where, by IDs, by searchTerm and by number path', async () => {
		const res = await xero.accountingApi.createContacts('', {
			contacts: [
				{ name: 'Acme Ltd', contactNumber: 'C-1', emailAddress: 'billing@acme.test' },
				{ name: 'Globex', contactNumber: 'C-2', emailAddress: 'ap@globex.test' },
				{ name: 'Initech', contactNumber: 'C-3', emailAddress: 'pay@initech.test' },
			],
		});
		const ids = res.body.contacts!.map((c) => c.contactID!);
		expect(ids).toHaveLength(3);

		const byNumber = await xero.accountingApi.getContacts('', undefined, 'ContactNumber=="C-1" OR ContactNumber=="C-3"');
		expect(byNumber.body.contacts!.map((c) => c.name)).toEqual(['Acme Ltd', 'Initech']);
		const byEmail = await xero.accountingApi.getContacts('', undefined, 'EmailAddress=="AP@GLOBEX.TEST"');
		expect(byEmail.body.contacts!.map((c) => c.contactNumber)).toEqual(['C-2']);
		const byIds = await xero.accountingApi.getContacts('', undefined, undefined, undefined, [ids[0], ids[2]]);
		expect(byIds.body.contacts!.map((c) => c.contactNumber).sort()).toEqual(['C-1', 'C-3']);
		const search = await xero.accountingApi.getContacts('', undefined, undefined, undefined, undefined, undefined, undefined, undefined, 'glob');
		expect(search.body.contacts!.map((c) => c.name)).toEqual(['Globex']);
		const one = await xero.accountingApi.getContactByContactNumber('', 'C-2');
		expect(one.body.contacts![0].contactID).toBe(ids[1]);
	});

	it('updates with POST and refuses duplicate names and bad emails per element', async () => {
		const acme = contact();
		const upd = await xero.accountingApi.updateContact('', acme.ContactID as string, { contacts: [{ emailAddress: 'new@acme.test' }] });
		expect(upd.body.contacts![0].emailAddress).toBe('new@acme.test');

		const res = await xero.accountingApi.createContacts('', { contacts: [{ name: 'Acme Ltd' }, { name: 'Bad Mail', emailAddress: 'no-at-sign' }, { name: 'Fine' }] }, false);
		const [dup, mail, fine] = res.body.contacts!;
		expect(dup.hasValidationErrors).toBe(true);
		expect(dup.validationErrors![0].message).toMatch(/The contact name Acme Ltd is already assigned to another contact/);
		expect(mail.validationErrors![0].message).toBe('Email address must be valid.');
		expect(fine.statusAttributeString).toBe('OK');
		expect(sb.contacts().map((c) => c.Name).sort()).toEqual(['Acme Ltd', 'Fine']);
	});

	it('matches ContactNumber and EmailAddress terms ORed in one where, ignoring case', async () => {
		const a = contact('Acme Ltd', 'C-1', 'billing@acme.test');
		const b = sb.seedContact({ Name: 'No Number Ltd', EmailAddress: 'Ap@NoNumber.test' });
		contact('Other Ltd', 'C-9', 'other@x.test');
		const res = await xero.accountingApi.getContacts('', undefined, 'ContactNumber=="c-1" OR EmailAddress=="ap@nonumber.test" OR ContactNumber=="C-404"');
		expect(res.body.contacts!.map((c) => c.contactID).sort()).toEqual([a.ContactID, b.ContactID].sort());
	});

	it('answers 404 to a query string longer than 2,048 characters, like Xero, before any rate limit', async () => {
		// 50 clients' number and email terms in one where: what one lookup per batch of 50 would send.
		const terms = Array.from({ length: 50 }, (_, n) => `ContactNumber=="C${n}" OR EmailAddress=="billing${n}@client.test"`);
		const err = await rejected(xero.accountingApi.getContacts('', undefined, terms.join(' OR ')));
		expect(err.statusCode).toBe(404);
		expect(err.body).toBe("The resource you're looking for cannot be found");
		const [call] = sb.calls({ route: 'GET /Contacts' });
		expect(call.status).toBe(404);
		expect(call.queryLength).toBeGreaterThan(2048);

		// Up to the limit is fine: pad a where to exactly 2,048 characters as sent, then one more.
		const pad = (n: number) => `Name=="${'x'.repeat(n)}"`;
		const overhead = 'where=Name%3D%3D%22%22'.length;
		await expect(xero.accountingApi.getContacts('', undefined, pad(2048 - overhead))).resolves.toBeDefined();
		expect(sb.calls({ route: 'GET /Contacts' }).at(-1)).toMatchObject({ status: 200, queryLength: 2048 });
		expect((await rejected(xero.accountingApi.getContacts('', undefined, pad(2049 - overhead)))).statusCode).toBe(404);
		// Refused at the door: the organisation's minute budget only counted the call that got in.
		expect(sb.callCount({ status: 404 })).toBe(2);
		const res = await xero.accountingApi.getContacts('', undefined, 'Name=="x"');
		expect(res.response.headers['x-minlimit-remaining']).toBe('58');
	});

	it('reports a bad where clause as a QueryParseException', async () => {
		const err = await rejected(xero.accountingApi.getContacts('', undefined, 'Nickname=="x"'));
		expect(err.statusCode).toBe(400);
		expect(err.body).toEqual({ ErrorNumber: 16, Type: 'QueryParseException', Message: "No property or field 'Nickname' exists in type 'Contact'" });
	});
});

describe('invoices', () => {
	it('computes totals from line items for Exclusive, Inclusive and NoTax amounts', async () => {
		const c = contact();
		const res = await xero.accountingApi.createInvoices('', {
			invoices: [
				invoice(c.ContactID as string, { reference: 'ex', lineItems: [{ description: 'a', quantity: 3, unitAmount: 33.33, accountCode: '200', taxType: 'OUTPUT2' }, { description: 'b', quantity: 1, unitAmount: 0.05, accountCode: '200', taxType: 'OUTPUT2' }] }),
				invoice(c.ContactID as string, { reference: 'in', lineAmountTypes: 'Inclusive' as never, lineItems: [{ description: 'a', quantity: 1, unitAmount: 120, accountCode: '200', taxType: 'OUTPUT2' }] }),
				invoice(c.ContactID as string, { reference: 'no', lineAmountTypes: 'NoTax' as never, lineItems: [{ description: 'a', quantity: 1.5, unitAmount: 10, accountCode: '200' }] }),
				invoice(c.ContactID as string, { reference: 'zero-rated', lineItems: [{ description: 'a', quantity: 1, unitAmount: 10, accountCode: '200', taxType: 'ZERORATEDOUTPUT' }] }),
			],
		});
		const [ex, inc, none, zero] = res.body.invoices!;
		// 3 × 33.33 = 99.99 (tax 20.00), 0.05 (tax 0.01): per-line rounding.
		expect([ex.subTotal, ex.totalTax, ex.total, ex.amountDue]).toEqual([100.04, 20.01, 120.05, 120.05]);
		expect(ex.lineItems!.map((l) => [l.lineAmount, l.taxAmount])).toEqual([[99.99, 20], [0.05, 0.01]]);
		expect([inc.subTotal, inc.totalTax, inc.total]).toEqual([100, 20, 120]);
		expect([none.subTotal, none.totalTax, none.total]).toEqual([15, 0, 15]);
		expect(none.lineItems![0].taxType).toBe('NONE');
		expect([zero.totalTax, zero.total]).toEqual([0, 10]);
		expect(res.body.invoices!.map((i) => i.invoiceNumber)).toEqual(['INV-0001', 'INV-0002', 'INV-0003', 'INV-0004']);
	});

	it('sends Xero envelope, MS dates and DateString on the wire', async () => {
		const c = contact();
		const t = await fetchSandboxToken(sb);
		const res = await fetch(`${sb.apiBaseUrl}/Invoices`, {
			method: 'PUT',
			headers: { Authorization: `Bearer ${t.access_token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
			body: JSON.stringify({ Invoices: [{ Type: 'ACCREC', Contact: { ContactID: c.ContactID }, Date: '2024-01-31', DueDate: '2024-02-14', Status: 'AUTHORISED', LineItems: [{ Description: 'x', Quantity: 1, UnitAmount: 10, AccountCode: '200' }] }] }),
		});
		const body = (await res.json()) as Record<string, unknown> & { Invoices: Array<Record<string, unknown>> };
		expect(body).toMatchObject({ Status: 'OK', ProviderName: expect.any(String) });
		expect(body.Id).toMatch(/^[0-9a-f-]{36}$/);
		expect(body.DateTimeUTC).toMatch(/^\/Date\(\d+\)\/$/);
		const inv = body.Invoices[0];
		expect(inv.Date).toBe(`/Date(${Date.UTC(2024, 0, 31)}+0000)/`);
		expect(inv.DateString).toBe('2024-01-31T00:00:00');
		expect(inv.DueDateString).toBe('2024-02-14T00:00:00');
		expect(inv.UpdatedDateUTC).toMatch(/^\/Date\(\d+\+0000\)\/$/);
		// Tax type defaults to the account's (Sales → OUTPUT2, 20 %).
		expect(inv).toMatchObject({ Total: 12, TotalTax: 2, LineItems: [expect.objectContaining({ TaxType: 'OUTPUT2' })] });
	});

	it('with summarizeErrors=false returns 200 with per-element status and saves only the valid ones', async () => {
		const c = contact();
		const id = c.ContactID as string;
		const res = await xero.accountingApi.createInvoices(
			'',
			{
				invoices: [
					invoice(id, { reference: 'ok-1' }),
					invoice(id, { reference: 'bad-account', lineItems: [{ description: 'x', quantity: 1, unitAmount: 5, accountCode: '999' }] }),
					invoice(id, { reference: 'bad-contact', contact: { contactID: '0d4c7e55-5a5b-4c4c-9c9c-1234567890ab' } }),
					invoice(id, { reference: 'no-lines', lineItems: [] }),
					invoice(id, { reference: 'bad-currency', currencyCode: 'XYZ' as never }),
					invoice(id, { reference: 'bad-date', dueDate: '2024-02-30' }),
					invoice(id, { reference: 'bad-tax', lineItems: [{ description: 'x', quantity: 1, unitAmount: 5, accountCode: '200', taxType: 'INPUT2' }] }),
					invoice(id, { reference: 'ok-2', currencyCode: 'EUR' as never }),
				],
			},
			false,
		);
		expect(res.response.status).toBe(200);
		const byRef: Record<string, Invoice> = Object.fromEntries(res.body.invoices!.map((i) => [i.reference, i]));
		expect(byRef['ok-1'].statusAttributeString).toBe('OK');
		expect(byRef['ok-2'].statusAttributeString).toBe('OK');
		const msg = (ref: string) => byRef[ref].validationErrors!.map((v) => v.message);
		expect(byRef['bad-account'].hasErrors).toBe(true);
		expect(byRef['bad-account'].statusAttributeString).toBe('ERROR');
		expect(byRef['bad-account'].invoiceID).toBe('00000000-0000-0000-0000-000000000000');
		expect(msg('bad-account')).toEqual(["Account code '999' is not a valid code for this document."]);
		expect(msg('bad-contact')).toEqual(["The contact with ContactID '0d4c7e55-5a5b-4c4c-9c9c-1234567890ab' could not be found."]);
		expect(msg('no-lines')).toEqual(['Invoice must have at least one line item.']);
		expect(msg('bad-currency')).toEqual(["Currency code 'XYZ' is not a valid currency for this organisation."]);
		expect(msg('bad-date')).toEqual(["The due date '2024-02-30' is not a valid date."]);
		expect(msg('bad-tax')).toEqual(["The TaxType code 'INPUT2' does not exist or cannot be used for this type of transaction."]);
		expect(sb.invoices().map((i) => i.Reference).sort()).toEqual(['ok-1', 'ok-2']);
	});

	it('by default answers 400 ValidationException listing the failures while saving the valid ones', async () => {
		const c = contact();
		const err = await rejected(
			xero.accountingApi.createInvoices('', {
				invoices: [invoice(c.ContactID as string, { reference: 'good' }), invoice(c.ContactID as string, { reference: 'bad', dueDate: undefined })],
			}),
		);
		expect(err.statusCode).toBe(400);
		const body = err.body as { ErrorNumber: number; Type: string; Message: string; Elements: Array<{ Reference: string; ValidationErrors: Array<{ Message: string }> }> };
		expect(body).toMatchObject({ ErrorNumber: 10, Type: 'ValidationException', Message: 'A validation exception occurred' });
		expect(body.Elements).toHaveLength(1);
		expect(body.Elements[0].Reference).toBe('bad');
		expect(body.Elements[0].ValidationErrors).toEqual([{ Message: 'Due Date must be specified.' }]);
		expect(sb.invoicesByReference('good')).toHaveLength(1);
	});

	it('numbers invoices automatically and refuses a duplicate InvoiceNumber', async () => {
		const c = contact();
		const id = c.ContactID as string;
		await xero.accountingApi.createInvoices('', { invoices: [invoice(id, { invoiceNumber: 'INV-0002' }), invoice(id), invoice(id)] });
		expect(sb.invoices().map((i) => i.InvoiceNumber)).toEqual(['INV-0002', 'INV-0001', 'INV-0003']);
		const res = await xero.accountingApi.createInvoices('', { invoices: [invoice(id, { invoiceNumber: 'INV-0003' })] }, false);
		expect(res.body.invoices![0].validationErrors![0].message).toBe('Invoice # must be unique.');
	});

	it('finds invoices by where (Reference/Status/Contact), IDs, InvoiceNumbers, Statuses and pages', async () => {
		const a = contact('Acme Ltd', 'C-1');
		const g = contact('Globex', 'C-2');
		const created = sb.seedInvoices([
			{ Type: 'ACCREC', Contact: { ContactID: a.ContactID }, Reference: 'r1', Status: 'AUTHORISED', DueDate: '2024-02-01', LineItems: [{ Description: 'x', UnitAmount: 1, AccountCode: '200' }] },
			{ Type: 'ACCREC', Contact: { ContactID: g.ContactID }, Reference: 'r2', Status: 'DRAFT', LineItems: [{ Description: 'x', UnitAmount: 2, AccountCode: '200' }] },
			{ Type: 'ACCREC', Contact: { ContactID: a.ContactID }, Reference: 'r3', Status: 'AUTHORISED', DueDate: '2024-02-01', LineItems: [{ Description: 'x', UnitAmount: 3, AccountCode: '200' }] },
		]);
		const api = xero.accountingApi;
		const refs = (r: { body: { invoices?: Invoice[] } }) => r.body.invoices!.map((i) => i.reference);
		expect(refs(await api.getInvoices('', undefined, 'Reference=="r1" OR Reference=="r3" OR Reference=="zz"'))).toEqual(['r1', 'r3']);
		expect(refs(await api.getInvoices('', undefined, 'Status=="DRAFT"'))).toEqual(['r2']);
		expect(refs(await api.getInvoices('', undefined, `Contact.ContactID==guid("${a.ContactID}")`))).toEqual(['r1', 'r3']);
		expect(refs(await api.getInvoices('', undefined, 'Contact.ContactNumber=="C-2"'))).toEqual(['r2']);
		expect(refs(await api.getInvoices('', undefined, 'ContactNumber=="C-1" AND Total > 2'))).toEqual(['r3']);
		expect(refs(await api.getInvoices('', undefined, undefined, undefined, [created[1].InvoiceID as string]))).toEqual(['r2']);
		expect(refs(await api.getInvoices('', undefined, undefined, undefined, undefined, ['INV-0001', 'INV-0003']))).toEqual(['r1', 'r3']);
		expect(refs(await api.getInvoices('', undefined, undefined, undefined, undefined, undefined, [g.ContactID as string]))).toEqual(['r2']);
		expect(refs(await api.getInvoices('', undefined, undefined, undefined, undefined, undefined, undefined, ['AUTHORISED']))).toEqual(['r1', 'r3']);
		expect(refs(await api.getInvoices('', undefined, undefined, 'Total DESC'))).toEqual(['r3', 'r2', 'r1']);

		// Line items only come with paging; pages hold pageSize invoices.
		const unpaged = await api.getInvoices('');
		expect(unpaged.body.invoices![0].lineItems).toBeUndefined();
		const page2 = await api.getInvoices('', undefined, undefined, undefined, undefined, undefined, undefined, undefined, 2, undefined, undefined, undefined, undefined, 2);
		expect(refs(page2)).toEqual(['r3']);
		expect(page2.body.invoices![0].lineItems).toHaveLength(1);
		expect(page2.body.pagination).toMatchObject({ page: 2, pageSize: 2, pageCount: 2, itemCount: 3 });
	});

	it('updates with POST: status, SentToContact, line items; refuses edits to paid invoices', async () => {
		const c = contact();
		const [draft] = sb.seedInvoices([{ Type: 'ACCREC', Contact: { ContactID: c.ContactID }, Reference: 'd', LineItems: [{ Description: 'x', UnitAmount: 10, AccountCode: '200' }] }]);
		const id = draft.InvoiceID as string;
		const early = await xero.accountingApi.updateOrCreateInvoices('', { invoices: [{ invoiceID: id, sentToContact: true }] }, false);
		expect(early.body.invoices![0].validationErrors![0].message).toBe('Invoice must be approved before it can be marked as sent.');

		await xero.accountingApi.updateInvoice('', id, { invoices: [{ dueDate: '2024-03-01', lineItems: [{ description: 'y', quantity: 2, unitAmount: 10, accountCode: '200' }] }] });
		const approved = await xero.accountingApi.updateOrCreateInvoices('', { invoices: [{ invoiceID: id, status: Invoice.StatusEnum.AUTHORISED }] });
		expect(approved.body.invoices![0]).toMatchObject({ total: 24, amountDue: 24 });
		expect(String(approved.body.invoices![0].status)).toBe('AUTHORISED');
		const sent = await xero.accountingApi.updateOrCreateInvoices('', { invoices: [{ invoiceID: id, sentToContact: true }] });
		expect(sent.body.invoices![0].sentToContact).toBe(true);

		await xero.accountingApi.createPayments('', { payments: [{ invoice: { invoiceID: id }, account: { code: '090' }, amount: 24, date: '2024-03-02' }] });
		const edit = await xero.accountingApi.updateOrCreateInvoices('', { invoices: [{ invoiceID: id, reference: 'changed' }] }, false);
		expect(edit.body.invoices![0].validationErrors![0].message).toBe('This document cannot be edited as it has a payment or credit note allocated to it.');
	});

	it('returns one invoice as JSON, or as a real PDF with Accept: application/pdf', async () => {
		const c = contact('Acme (UK) Ltd', 'C-9', 'ap@acme.test');
		const [inv] = sb.seedInvoices([
			{ Type: 'ACCREC', Contact: { ContactID: c.ContactID }, Reference: 'bk-pdf', Status: 'AUTHORISED', Date: '2024-01-31', DueDate: '2024-02-14', LineItems: [{ Description: 'Lead 77 solar survey', Quantity: 2, UnitAmount: 12.5, AccountCode: '200' }] },
		]);
		const one = await xero.accountingApi.getInvoice('', inv.InvoiceID as string);
		expect(one.body.invoices![0].lineItems![0].description).toBe('Lead 77 solar survey');
		const pdf = await xero.accountingApi.getInvoiceAsPdf('', inv.InvoiceID as string);
		expect(pdf.response.headers['content-type']).toBe('application/pdf');
		const bytes = pdf.body as unknown as Buffer;
		const s = bytes.toString('latin1');
		expect(s.startsWith('%PDF-1.4')).toBe(true);
		expect(s.trimEnd().endsWith('%%EOF')).toBe(true);
		for (const t of ['(INV-0001)', '(Acme \\(UK\\) Ltd)', '(Lead 77 solar survey)', '(bk-pdf)', '(30.00)', '(TOTAL GBP)']) expect(s).toContain(t);
		const missing = await rejected(xero.accountingApi.getInvoice('', '8a1b2c3d-0000-4000-8000-000000000000'));
		expect(missing.statusCode).toBe(404);
	});

	it('emails an approved invoice (204) and marks it sent', async () => {
		const c = contact();
		const [inv] = sb.seedInvoices([{ Type: 'ACCREC', Contact: { ContactID: c.ContactID }, Status: 'AUTHORISED', DueDate: '2024-02-14', LineItems: [{ Description: 'x', UnitAmount: 1, AccountCode: '200' }] }]);
		const r = await xero.accountingApi.emailInvoice('', inv.InvoiceID as string, {});
		expect(r.response.status).toBe(204);
		expect(sb.invoice(inv.InvoiceID as string)!.SentToContact).toBe(true);
	});
});

describe('payments', () => {
	function authorised(total: number, ref: string) {
		const c = sb.contacts()[0] ?? contact();
		return sb.seedInvoices([
			{ Type: 'ACCREC', Contact: { ContactID: c.ContactID }, Reference: ref, Status: 'AUTHORISED', Date: '2024-01-31', DueDate: '2024-02-14', LineAmountTypes: 'NoTax', LineItems: [{ Description: 'x', UnitAmount: total, AccountCode: '200' }] },
		])[0];
	}

	it('applies a batch of payments, updating AmountDue/AmountPaid and marking PAID', async () => {
		const a = authorised(100, 'a');
		const b = authorised(50, 'b');
		const res = await xero.accountingApi.createPayments('', {
			payments: [
				{ invoice: { invoiceID: a.InvoiceID as string }, account: { code: '090' }, amount: 40, date: '2024-02-01', reference: 'TX-1' },
				{ invoice: { invoiceID: a.InvoiceID as string }, account: { code: '090' }, amount: 60, date: '2024-02-02', reference: 'TX-2' },
				{ invoice: { invoiceID: b.InvoiceID as string }, account: { code: '092' }, amount: 20.5, date: '2024-02-01', reference: 'TX-3' },
			],
		});
		expect(res.body.payments!.map((p) => p.amount)).toEqual([40, 60, 20.5]);
		expect(sb.invoice(a.InvoiceID as string)).toMatchObject({ Status: 'PAID', AmountDue: 0, AmountPaid: 100, FullyPaidOnDate: `/Date(${Date.UTC(2024, 1, 2)}+0000)/` });
		expect(sb.invoice(b.InvoiceID as string)).toMatchObject({ Status: 'AUTHORISED', AmountDue: 29.5, AmountPaid: 20.5 });
		expect(sb.invoice(a.InvoiceID as string)!.Payments).toEqual([expect.objectContaining({ Reference: 'TX-1', Amount: 40 }), expect.objectContaining({ Reference: 'TX-2', Amount: 60 })]);
		expect(sb.payments()).toHaveLength(3);
	});

	it('refuses overpayment, payments on paid invoices and non-bank accounts, with validation errors', async () => {
		const a = authorised(10, 'a');
		const over = await rejected(
			xero.accountingApi.createPayments('', { payments: [{ invoice: { invoiceID: a.InvoiceID as string }, account: { code: '090' }, amount: 10.01, date: '2024-02-01' }] }),
		);
		expect(over.statusCode).toBe(400);
		expect(JSON.stringify(over.body)).toContain('"Payment amount exceeds the amount outstanding on this document"');

		const res = await xero.accountingApi.createPayments(
			'',
			{
				payments: [
					{ invoice: { invoiceID: a.InvoiceID as string }, account: { code: '090' }, amount: 10, date: '2024-02-01', reference: 'first' },
					{ invoice: { invoiceID: a.InvoiceID as string }, account: { code: '090' }, amount: 10, date: '2024-02-01', reference: 'second' },
					{ invoice: { invoiceID: a.InvoiceID as string }, account: { code: '200' }, amount: 1, date: '2024-02-01' },
				],
			},
			false,
		);
		const [first, second, wrongAccount] = res.body.payments!;
		expect(first.statusAttributeString).toBe('OK');
		// Real Xero's texts for a paid invoice (docs/xero.md).
		expect(second.validationErrors!.map((v) => v.message)).toEqual([
			'Payments can only be made against Authorised documents',
			'Payment amount exceeds the amount outstanding on this document',
		]);
		expect(wrongAccount.validationErrors!.map((v) => v.message)).toEqual(
			expect.arrayContaining([expect.stringContaining('Account type is invalid for making a payment')]),
		);
		expect(sb.payments()).toHaveLength(1);
	});

	it('lists payments by where on Reference and Invoice', async () => {
		const a = authorised(10, 'a');
		await xero.accountingApi.createPayments('', { payments: [{ invoice: { invoiceID: a.InvoiceID as string }, account: { code: '090' }, amount: 4, date: '2024-02-01', reference: 'GW-77' }] });
		const got = await xero.accountingApi.getPayments('', undefined, `Reference=="GW-77" AND Invoice.InvoiceID==guid("${a.InvoiceID}")`);
		expect(got.body.payments!.map((p) => p.amount)).toEqual([4]);
	});
});
