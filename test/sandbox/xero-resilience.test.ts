// Idempotency keys, rate limits, latency and fault injection of the Xero sandbox, through xero-node.
import { Invoice, type XeroClient } from 'xero-node';
import { startXeroSandbox, type XeroSandbox } from '../../sandbox/xero';
import { connectXeroClient, parseSdkError } from '../../sandbox/xero/sdk';

let sb: XeroSandbox;
let xero: XeroClient;
let contactID: string;

beforeAll(async () => {
	sb = await startXeroSandbox();
	xero = await connectXeroClient(sb);
});
afterAll(async () => {
	await sb.close();
});
beforeEach(() => {
	sb.reset();
	sb.setLimits({ concurrent: 5, perMinute: 60, perDay: 5000, appPerMinute: 10000, minuteMs: 60_000, dayMs: 86_400_000 });
	sb.setLatency(undefined);
	contactID = sb.seedContact({ Name: 'Acme Ltd', ContactNumber: 'C-1' }).ContactID as string;
});

async function outcome<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; statusCode: number; body: unknown; headers: Record<string, string> }> {
	try {
		return { ok: true, value: await p };
	} catch (e) {
		return { ok: false, ...parseSdkError(e) };
	}
}

const inv = (reference: string, amount = 10): Invoice => ({
	type: Invoice.TypeEnum.ACCREC,
	contact: { contactID },
	dueDate: '2030-01-31',
	status: Invoice.StatusEnum.AUTHORISED,
	reference,
	lineItems: [{ description: 'Lead', quantity: 1, unitAmount: amount, accountCode: '200' }],
});

const orgCall = () => outcome(xero.accountingApi.getOrganisations(''));

describe('Idempotency-Key', () => {
	it('replays the first response for the same key and body, and refuses the key with a different body', async () => {
		const first = await xero.accountingApi.createInvoices('', { invoices: [inv('bk-1')] }, false, undefined, 'batch-key-1');
		const again = await xero.accountingApi.createInvoices('', { invoices: [inv('bk-1')] }, false, undefined, 'batch-key-1');
		expect(again.body.invoices![0].invoiceID).toBe(first.body.invoices![0].invoiceID);
		expect(again.body.invoices![0].invoiceNumber).toBe('INV-0001');
		expect(sb.invoicesByReference('bk-1')).toHaveLength(1);
		expect(sb.calls({ route: 'PUT /Invoices' }).map((c) => Boolean(c.replayed))).toEqual([false, true]);

		const other = await outcome(xero.accountingApi.createInvoices('', { invoices: [inv('bk-2')] }, false, undefined, 'batch-key-1'));
		expect(other.ok).toBe(false);
		if (!other.ok) {
			expect(other.statusCode).toBe(400);
			expect(JSON.stringify(other.body)).toContain('has already been used with a different request');
		}
		expect(sb.invoicesByReference('bk-2')).toHaveLength(0);
	});

	it('replays validation failures too', async () => {
		const bad = { ...inv('bad'), dueDate: 'not-a-date' };
		const a = await xero.accountingApi.createInvoices('', { invoices: [bad] }, false, undefined, 'k-bad');
		const b = await xero.accountingApi.createInvoices('', { invoices: [bad] }, false, undefined, 'k-bad');
		expect(a.body.invoices![0].validationErrors).toEqual(b.body.invoices![0].validationErrors);
		expect(sb.calls({ route: 'PUT /Invoices' })[1].replayed).toBe(true);
	});

	it('makes a retry after a fault that struck after the work safe (and shows the duplicate without a key)', async () => {
		sb.failNext(1, { kind: 'error', status: 500, phase: 'after' });
		const lost = await outcome(xero.accountingApi.createInvoices('', { invoices: [inv('bk-after')] }, false, undefined, 'k-after'));
		expect(lost.ok).toBe(false);
		if (!lost.ok) expect(lost.statusCode).toBe(500);
		// The work happened even though the client saw a 500.
		expect(sb.invoicesByReference('bk-after')).toHaveLength(1);
		const retry = await xero.accountingApi.createInvoices('', { invoices: [inv('bk-after')] }, false, undefined, 'k-after');
		expect(retry.body.invoices![0].invoiceID).toBe(sb.invoicesByReference('bk-after')[0].InvoiceID);
		expect(sb.invoicesByReference('bk-after')).toHaveLength(1);

		sb.failNext(1, { kind: 'error', status: 500, phase: 'after' });
		await outcome(xero.accountingApi.createInvoices('', { invoices: [inv('bk-nokey')] }, false));
		await xero.accountingApi.createInvoices('', { invoices: [inv('bk-nokey')] }, false);
		expect(sb.invoicesByReference('bk-nokey')).toHaveLength(2);
	});

	it('applies nothing when the fault strikes before the work', async () => {
		sb.failNext(1, { kind: 'error', status: 503, phase: 'before' });
		const r = await outcome(xero.accountingApi.createInvoices('', { invoices: [inv('bk-before')] }, false, undefined, 'k-before'));
		expect(r.ok).toBe(false);
		if (!r.ok) expect(r.statusCode).toBe(503);
		expect(sb.invoicesByReference('bk-before')).toHaveLength(0);
		await xero.accountingApi.createInvoices('', { invoices: [inv('bk-before')] }, false, undefined, 'k-before');
		expect(sb.invoicesByReference('bk-before')).toHaveLength(1);
		expect(sb.calls({ route: 'PUT /Invoices' }).map((c) => [c.status, c.fault ?? null, c.faultPhase ?? null])).toEqual([
			[503, 'error', 'before'],
			[200, null, null],
		]);
	});
});

describe('timeouts', () => {
	it('hangs, then drops the connection; with phase "after" the work is applied', async () => {
		sb.failNext(1, { kind: 'timeout', hangMs: 150, phase: 'after' });
		const t0 = Date.now();
		const r = await outcome(xero.accountingApi.createInvoices('', { invoices: [inv('bk-hang')] }, false, undefined, 'k-hang'));
		expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
		expect(r.ok).toBe(false);
		if (!r.ok) {
			expect(r.statusCode).toBe(0);
			expect(String(r.body)).toMatch(/socket hang up|ECONNRESET/);
		}
		expect(sb.invoicesByReference('bk-hang')).toHaveLength(1);
		expect(sb.calls({ route: 'PUT /Invoices' })[0]).toMatchObject({ status: 0, fault: 'timeout', faultPhase: 'after' });
	});
});

describe('random faults', () => {
	it('are repeatable with a seed and limited to matching routes', async () => {
		const run = async () => {
			sb.reset();
			sb.setFaults({ seed: 42, errorRate: 0.4, errorStatuses: [500, 502, 503], routes: /^GET \/Organisation$/ });
			const statuses: number[] = [];
			for (let i = 0; i < 15; i++) {
				const r = await orgCall();
				statuses.push(r.ok ? 200 : r.statusCode);
			}
			// Other routes are untouched.
			const contacts = await outcome(xero.accountingApi.getContacts(''));
			expect(contacts.ok).toBe(true);
			return statuses;
		};
		const a = await run();
		const b = await run();
		expect(a).toEqual(b);
		expect(a.filter((s) => s !== 200).length).toBeGreaterThan(2);
		expect(a.filter((s) => s === 200).length).toBeGreaterThan(2);
		expect(new Set(a.filter((s) => s !== 200)).size).toBeGreaterThan(1);
		expect(sb.faults.injected.error).toBe(a.filter((s) => s !== 200).length);
	});

	it('draws "random" phases from the same seeded dice', async () => {
		sb.setFaults({ seed: 7, errorRate: 1, phase: 'random', routes: /^PUT \/Invoices$/ });
		for (let i = 0; i < 12; i++) await outcome(xero.accountingApi.createInvoices('', { invoices: [inv(`r-${i}`)] }, false));
		const phases = sb.calls({ route: 'PUT /Invoices' }).map((c) => c.faultPhase);
		const applied = sb.invoices().length;
		expect(phases.filter((p) => p === 'after').length).toBe(applied);
		expect(applied).toBeGreaterThan(0);
		expect(applied).toBeLessThan(12);
	});
});

describe('rate limits', () => {
	it('sends the remaining-limit headers on every response and 429s the call over the minute limit', async () => {
		sb.setLimits({ perMinute: 5, minuteMs: 1500 });
		const seen: string[] = [];
		for (let i = 0; i < 5; i++) {
			const r = await xero.accountingApi.getOrganisations('');
			seen.push(r.response.headers['x-minlimit-remaining']);
			expect(r.response.headers['x-daylimit-remaining']).toBe(String(5000 - i - 1));
			expect(r.response.headers['x-appminlimit-remaining']).toBe(String(10000 - i - 1));
		}
		expect(seen).toEqual(['4', '3', '2', '1', '0']);
		const limited = await orgCall();
		expect(limited.ok).toBe(false);
		if (!limited.ok) {
			expect(limited.statusCode).toBe(429);
			expect(limited.headers['x-rate-limit-problem']).toBe('minute');
			expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
			expect(limited.headers['x-minlimit-remaining']).toBe('0');
		}
		// A rolling window: once the first calls age out, calls are admitted again.
		await new Promise((r) => setTimeout(r, 1600));
		expect((await orgCall()).ok).toBe(true);
	});

	it('refuses calls over the day budget with problem "day"', async () => {
		sb.setLimits({ perDay: 3 });
		for (let i = 0; i < 3; i++) expect((await orgCall()).ok).toBe(true);
		const r = await orgCall();
		expect(r.ok).toBe(false);
		if (!r.ok) {
			expect(r.statusCode).toBe(429);
			expect(r.headers['x-rate-limit-problem']).toBe('day');
			expect(r.headers['x-daylimit-remaining']).toBe('0');
			expect(Number(r.headers['retry-after'])).toBeGreaterThan(80_000);
		}
		expect(sb.callCount({ status: 429 })).toBe(1);
	});

	it('allows 5 concurrent calls per organisation and 429s the rest with problem "concurrent"', async () => {
		sb.setLatency(300);
		const results = await Promise.all(Array.from({ length: 8 }, () => orgCall()));
		const limited = results.filter((r) => !r.ok);
		expect(results.filter((r) => r.ok)).toHaveLength(5);
		expect(limited).toHaveLength(3);
		for (const r of limited) if (!r.ok) expect(r.headers['x-rate-limit-problem']).toBe('concurrent');
	});

	it('answers a forced 429 storm for N calls, then recovers', async () => {
		sb.storm429({ calls: 3, retryAfterSeconds: 2 });
		const rs = [await orgCall(), await orgCall(), await orgCall(), await orgCall()];
		expect(rs.map((r) => (r.ok ? 200 : r.statusCode))).toEqual([429, 429, 429, 200]);
		const first = rs[0];
		if (!first.ok) {
			expect(first.headers['retry-after']).toBe('2');
			expect(first.headers['x-rate-limit-problem']).toBe('minute');
		}
		expect(sb.faults.injected.rateLimited).toBe(3);
	});

	it('answers a forced 429 storm for a time span', async () => {
		sb.storm429({ ms: 300, problem: 'concurrent' });
		const during = await orgCall();
		expect(during.ok ? 200 : during.statusCode).toBe(429);
		if (!during.ok) expect(during.headers['x-rate-limit-problem']).toBe('concurrent');
		await new Promise((r) => setTimeout(r, 350));
		expect((await orgCall()).ok).toBe(true);
	});
});

describe('latency and inspection', () => {
	it('adds latency within the configured range', async () => {
		sb.setLatency([60, 90]);
		for (let i = 0; i < 3; i++) await orgCall();
		for (const c of sb.calls()) {
			expect(c.durationMs!).toBeGreaterThanOrEqual(55);
			expect(c.durationMs!).toBeLessThan(400);
		}
	});

	it('counts calls by route and status, and reset clears everything', async () => {
		await xero.accountingApi.createInvoices('', { invoices: [inv('a'), inv('b')] });
		await xero.accountingApi.getInvoices('', undefined, 'Reference=="a"');
		await xero.accountingApi.getInvoice('', sb.invoicesByReference('a')[0].InvoiceID as string);
		expect(sb.callsByRoute()).toEqual({ 'PUT /Invoices': 1, 'GET /Invoices': 1, 'GET /Invoices/{id}': 1 });
		expect(sb.callCount()).toBe(3);
		expect(sb.callCount({ method: 'GET' })).toBe(2);
		expect(sb.callCount({ route: 'PUT /Invoices', status: 200 })).toBe(1);
		expect(sb.calls({ route: 'GET /Invoices' })[0].query).toEqual({ where: 'Reference=="a"' });
		sb.reset();
		expect(sb.callCount()).toBe(0);
		expect(sb.invoices()).toEqual([]);
		expect(sb.contacts()).toEqual([]);
	});
});

describe('several organisations', () => {
	it('gives each custom connection its own data and limits', async () => {
		const multi = await startXeroSandbox({
			clientId: 'ONE',
			clientSecret: 's1',
			connections: [{ clientId: 'TWO', clientSecret: 's2', organisation: { name: 'Second Org', baseCurrency: 'EUR' } }],
			limits: { perMinute: 2, appPerMinute: 3 },
		});
		try {
			const one = await connectXeroClient(multi);
			const two = await connectXeroClient({ ...multi, clientId: 'TWO', clientSecret: 's2' });
			const org2 = await two.accountingApi.getOrganisations('');
			expect(org2.body.organisations![0].name).toBe('Second Org');
			expect(org2.response.headers['x-minlimit-remaining']).toBe('1');
			await one.accountingApi.getOrganisations('');
			const r = await one.accountingApi.getOrganisations('');
			expect(r.response.headers['x-minlimit-remaining']).toBe('0');
			// The app-wide minute limit (3) is now spent by the two organisations together.
			const over = await outcome(two.accountingApi.getOrganisations(''));
			expect(over.ok).toBe(false);
			if (!over.ok) expect(over.headers['x-rate-limit-problem']).toBe('appminute');
			expect(multi.org('TWO').tenantId).not.toBe(multi.tenantId);
			expect(multi.callCount({ tenantId: multi.org('TWO').tenantId })).toBe(2);
		} finally {
			await multi.close();
		}
	});
});
