// The Xero Billing node run in-process against the Xero sandbox (real xero-node underneath).
import type { ICredentialDataDecryptedObject, ICredentialsDecrypted, ICredentialTestFunctions, IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';
import { startXeroSandbox, type XeroSandbox } from '../../sandbox/xero';
import { XeroBilling } from '../../nodes/XeroBilling/XeroBilling.node';
import { forgetXeroOrganisations } from '../../nodes/XeroBilling/transport';
import { xeroCustomConnectionApiTest } from '../../nodes/XeroBilling/methods/credentialTest';
import { runNode } from '../helpers/run-node';

let sb: XeroSandbox;
const node = new XeroBilling();

beforeAll(async () => {
	sb = await startXeroSandbox({ clientId: 'NODETESTCLIENT', clientSecret: 'node-test-secret' });
});
afterAll(async () => {
	await sb.close();
});
beforeEach(() => {
	sb.reset();
	sb.setLimits({ concurrent: 5, perMinute: 60, perDay: 5000, minuteMs: 60_000 });
	sb.setLatency(undefined);
	forgetXeroOrganisations();
});

const creds = () => ({
	xeroCustomConnectionApi: { clientId: sb.clientId, clientSecret: sb.clientSecret, endpoints: 'custom', tokenUrl: sb.tokenUrl, apiBaseUrl: sb.apiBaseUrl },
});

const fast = { retryDelayMs: 20, timeoutMs: 2000 };

function run(parameters: INodeParameters, json: IDataObject[], opts: { continueOnFail?: boolean } = {}) {
	return runNode(node, { parameters, items: json.map((j) => ({ json: j })), credentials: creds(), continueOnFail: opts.continueOnFail });
}

/** A CRM-shaped invoice request, as Invoice Preparation emits it. */
function request(n: number, contactId: string, extra: IDataObject = {}): IDataObject {
	return {
		billingKey: `bk-2024-01-C${n}`,
		clientId: `C${n}`,
		clientName: `Client ${n} Ltd`,
		billingEmail: `billing${n}@client.test`,
		currency: 'GBP',
		xeroContactId: contactId,
		lines: [
			{ leadId: `L${n}a`, description: `Lead L${n}a`, quantity: 1, unitAmount: '10.50', unitAmountMinor: 1050 },
			{ leadId: `L${n}b`, description: `Lead L${n}b`, quantity: 2, unitAmount: '4.25', unitAmountMinor: 425 },
		],
		...extra,
	};
}

function seedContacts(n: number): string[] {
	return Array.from({ length: n }, (_, i) => sb.seedContact({ Name: `Client ${i} Ltd`, ContactNumber: `C${i}` }).ContactID as string);
}

const createParams = (extra: IDataObject = {}): INodeParameters => ({
	resource: 'invoice',
	operation: 'create',
	accountCode: '200',
	taxType: 'OUTPUT2',
	dueInDays: 14,
	options: { ...fast, ...extra },
});

function json(items: INodeExecutionData[]) {
	return items.map((i) => i.json);
}

/** The failure a failure-output item carries (the kit's shape: `error` is always an object). */
function failure(item: INodeExecutionData): { message: string; field?: string; code?: string; retryable?: boolean; description?: string } {
	const error = item.json.error as IDataObject;
	expect(typeof error?.message).toBe('string');
	return error as { message: string };
}

/** The node's credential test, as n8n calls it. */
function testXeroCredentials(data: ICredentialDataDecryptedObject) {
	const credential: ICredentialsDecrypted = { id: 'cred-1', name: 'Xero', type: 'xeroCustomConnectionApi', data };
	return xeroCustomConnectionApiTest.call({} as ICredentialTestFunctions, credential);
}

describe('credential test', () => {
	it('reports success with the organisation name, and a refused secret clearly', async () => {
		await expect(testXeroCredentials(creds().xeroCustomConnectionApi)).resolves.toEqual({ status: 'OK', message: 'Connected to the Xero organisation "Sandbox Billing Ltd"' });
		const bad = await testXeroCredentials({ ...creds().xeroCustomConnectionApi, clientSecret: 'nope' });
		expect(bad.status).toBe('Error');
		expect(bad.message).toContain('invalid_client');
		const noUrl = await testXeroCredentials({ ...creds().xeroCustomConnectionApi, tokenUrl: 'not a url' });
		expect(noUrl).toEqual({ status: 'Error', message: 'Xero credential: Token URL "not a url" is not a valid URL' });
	});
});

describe('contact: ensure', () => {
	it('finds by ContactNumber, claims by email and creates the rest with one lookup and one write', async () => {
		const known = sb.seedContact({ Name: 'Client 0 Ltd', ContactNumber: 'C0', EmailAddress: 'billing0@client.test' });
		const byEmail = sb.seedContact({ Name: 'Client One (old)', EmailAddress: 'billing1@client.test' });
		const input = [0, 1, 2, 3, 2].map((n) => ({ clientId: `C${n}`, clientName: `Client ${n} Ltd`, billingEmail: `billing${n}@client.test` }));
		const params = { resource: 'contact', operation: 'ensure', matchByEmail: true, options: fast };
		const [ok, failed] = await run(params, input);
		expect(failed).toEqual([]);
		expect(ok.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }, { item: 3 }, { item: 4 }]);
		const out = json(ok);
		expect(out[0]).toMatchObject({ xeroContactId: known.ContactID, xeroContact: { matchedBy: 'contactNumber' } });
		expect(out[1]).toMatchObject({ xeroContactId: byEmail.ContactID, xeroContact: { matchedBy: 'email', contactNumber: 'C1' } });
		expect(out[2].xeroContact).toMatchObject({ matchedBy: 'created', name: 'Client 2 Ltd', contactNumber: 'C2' });
		expect(out[4].xeroContactId).toBe(out[2].xeroContactId);
		expect(sb.contacts()).toHaveLength(4);
		// Numbers and emails in ONE where: the email contact was found by the same call.
		expect(sb.callsByRoute()).toEqual({ 'GET /Contacts': 1, 'POST /Contacts': 1 });
		const where = sb.calls({ route: 'GET /Contacts' })[0].query.where;
		expect(where).toBe(
			[0, 1, 2, 3].map((n) => `ContactNumber=="C${n}"`).join(' OR ') + ' OR ' + [0, 1, 2, 3].map((n) => `EmailAddress=="billing${n}@client.test"`).join(' OR '),
		);
	});

	/** `count` CRM clients C0…, each with its own billing email. */
	const clients = (count: number, from = 0) =>
		Array.from({ length: count }, (_, k) => ({ clientId: `C${from + k}`, clientName: `Client ${from + k} Ltd`, billingEmail: `billing${from + k}@client.test` }));
	const ensure = { resource: 'contact', operation: 'ensure', options: fast };
	const lookups = () => sb.calls({ route: 'GET /Contacts' });
	const lookedUp = (kind: 'ContactNumber' | 'EmailAddress') =>
		lookups().flatMap((c) => [...c.query.where.matchAll(new RegExp(`${kind}=="([^"]*)"`, 'g'))].map((m) => m[1]));

	it("120 new clients with email matching: every number and email looked up, split only at Xero's URL limit, 3 writes", async () => {
		const input = clients(120);
		const [ok, failed] = await run(ensure, input);
		expect(failed).toEqual([]);
		expect(json(ok).map((j) => (j.xeroContact as IDataObject).matchedBy)).toEqual(input.map(() => 'created'));
		expect(sb.contacts()).toHaveLength(120);
		// Each client costs up to 33 characters of where for its number and 52 for its email: 120
		// clients need ~9,800 characters, so at least 5 lookups of at most 2,000 (Xero refuses
		// query strings over ~2,048); one lookup per batch of 50 (3) could not be sent to Xero.
		// Numbers first, emails after, costs one more here and saves 4 of 6 on every rerun.
		expect(sb.callsByRoute()).toEqual({ 'GET /Contacts': 6, 'POST /Contacts': 3 });
		for (const c of lookups()) {
			expect(c.status).toBe(200);
			expect(c.queryLength).toBeLessThanOrEqual(2000);
		}
		expect(lookedUp('ContactNumber').sort()).toEqual(input.map((c) => c.clientId).sort());
		expect(lookedUp('EmailAddress').sort()).toEqual(input.map((c) => c.billingEmail).sort());
		// Packed tight: at most one call more than the characters sent strictly need.
		const sent = lookups().reduce((n, c) => n + c.queryLength, 0);
		expect(lookups().length).toBeLessThanOrEqual(Math.ceil(sent / 2000) + 1);
		// Round 1 carried every number (and the emails that fitted), round 2 the other emails.
		const [r1a, r1b] = lookups();
		expect(lookedUp('ContactNumber')).toEqual(
			[r1a, r1b].flatMap((c) => [...c.query.where.matchAll(/ContactNumber=="([^"]*)"/g)].map((m) => m[1])),
		);
		expect(sb.calls({ route: 'POST /Contacts' }).every((c) => /^contacts-[0-9a-f]{48}$/.test(c.idempotencyKey ?? ''))).toBe(true);
	});

	it('a rerun of 120 clients costs only the number lookups: 2 calls, no writes', async () => {
		const input = clients(120);
		const [first] = await run(ensure, input);
		const before = sb.calls().length;
		const [again, failed] = await run(ensure, input);
		expect(failed).toEqual([]);
		expect(json(again).map((j) => j.xeroContactId)).toEqual(json(first).map((j) => j.xeroContactId));
		expect(json(again).every((j) => (j.xeroContact as IDataObject).matchedBy === 'contactNumber')).toBe(true);
		const rerun = sb.calls().slice(before);
		expect(rerun.map((c) => c.route)).toEqual(['GET /Contacts', 'GET /Contacts']);
		expect(rerun.every((c) => c.status === 200 && c.queryLength <= 2000)).toBe(true);
	});

	it('matches by email across many lookups, claiming each numberless contact once', async () => {
		// 120 clients: every 10th has a numberless contact with its email (in another case), every
		// 7th already has its number, and client 33's email also belongs to client 34's contact.
		const emailOnly = new Map<number, string>();
		for (let n = 0; n < 120; n += 10) emailOnly.set(n, sb.seedContact({ Name: `Old name ${n}`, EmailAddress: `BILLING${n}@Client.Test` }).ContactID as string);
		const numbered = new Map<number, string>();
		for (let n = 7; n < 120; n += 7) numbered.set(n, sb.seedContact({ Name: `Client ${n} Ltd`, ContactNumber: `C${n}` }).ContactID as string);
		const twin = sb.seedContact({ Name: 'Shared Mailbox Ltd', EmailAddress: 'shared@client.test' }).ContactID as string;
		const input = clients(120).map((c, n) => (n === 33 || n === 34 ? { ...c, billingEmail: 'shared@client.test' } : c));
		const seeded = sb.contacts().length;

		const [ok, failed] = await run(ensure, input);
		expect(failed).toEqual([]);
		const out = json(ok);
		for (const [n, id] of emailOnly) {
			// 70 has both: its number wins.
			if (numbered.has(n)) continue;
			expect(out[n]).toMatchObject({ xeroContactId: id, xeroContact: { matchedBy: 'email', contactNumber: `C${n}` } });
		}
		for (const [n, id] of numbered) expect(out[n]).toMatchObject({ xeroContactId: id, xeroContact: { matchedBy: 'contactNumber' } });
		expect(out[33]).toMatchObject({ xeroContactId: twin, xeroContact: { matchedBy: 'email', contactNumber: 'C33' } });
		expect(out[34].xeroContact).toMatchObject({ matchedBy: 'created', contactNumber: 'C34' });
		expect(out[70]).toMatchObject({ xeroContactId: numbered.get(70), xeroContact: { matchedBy: 'contactNumber' } });
		// The claimed contacts now carry their client's number; 70's email contact stays numberless.
		const byId = new Map(sb.contacts().map((c) => [c.ContactID as string, c]));
		for (const [n, id] of emailOnly) expect(byId.get(id)!.ContactNumber ?? null).toBe(n === 70 ? null : `C${n}`);
		// Claimed: the email-only contacts except 70's, plus the shared mailbox.
		const claimed = [...emailOnly.keys()].filter((n) => !numbered.has(n)).length + 1;
		expect(sb.contacts()).toHaveLength(seeded + 120 - numbered.size - claimed);
		expect(lookups().every((c) => c.status === 200 && c.queryLength <= 2000)).toBe(true);
		// Every client without a number contact had its email looked up; the second round of
		// lookups (after every number was sent) asks for none of the numbered clients' emails.
		const emails = new Set(lookedUp('EmailAddress'));
		for (const [n, c] of input.entries()) if (!numbered.has(n)) expect(emails.has(c.billingEmail)).toBe(true);
		const round2 = lookups().filter((c) => !c.query.where.includes('ContactNumber'));
		expect(round2.length).toBeGreaterThan(0);
		for (const n of numbered.keys()) for (const c of round2) expect(c.query.where).not.toContain(`"billing${n}@client.test"`);
	});

	it('a ContactNumber match wins over an email match, and a contact with another number is never claimed', async () => {
		const mine = sb.seedContact({ Name: 'Acme (CRM)', ContactNumber: 'C1', EmailAddress: 'old@acme.test' });
		const sameEmail = sb.seedContact({ Name: 'Acme (email only)', EmailAddress: 'billing1@client.test' });
		const otherClient = sb.seedContact({ Name: 'Globex', ContactNumber: 'C-OTHER', EmailAddress: 'billing2@client.test' });
		const [ok] = await run(ensure, clients(3, 0).slice(1).concat(clients(1, 3)));
		const out = json(ok);
		expect(out[0]).toMatchObject({ xeroContactId: mine.ContactID, xeroContact: { matchedBy: 'contactNumber', email: 'old@acme.test' } });
		expect(out[1].xeroContact).toMatchObject({ matchedBy: 'created', contactNumber: 'C2' });
		expect(out[1].xeroContactId).not.toBe(otherClient.ContactID);
		expect(out[2].xeroContact).toMatchObject({ matchedBy: 'created', contactNumber: 'C3' });
		const byId = new Map(sb.contacts().map((c) => [c.ContactID as string, c]));
		expect(byId.get(sameEmail.ContactID as string)!.ContactNumber).toBeUndefined();
		expect(byId.get(otherClient.ContactID as string)!.ContactNumber).toBe('C-OTHER');
		expect(sb.callsByRoute()).toEqual({ 'GET /Contacts': 1, 'POST /Contacts': 1 });

		// With email matching off the numberless contact is not claimed either, and no email is sent.
		sb.reset();
		const lonely = sb.seedContact({ Name: 'Email Only', EmailAddress: 'billing5@client.test' });
		const [off] = await run({ ...ensure, matchByEmail: false }, clients(1, 5));
		expect(json(off)[0].xeroContact).toMatchObject({ matchedBy: 'created' });
		expect(json(off)[0].xeroContactId).not.toBe(lonely.ContactID);
		expect(lookedUp('EmailAddress')).toEqual([]);
	});

	it('an email too long to look up within the URL limit is bad input for that item only', async () => {
		// 255 characters, but 2,232 once URL-encoded: no where clause can carry it.
		const long = `${'€'.repeat(248)}@x.test`;
		const input = [...clients(2), { clientId: 'C9', clientName: 'Long Mail Ltd', billingEmail: long }];
		await expect(run(ensure, input)).rejects.toThrow(`Email "${long}" is too long to look up in Xero (over 2000 characters once URL-encoded) [item 2]`);
		expect(sb.callCount()).toBe(0);
		const [ok, failed] = await run(ensure, input, { continueOnFail: true });
		expect(json(ok).map((j) => j.clientId)).toEqual(['C0', 'C1']);
		expect(failed).toHaveLength(1);
		expect(failed[0]).toMatchObject({ pairedItem: { item: 2 }, json: { error: { field: 'billingEmail', retryable: false } } });
		expect(sb.contacts().map((c) => c.ContactNumber).sort()).toEqual(['C0', 'C1']);
		expect(lookups().every((c) => c.status === 200)).toBe(true);
	});

	it('when the email round cannot run, only the clients still waiting on it fail', async () => {
		// Two clients share an email too long to ride along with the numbers (1,959 characters
		// once encoded), so it needs a second lookup; the day budget (2 calls) leaves no room for it.
		const shared = `${'€'.repeat(214)}@x.test`;
		const mine = sb.seedContact({ Name: 'Client 0 Ltd', ContactNumber: 'C0' });
		sb.setLimits({ perDay: 2 });
		const input = [0, 1].map((n) => ({ clientId: `C${n}`, clientName: `Client ${n} Ltd`, billingEmail: shared }));
		const [ok, failed] = await run(ensure, input, { continueOnFail: true });
		expect(json(ok)).toEqual([expect.objectContaining({ clientId: 'C0', xeroContactId: mine.ContactID })]);
		expect(failed).toHaveLength(1);
		expect(failed[0]).toMatchObject({ pairedItem: { item: 1 }, json: { clientId: 'C1', error: { code: 'dayLimit', retryable: true } } });
		expect(failure(failed[0]).message).toContain('ensuring 2 contact(s) needs about 2 more call(s) but only 1 remain');
		expect(sb.callsByRoute()).toEqual({ 'GET /Contacts': 1 });
		expect(lookedUp('EmailAddress')).toEqual([]);
	});

	it('with Continue On Fail, a failed lookup fails only the clients whose numbers it carried', async () => {
		sb.failNext(1, { kind: 'error', status: 500, phase: 'before', routes: /^GET \/Contacts$/ });
		const input = clients(120);
		const [ok, failed] = await run({ ...ensure, options: { ...fast, maxRetries: 0 } }, input, { continueOnFail: true });
		const first = lookups()[0];
		expect(first.status).toBe(500);
		const lost = new Set([...first.query.where.matchAll(/ContactNumber=="([^"]*)"/g)].map((m) => m[1]));
		expect(lost.size).toBeGreaterThan(0);
		expect(failed.map((f) => f.json.clientId).sort()).toEqual([...lost].sort());
		expect(failed.every((f) => failure(f).code === 'server' && failure(f).retryable === true)).toBe(true);
		expect(ok.map((o) => o.json.clientId as string).every((id) => !lost.has(id))).toBe(true);
		expect(ok.length + failed.length).toBe(120);
		expect(sb.contacts()).toHaveLength(120 - lost.size);
	});

	it('rerun finds everything by ContactNumber with one call', async () => {
		const input = [0, 1, 2].map((n) => ({ clientId: `C${n}`, clientName: `Client ${n} Ltd`, billingEmail: `billing${n}@client.test` }));
		const params = { resource: 'contact', operation: 'ensure', matchByEmail: true, options: fast };
		const [first] = await run(params, input);
		const calls = sb.callCount();
		const [second] = await run(params, input);
		expect(json(second).map((j) => j.xeroContactId)).toEqual(json(first).map((j) => j.xeroContactId));
		expect(json(second).every((j) => (j.xeroContact as IDataObject).matchedBy === 'contactNumber')).toBe(true);
		expect(sb.callCount() - calls).toBe(1);
		expect(sb.contacts()).toHaveLength(3);
	});

	it("sends contacts Xero refuses to the second output with Xero's message", async () => {
		sb.seedContact({ Name: 'Taken Name Ltd', EmailAddress: 'other@x.test' });
		const [ok, failed] = await run({ resource: 'contact', operation: 'ensure', matchByEmail: false, disambiguateNames: false, options: fast }, [
			{ clientId: 'C1', clientName: 'Taken Name Ltd', billingEmail: 'a@b.test' },
			{ clientId: 'C2', clientName: 'Fresh Ltd', billingEmail: 'c@d.test' },
		]);
		expect(ok).toHaveLength(1);
		expect(failed).toHaveLength(1);
		expect(failed[0].pairedItem).toEqual({ item: 0 });
		expect(failure(failed[0]).message).toContain('The contact name Taken Name Ltd is already assigned to another contact');
	});

	it('creates a client whose company name another contact has as "Name (client ID)", with one more write', async () => {
		sb.seedContact({ Name: 'Acme Ltd', EmailAddress: 'someone@else.test' });
		const calls = sb.callCount();
		const [ok, failed] = await run({ resource: 'contact', operation: 'ensure', matchByEmail: false, options: fast }, [
			{ clientId: 'C1', clientName: 'Acme Ltd', billingEmail: 'a@acme-one.test' },
			{ clientId: 'C2', clientName: 'Fresh Ltd', billingEmail: 'c@d.test' },
			{ clientId: 'C3', clientName: 'Acme Ltd', billingEmail: 'b@acme-two.test' },
		]);
		expect(failed ?? []).toEqual([]);
		expect(json(ok).map((j) => [(j.xeroContact as IDataObject).name, (j.xeroContact as IDataObject).contactNumber])).toEqual([
			['Acme Ltd (C1)', 'C1'],
			['Fresh Ltd', 'C2'],
			['Acme Ltd (C3)', 'C3'],
		]);
		expect(ok.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		// One lookup, one write, one write for the renamed clashes.
		expect(sb.callCount() - calls).toBe(3);
		// The rerun finds all three by number and writes nothing.
		const again = sb.callCount();
		const [second] = await run({ resource: 'contact', operation: 'ensure', matchByEmail: false, options: fast }, [
			{ clientId: 'C1', clientName: 'Acme Ltd', billingEmail: 'a@acme-one.test' },
			{ clientId: 'C3', clientName: 'Acme Ltd', billingEmail: 'b@acme-two.test' },
		]);
		expect(json(second).map((j) => (j.xeroContact as IDataObject).matchedBy)).toEqual(['contactNumber', 'contactNumber']);
		expect(sb.callCount() - again).toBe(1);
	});

	it('names the field and item of bad input, or routes it to output 2 with Continue On Fail', async () => {
		const params = { resource: 'contact', operation: 'ensure', options: fast };
		await expect(run(params, [{ clientId: 'C1', clientName: 'A' }, { clientName: 'No id' }])).rejects.toThrow('Contact number (CRM client ID) is missing (field "clientId") [item 1]');
		expect(sb.callCount()).toBe(0);
		const [ok, failed] = await run(params, [{ clientId: 'C1', clientName: 'A', billingEmail: 'bad-email' }, { clientId: 'C2', clientName: 'B' }], { continueOnFail: true });
		expect(ok).toHaveLength(1);
		expect(failed[0].json).toMatchObject({ error: { field: 'billingEmail' } });
		expect(failure(failed[0]).message).toContain('Email "bad-email" is not a valid address');
	});
});

describe('invoice: create', () => {
	it('creates 120 invoices in batches of 50 with 2 calls per batch, amounts from minor units', async () => {
		const ids = seedContacts(120);
		const input = ids.map((id, n) => request(n, id));
		const [ok, failed] = await run(createParams(), input);
		expect(failed).toEqual([]);
		expect(ok).toHaveLength(120);
		expect(ok.every((it, i) => (it.pairedItem as { item: number }).item === i)).toBe(true);
		const first = ok[0].json.xeroInvoice as IDataObject;
		// 10.50 + 2 × 4.25 = 19.00, VAT 20 % = 3.80.
		expect(first).toMatchObject({ created: true, reference: 'bk-2024-01-C0', status: 'AUTHORISED', subTotal: 19, totalTax: 3.8, total: 22.8, totalMinor: 2280, currency: 'GBP' });
		expect(first.dueDate).toBe(new Date(Date.parse(`${first.date}T00:00:00Z`) + 14 * 86400000).toISOString().slice(0, 10));
		expect(sb.invoices()).toHaveLength(120);
		expect(sb.callsByRoute()).toEqual({ 'GET /Invoices': 3, 'PUT /Invoices': 3 });
		expect(sb.callCount() / 120).toBeLessThanOrEqual(0.05);
		// Every create call carried an idempotency key, and summarizeErrors=false.
		for (const c of sb.calls({ route: 'PUT /Invoices' })) {
			expect(c.idempotencyKey).toMatch(/^invoices-[0-9a-f]{48}$/);
			expect(c.query.summarizeErrors).toBe('false');
		}
	});

	it('rerun creates nothing: one lookup per batch finds every billing key', async () => {
		const ids = seedContacts(60);
		const input = ids.map((id, n) => request(n, id));
		const [firstRun] = await run(createParams(), input);
		const before = sb.callCount();
		const [again, failed] = await run(createParams(), input);
		expect(failed).toEqual([]);
		expect(sb.invoices()).toHaveLength(60);
		expect(sb.callCount() - before).toBe(2);
		expect(sb.callCount({ route: 'PUT /Invoices' })).toBe(2);
		expect(json(again).map((j) => (j.xeroInvoice as IDataObject).invoiceId)).toEqual(json(firstRun).map((j) => (j.xeroInvoice as IDataObject).invoiceId));
		expect(json(again).every((j) => (j.xeroInvoice as IDataObject).created === false)).toBe(true);
	});

	it('half-done earlier run: existing keys are returned, only the rest are created', async () => {
		const ids = seedContacts(6);
		const input = ids.map((id, n) => request(n, id));
		await run(createParams(), input.slice(0, 3));
		const [ok] = await run(createParams(), input);
		expect(json(ok).map((j) => (j.xeroInvoice as IDataObject).created)).toEqual([false, false, false, true, true, true]);
		expect(sb.invoices()).toHaveLength(6);
		const lastCreate = sb.calls({ route: 'PUT /Invoices' }).at(-1)!;
		expect(lastCreate.status).toBe(200);
	});

	it("routes partial validation failures to output 2 with Xero's messages and creates the rest", async () => {
		const ids = seedContacts(4);
		const unknownContact = '0b9a3b8e-1111-4a4a-9a9a-000000000000';
		const input = [
			request(0, ids[0]),
			request(1, ids[1], { lines: [{ description: 'x', quantity: 1, unitAmountMinor: 100, accountCode: '999' }] }),
			request(2, unknownContact),
			request(3, ids[3], { currency: 'JPY' }),
		];
		const [ok, failed] = await run(createParams(), input);
		expect(json(ok).map((j) => j.billingKey)).toEqual(['bk-2024-01-C0']);
		expect(failed.map((f) => f.pairedItem)).toEqual([{ item: 1 }, { item: 2 }, { item: 3 }]);
		expect(failed[0].json.xeroErrors).toEqual(["Account code '999' is not a valid code for this document."]);
		expect(failure(failed[0])).toEqual({ message: "Xero refused invoice bk-2024-01-C1: Account code '999' is not a valid code for this document.", code: 'validation', retryable: false });
		expect(failure(failed[1]).message).toContain('could not be found');
		expect(failure(failed[2]).message).toContain("Currency code 'JPY' is not a valid currency for this organisation.");
		expect(sb.invoices()).toHaveLength(1);
	});

	it('validates input before calling Xero: names field and item', async () => {
		const [id] = seedContacts(1);
		await expect(run(createParams(), [request(0, id), request(1, id, { lines: [{ description: 'x', unitAmount: '10.505' }] })])).rejects.toThrow(
			/Line 0: lines\[0\]\.unitAmount: "10.505" has more than 2 decimal places.*\[item 1\]/,
		);
		await expect(run(createParams(), [request(0, 'not-a-guid')])).rejects.toThrow('is not a Xero ContactID (a GUID) (field "xeroContactId") [item 0]');
		await expect(run(createParams(), [request(0, id, { currency: 'XXX' })])).rejects.toThrow(/currency.*\[item 0\]/);
		expect(sb.callCount()).toBe(0);
	});

	it('never duplicates when a 5xx strikes after Xero saved the batch: retried with the same key', async () => {
		const ids = seedContacts(3);
		sb.failNext(2, { kind: 'error', status: 503, phase: 'after', routes: /^PUT \/Invoices$/ });
		const [ok, failed] = await run(createParams(), ids.map((id, n) => request(n, id)));
		expect(failed).toEqual([]);
		expect(ok).toHaveLength(3);
		expect(sb.invoices()).toHaveLength(3);
		const puts = sb.calls({ route: 'PUT /Invoices' });
		expect(puts.map((c) => c.status)).toEqual([503, 503, 200]);
		expect(new Set(puts.map((c) => c.idempotencyKey)).size).toBe(1);
		expect(puts[2].replayed).toBe(true);
	});

	it('survives a timeout (hang, then drop) with the same idempotency key', async () => {
		const ids = seedContacts(2);
		sb.failNext(1, { kind: 'timeout', hangMs: 3000, phase: 'after', routes: /^PUT \/Invoices$/ });
		const [ok] = await run(createParams({ timeoutMs: 300 }), ids.map((id, n) => request(n, id)));
		expect(ok).toHaveLength(2);
		expect(sb.invoices()).toHaveLength(2);
		const puts = sb.calls({ route: 'PUT /Invoices' });
		expect(puts).toHaveLength(2);
		expect(puts[0].idempotencyKey).toBe(puts[1].idempotencyKey);
	});

	it('waits out a 429 storm (Retry-After) and finishes', async () => {
		const ids = seedContacts(2);
		sb.storm429({ calls: 3, retryAfterSeconds: 1 });
		const t0 = Date.now();
		const [ok] = await run(createParams(), ids.map((id, n) => request(n, id)));
		expect(ok).toHaveLength(2);
		expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
		expect(sb.callCount({ status: 429 })).toBe(3);
		expect(sb.invoices()).toHaveLength(2);
	});

	it('gives up on persistent 5xx with a NodeApiError carrying Xero status, and creates nothing', async () => {
		const ids = seedContacts(1);
		sb.setFaults({ errorRate: 1, errorStatuses: [500], routes: /^GET \/Invoices$/ });
		await expect(run(createParams({ maxRetries: 2 }), [request(0, ids[0])])).rejects.toMatchObject({
			name: 'NodeApiError',
			httpCode: '500',
			message: expect.stringContaining('after 3 attempts'),
		});
		expect(sb.callCount({ route: 'GET /Invoices' })).toBe(3);
		expect(sb.invoices()).toHaveLength(0);
		sb.setFaults({});
	});

	it('refuses up front when the day budget cannot cover the run, instead of failing midway', async () => {
		const ids = seedContacts(8);
		sb.setLimits({ perDay: 4 });
		// 8 invoices in batches of 2 need 8 calls; Xero allows 4 today.
		const err = await run(createParams({ batchSize: 2 }), ids.map((id, n) => request(n, id))).catch((e) => e);
		expect(err.name).toBe('NodeApiError');
		expect(err.message).toMatch(/daily API limit for this organisation would be exhausted: creating 8 invoice\(s\) needs about 7 more call\(s\) but only 3 remain/);
		// Only the first lookup was made; nothing was created.
		expect(sb.callsByRoute()).toEqual({ 'GET /Invoices': 1 });
		expect(sb.invoices()).toHaveLength(0);
	});

	it('with Continue On Fail puts items of a failed batch on output 2 and keeps the others', async () => {
		const ids = seedContacts(4);
		sb.failNext(1, { kind: 'error', status: 500, phase: 'before', routes: /^GET \/Invoices$/ });
		const [ok, failed] = await run(createParams({ batchSize: 2, maxRetries: 0 }), ids.map((id, n) => request(n, id)), { continueOnFail: true });
		expect(failed.map((f) => f.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(failed[0].json).toMatchObject({ error: { code: 'server', retryable: true } });
		expect(ok.map((o) => o.pairedItem)).toEqual([{ item: 2 }, { item: 3 }]);
	});
});

describe('invoice: create with the billing key as invoice number', () => {
	const byNumber = (extra: IDataObject = {}) => ({ ...createParams(extra), duplicateCheck: 'invoiceNumber' });

	it('creates 120 invoices with one call per 50 and no lookup, numbered by billing key', async () => {
		const ids = seedContacts(120);
		const [ok, failed] = await run(byNumber(), ids.map((id, n) => request(n, id)));
		expect(failed).toEqual([]);
		expect(ok).toHaveLength(120);
		expect(sb.callsByRoute()).toEqual({ 'PUT /Invoices': 3 });
		expect(sb.invoices().map((i) => [i.InvoiceNumber, i.Reference])).toEqual(ids.map((_, n) => [`bk-2024-01-C${n}`, `bk-2024-01-C${n}`]));
		expect(json(ok).every((j) => (j.xeroInvoice as IDataObject).created === true)).toBe(true);
	});

	it('a half-done batch again: Xero refuses the numbers it has, one lookup returns them, the rest are created', async () => {
		const ids = seedContacts(60);
		const input = ids.map((id, n) => request(n, id));
		const [firstRun] = await run(byNumber(), input.slice(0, 40));
		const before = sb.callCount();
		const [again, failed] = await run(byNumber(), input);
		expect(failed).toEqual([]);
		expect(sb.invoices()).toHaveLength(60);
		// Two creates (50 + 10), then one InvoiceNumbers lookup for the 40 refused.
		expect(sb.callCount() - before).toBe(3);
		const lookup = sb.calls({ route: 'GET /Invoices' });
		expect(lookup).toHaveLength(1);
		expect(String(lookup[0].query.InvoiceNumbers).split(',')).toHaveLength(40);
		expect(json(again).map((j) => (j.xeroInvoice as IDataObject).created)).toEqual([...Array(40).fill(false), ...Array(20).fill(true)]);
		expect(json(again).slice(0, 40).map((j) => (j.xeroInvoice as IDataObject).invoiceId)).toEqual(json(firstRun).map((j) => (j.xeroInvoice as IDataObject).invoiceId));
		expect(again.map((o) => (o.pairedItem as { item: number }).item)).toEqual([...Array(60).keys()]);
	});

	it("refuses a number another contact's invoice holds, naming it, and creates the rest", async () => {
		const ids = seedContacts(3);
		await run(byNumber(), [request(0, ids[1])]);
		const [ok, failed] = await run(byNumber(), [request(0, ids[0]), request(2, ids[2])]);
		expect(json(ok).map((j) => j.billingKey)).toEqual(['bk-2024-01-C2']);
		expect(failed).toHaveLength(1);
		expect(failed[0].pairedItem).toEqual({ item: 0 });
		expect(failure(failed[0]).message).toMatch(/^Invoice number bk-2024-01-C0 is already used in Xero by invoice [0-9a-f-]{36} for another contact \(Client 1 Ltd\)$/);
		expect(sb.invoices()).toHaveLength(2);
	});

	it('never duplicates when a 5xx strikes after Xero saved the batch', async () => {
		const ids = seedContacts(3);
		sb.failNext(1, { kind: 'error', status: 503, phase: 'after', routes: /^PUT \/Invoices$/ });
		const [ok] = await run(byNumber(), ids.map((id, n) => request(n, id)));
		expect(ok).toHaveLength(3);
		expect(sb.invoices()).toHaveLength(3);
	});
});

describe('invoice: markSent, get, getPdf', () => {
	async function createSome(n: number) {
		const ids = seedContacts(n);
		const [ok] = await run(createParams(), ids.map((id, k) => request(k, id)));
		return ok;
	}

	it('marks a batch as sent in one call', async () => {
		const created = await createSome(3);
		const before = sb.callCount();
		const [ok, failed] = await run({ resource: 'invoice', operation: 'markSent', options: fast }, json(created));
		expect(failed).toEqual([]);
		expect(sb.callCount() - before).toBe(1);
		expect(json(ok).every((j) => (j.xeroInvoice as IDataObject).sentToContact === true)).toBe(true);
		expect(sb.invoices().every((i) => i.SentToContact === true)).toBe(true);
	});

	it('passes on an invoice voided meanwhile unmarked, with one read-back for the refusals', async () => {
		const created = await createSome(3);
		const [voided, other, fine] = json(created).map((j) => String((j.xeroInvoice as IDataObject).invoiceId));
		sb.bookkeeper.void(voided);
		const before = sb.callCount();
		const [ok, failed] = await run({ resource: 'invoice', operation: 'markSent', options: fast }, json(created));
		expect(failed).toEqual([]);
		// The mark, then one read of the refused invoice.
		expect(sb.callCount() - before).toBe(2);
		const byId = new Map(json(ok).map((j) => [String((j.xeroInvoice as IDataObject).invoiceId), j]));
		expect(byId.get(voided)).toMatchObject({ xeroInvoice: { status: 'VOIDED' }, sentToContact: { marked: false } });
		expect(String((byId.get(voided)!.sentToContact as IDataObject).reason)).toMatch(/is VOIDED in Xero: not marked as sent/);
		expect(byId.get(fine)).toMatchObject({ xeroInvoice: { sentToContact: true } });
		expect(byId.get(other)!.sentToContact).toBeUndefined();
		expect(byId.get(other)).toMatchObject({ xeroInvoice: { sentToContact: true } });
	});

	it('gets invoices by billing key and by id, with unknown ones on output 2', async () => {
		const created = await createSome(2);
		const [byKey, missing] = await run({ resource: 'invoice', operation: 'get', findBy: 'billingKey', options: fast }, [...json(created), { billingKey: 'bk-unknown' }]);
		expect(json(byKey).map((j) => (j.xeroInvoice as IDataObject).reference)).toEqual(['bk-2024-01-C0', 'bk-2024-01-C1']);
		expect((json(byKey)[0].xeroInvoice as IDataObject).lineItems).toHaveLength(2);
		// The verdict is the read-back's (by invoice ID); lookups by billing key stay as they were.
		expect(json(byKey)[0].chargeable).toBeUndefined();
		expect(missing[0].json.error).toEqual({ message: 'Xero has no sales invoice with Reference "bk-unknown"', code: 'notFound', retryable: false });
		const [byId] = await run({ resource: 'invoice', operation: 'get', findBy: 'invoiceId', options: fast }, json(created));
		expect(byId).toHaveLength(2);
	});

	it('gets invoices numbered by billing key, 50 numbers a call', async () => {
		const ids = seedContacts(60);
		const input = ids.map((id, n) => request(n, id));
		await run({ ...createParams(), duplicateCheck: 'invoiceNumber' }, input);
		const before = sb.callCount();
		const [found, missing] = await run({ resource: 'invoice', operation: 'get', findBy: 'billingKeyNumber', options: fast }, [...input, { billingKey: 'bk-unknown' }]);
		expect(sb.callCount() - before).toBe(2);
		expect(json(found).map((j) => (j.xeroInvoice as IDataObject).invoiceNumber)).toEqual(input.map((r) => r.billingKey));
		expect(missing.map((m) => [m.pairedItem, failure(m).message])).toEqual([[{ item: 60 }, 'Xero has no sales invoice numbered "bk-unknown"']]);
	});

	it('with Only Invoices Dated From, lists the invoices of the period in one call instead of looking keys up', async () => {
		const ids = seedContacts(120);
		const input = ids.map((id, n) => request(n, id));
		await run({ ...createParams(), duplicateCheck: 'invoiceNumber' }, input.slice(0, 70));
		const today = new Date().toISOString().slice(0, 10);
		const get = (datedFrom: string) => run({ resource: 'invoice', operation: 'get', findBy: 'billingKeyNumber', datedFrom, options: fast }, input);
		const before = sb.callCount();
		const [found, missing] = await get(today);
		expect(sb.callCount() - before).toBe(1);
		const call = sb.calls({ route: 'GET /Invoices' }).at(-1)!;
		expect(call.query).toMatchObject({ summaryOnly: 'true', pageSize: '1000', page: '1' });
		expect(json(found).map((j) => j.billingKey)).toEqual(input.slice(0, 70).map((r) => r.billingKey));
		expect(found.map((f) => (f.pairedItem as { item: number }).item)).toEqual([...Array(70).keys()]);
		expect(missing).toHaveLength(50);
		expect(failure(missing[0]).message).toBe(`Xero has no sales invoice numbered "bk-2024-01-C70" dated from ${today}`);
		// Invoices dated before the day are not considered.
		const [none] = await get('2999-01-01');
		expect(none).toEqual([]);
		await expect(get('16/11/2026')).rejects.toThrow('Only Invoices Dated From "16/11/2026" is not a date in YYYY-MM-DD form');
	});

	it('downloads invoice PDFs as binary data', async () => {
		const created = await createSome(2);
		const [ok] = await run({ resource: 'invoice', operation: 'getPdf', binaryPropertyName: 'pdf', options: fast }, json(created));
		expect(ok).toHaveLength(2);
		const bin = ok[0].binary!.pdf;
		expect(bin.mimeType).toBe('application/pdf');
		expect(bin.fileName).toBe('Invoice INV-0001.pdf');
		const pdf = Buffer.from(bin.data, 'base64').toString('latin1');
		expect(pdf.startsWith('%PDF-1.4')).toBe(true);
		expect(pdf).toContain('(bk-2024-01-C0)');
	});
});

describe('payment: record', () => {
	const payParams = { resource: 'payment', operation: 'record', accountCode: '090', amountUnit: 'minor', options: fast };

	async function invoicesFor(n: number) {
		const ids = seedContacts(n);
		const [ok] = await run(createParams(), ids.map((id, k) => request(k, id)));
		return json(ok);
	}

	it('records a batch in 2 calls and never pays twice (rerun skips)', async () => {
		const invs = await invoicesFor(3);
		const payments = invs.map((j, k) => ({ ...j, amountMinor: 2280, currency: 'GBP', transactionreference: `59-9-${1000 + k}` }));
		const before = sb.callCount();
		const [ok, failed] = await run(payParams, payments);
		expect(failed).toEqual([]);
		expect(sb.callCount() - before).toBe(2);
		expect(json(ok).map((j) => (j.xeroPayment as IDataObject).recorded)).toEqual([true, true, true]);
		expect(sb.invoices().every((i) => i.Status === 'PAID')).toBe(true);
		expect(sb.payments().map((p) => p.Reference)).toEqual(['59-9-1000', '59-9-1001', '59-9-1002']);

		const [again] = await run(payParams, payments);
		expect(json(again).map((j) => (j.xeroPayment as IDataObject).skipped)).toEqual(['alreadyRecorded', 'alreadyRecorded', 'alreadyRecorded']);
		expect(sb.payments()).toHaveLength(3);
		expect(sb.callCount({ route: 'PUT /Payments' })).toBe(1);
	});

	it('without the lookup: one call per batch, and a rerun still never pays twice (Xero refuses, a read confirms)', async () => {
		const invs = await invoicesFor(3);
		const params = { ...payParams, lookupFirst: false };
		const payments = invs.map((j, k) => ({ ...j, amountMinor: 2280, currency: 'GBP', transactionreference: `59-8-${1000 + k}` }));
		const before = sb.callCount();
		const [ok, failed] = await run(params, payments);
		expect(failed).toEqual([]);
		expect(sb.callCount() - before).toBe(1);
		expect(json(ok).map((j) => (j.xeroPayment as IDataObject).recorded)).toEqual([true, true, true]);

		const rerun = sb.callCount();
		// The 4th is a charge found from an earlier run (not fresh): Xero's "paid" is then no alarm.
		const [again, refused] = await run(params, [...payments, { ...payments[0], transactionreference: '59-8-other', payment: { reusedExisting: true } }]);
		expect(json(again).map((j) => (j.xeroPayment as IDataObject).skipped)).toEqual(['alreadyRecorded', 'alreadyRecorded', 'alreadyRecorded', 'alreadyPaid']);
		expect(refused ?? []).toEqual([]);
		expect(again.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }, { item: 3 }]);
		// The PUT Xero refused, then one read of the refused invoices.
		expect(sb.callCount() - rerun).toBe(2);
		expect(sb.payments()).toHaveLength(3);
	});

	it('without the lookup, a payment above what is outstanding is refused with Xero\'s message', async () => {
		const [inv] = await invoicesFor(1);
		const [ok, failed] = await run({ ...payParams, lookupFirst: false }, [{ ...inv, amountMinor: 9999, currency: 'GBP', transactionreference: '1-2-3' }]);
		expect(ok ?? []).toEqual([]);
		expect(failure(failed[0]).message).toContain('exceeds the amount outstanding');
		expect(sb.payments()).toHaveLength(0);
	});

	it('skips invoices already paid by another payment when the charge is not fresh, and rejects overpayment with Xero message', async () => {
		const invs = await invoicesFor(2);
		await run(payParams, [{ ...invs[0], amountMinor: 2280, currency: 'GBP', transactionreference: '1-1-1' }]);
		const [ok, failed] = await run(payParams, [
			{ ...invs[0], amountMinor: 2280, currency: 'GBP', transactionreference: '1-1-2', payment: { reusedExisting: true } },
			{ ...invs[1], amountMinor: 9999, currency: 'GBP', transactionreference: '1-1-3' },
		]);
		expect(json(ok)[0].xeroPayment).toMatchObject({ recorded: false, skipped: 'alreadyPaid' });
		expect(failed[0].pairedItem).toEqual({ item: 1 });
		expect(failure(failed[0]).message).toContain('exceeds the amount outstanding');
		expect(sb.payments()).toHaveLength(1);
	});

	it('rejects a currency mismatch before calling Xero to pay', async () => {
		const invs = await invoicesFor(1);
		const [, failed] = await run(payParams, [{ ...invs[0], amountMinor: 100, currency: 'EUR', transactionreference: '1-1-9' }]);
		expect(failure(failed[0]).message).toContain('does not match invoice INV-0001 currency GBP');
		expect(sb.callCount({ route: 'PUT /Payments' })).toBe(0);
	});
});

describe('invoice: get by id, the read-back before charging', () => {
	const getById = { resource: 'invoice', operation: 'get', findBy: 'invoiceId', options: fast };

	/** n invoices of 22.80 GBP (2280 minor units), as the debit stage's items carry them. */
	async function invoicesFor(n: number) {
		const ids = seedContacts(n);
		const [ok] = await run(createParams(), ids.map((id, k) => request(k, id)));
		return json(ok).map((j): IDataObject => ({ ...j, amountMinor: (j.xeroInvoice as IDataObject).totalMinor }));
	}
	const idOf = (j: IDataObject) => (j.xeroInvoice as IDataObject).invoiceId as string;

	it('reads 120 invoices with one GET per 50 IDs, each with its amounts in minor units and a verdict', async () => {
		const invs = await invoicesFor(120);
		const before = sb.callCount();
		const [ok, failed] = await run(getById, invs);
		expect(failed ?? []).toEqual([]);
		const gets = sb.calls({ route: 'GET /Invoices' }).slice(-3);
		expect(sb.callCount() - before).toBe(3);
		expect(gets.map((c) => String(c.query.IDs).split(',').length)).toEqual([50, 50, 20]);
		expect(ok.map((i) => i.pairedItem)).toEqual(invs.map((_, item) => ({ item })));
		expect(json(ok)[0].xeroInvoice).toMatchObject({
			status: 'AUTHORISED',
			currency: 'GBP',
			totalMinor: 2280,
			amountDueMinor: 2280,
			amountPaidMinor: 0,
			amountCreditedMinor: 0,
			invoiceNumber: 'INV-0001',
			dueDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
		});
		expect(json(ok)[0].chargeable).toEqual({ state: 'due', charge: true, amountDueMinor: 2280, currency: 'GBP', reason: 'Invoice INV-0001 has 22.80 GBP due' });
	});

	it('says what Xero says now: paid elsewhere, part-paid, voided, credited in part or in full, not approved', async () => {
		const invs = await invoicesFor(6);
		const [due, part, paid, voided, creditedPart, creditedFull] = invs.map(idOf);
		sb.bookkeeper.partPay(part, 1000);
		sb.bookkeeper.pay(paid, 2280, { reference: 'BACS 77' });
		sb.bookkeeper.void(voided);
		sb.bookkeeper.credit(creditedPart, 500);
		sb.bookkeeper.credit(creditedFull, 2280);
		const contactId = (invs[0].xeroInvoice as IDataObject).contactId as string;
		const [draft] = sb.seedInvoices([{ Type: 'ACCREC', Contact: { ContactID: contactId }, Status: 'DRAFT', LineItems: [{ Description: 'x', UnitAmount: 5, AccountCode: '200' }] }]);
		const items = [...invs, { xeroInvoice: { invoiceId: draft.InvoiceID }, currency: 'GBP' }];
		const [ok, failed] = await run(getById, items);
		expect(failed ?? []).toEqual([]);
		const verdicts = json(ok).map((j) => j.chargeable as IDataObject);
		expect(verdicts.map((v) => [v.state, v.charge, v.amountDueMinor])).toEqual([
			['due', true, 2280],
			['partPaid', true, 1280],
			['paid', false, 0],
			['voided', false, 0],
			['credited', true, 1780],
			['credited', false, 0],
			['notAuthorised', false, 0],
		]);
		expect(verdicts.map((v) => v.reason)).toEqual([
			'Invoice INV-0001 has 22.80 GBP due',
			'Invoice INV-0002 has 10.00 GBP of 22.80 GBP paid: 12.80 GBP due',
			'Invoice INV-0003 is paid in Xero (22.80 GBP paid of 22.80 GBP): nothing to charge',
			'Invoice INV-0004 is VOIDED in Xero: nothing to charge',
			'Invoice INV-0005 is credited 5.00 GBP of 22.80 GBP: 17.80 GBP due',
			'Invoice INV-0006 is fully credited (22.80 GBP by credit notes): nothing to charge',
			expect.stringContaining('is DRAFT in Xero (not approved): nothing may be charged'),
		]);
		expect(json(ok)[1].xeroInvoice).toMatchObject({ amountPaidMinor: 1000, amountDueMinor: 1280, totalMinor: 2280 });
		expect(json(ok)[4].xeroInvoice).toMatchObject({ amountCreditedMinor: 500, amountDueMinor: 1780 });
		// The frozen amount is untouched: the workflow decides to charge chargeable.amountDueMinor.
		expect(json(ok)[1].amountMinor).toBe(2280);
		expect(json(ok).map(idOf)).toEqual([due, part, paid, voided, creditedPart, creditedFull, draft.InvoiceID]);
	});

	it("sends an invoice in another currency than the item's to output 2 as currencyMismatch, naming both", async () => {
		const invs = await invoicesFor(3);
		const [ok, failed] = await run({ ...getById, currencyField: 'chargeCurrency' }, [
			{ ...invs[0], chargeCurrency: 'EUR' },
			{ ...invs[1], chargeCurrency: 'gbp' },
			{ ...invs[2], chargeCurrency: undefined },
		]);
		expect(ok.map((i) => i.pairedItem)).toEqual([{ item: 1 }, { item: 2 }]);
		expect(failed.map((i) => i.pairedItem)).toEqual([{ item: 0 }]);
		expect(failed[0].json.error).toEqual({
			message: 'Invoice INV-0001 is in GBP but the item\'s currency (field "chargeCurrency") is EUR: nothing may be charged on it',
			code: 'currencyMismatch',
			retryable: false,
		});
		expect(failed[0].json.chargeable).toBeUndefined();
		expect((failed[0].json.xeroInvoice as IDataObject).currency).toBe('GBP');
		// The default field is `currency`.
		const [, byDefault] = await run(getById, [{ ...invs[0], currency: 'USD' }]);
		expect(failure(byDefault[0])).toMatchObject({ code: 'currencyMismatch', message: expect.stringContaining('is in GBP but the item\'s currency (field "currency") is USD') });
	});
});

describe('payment: record after a fresh card charge', () => {
	// As the debit stage runs it: no read first, the item's payment from Secure Trading.
	const payParams = { resource: 'payment', operation: 'record', accountCode: '090', amountUnit: 'minor', lookupFirst: false, options: fast };
	const fresh = { reusedExisting: false };

	async function invoicesFor(n: number) {
		const ids = seedContacts(n);
		const [ok] = await run(createParams(), ids.map((id, k) => request(k, id)));
		return json(ok);
	}
	const idOf = (j: IDataObject) => (j.xeroInvoice as IDataObject).invoiceId as string;
	const charged = (inv: IDataObject, amountMinor: number, ref: string, payment: IDataObject = fresh) => ({ ...inv, amountMinor, currency: 'GBP', transactionreference: ref, payment });

	for (const lookupFirst of [false, true]) {
		it(`a fresh charge onto an invoice paid by bank transfer meanwhile is an alert, never "already paid" (Look Up First ${lookupFirst ? 'on' : 'off'})`, async () => {
			const [inv] = await invoicesFor(1);
			sb.bookkeeper.pay(idOf(inv), 2280, { reference: 'BACS 0042' });
			const [ok, failed] = await run({ ...payParams, lookupFirst }, [charged(inv, 2280, '59-1-100')]);
			expect(ok ?? []).toEqual([]);
			expect(failed[0].pairedItem).toEqual({ item: 0 });
			expect(failure(failed[0])).toEqual({
				message: 'The charge 59-1-100 of 22.80 GBP was taken just now, but invoice INV-0001 is already paid in Xero: not recorded; a refund of 22.80 GBP may be needed',
				code: 'paidElsewhereAfterCharge',
				retryable: false,
				description: 'Xero: Invoice INV-0001 is paid in Xero (22.80 GBP paid of 22.80 GBP): nothing to charge. The charge was taken from the card but is not recorded in Xero.',
			});
			expect(failed[0].json.chargeable).toMatchObject({ state: 'paid', charge: false, amountDueMinor: 0 });
			expect(sb.payments().map((p) => p.Reference)).toEqual(['BACS 0042']);
		});
	}

	it('the default reads payment.reusedExisting: items without a payment field count as fresh', async () => {
		const [inv] = await invoicesFor(1);
		sb.bookkeeper.pay(idOf(inv), 2280);
		const [, failed] = await run(payParams, [{ ...inv, amountMinor: 2280, currency: 'GBP', transactionreference: '59-1-101' }]);
		expect(failure(failed[0]).code).toBe('paidElsewhereAfterCharge');
		// A charge found from an earlier run is not fresh: the old "already paid" skip stands.
		const [ok] = await run(payParams, [charged(inv, 2280, '59-1-101', { reusedExisting: true })]);
		expect(ok[0].json.xeroPayment).toMatchObject({ recorded: false, skipped: 'alreadyPaid' });
		// And the parameter can be set outright.
		const [set] = await run({ ...payParams, chargeIsFresh: false }, [charged(inv, 2280, '59-1-101')]);
		expect(set[0].json.xeroPayment).toMatchObject({ skipped: 'alreadyPaid' });
	});

	it('a part-paid invoice (10.00 of 22.80) charged in full: Xero refuses, a read classifies it, the amounts are named', async () => {
		const [inv] = await invoicesFor(1);
		sb.bookkeeper.partPay(idOf(inv), 1000);
		const before = sb.callCount();
		const [, failed] = await run(payParams, [charged(inv, 2280, '59-1-102')]);
		expect(sb.callCount() - before).toBe(2);
		expect(failure(failed[0])).toMatchObject({
			code: 'paidElsewhereAfterCharge',
			retryable: false,
			message: 'The charge 59-1-102 of 22.80 GBP was taken just now, but invoice INV-0001 has only 12.80 GBP due (paid in part elsewhere) in Xero: not recorded; a refund of 10.00 GBP (or all 22.80 GBP) may be needed',
		});
		expect(failed[0].json.xeroErrors).toEqual(['Payment amount exceeds the amount outstanding on this document']);
		expect(failed[0].json.chargeable).toMatchObject({ state: 'partPaid', amountDueMinor: 1280 });
		expect(sb.invoice(idOf(inv))).toMatchObject({ AmountPaid: 10, AmountDue: 12.8 });
	});

	it('records exactly what was charged: 12.80 charged on the part-paid invoice pays it off', async () => {
		const [inv] = await invoicesFor(1);
		sb.bookkeeper.partPay(idOf(inv), 1000);
		const [ok, failed] = await run(payParams, [charged(inv, 1280, '59-1-103')]);
		expect(failed ?? []).toEqual([]);
		expect(ok[0].json.xeroPayment).toMatchObject({ recorded: true, amountMinor: 1280, amount: '12.80' });
		expect(sb.invoice(idOf(inv))).toMatchObject({ Status: 'PAID', AmountPaid: 22.8 });
		expect(sb.payments().map((p) => [p.Reference, p.Amount])).toEqual([['Bank transfer', 10], ['59-1-103', 12.8]]);
	});

	it("a voided invoice: Xero's \"Payments can only be made against Authorised documents\" is re-checked, not reported raw", async () => {
		const [inv] = await invoicesFor(1);
		sb.bookkeeper.void(idOf(inv));
		const [, failed] = await run(payParams, [charged(inv, 2280, '59-1-104')]);
		expect(failed[0].json.xeroErrors).toEqual(['Payments can only be made against Authorised documents']);
		expect(failure(failed[0])).toMatchObject({
			code: 'invoiceClosedAfterCharge',
			retryable: false,
			message: 'The charge 59-1-104 of 22.80 GBP was taken just now, but invoice INV-0001 is VOIDED in Xero: not recorded; a refund of 22.80 GBP may be needed',
		});
		expect(failed[0].json.chargeable).toMatchObject({ state: 'voided', charge: false });
		// Not fresh: the refusal is reported as before (Xero's validation message).
		const [, again] = await run(payParams, [charged(inv, 2280, '59-1-104', { reusedExisting: true })]);
		expect(failure(again[0])).toMatchObject({ code: 'validation', message: 'Xero refused the payment 59-1-104: Payments can only be made against Authorised documents' });
	});

	it('a credited invoice: in part, the charge above what is due is an alert; in full, the invoice is not "paid" but credited', async () => {
		const [a, b] = await invoicesFor(2);
		sb.bookkeeper.credit(idOf(a), 500);
		sb.bookkeeper.credit(idOf(b), 2280);
		const [, failed] = await run(payParams, [charged(a, 2280, '59-1-105'), charged(b, 2280, '59-1-106')]);
		expect(failed.map((f) => failure(f).code)).toEqual(['paidElsewhereAfterCharge', 'paidElsewhereAfterCharge']);
		expect(failure(failed[0]).message).toContain('has only 17.80 GBP due (credited in part elsewhere) in Xero: not recorded; a refund of 5.00 GBP (or all 22.80 GBP) may be needed');
		expect(failure(failed[1]).message).toContain('invoice INV-0002 is already credited in full in Xero: not recorded; a refund of 22.80 GBP may be needed');
		expect(failed.map((f) => (f.json.chargeable as IDataObject).state)).toEqual(['credited', 'credited']);
		expect(sb.payments()).toEqual([]);
	});

	it('a rerun after the payment was recorded is "already recorded" (or a replay), never an alert', async () => {
		const [inv] = await invoicesFor(1);
		await run(payParams, [charged(inv, 2280, '59-1-107')]);
		const [ok, failed] = await run({ ...payParams, lookupFirst: true }, [charged(inv, 2280, '59-1-107')]);
		expect(failed ?? []).toEqual([]);
		expect(ok[0].json.xeroPayment).toMatchObject({ recorded: false, skipped: 'alreadyRecorded' });
		// Without the lookup, the same batch replays under its idempotency key: still one payment.
		const [replayed] = await run(payParams, [charged(inv, 2280, '59-1-107')]);
		expect(replayed[0].json.xeroPayment).toMatchObject({ recorded: true, paymentId: sb.payments()[0].PaymentID });
		expect(sb.payments()).toHaveLength(1);
	});
});

describe('shared rate limiting', () => {
	it('keeps concurrent executions of one organisation within 5 in flight', async () => {
		const ids = seedContacts(20);
		sb.setLatency(80);
		// 20 executions of one invoice each, started together.
		const runs = await Promise.all(ids.map((id, n) => run(createParams(), [request(n, id)])));
		expect(runs.every(([ok]) => ok.length === 1)).toBe(true);
		expect(sb.callCount({ status: 429 })).toBe(0);
		expect(sb.invoices()).toHaveLength(20);
	});

	it('paces by X-MinLimit-Remaining and Retry-After when the minute budget runs out', async () => {
		sb.setLimits({ perMinute: 4, minuteMs: 1500 });
		const ids = seedContacts(6);
		// 6 executions × 2 calls = 12 calls against 4 per 1.5 s.
		const runs = await Promise.all(ids.map((id, n) => run(createParams(), [request(n, id)])));
		expect(runs.every(([ok]) => ok.length === 1)).toBe(true);
		expect(sb.invoices()).toHaveLength(6);
		// Pacing keeps the 429s rare: far fewer than the calls made.
		expect(sb.callCount({ status: 429 })).toBeLessThanOrEqual(6);
	});
});

describe('the wire as real Xero speaks it (issue 16)', () => {
	const ensure = { resource: 'contact', operation: 'ensure', matchByEmail: false, options: fast };
	const client = (clientId: string, n: number) => ({ clientId, clientName: `Wire Client ${n} Ltd`, billingEmail: `wire${n}@client.test` });

	it('Ensure Contacts twice for client ids with backslashes, quotes and commas: one contact each, never another client\'s', async () => {
		// Look-alikes already in Xero: what a wrong reading of the literals would match.
		const lookAlikes = ['AB"C,', 'A\\\\B"C,', 'A'].map((n, k) => sb.seedContact({ Name: `Look-alike ${k}`, ContactNumber: n }).ContactID);
		const ids = ['A\\B"C,', 'A\\', '\\"', 'plain-1'];
		const input = ids.map(client);
		const [first, failed] = await run(ensure, input);
		expect(failed ?? []).toEqual([]);
		expect(json(first).map((j) => (j.xeroContact as IDataObject).matchedBy)).toEqual(['created', 'created', 'created', 'created']);
		expect(json(first).map((j) => (j.xeroContact as IDataObject).contactNumber)).toEqual(ids);
		const [again, failedAgain] = await run(ensure, input);
		expect(failedAgain ?? []).toEqual([]);
		expect(json(again).map((j) => (j.xeroContact as IDataObject).matchedBy)).toEqual(['contactNumber', 'contactNumber', 'contactNumber', 'contactNumber']);
		expect(json(again).map((j) => j.xeroContactId)).toEqual(json(first).map((j) => j.xeroContactId));
		for (const id of lookAlikes) expect(json(again).map((j) => j.xeroContactId)).not.toContain(id);
		expect(sb.contacts()).toHaveLength(lookAlikes.length + ids.length);
		// One lookup per run carried every client, the trailing backslash included.
		expect(sb.calls({ route: 'GET /Contacts' }).map((c) => c.status)).toEqual([200, 200]);
	});

	it('Record Payment: a new delivery attempt gets a new idempotency key (Xero\'s answer of now), the same delivery the same key', async () => {
		const [inv] = await (async () => {
			const ids = seedContacts(1);
			const [ok] = await run(createParams(), ids.map((id, k) => request(k, id)));
			return json(ok);
		})();
		const params = { resource: 'payment', operation: 'record', accountCode: '200', amountUnit: 'minor', options: fast };
		const delivery = (attempt: number) => ({ ...inv, amountMinor: 2280, currency: 'GBP', transactionreference: '59-7-1', _queue: { messageUid: 'msg-1', attempt } });
		// 200 (Sales) takes no payments: Xero refuses, and remembers the refusal under the key.
		const [, refused] = await run(params, [delivery(1)]);
		expect(failure(refused[0]).message).toContain('Account type is invalid');
		const sales = sb.organisation.account('200')!;
		sales.EnablePaymentsToAccount = true; // the bookkeeper fixes the account
		try {
			// The same delivery again (as n8n's Retry On Fail would): the same key, the stored answer.
			const [, same] = await run(params, [delivery(1)]);
			expect(failure(same[0]).message).toContain('Account type is invalid');
			// Retry or Park's next delivery: a new key, so the fix is seen and the payment recorded.
			const [ok, failed] = await run(params, [delivery(2)]);
			expect(failed ?? []).toEqual([]);
			expect(ok[0].json.xeroPayment).toMatchObject({ recorded: true });
			const puts = sb.calls({ route: 'PUT /Payments' });
			expect(puts.map((c) => Boolean(c.replayed))).toEqual([false, true, false]);
			expect(puts[0].idempotencyKey).toBe(puts[1].idempotencyKey);
			expect(puts[2].idempotencyKey).not.toBe(puts[0].idempotencyKey);
			expect(sb.payments()).toHaveLength(1);
		} finally {
			sales.EnablePaymentsToAccount = undefined;
		}
	});
});
