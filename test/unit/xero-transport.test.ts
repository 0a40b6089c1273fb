// The Xero Billing transport (xero-node underneath) and its per-organisation limiter.
import { startXeroSandbox, type XeroSandbox } from '../../sandbox/xero';
import { ServiceError } from '../../nodes/shared/errors';
import { parseSdkRejection, xeroMessages, XeroApiError, XeroDayLimitError } from '../../nodes/XeroBilling/transport/errors';
import { OrgLimiter } from '../../nodes/XeroBilling/transport/limiter';
import { FieldError } from '../../nodes/shared/errors';
import { morePages } from '../../nodes/XeroBilling/transport/client';
import {
	forgetXeroOrganisations,
	listCommaError,
	packList,
	packTerms,
	packWhere,
	sentLength,
	whereSentLength,
	WHERE_MAX_SENT_CHARS,
	whereAnyOf,
	whereString,
	XeroTransport,
	type CallPolicy,
	type XeroConnection,
} from '../../nodes/XeroBilling/transport';

let sb: XeroSandbox;
let conn: XeroConnection;
const policy: CallPolicy = { timeoutMs: 2000, maxRetries: 2, retryDelayMs: 10, maxRateLimitWaitMs: 10_000 };

beforeAll(async () => {
	sb = await startXeroSandbox();
	conn = { clientId: sb.clientId, clientSecret: sb.clientSecret, tokenUrl: sb.tokenUrl, apiBaseUrl: sb.apiBaseUrl };
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

describe('error parsing', () => {
	it("reads Xero's validation messages out of xero-node's JSON-string rejection", () => {
		const rejection = JSON.stringify({
			response: {
				statusCode: 400,
				body: { ErrorNumber: 10, Type: 'ValidationException', Message: 'A validation exception occurred', Elements: [{ ValidationErrors: [{ Message: 'Email address must be valid.' }, { Message: 'Email address must be valid.' }] }, { ValidationErrors: [{ Message: 'Invoice # must be unique.' }] }] },
				headers: { 'X-MinLimit-Remaining': '58' },
			},
			body: {},
		});
		const e = parseSdkRejection(rejection, 'Creating invoices');
		expect(e).toBeInstanceOf(XeroApiError);
		// The kit's service error: code is the kind, httpCode Xero's status.
		expect(e).toBeInstanceOf(ServiceError);
		expect([e.code, e.httpCode, e.description]).toEqual(['validation', '400', 'Xero: Email address must be valid.; Invoice # must be unique.']);
		expect(e.kind).toBe('validation');
		expect(e.statusCode).toBe(400);
		expect(e.messages).toEqual(['Email address must be valid.', 'Invoice # must be unique.']);
		expect(e.message).toBe('Creating invoices failed: Xero answered 400: Email address must be valid.; Invoice # must be unique.');
		expect(e.headers['x-minlimit-remaining']).toBe('58');
		expect(e.retryable).toBe(false);
	});

	it('classifies 429, 5xx, dropped connections and non-JSON rejections', () => {
		const r429 = parseSdkRejection(JSON.stringify({ response: { statusCode: 429, body: '', headers: { 'retry-after': '7', 'x-rate-limit-problem': 'minute' } } }), 'X');
		expect([r429.kind, r429.message]).toEqual(['rateLimit', "X was refused by Xero's rate limit (minute; Retry-After 7 s)"]);
		// A rate limit passes: retryable for the workflow, though the transport waits rather than resends.
		expect([r429.code, r429.retryable, r429.httpCode]).toEqual(['rateLimit', true, '429']);
		const r503 = parseSdkRejection(JSON.stringify({ response: { statusCode: 503, body: 'The Xero API is temporarily unavailable.', headers: {} } }), 'X');
		// A non-JSON body is never quoted (an echoing proxy would put credentials there): status, type, size.
		expect([r503.kind, r503.retryable, r503.messages, r503.message]).toEqual(['server', true, [], 'X failed: Xero answered 503 with no content type (40 B)']);
		const dropped = parseSdkRejection(JSON.stringify({ response: { statusCode: 0, body: 'socket hang up', headers: {} } }), 'X');
		expect([dropped.kind, dropped.retryable]).toEqual(['network', true]);
		expect(parseSdkRejection(new Error('boom'), 'X').kind).toBe('other');
		expect(parseSdkRejection('not json', 'X').message).toBe('X failed: not json');
		expect(xeroMessages({ Title: 'Unauthorized', Status: 401, Detail: 'TokenExpired: token expired' })).toEqual(['TokenExpired: token expired']);
	});

	it('quotes where literals the way Xero parses them', () => {
		expect(whereAnyOf('Reference', ['a', 'say "hi"'])).toBe('Reference=="a" OR Reference=="say ""hi"""');
	});
});

describe('OrgLimiter', () => {
	it('lets 5 calls in flight and queues the 6th until one is released', async () => {
		const l = new OrgLimiter();
		const releases = await Promise.all(Array.from({ length: 5 }, () => l.acquire()));
		let sixth = false;
		const p = l.acquire().then((r) => {
			sixth = true;
			return r;
		});
		await new Promise((r) => setTimeout(r, 30));
		expect(sixth).toBe(false);
		releases[0]();
		(await p)();
		expect(sixth).toBe(true);
		releases.slice(1).forEach((r) => r());
		expect(l.snapshot().inFlight).toBe(0);
	});

	it('holds everyone for Retry-After after a 429', async () => {
		const l = new OrgLimiter();
		l.rateLimitedFor(300, 'minute');
		const t0 = Date.now();
		(await l.acquire())();
		expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
	});

	it('pauses when X-MinLimit-Remaining reaches 0, then lets one call probe', async () => {
		const l = new OrgLimiter(5, 200);
		l.observe({ 'x-minlimit-remaining': '1', 'x-daylimit-remaining': '100' });
		const t0 = Date.now();
		(await l.acquire())(); // uses the last one
		expect(Date.now() - t0).toBeLessThan(50);
		(await l.acquire())(); // budget spent: waits the pause
		expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
		expect(l.snapshot().dayRemaining).toBe(98);
	});

	it('refuses work the known day budget cannot cover, with a clear message', () => {
		const l = new OrgLimiter();
		l.observe({ 'x-daylimit-remaining': '3' });
		expect(() => l.checkDayBudget(3, 'creating 100 invoices')).not.toThrow();
		expect(() => l.checkDayBudget(4, 'creating 100 invoices')).toThrow(XeroDayLimitError);
		expect(() => l.checkDayBudget(4, 'creating 100 invoices')).toThrow(
			"Xero's daily API limit for this organisation would be exhausted: creating 100 invoices needs about 4 more call(s) but only 3 remain today (X-DayLimit-Remaining). Nothing further was sent.",
		);
	});
});

describe('XeroTransport against the sandbox', () => {
	it('shares one token and one limiter per organisation across transports', async () => {
		const a = new XeroTransport(conn, policy);
		const b = new XeroTransport(conn, policy);
		await Promise.all([a.getOrganisationName(), b.getOrganisationName(), a.findContacts('Name=="x"')]);
		expect(sb.tokenRequests()).toBe(1);
		expect(a.limiter).toBe(b.limiter);
		expect(a.limiter.snapshot().dayRemaining).toBe(4997);
	});

	it('fetches a new token once when Xero answers 401', async () => {
		const t = new XeroTransport(conn, policy);
		await t.getOrganisationName();
		sb.expireTokens();
		await expect(t.getOrganisationName()).resolves.toBe('Sandbox Billing Ltd');
		expect(sb.tokenRequests()).toBe(2);
	});

	it('reports a refused client secret without retrying it', async () => {
		const t = new XeroTransport({ ...conn, clientSecret: 'wrong' }, policy);
		await expect(t.getOrganisationName()).rejects.toThrow('Xero refused the access token request: 401 invalid_client (check the client id and secret of the custom connection)');
		expect(sb.tokenRequests()).toBe(1);
	});

	it('retries 5xx with backoff and the same idempotency key, then succeeds', async () => {
		const contact = sb.seedContact({ Name: 'A' });
		sb.failNext(2, { kind: 'error', status: 502, phase: 'before', routes: /^PUT \/Invoices$/ });
		const t = new XeroTransport(conn, policy);
		const write = { type: 'ACCREC' as const, contactId: contact.ContactID as string, reference: 'k1', dueDate: '2030-01-01', status: 'AUTHORISED' as const, lineItems: [{ description: 'x', quantity: 1, unitAmount: 5, accountCode: '200' }] };
		const [r] = await t.createInvoices([write], 'key-1');
		expect(r.ok).toBe(true);
		const puts = sb.calls({ route: 'PUT /Invoices' });
		expect(puts.map((c) => [c.status, c.idempotencyKey])).toEqual([
			[502, 'key-1'],
			[502, 'key-1'],
			[200, 'key-1'],
		]);
		expect(t.callsMade).toBe(3);
	});

	it('fails a day-limit 429 at once with XeroDayLimitError, and refuses further calls without sending them', async () => {
		sb.setLimits({ perDay: 1 });
		const t = new XeroTransport(conn, policy);
		await t.getOrganisationName();
		await expect(t.getOrganisationName()).rejects.toThrow(XeroDayLimitError);
		const before = sb.callCount();
		await expect(t.findContacts('Name=="x"')).rejects.toThrow(/would be exhausted/);
		expect(sb.callCount()).toBe(before);
	});

	it('gives up when 429s outlast the allowed wait', async () => {
		sb.storm429({ calls: 10, retryAfterSeconds: 1 });
		const t = new XeroTransport(conn, { ...policy, maxRateLimitWaitMs: 1500 });
		await expect(t.getOrganisationName()).rejects.toMatchObject({ kind: 'rateLimit', message: expect.stringContaining('still rate-limited by Xero (minute) after waiting 2 s') });
	});

	it('reads X-Rate-Limit-Problem case-insensitively: a "Day" 429 is the day limit, never a pause of the organisation', async () => {
		// A front end that capitalises the header value: hours of Retry-After, marked "Day".
		sb.storm429({ calls: 1, retryAfterSeconds: 4 * 3600, problem: 'Day' as never });
		const t = new XeroTransport(conn, policy);
		await expect(t.getOrganisationName()).rejects.toThrow(XeroDayLimitError);
		expect(t.limiter.snapshot().pausedForMs).toBe(0);
	});

	it('refuses a Retry-After longer than it may wait instead of pausing every call of the organisation', async () => {
		sb.storm429({ calls: 1, retryAfterSeconds: 3600, problem: 'minute' });
		const t = new XeroTransport(conn, { ...policy, maxRateLimitWaitMs: 60_000 });
		const started = Date.now();
		await expect(t.getOrganisationName()).rejects.toMatchObject({ kind: 'rateLimit', message: expect.stringContaining('asks to wait 3600 s (minute), longer than Max Rate-Limit Wait') });
		expect(Date.now() - started).toBeLessThan(5_000);
		// The next call is not held back an hour.
		await expect(t.getOrganisationName()).resolves.toEqual(expect.any(String));
	});

	it('times out a hung call and retries it', async () => {
		sb.failNext(1, { kind: 'timeout', hangMs: 2000 });
		const t = new XeroTransport(conn, { ...policy, timeoutMs: 200 });
		const t0 = Date.now();
		await expect(t.getOrganisationName()).resolves.toBe('Sandbox Billing Ltd');
		expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
		expect(sb.callCount({ route: 'GET /Organisation' })).toBe(2);
	});

	it('stops retrying when the execution is cancelled', async () => {
		sb.setFaults({ errorRate: 1, errorStatuses: [500] });
		const ac = new AbortController();
		const t = new XeroTransport(conn, { ...policy, maxRetries: 10, retryDelayMs: 200, signal: ac.signal });
		setTimeout(() => ac.abort(), 100);
		await expect(t.getOrganisationName()).rejects.toThrow('cancelled');
		expect(sb.callCount()).toBeLessThanOrEqual(2);
		sb.setFaults({});
	});
});

describe("where clauses within Xero's URL length limit", () => {
	it('measures a where value exactly as xero-node puts it on the wire', async () => {
		const t = new XeroTransport(conn, policy);
		const samples = [
			'ContactNumber=="C-1" OR EmailAddress=="a+b@x.test"',
			`Name=="O'Brien (UK) & Sons; 50% off, $5: ~*!" || Name=="Zoë/Åsa?#"`,
			whereAnyOf('Reference', ['say "hi"', 'tab\there', '😀']),
		];
		for (const where of samples) await t.findContacts(where).catch(() => undefined);
		expect(sb.calls({ route: 'GET /Contacts' }).map((c) => c.queryLength)).toEqual(samples.map(whereSentLength));
	});

	it('packs terms into the fewest clauses within the limit; fillers only use the room left', () => {
		const numbers = Array.from({ length: 130 }, (_, n) => `ContactNumber==${whereString(`C${n}`)}`);
		const emails = Array.from({ length: 130 }, (_, n) => `EmailAddress==${whereString(`billing${n}@client.test`)}`);
		const { clauses, placed, tooLong } = packTerms(numbers, emails);
		const total = numbers.reduce((n, t) => n + sentLength(t) + sentLength(' OR '), 0);
		expect(clauses).toHaveLength(Math.ceil(total / (WHERE_MAX_SENT_CHARS - 'where='.length)));
		expect(tooLong).toEqual([]);
		for (const c of clauses) {
			expect(whereSentLength(c.where)).toBeLessThanOrEqual(WHERE_MAX_SENT_CHARS);
			expect(c.where).toBe(c.terms.join(' OR '));
		}
		// Every number is in exactly one clause, in order; the emails placed are the ones that fitted.
		expect(clauses.flatMap((c) => c.terms.filter((t) => t.startsWith('ContactNumber')))).toEqual(numbers);
		expect(clauses.flatMap((c) => c.terms.filter((t) => t.startsWith('Email'))).sort()).toEqual([...placed].sort());
		expect(placed.size).toBeGreaterThan(0);
		expect(placed.size).toBeLessThan(emails.length);
		// No clause could have taken one more unplaced email.
		const next = emails.find((e) => !placed.has(e))!;
		for (const c of clauses) expect(whereSentLength(`${c.where} OR ${next}`)).toBeGreaterThan(WHERE_MAX_SENT_CHARS);
	});

	it('keeps each distinct term once and reports a term too long for any clause', () => {
		const huge = `EmailAddress==${whereString(`${'é'.repeat(400)}@x.test`)}`;
		const { clauses, tooLong, placed } = packTerms(['A=="1"', 'A=="1"', huge, 'A=="2"'], ['A=="2"', 'B=="3"', huge]);
		expect(tooLong).toEqual([huge]);
		expect(clauses).toEqual([{ where: 'A=="1" OR A=="2" OR B=="3"', terms: ['A=="1"', 'A=="2"', 'B=="3"'] }]);
		expect([...placed]).toEqual(['A=="2"', 'B=="3"']);
		expect(packTerms([])).toEqual({ clauses: [], placed: new Set(), tooLong: [] });
	});

	it('packs entries into batches bounded by the limit and by a count, with a wrapper', () => {
		const keys = Array.from({ length: 120 }, (_, n) => `INV-KEY-${String(n).padStart(20, '0')}`);
		const wrap = (or: string) => `Type=="ACCREC" AND (${or})`;
		const { groups, tooLong } = packWhere(keys, (k) => [`Reference==${whereString(k)}`], { wrap, maxEntries: 50 });
		expect(tooLong).toEqual([]);
		expect(groups.flatMap((g) => g.entries)).toEqual(keys);
		for (const g of groups) {
			expect(g.entries.length).toBeLessThanOrEqual(50);
			expect(g.where).toBe(wrap(whereAnyOf('Reference', g.entries)));
			expect(whereSentLength(g.where)).toBeLessThanOrEqual(WHERE_MAX_SENT_CHARS);
		}
		// Each reference costs 53 characters as sent, so the limit, not the count, closes each batch.
		expect(groups.length).toBeGreaterThan(120 / 50);
		groups.slice(0, -1).forEach((g, k) => {
			expect(g.entries.length).toBeLessThan(50);
			expect(whereSentLength(wrap(whereAnyOf('Reference', [...g.entries, groups[k + 1].entries[0]])))).toBeGreaterThan(WHERE_MAX_SENT_CHARS);
		});
		const short = packWhere(['a', 'b', 'c'], (k) => [`Reference==${whereString(k)}`], { maxEntries: 2 });
		expect(short.groups.map((g) => g.where)).toEqual(['Reference=="a" OR Reference=="b"', 'Reference=="c"']);
	});

	it('packs a list parameter (InvoiceNumbers=a,b) by count and by length as sent, each value once', async () => {
		const keys = Array.from({ length: 60 }, (_, n) => `C${n}-20261116-20261119`);
		const byCount = packList([...keys, keys[0]], 'InvoiceNumbers', { maxEntries: 50 });
		expect(byCount.groups.map((g) => g.length)).toEqual([50, 10]);
		expect(byCount.groups.flat()).toEqual(keys);
		const long = Array.from({ length: 120 }, (_, n) => `Zoë & Åsa/${String(n).padStart(20, '0')}`);
		const byLength = packList(long, 'InvoiceNumbers');
		expect(byLength.groups.length).toBeGreaterThan(1);
		for (const g of byLength.groups) expect('InvoiceNumbers='.length + sentLength(g.join(','))).toBeLessThanOrEqual(WHERE_MAX_SENT_CHARS);
		expect(packList(['x'.repeat(2100), 'ok'], 'InvoiceNumbers')).toEqual({ groups: [['ok']], tooLong: ['x'.repeat(2100)], withComma: [] });
		// The length is the one the SDK really sends.
		const t = new XeroTransport(conn, policy);
		await t.findInvoices({ invoiceNumbers: byLength.groups[0] });
		const sent = sb.calls({ route: 'GET /Invoices' }).at(-1)!;
		expect(sent.queryLength).toBe('InvoiceNumbers='.length + sentLength(byLength.groups[0].join(',')));
	});
});

describe('the wire as real Xero speaks it (issue 16)', () => {
	it('never puts a value holding a comma into a comma-separated list, and names the field for it', () => {
		const { groups, tooLong, withComma } = packList(['a', 'b,c', 'd', ',', 'b,c'], 'InvoiceNumbers', { maxEntries: 50 });
		expect(groups).toEqual([['a', 'd']]);
		expect(tooLong).toEqual([]);
		expect(withComma).toEqual(['b,c', ',']);
		const e = listCommaError('b,c', 'InvoiceNumbers', 'billingKey');
		expect(e).toBeInstanceOf(FieldError);
		expect(e.message).toBe('"b,c" holds a comma, which Xero\'s comma-separated InvoiceNumbers list cannot carry: it was not looked up (field "billingKey")');
		expect((e as FieldError).field).toBe('billingKey');
	});

	/** `n` authorised sales invoices with References r0…, seeded without API calls. */
	function seedInvoices(n: number): void {
		const contactID = sb.seedContact({ Name: 'Paging Ltd' }).ContactID;
		sb.seedInvoices(
			Array.from({ length: n }, (_, k) => ({
				Type: 'ACCREC',
				Contact: { ContactID: contactID },
				Reference: `r${k}`,
				DueDate: '2030-01-31',
				Status: 'AUTHORISED',
				LineItems: [{ Description: 'Lead', Quantity: 1, UnitAmount: 10, AccountCode: '200' }],
			})),
		);
	}

	it("pages by Xero's pagination, not by an assumed page size: 250 invoices with pageSize 1000 asked and 100 served", async () => {
		seedInvoices(250);
		const t = new XeroTransport(conn, policy);
		const listed = await t.listInvoiceSummaries('Type=="ACCREC"');
		expect(listed.map((i) => i.reference).sort()).toEqual(Array.from({ length: 250 }, (_, k) => `r${k}`).sort());
		const calls = sb.calls({ route: 'GET /Invoices' });
		expect(calls.map((c) => [c.query.page, c.query.pageSize])).toEqual([
			['1', '1000'],
			['2', '1000'],
			['3', '1000'],
		]);
		// With line items (pages of Xero's default size): every page, and no call past the last.
		const withLines = await t.findInvoices({ where: 'Type=="ACCREC"', withLineItems: true });
		expect(withLines).toHaveLength(250);
		expect(withLines.every((i) => i.lineItems?.length === 1)).toBe(true);
		expect(sb.calls({ route: 'GET /Invoices' }).slice(3).map((c) => c.query.page)).toEqual(['1', '2', '3']);
	});

	it('without pagination data, asks until an empty page; an empty page always ends the listing', () => {
		expect(morePages(1, 100, undefined)).toBe(true);
		expect(morePages(1, 37, undefined)).toBe(true);
		expect(morePages(2, 0, undefined)).toBe(false);
		expect(morePages(1, 100, { page: 1, pageSize: 100, pageCount: 1, itemCount: 100 })).toBe(false);
		expect(morePages(1, 100, { page: 1, pageSize: 100, pageCount: 3, itemCount: 250 })).toBe(true);
		expect(morePages(3, 50, { page: 3, pageSize: 100, pageCount: 3, itemCount: 250 })).toBe(false);
		expect(morePages(2, 0, { page: 2, pageSize: 100, pageCount: 5, itemCount: 500 })).toBe(false);
	});

	it('aborts a timed-out request and holds its limiter slot until it has ended: never more than 5 requests open at Xero', async () => {
		// Slow answers (1.5 s) to requests that time out after 150 ms: without the abort each
		// timeout freed a slot while its request stayed open at Xero, and the retries piled up.
		sb.failNext(8, { kind: 'slow', hangMs: 1500, routes: /^GET \/Organisation$/ });
		const t = new XeroTransport(conn, { ...policy, timeoutMs: 150, maxRetries: 3, retryDelayMs: 10 });
		const names = await Promise.all(Array.from({ length: 10 }, () => t.getOrganisationName()));
		expect(names).toEqual(Array.from({ length: 10 }, () => 'Sandbox Billing Ltd'));
		expect(sb.faults.injected.slow).toBe(8);
		expect(sb.concurrency().peak).toBeLessThanOrEqual(5);
		// The aborted requests were dropped by the client, not answered.
		expect(sb.calls({ route: 'GET /Organisation' }).filter((c) => c.fault === 'slow').every((c) => c.status === 0)).toBe(true);
		expect(t.limiter.snapshot().inFlight).toBe(0);
	});

	it('a cancelled execution aborts the request in flight at once', async () => {
		sb.failNext(1, { kind: 'slow', hangMs: 3000 });
		const ac = new AbortController();
		const t = new XeroTransport(conn, { ...policy, timeoutMs: 10_000, signal: ac.signal });
		const started = Date.now();
		setTimeout(() => ac.abort(), 100);
		await expect(t.getOrganisationName()).rejects.toThrow('cancelled');
		expect(Date.now() - started).toBeLessThan(1000);
		expect(t.limiter.snapshot().inFlight).toBe(0);
	});
});
