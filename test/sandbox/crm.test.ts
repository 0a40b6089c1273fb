import {
	generateCrmData,
	hostileRecords,
	HOSTILE_KINDS,
	startCrmSandbox,
	type BillableLeadRow,
	type CrmClient,
	type CrmLead,
	type CrmSandbox,
} from '../../sandbox/crm';

const period = { from: '2025-03-01T00:00:00.000Z', to: '2025-04-01T00:00:00.000Z' };

async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
	const res = await fetch(url, { headers });
	return { status: res.status, body: await res.json() };
}

describe('generateCrmData', () => {
	it('is deterministic for a seed and differs between seeds', () => {
		const a = generateCrmData({ seed: 42, clients: 20, leadsPerClient: [1, 6], period });
		const b = generateCrmData({ seed: 42, clients: 20, leadsPerClient: [1, 6], period });
		const c = generateCrmData({ seed: 43, clients: 20, leadsPerClient: [1, 6], period });
		expect(JSON.stringify(a)).toBe(JSON.stringify(b));
		expect(JSON.stringify(a)).not.toBe(JSON.stringify(c));
	});

	it('produces well-formed clients and leads inside the period', () => {
		const data = generateCrmData({ seed: 7, clients: 30, leadsPerClient: 4, period, currencies: ['GBP', 'JPY'], quantityMax: 3 });
		expect(data.clients).toHaveLength(30);
		expect(data.leads).toHaveLength(120);
		expect(new Set(data.clients.map((c) => c.id)).size).toBe(30);
		expect(new Set(data.leads.map((l) => l.leadId)).size).toBe(120);
		const byId = new Map(data.clients.map((c) => [c.id, c]));
		for (const client of data.clients) {
			expect(client.billingEmail).toMatch(/^[^@\s]+@[a-z0-9-]+\.example$/);
			expect(['GBP', 'JPY']).toContain(client.currency);
			expect(client.cardReference).toBeNull();
		}
		for (const lead of data.leads) {
			const at = Date.parse(lead.deliveredAt);
			expect(at).toBeGreaterThanOrEqual(Date.parse(period.from));
			expect(at).toBeLessThan(Date.parse(period.to));
			const currency = byId.get(lead.clientId)!.currency;
			// Decimal places follow the currency: JPY has none.
			expect(lead.price).toMatch(currency === 'JPY' ? /^\d+$/ : /^\d+\.\d{2}$/);
			expect(Number(lead.price)).toBeGreaterThanOrEqual(5);
			expect(lead.quantity).toBeGreaterThanOrEqual(1);
			expect(lead.quantity).toBeLessThanOrEqual(3);
		}
		// Sorted by delivery time.
		const times = data.leads.map((l) => Date.parse(l.deliveredAt));
		expect([...times].sort((x, y) => x - y)).toEqual(times);
	});

	it('takes card references from an array, a map or a function', () => {
		const refs = ['55-9-100', null, '55-9-102'];
		const fromArray = generateCrmData({ seed: 1, clients: 3, leadsPerClient: 1, period, cardReferences: refs });
		expect(fromArray.clients.map((c) => c.cardReference)).toEqual(refs);
		const fromMap = generateCrmData({ seed: 1, clients: 3, leadsPerClient: 1, period, cardReferences: { C0002: '55-9-777' } });
		expect(fromMap.clients.map((c) => c.cardReference)).toEqual([null, '55-9-777', null]);
		const fromFn = generateCrmData({
			seed: 1,
			clients: 3,
			leadsPerClient: 1,
			period,
			cardReferences: (client, index) => (index % 2 === 0 ? `ref-${client.id}` : null),
		});
		expect(fromFn.clients.map((c) => c.cardReference)).toEqual(['ref-C0001', null, 'ref-C0003']);
		// Card references do not disturb the rest of the seeded data.
		expect(fromFn.leads).toEqual(fromArray.leads);
	});

	it('rejects a nonsensical period', () => {
		expect(() => generateCrmData({ seed: 1, clients: 1, leadsPerClient: 1, period: { from: 'soon', to: period.to } })).toThrow(/period.from/);
		expect(() => generateCrmData({ seed: 1, clients: 1, leadsPerClient: 1, period: { from: period.to, to: period.from } })).toThrow(/after/);
	});

	it('builds hostile records exactly as asked', () => {
		const hostile = hostileRecords(period);
		const client = (kind: string) => hostile.clients.find((c) => c.id === `HX-${kind}`) as CrmClient;
		const lead = (kind: string) => hostile.leads.find((l) => l.leadId === `HX-${kind}-L0001`) as CrmLead;
		expect(hostile.leads).toHaveLength(HOSTILE_KINDS.length);
		expect('billingEmail' in client('missingEmail')).toBe(false);
		expect(client('headerInjectionEmail').billingEmail).toContain('\r\nBcc:');
		expect(client('badCurrency').currency).toBe('EURO');
		expect(lead('negativePrice').price).toBe('-25.00');
		expect(client('htmlName').name).toContain('<script>');
		expect(client('rtlName').name).toContain('\u202E');
		expect(hostile.clients.find((c) => c.id === lead('orphanLead').clientId)).toBeUndefined();
	});
});

describe('CRM sandbox HTTP API', () => {
	let crm: CrmSandbox;
	const data = generateCrmData({
		seed: 99,
		clients: 12,
		leadsPerClient: [2, 5],
		period,
		cardReferences: (_c, i) => (i % 3 === 0 ? null : `55-9-${1000 + i}`),
		hostile: ['missingEmail', 'htmlName', 'negativePrice', 'orphanLead'],
	});

	beforeAll(async () => {
		// Leads outside the period, to prove the [from, to) filter.
		const edge: CrmLead[] = [
			{ leadId: 'EDGE-FROM', clientId: 'C0001', description: 'at from', price: '1.00', quantity: 1, deliveredAt: period.from },
			{ leadId: 'EDGE-TO', clientId: 'C0001', description: 'at to', price: '1.00', quantity: 1, deliveredAt: period.to },
		];
		crm = await startCrmSandbox({ data: { clients: data.clients, leads: [...data.leads, ...edge] }, defaultPageSize: 7 });
	});
	afterAll(() => crm.close());

	it('lists clients and fetches one', async () => {
		const list = await getJson(`${crm.url}/api/clients?limit=1000`);
		expect(list.status).toBe(200);
		expect(list.body.data.map((c: CrmClient) => c.id).sort()).toEqual(data.clients.map((c) => c.id).sort());
		const one = await getJson(`${crm.url}/api/clients/C0002`);
		expect(one.body).toEqual(data.clients.find((c) => c.id === 'C0002'));
		const missing = await getJson(`${crm.url}/api/clients/NOPE`);
		expect(missing.status).toBe(404);
		expect(missing.body.error.message).toMatch(/NOPE/);
	});

	it('filters leads to [from, to) and by client', async () => {
		const all = await getJson(`${crm.url}/api/leads?from=${period.from}&to=${period.to}&limit=1000`);
		const ids = all.body.data.map((l: CrmLead) => l.leadId);
		expect(ids).toContain('EDGE-FROM');
		expect(ids).not.toContain('EDGE-TO');
		expect(all.body.data).toHaveLength(data.leads.length + 1);
		const one = await getJson(`${crm.url}/api/leads?from=${period.from}&to=${period.to}&clientId=C0003&limit=1000`);
		expect(one.body.data.length).toBe(data.leads.filter((l) => l.clientId === 'C0003').length);
		expect(one.body.data.every((l: CrmLead) => l.clientId === 'C0003')).toBe(true);
	});

	it('returns flat billable rows, paged by cursor without gaps or repeats', async () => {
		const rows: BillableLeadRow[] = [];
		let cursor: string | null = null;
		let pages = 0;
		do {
			const query: string = `from=${encodeURIComponent(period.from)}&to=${encodeURIComponent(period.to)}${cursor ? `&cursor=${cursor}` : ''}`;
			const res = await getJson(`${crm.url}/api/billable-leads?${query}`);
			expect(res.status).toBe(200);
			expect(res.body.data.length).toBeLessThanOrEqual(7);
			rows.push(...res.body.data);
			cursor = res.body.pagination.nextCursor;
			pages++;
		} while (cursor);
		const expected = data.leads.length + 1; // + EDGE-FROM
		expect(rows).toHaveLength(expected);
		expect(pages).toBe(Math.ceil(expected / 7));
		expect(new Set(rows.map((r) => r.leadId)).size).toBe(expected);

		const row = rows.find((r) => r.clientId === 'C0002')!;
		const client = data.clients.find((c) => c.id === 'C0002')!;
		expect(Object.keys(row).sort()).toEqual(
			['leadId', 'clientId', 'clientName', 'billingEmail', 'currency', 'cardReference', 'description', 'price', 'quantity', 'deliveredAt'].sort(),
		);
		expect(row).toMatchObject({ clientName: client.name, billingEmail: client.billingEmail, currency: client.currency, cardReference: client.cardReference });
		// Hostile data comes through untouched; an orphan lead is not dropped.
		expect(rows.find((r) => r.clientId === 'HX-htmlName')!.clientName).toContain('<script>');
		expect(rows.find((r) => r.leadId === 'HX-negativePrice-L0001')!.price).toBe('-25.00');
		expect(rows.find((r) => r.leadId === 'HX-orphanLead-L0001')).toMatchObject({ clientName: null, billingEmail: null });
	});

	it('supports page numbers too', async () => {
		const first = await getJson(`${crm.url}/api/billable-leads?from=${period.from}&to=${period.to}&page=2&pageSize=5`);
		const all = await getJson(`${crm.url}/api/billable-leads?from=${period.from}&to=${period.to}&limit=1000`);
		expect(first.body.data).toEqual(all.body.data.slice(5, 10));
		expect(first.body.pagination).toMatchObject({ page: 2, pageSize: 5, total: all.body.data.length, totalPages: Math.ceil(all.body.data.length / 5) });
	});

	it('rejects bad parameters with a message naming them', async () => {
		const noFrom = await getJson(`${crm.url}/api/billable-leads?to=${period.to}`);
		expect(noFrom.status).toBe(400);
		expect(noFrom.body.error.message).toMatch(/from/);
		const badTo = await getJson(`${crm.url}/api/billable-leads?from=${period.from}&to=tomorrow`);
		expect(badTo.body.error.message).toMatch(/to "tomorrow"/);
		const reversed = await getJson(`${crm.url}/api/billable-leads?from=${period.to}&to=${period.from}`);
		expect(reversed.status).toBe(400);
		const badLimit = await getJson(`${crm.url}/api/billable-leads?from=${period.from}&to=${period.to}&limit=0`);
		expect(badLimit.body.error.message).toMatch(/limit/);
		const badCursor = await getJson(`${crm.url}/api/billable-leads?from=${period.from}&to=${period.to}&cursor=%%%`);
		expect(badCursor.status).toBe(400);
	});

	it('routes strictly: no trailing slash, read-only (405 for any other method), 404 naming the request', async () => {
		expect((await getJson(`${crm.url}/api/clients/`)).status).toBe(404);
		expect((await getJson(`${crm.url}/api/clients/C0002/`)).status).toBe(404);
		expect((await getJson(`${crm.url}/api/clients/C%30002`)).body.id).toBe('C0002');
		const unknown = await getJson(`${crm.url}/api/invoices`);
		expect(unknown).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'no route for GET /api/invoices' } } });
		const post = await fetch(`${crm.url}/api/nothing-here`, { method: 'POST' });
		expect(post.status).toBe(405);
		expect(((await post.json()) as { error: { message: string } }).error.message).toBe('POST is not allowed on /api/nothing-here');
	});

	it('logs requests, injects failures and updates card references', async () => {
		crm.clearRequests();
		crm.failNext(1, 503);
		expect((await getJson(`${crm.url}/api/clients`)).status).toBe(503);
		expect((await getJson(`${crm.url}/api/clients`)).status).toBe(200);
		expect(crm.requests().map((r) => r.status)).toEqual([503, 200]);
		crm.setCardReference('C0001', '55-9-424242');
		expect((await getJson(`${crm.url}/api/clients/C0001`)).body.cardReference).toBe('55-9-424242');
	});
});

describe('CRM sandbox auth and latency', () => {
	let crm: CrmSandbox;
	beforeAll(async () => {
		crm = await startCrmSandbox({
			data: generateCrmData({ seed: 5, clients: 2, leadsPerClient: 1, period }),
			apiKey: 'secret-key',
			latency: 120,
		});
	});
	afterAll(() => crm.close());

	it('requires the API key header', async () => {
		const none = await getJson(`${crm.url}/api/clients`);
		expect(none.status).toBe(401);
		expect(none.body.error.message).toMatch(/x-api-key/);
		const wrong = await getJson(`${crm.url}/api/clients`, { 'X-API-Key': 'nope' });
		expect(wrong.status).toBe(401);
		const started = Date.now();
		const ok = await getJson(`${crm.url}/api/clients`, { 'X-API-Key': 'secret-key' });
		expect(ok.status).toBe(200);
		expect(ok.body.data).toHaveLength(2);
		expect(Date.now() - started).toBeGreaterThanOrEqual(110);
	});
});
