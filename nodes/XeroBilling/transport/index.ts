// The one module that talks to Xero. API calls go through the official xero-node SDK; the token
// comes from the client-credentials endpoint (custom connections), fetched here because the SDK
// hard-codes identity.xero.com and we must also reach a stand-in. Every call passes the
// organisation's shared limiter, a timeout, and a retry loop (5xx, timeouts and dropped
// connections retried with backoff and the SAME idempotency key; 429 waits Retry-After).
import { createHash } from 'crypto';
import { Contact, Invoice, LineAmountTypes, Payment, XeroClient, type AccountingApi, type CurrencyCode } from 'xero-node';
import { parseSdkRejection, XeroApiError, XeroDayLimitError } from './errors';
import { OrgLimiter } from './limiter';

export { XeroApiError, XeroDayLimitError } from './errors';
export type { XeroErrorKind } from './errors';
export type { LimiterSnapshot } from './limiter';

export const XERO_TOKEN_URL = 'https://identity.xero.com/connect/token';
export const XERO_API_BASE_URL = 'https://api.xero.com/api.xro/2.0';

export interface XeroConnection {
	clientId: string;
	clientSecret: string;
	tokenUrl: string;
	apiBaseUrl: string;
}

export interface CallPolicy {
	/** Per-request timeout. xero-node has none of its own. */
	timeoutMs: number;
	/** Retries after 5xx, timeouts and dropped connections. */
	maxRetries: number;
	/** First backoff delay; doubles per retry (with jitter), capped at 30 s. */
	retryDelayMs: number;
	/** Total Retry-After time one call may wait through before giving up. */
	maxRateLimitWaitMs: number;
	signal?: AbortSignal;
}

export const DEFAULT_POLICY: CallPolicy = { timeoutMs: 30_000, maxRetries: 4, retryDelayMs: 500, maxRateLimitWaitMs: 180_000 };

// ------------------------------------------------------------------ domain shapes (SDK-free)

export interface XeroContact {
	contactId: string;
	name: string;
	contactNumber?: string;
	email?: string;
	status?: string;
}

export interface ContactWrite {
	contactId?: string;
	name?: string;
	contactNumber?: string;
	email?: string;
}

export interface XeroLineItem {
	description: string;
	quantity: number;
	unitAmount: number;
	lineAmount?: number;
	accountCode?: string;
	taxType?: string;
	taxAmount?: number;
}

export interface XeroPaymentRef {
	paymentId: string;
	amount: number;
	reference: string;
	date?: string;
}

export interface XeroInvoice {
	invoiceId: string;
	invoiceNumber: string;
	reference: string;
	type: string;
	status: string;
	contactId: string;
	contactName?: string;
	currency: string;
	subTotal: number;
	totalTax: number;
	total: number;
	amountDue: number;
	amountPaid: number;
	sentToContact: boolean;
	date?: string;
	dueDate?: string;
	lineItems?: XeroLineItem[];
	payments: XeroPaymentRef[];
}

export interface InvoiceWrite {
	invoiceId?: string;
	type?: 'ACCREC';
	contactId?: string;
	reference?: string;
	/** Empty means Xero numbers the invoice from its own sequence. */
	invoiceNumber?: string;
	date?: string;
	dueDate?: string;
	status?: 'DRAFT' | 'SUBMITTED' | 'AUTHORISED';
	currency?: string;
	lineAmountTypes?: 'Exclusive' | 'Inclusive' | 'NoTax';
	lineItems?: XeroLineItem[];
	sentToContact?: boolean;
}

export interface PaymentWrite {
	invoiceId: string;
	accountCode: string;
	amount: number;
	date: string;
	reference: string;
}

export interface XeroPayment {
	paymentId: string;
	invoiceId: string;
	amount: number;
	date?: string;
	reference: string;
	status?: string;
}

/** One element of a batch answer (summarizeErrors=false): saved, or refused with Xero's messages. */
export type ElementResult<T> = { ok: true; value: T; warnings: string[] } | { ok: false; errors: string[] };

// ------------------------------------------------------------------ shared per-organisation state

interface OrgEntry {
	limiter: OrgLimiter;
	client: XeroClient;
	secretHash: string;
	token?: { value: string; expiresAt: number };
	tokenPending?: Promise<void>;
}

/** Module-level, so every execution in this process shares one limiter and token per organisation. */
const registry = new Map<string, OrgEntry>();

function orgKey(c: XeroConnection): string {
	return `${c.apiBaseUrl.replace(/\/+$/, '')}\n${c.tokenUrl}\n${c.clientId}`;
}

function entryFor(c: XeroConnection): OrgEntry {
	const key = orgKey(c);
	const secretHash = createHash('sha256').update(c.clientSecret).digest('hex');
	let entry = registry.get(key);
	if (!entry || entry.secretHash !== secretHash) {
		const client = new XeroClient({ clientId: c.clientId, clientSecret: c.clientSecret, grantType: 'client_credentials' });
		client.accountingApi.basePath = c.apiBaseUrl.replace(/\/+$/, '');
		// Keep the limiter when only the secret changed: it is still the same organisation's budget.
		entry = { limiter: entry?.limiter ?? new OrgLimiter(), client, secretHash };
		registry.set(key, entry);
	}
	return entry;
}

/** For tests: forget every organisation's limiter and token. */
export function forgetXeroOrganisations(): void {
	registry.clear();
}

// ------------------------------------------------------------------ helpers

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
	return new Promise((resolve) => {
		if (ms <= 0 || signal?.aborted) return resolve();
		const t = setTimeout(done, ms);
		function done() {
			clearTimeout(t);
			signal?.removeEventListener('abort', done);
			resolve();
		}
		signal?.addEventListener('abort', done, { once: true });
	});
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
	return new Promise<T>((resolve, reject) => {
		const timer = setTimeout(() => reject(new XeroApiError(`${what}: no answer from Xero within ${ms} ms`, 'timeout', 0)), ms);
		promise.then(
			(v) => {
				clearTimeout(timer);
				resolve(v);
			},
			(e) => {
				clearTimeout(timer);
				reject(e);
			},
		);
	});
}

function lowerHeaders(h: unknown): Record<string, string> {
	const out: Record<string, string> = {};
	if (h && typeof h === 'object') {
		for (const [k, v] of Object.entries(h as Record<string, unknown>)) if (v !== undefined && v !== null) out[k.toLowerCase()] = String(v);
	}
	return out;
}

/** xero-node turns "/Date(…)/" into Date objects; we hand dates on as YYYY-MM-DD. */
function isoDay(v: unknown): string | undefined {
	if (v instanceof Date && !Number.isNaN(v.getTime())) return v.toISOString().slice(0, 10);
	if (typeof v === 'string' && v) {
		const m = /\/Date\((-?\d+)/.exec(v);
		if (m) return new Date(Number(m[1])).toISOString().slice(0, 10);
		return v.slice(0, 10);
	}
	return undefined;
}

function num(v: unknown): number {
	return typeof v === 'number' ? v : Number(v ?? 0);
}

function messagesOf(list: Array<{ message?: string }> | undefined): string[] {
	return (list ?? []).map((v) => v.message ?? '').filter(Boolean);
}

function toContact(c: Contact): XeroContact {
	return {
		contactId: c.contactID ?? '',
		name: c.name ?? '',
		...(c.contactNumber ? { contactNumber: c.contactNumber } : {}),
		...(c.emailAddress ? { email: c.emailAddress } : {}),
		...(c.contactStatus !== undefined ? { status: String(c.contactStatus) } : {}),
	};
}

function toInvoice(i: Invoice): XeroInvoice {
	return {
		invoiceId: i.invoiceID ?? '',
		invoiceNumber: i.invoiceNumber ?? '',
		reference: i.reference ?? '',
		type: String(i.type ?? ''),
		status: String(i.status ?? ''),
		contactId: i.contact?.contactID ?? '',
		...(i.contact?.name ? { contactName: i.contact.name } : {}),
		currency: String(i.currencyCode ?? ''),
		subTotal: num(i.subTotal),
		totalTax: num(i.totalTax),
		total: num(i.total),
		amountDue: num(i.amountDue),
		amountPaid: num(i.amountPaid),
		sentToContact: i.sentToContact === true,
		date: isoDay(i.date),
		dueDate: isoDay(i.dueDate),
		...(i.lineItems
			? {
					lineItems: i.lineItems.map((l) => ({
						description: l.description ?? '',
						quantity: num(l.quantity),
						unitAmount: num(l.unitAmount),
						lineAmount: num(l.lineAmount),
						...(l.accountCode ? { accountCode: l.accountCode } : {}),
						...(l.taxType ? { taxType: l.taxType } : {}),
						taxAmount: num(l.taxAmount),
					})),
				}
			: {}),
		payments: (i.payments ?? []).map((p) => ({
			paymentId: p.paymentID ?? '',
			amount: num(p.amount),
			reference: p.reference ?? '',
			date: isoDay(p.date),
		})),
	};
}

function toPayment(p: Payment): XeroPayment {
	return {
		paymentId: p.paymentID ?? '',
		invoiceId: p.invoice?.invoiceID ?? '',
		amount: num(p.amount),
		date: isoDay(p.date),
		reference: p.reference ?? '',
		...(p.status !== undefined ? { status: String(p.status) } : {}),
	};
}

function invoiceModel(w: InvoiceWrite): Invoice {
	const inv: Invoice = {};
	if (w.invoiceId) inv.invoiceID = w.invoiceId;
	if (w.type) inv.type = Invoice.TypeEnum.ACCREC;
	if (w.contactId) inv.contact = { contactID: w.contactId };
	if (w.reference !== undefined) inv.reference = w.reference;
	if (w.invoiceNumber) inv.invoiceNumber = w.invoiceNumber;
	if (w.date) inv.date = w.date;
	if (w.dueDate) inv.dueDate = w.dueDate;
	if (w.status) inv.status = Invoice.StatusEnum[w.status];
	if (w.currency) inv.currencyCode = w.currency as unknown as CurrencyCode;
	if (w.lineAmountTypes) inv.lineAmountTypes = LineAmountTypes[w.lineAmountTypes];
	if (w.sentToContact !== undefined) inv.sentToContact = w.sentToContact;
	if (w.lineItems) {
		inv.lineItems = w.lineItems.map((l) => ({
			description: l.description,
			quantity: l.quantity,
			unitAmount: l.unitAmount,
			...(l.accountCode ? { accountCode: l.accountCode } : {}),
			...(l.taxType ? { taxType: l.taxType } : {}),
		}));
	}
	return inv;
}

/** Splits a summarizeErrors=false answer into per-element results, in request order. */
function elements<M extends { validationErrors?: Array<{ message?: string }>; warnings?: Array<{ message?: string }>; statusAttributeString?: string }, T>(
	list: M[] | undefined,
	expected: number,
	map: (m: M) => T,
	what: string,
	errorFlag: (m: M) => boolean,
): Array<ElementResult<T>> {
	const items = list ?? [];
	if (items.length !== expected) {
		throw new XeroApiError(`${what}: Xero answered with ${items.length} element(s) for ${expected} sent`, 'other', 200);
	}
	return items.map((m) => {
		const failed = m.statusAttributeString === 'ERROR' || errorFlag(m) || (m.validationErrors?.length ?? 0) > 0;
		if (failed) {
			const errors = messagesOf(m.validationErrors);
			return { ok: false, errors: errors.length ? errors : ['Xero refused this element without a message'] };
		}
		return { ok: true, value: map(m), warnings: messagesOf(m.warnings) };
	});
}

/** Double quotes inside a where literal are doubled, as Xero's (Dynamic LINQ) parser expects. */
export function whereString(value: string): string {
	return `"${value.replace(/"/g, '""')}"`;
}

/** `Field=="a" OR Field=="b"` for a list of values. */
export function whereAnyOf(field: string, values: string[]): string {
	return values.map((v) => `${field}==${whereString(v)}`).join(' OR ');
}

/**
 * Xero answers 404 "The resource you're looking for cannot be found" to a GET whose query string
 * is longer than about 2,048 characters as sent: xero-node#404 (52 ContactIDs work, 53 fail),
 * XeroAPI/Xero-NetStandard#471 (Contacts, any URL over ~2,091 characters) and #413 (Invoices).
 * Every `where=…` we build stays within WHERE_MAX_SENT_CHARS as sent, leaving room for `&page=N`.
 */
export const XERO_MAX_QUERY_CHARS = 2048;
export const WHERE_MAX_SENT_CHARS = 2000;

/**
 * Length of a query value as xero-node sends it: axios percent-encodes it like encodeURIComponent
 * but keeps `:` `$` `,` and sends a space as `+`.
 */
export function sentLength(value: string): number {
	return encodeURIComponent(value).replace(/%3A/gi, ':').replace(/%24/g, '$').replace(/%2C/gi, ',').replace(/%20/g, '+').length;
}

/** Length of `where=<value>` in the query string as sent (the `=` after `where` is not encoded). */
export function whereSentLength(where: string): number {
	return 'where='.length + sentLength(where);
}

export interface WhereClause {
	where: string;
	/** The distinct terms ORed in `where`. */
	terms: string[];
}

/**
 * Packs OR-terms, in order and each distinct term once, into as few `where` clauses as fit within
 * `maxChars` as sent. `terms` decide how many clauses there are; `fillers` only go into the room
 * those clauses leave (first fit) and are reported in `placed` when they did. A term too long for
 * any clause on its own is returned in `tooLong`.
 */
export function packTerms(terms: string[], fillers: string[] = [], maxChars = WHERE_MAX_SENT_CHARS): { clauses: WhereClause[]; placed: Set<string>; tooLong: string[] } {
	const fixed = whereSentLength('');
	const sep = sentLength(' OR ');
	const open: Array<{ terms: string[]; chars: number }> = [];
	const seen = new Set<string>();
	const tooLong: string[] = [];
	for (const t of terms) {
		if (seen.has(t)) continue;
		seen.add(t);
		const len = sentLength(t);
		if (fixed + len > maxChars) {
			tooLong.push(t);
			continue;
		}
		const last = open[open.length - 1];
		if (last && last.chars + sep + len <= maxChars) {
			last.terms.push(t);
			last.chars += sep + len;
		} else open.push({ terms: [t], chars: fixed + len });
	}
	const placed = new Set<string>();
	for (const t of fillers) {
		if (seen.has(t)) {
			if (!tooLong.includes(t)) placed.add(t);
			continue;
		}
		const len = sentLength(t);
		const room = open.find((c) => c.chars + sep + len <= maxChars);
		if (!room) continue;
		seen.add(t);
		placed.add(t);
		room.terms.push(t);
		room.chars += sep + len;
	}
	return { clauses: open.map((c) => ({ where: c.terms.join(' OR '), terms: c.terms })), placed, tooLong };
}

export interface WhereGroup<T> {
	entries: T[];
	where: string;
}

/**
 * Packs entries, in order, into as few `where` clauses as fit: each clause ORs its entries' terms
 * (each distinct term once), wrapped by `wrap`, with `where=…` at most `maxChars` long as sent and
 * at most `maxEntries` entries. An entry whose own terms cannot fit in any clause is returned in
 * `tooLong` instead.
 */
export function packWhere<T>(
	entries: T[],
	termsOf: (entry: T) => string[],
	opts: { wrap?: (orTerms: string) => string; maxEntries?: number; maxChars?: number } = {},
): { groups: Array<WhereGroup<T>>; tooLong: T[] } {
	const wrap = opts.wrap ?? ((s: string) => s);
	const maxEntries = opts.maxEntries ?? Number.POSITIVE_INFINITY;
	const maxChars = opts.maxChars ?? WHERE_MAX_SENT_CHARS;
	const fixed = whereSentLength(wrap(''));
	const sep = sentLength(' OR ');
	const groups: Array<WhereGroup<T>> = [];
	const tooLong: T[] = [];
	let cur: { entries: T[]; terms: string[]; seen: Set<string>; chars: number } | undefined;
	const flush = () => {
		if (cur) groups.push({ entries: cur.entries, where: wrap(cur.terms.join(' OR ')) });
		cur = undefined;
	};
	for (const entry of entries) {
		const own = [...new Set(termsOf(entry))];
		const ownChars = own.reduce((n, t) => n + sentLength(t), 0) + sep * Math.max(0, own.length - 1);
		if (!own.length || fixed + ownChars > maxChars) {
			tooLong.push(entry);
			continue;
		}
		if (cur && cur.entries.length < maxEntries) {
			const fresh = own.filter((t) => !cur!.seen.has(t));
			const extra = fresh.reduce((n, t) => n + sep + sentLength(t), 0);
			if (cur.chars + extra <= maxChars) {
				cur.entries.push(entry);
				for (const t of fresh) {
					cur.terms.push(t);
					cur.seen.add(t);
				}
				cur.chars += extra;
				continue;
			}
		}
		flush();
		cur = { entries: [entry], terms: [...own], seen: new Set(own), chars: fixed + ownChars };
	}
	flush();
	return { groups, tooLong };
}

/**
 * Cuts values for a comma-separated list parameter (`InvoiceNumbers=a,b,c`) into as few calls as
 * fit Xero's query-string limit, each at most `maxEntries` long. Distinct values only; a value
 * too long for a call on its own is returned in `tooLong`.
 */
export function packList(values: string[], param: string, opts: { maxEntries?: number; maxChars?: number } = {}): { groups: string[][]; tooLong: string[] } {
	const maxEntries = opts.maxEntries ?? Number.POSITIVE_INFINITY;
	const maxChars = opts.maxChars ?? WHERE_MAX_SENT_CHARS;
	const fixed = `${param}=`.length;
	const groups: string[][] = [];
	const tooLong: string[] = [];
	let cur: string[] = [];
	let chars = fixed;
	for (const v of new Set(values)) {
		const len = sentLength(v);
		if (fixed + len > maxChars) {
			tooLong.push(v);
			continue;
		}
		if (cur.length && (cur.length >= maxEntries || chars + 1 + len > maxChars)) {
			groups.push(cur);
			cur = [];
			chars = fixed;
		}
		chars += (cur.length ? 1 : 0) + len;
		cur.push(v);
	}
	if (cur.length) groups.push(cur);
	return { groups, tooLong };
}

// ------------------------------------------------------------------ token

async function fetchToken(c: XeroConnection, policy: CallPolicy): Promise<{ value: string; expiresAt: number }> {
	let attempt = 0;
	for (;;) {
		let res: Response;
		try {
			res = await fetch(c.tokenUrl, {
				method: 'POST',
				headers: {
					Authorization: `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`).toString('base64')}`,
					'Content-Type': 'application/x-www-form-urlencoded',
					Accept: 'application/json',
				},
				body: 'grant_type=client_credentials',
				signal: AbortSignal.timeout(policy.timeoutMs),
			});
		} catch (e) {
			if (attempt < policy.maxRetries) {
				attempt++;
				await sleep(policy.retryDelayMs * 2 ** (attempt - 1), policy.signal);
				continue;
			}
			throw new XeroApiError(`Could not reach the Xero token endpoint ${c.tokenUrl}: ${(e as Error).message}`, 'network', 0);
		}
		const text = await res.text();
		let body: Record<string, unknown> = {};
		try {
			body = JSON.parse(text) as Record<string, unknown>;
		} catch {
			body = {};
		}
		if (res.ok && typeof body.access_token === 'string') {
			const ttl = Number(body.expires_in ?? 1800);
			return { value: body.access_token, expiresAt: Date.now() + (Number.isFinite(ttl) ? ttl : 1800) * 1000 };
		}
		if (res.status >= 500 && attempt < policy.maxRetries) {
			attempt++;
			await sleep(policy.retryDelayMs * 2 ** (attempt - 1), policy.signal);
			continue;
		}
		const code = typeof body.error === 'string' ? body.error : text.slice(0, 200);
		const hint = code === 'invalid_client' ? ' (check the client id and secret of the custom connection)' : '';
		throw new XeroApiError(`Xero refused the access token request: ${res.status} ${code}${hint}`, res.status >= 500 ? 'server' : 'auth', res.status, [code], body);
	}
}

// ------------------------------------------------------------------ the client

export class XeroTransport {
	private readonly entry: OrgEntry;
	/** API calls this transport made (attempts, including retries and 429s). */
	callsMade = 0;

	constructor(
		readonly connection: XeroConnection,
		readonly policy: CallPolicy = DEFAULT_POLICY,
	) {
		this.entry = entryFor(connection);
	}

	get limiter(): OrgLimiter {
		return this.entry.limiter;
	}

	/** Throws XeroDayLimitError when the known day budget cannot cover `calls` more calls. */
	checkDayBudget(calls: number, what: string): void {
		this.entry.limiter.checkDayBudget(calls, what);
	}

	private async ensureToken(): Promise<void> {
		const e = this.entry;
		if (e.token && e.token.expiresAt - 60_000 > Date.now()) return;
		if (!e.tokenPending) {
			e.tokenPending = fetchToken(this.connection, this.policy)
				.then((t) => {
					e.token = t;
					e.client.setTokenSet({ access_token: t.value, token_type: 'Bearer', expires_at: Math.floor(t.expiresAt / 1000) });
				})
				.finally(() => {
					e.tokenPending = undefined;
				});
		}
		await e.tokenPending;
	}

	private backoffMs(attempt: number): number {
		const base = Math.min(30_000, this.policy.retryDelayMs * 2 ** (attempt - 1));
		return Math.round(base * (0.75 + Math.random() * 0.5));
	}

	/** One logical call: limiter slot, timeout, retries. `fn` must reuse its idempotency key. */
	private async call<T>(what: string, fn: (api: AccountingApi) => Promise<{ response: { headers?: unknown }; body: T }>): Promise<T> {
		let attempt = 0;
		let rateWaitedMs = 0;
		let refreshed = false;
		for (;;) {
			if (this.policy.signal?.aborted) throw new XeroApiError(`${what}: cancelled`, 'other', 0);
			await this.ensureToken();
			const release = await this.entry.limiter.acquire();
			let error: XeroApiError;
			try {
				this.callsMade++;
				const res = await withTimeout(fn(this.entry.client.accountingApi), this.policy.timeoutMs, what);
				this.entry.limiter.observe(lowerHeaders(res.response?.headers));
				return res.body;
			} catch (e) {
				error = parseSdkRejection(e, what);
				this.entry.limiter.observe(error.headers);
			} finally {
				release();
			}

			if (error.statusCode === 429) {
				const problem = error.headers['x-rate-limit-problem'];
				const retryAfterMs = Math.max(1, Number(error.headers['retry-after']) || 1) * 1000;
				this.entry.limiter.rateLimitedFor(retryAfterMs, problem);
				if (problem === 'day') {
					throw new XeroDayLimitError(
						`${what}: Xero's daily API limit for this organisation is exhausted (429, X-Rate-Limit-Problem: day). Retry after about ${Math.ceil(retryAfterMs / 60_000)} minutes.`,
						error.headers,
					);
				}
				rateWaitedMs += retryAfterMs;
				if (rateWaitedMs > this.policy.maxRateLimitWaitMs) {
					throw new XeroApiError(
						`${what}: still rate-limited by Xero (${problem ?? 'limit'}) after waiting ${Math.round(rateWaitedMs / 1000)} s in total`,
						'rateLimit',
						429,
						error.messages,
						error.body,
						error.headers,
					);
				}
				continue; // acquire() waits out the pause for every caller of this organisation
			}
			if (error.statusCode === 401 && !refreshed) {
				// The token may have been revoked or expired early: fetch a new one once.
				refreshed = true;
				this.entry.token = undefined;
				continue;
			}
			if (error.retryable && attempt < this.policy.maxRetries) {
				attempt++;
				await sleep(this.backoffMs(attempt), this.policy.signal);
				continue;
			}
			if (error.retryable && attempt > 0) {
				throw new XeroApiError(`${error.message} (after ${attempt + 1} attempts)`, error.kind, error.statusCode, error.messages, error.body, error.headers);
			}
			throw error;
		}
	}

	// ------------------------------------------------------------------ operations

	async getOrganisationName(): Promise<string> {
		const body = await this.call('Reading the organisation', (api) => api.getOrganisations(''));
		return body.organisations?.[0]?.name ?? '';
	}

	async findContacts(where: string): Promise<XeroContact[]> {
		const body = await this.call('Looking up contacts', (api) => api.getContacts('', undefined, where));
		return (body.contacts ?? []).map(toContact);
	}

	/** POST /Contacts: creates new contacts and updates those with a contactId, one call. */
	async saveContacts(contacts: ContactWrite[], idempotencyKey: string): Promise<Array<ElementResult<XeroContact>>> {
		const models: Contact[] = contacts.map((c) => ({
			...(c.contactId ? { contactID: c.contactId } : {}),
			...(c.name !== undefined ? { name: c.name } : {}),
			...(c.contactNumber !== undefined ? { contactNumber: c.contactNumber } : {}),
			...(c.email !== undefined ? { emailAddress: c.email } : {}),
		}));
		const body = await this.call('Saving contacts', (api) => api.updateOrCreateContacts('', { contacts: models }, false, idempotencyKey));
		return elements(body.contacts, contacts.length, toContact, 'Saving contacts', (m) => m.hasValidationErrors === true);
	}

	/** GET /Invoices by where, by ids or by invoice numbers; pages through when a page is full. */
	async findInvoices(query: { where?: string; ids?: string[]; invoiceNumbers?: string[]; withLineItems?: boolean }): Promise<XeroInvoice[]> {
		const out: XeroInvoice[] = [];
		// Unpaged queries return every match (without line items); paged ones 100 at a time with them.
		if (!query.withLineItems) {
			const body = await this.call('Looking up invoices', (api) => api.getInvoices('', undefined, query.where, undefined, query.ids, query.invoiceNumbers));
			return (body.invoices ?? []).map(toInvoice);
		}
		for (let page = 1; ; page++) {
			const body = await this.call('Looking up invoices', (api) => api.getInvoices('', undefined, query.where, undefined, query.ids, query.invoiceNumbers, undefined, undefined, page));
			const list = body.invoices ?? [];
			out.push(...list.map(toInvoice));
			if (list.length < 100) return out;
		}
	}

	/** Every invoice matching `where`, summaries only (no line items), `pageSize` a call (Xero allows up to 1000). */
	async listInvoiceSummaries(where: string, pageSize = 1000): Promise<XeroInvoice[]> {
		const out: XeroInvoice[] = [];
		for (let page = 1; ; page++) {
			const body = await this.call('Listing invoices', (api) =>
				api.getInvoices('', undefined, where, undefined, undefined, undefined, undefined, undefined, page, undefined, undefined, undefined, true, pageSize),
			);
			const list = body.invoices ?? [];
			out.push(...list.map(toInvoice));
			if (list.length < pageSize) return out;
		}
	}

	async createInvoices(invoices: InvoiceWrite[], idempotencyKey: string): Promise<Array<ElementResult<XeroInvoice>>> {
		const body = await this.call('Creating invoices', (api) =>
			api.createInvoices('', { invoices: invoices.map(invoiceModel) }, false, undefined, idempotencyKey),
		);
		return elements(body.invoices, invoices.length, toInvoice, 'Creating invoices', (m) => m.hasErrors === true);
	}

	async updateInvoices(invoices: InvoiceWrite[], idempotencyKey: string): Promise<Array<ElementResult<XeroInvoice>>> {
		const body = await this.call('Updating invoices', (api) =>
			api.updateOrCreateInvoices('', { invoices: invoices.map(invoiceModel) }, false, undefined, idempotencyKey),
		);
		return elements(body.invoices, invoices.length, toInvoice, 'Updating invoices', (m) => m.hasErrors === true);
	}

	async createPayments(payments: PaymentWrite[], idempotencyKey: string): Promise<Array<ElementResult<XeroPayment>>> {
		const models: Payment[] = payments.map((p) => ({
			invoice: { invoiceID: p.invoiceId },
			account: { code: p.accountCode },
			amount: p.amount,
			date: p.date,
			reference: p.reference,
		}));
		const body = await this.call('Recording payments', (api) => api.createPayments('', { payments: models }, false, idempotencyKey));
		return elements(body.payments, payments.length, toPayment, 'Recording payments', (m) => m.hasValidationErrors === true);
	}

	async getInvoicePdf(invoiceId: string): Promise<Buffer> {
		const body = await this.call(`Downloading the PDF of invoice ${invoiceId}`, (api) => api.getInvoiceAsPdf('', invoiceId));
		return Buffer.isBuffer(body) ? body : Buffer.from(body as unknown as ArrayBuffer);
	}
}
