// Local stand-in for the Xero Accounting API and its identity server (custom connections), faithful
// enough that the real xero-node SDK talks to it unchanged: OAuth2 client-credentials tokens,
// PascalCase JSON envelopes, batch semantics with summarizeErrors, Idempotency-Key replay, Xero's
// rate limits and headers, invoice PDFs, plus latency and fault injection for tests and benchmarks.
import * as http from 'http';
import { createHash, randomBytes, randomUUID } from 'crypto';
import { drawLatency, listen, readBody, type Latency } from '../common/http';
import { FaultInjector, type FaultConfig, type FaultDecision, type ScriptedFault, type StormOptions } from './faults';
import { RateLimiter, TenantCounters, XERO_LIMITS, type RateLimitConfig } from './limits';
import { Organisation, QueryError, type ElementResult, type InvoiceListQuery, type ListQuery, type OrganisationConfig } from './org';
import { renderInvoicePdf } from './pdf';
import { fromCents, msDateNoOffset } from './wire';

export { Organisation, DEFAULT_ACCOUNTS, DEFAULT_TAX_RATES } from './org';
export type { OrganisationConfig, AccountDef, TaxRateDef } from './org';
export { XERO_LIMITS } from './limits';
export type { RateLimitConfig, LimitProblem } from './limits';
export type { FaultConfig, ScriptedFault, StormOptions, FaultPhase } from './faults';

export interface XeroConnectionOptions {
	clientId?: string;
	clientSecret?: string;
	organisation?: OrganisationConfig;
}

export interface XeroSandboxOptions extends XeroConnectionOptions {
	port?: number;
	/** More custom connections, each with its own organisation, data and per-tenant limits. */
	connections?: XeroConnectionOptions[];
	limits?: Partial<RateLimitConfig>;
	/** Latency added to every API call (not the token call): fixed ms or a [min, max] range. */
	latency?: Latency;
	faults?: FaultConfig;
	/** Access token lifetime; Xero's is 30 minutes. */
	tokenTtlSeconds?: number;
	/** Shown as ProviderName in envelopes (the app name in Xero). */
	providerName?: string;
	/**
	 * Longest query string (as sent, after `?`) Xero's front end accepts; a longer one is answered
	 * 404 "The resource you're looking for cannot be found" before the API sees it. About 2,048:
	 * xero-node#404 (52 ContactIDs work, 53 fail), XeroAPI/Xero-NetStandard#471 and #413.
	 */
	maxQueryLength?: number;
}

export interface CallRecord {
	at: number;
	method: string;
	/** Normalised route, e.g. "PUT /Invoices" or "GET /Invoices/{id}". */
	route: string;
	path: string;
	query: Record<string, string>;
	/** Length of the raw query string as received (what Xero's URL limit applies to). */
	queryLength: number;
	tenantId: string | null;
	idempotencyKey?: string;
	/** Final HTTP status; 0 when the connection was dropped. */
	status: number;
	replayed?: boolean;
	fault?: 'error' | 'timeout';
	faultPhase?: 'before' | 'after';
	rateLimitProblem?: string;
	durationMs?: number;
}

export interface CallFilter {
	method?: string;
	route?: string;
	status?: number;
	tenantId?: string;
}

interface Connection {
	clientId: string;
	clientSecret: string;
	org: Organisation;
	counters: TenantCounters;
	idempotency: Map<string, StoredResponse>;
}

interface StoredResponse {
	fingerprint: string;
	status: number;
	headers: Record<string, string>;
	body: Buffer;
}

interface Reply {
	status: number;
	headers: Record<string, string>;
	body: Buffer;
}

/** Read-only views of one organisation's data for assertions. */
export interface OrgInspector {
	tenantId: string;
	clientId: string;
	organisation: Organisation;
	invoices(): Array<Record<string, unknown>>;
	invoice(idOrNumber: string): Record<string, unknown> | undefined;
	invoicesByReference(reference: string): Array<Record<string, unknown>>;
	contacts(): Array<Record<string, unknown>>;
	payments(): Array<Record<string, unknown>>;
	/** Creates a contact directly (no API call counted); returns it as Xero would. */
	seedContact(contact: Record<string, unknown>): Record<string, unknown>;
	/** Creates invoices directly (no API call counted); throws on validation errors. */
	seedInvoices(invoices: Array<Record<string, unknown>>): Array<Record<string, unknown>>;
}

export interface XeroSandbox extends OrgInspector {
	/** http://127.0.0.1:PORT */
	url: string;
	/** Token endpoint, stand-in for https://identity.xero.com/connect/token */
	tokenUrl: string;
	/** Accounting API base, stand-in for https://api.xero.com/api.xro/2.0 */
	apiBaseUrl: string;
	clientSecret: string;
	org(clientIdOrTenantId?: string): OrgInspector;
	/** API calls received (token requests are not API calls). */
	calls(filter?: CallFilter): CallRecord[];
	callCount(filter?: CallFilter): number;
	/** Counts per "METHOD /Route". */
	callsByRoute(): Record<string, number>;
	tokenRequests(): number;
	/** Every access token issued so far (for secret scans: none may appear outside Xero's answers). */
	issuedTokens(): string[];
	faults: FaultInjector;
	setFaults(config: FaultConfig): void;
	failNext(count: number, fault: ScriptedFault): void;
	storm429(opts: StormOptions): void;
	setLatency(latency: Latency | undefined): void;
	setLimits(limits: Partial<RateLimitConfig>): void;
	/** Makes every issued access token expire now. */
	expireTokens(): void;
	/** Clears data, call logs, idempotency records, rate-limit windows and faults. */
	reset(): void;
	close(): Promise<void>;
}

const API_PREFIX = '/api.xro/2.0';
/** See XeroSandboxOptions.maxQueryLength. */
export const XERO_MAX_QUERY_LENGTH = 2048;

function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
	return {
		status,
		headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers },
		body: Buffer.from(JSON.stringify(body)),
	};
}

function text(status: number, body: string): Reply {
	return { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: Buffer.from(body) };
}

/** Canonical JSON so the same request body always fingerprints the same. */
function canonical(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
	if (value && typeof value === 'object') {
		const obj = value as Record<string, unknown>;
		return `{${Object.keys(obj)
			.sort()
			.filter((k) => obj[k] !== undefined)
			.map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`)
			.join(',')}}`;
	}
	return JSON.stringify(value);
}

function queryOf(url: URL): Record<string, string> {
	const q: Record<string, string> = {};
	url.searchParams.forEach((v, k) => {
		q[k] = v;
	});
	return q;
}

/** Case-insensitive query parameter, as Xero treats them. */
function qp(q: Record<string, string>, name: string): string | undefined {
	const key = Object.keys(q).find((k) => k.toLowerCase() === name.toLowerCase());
	return key === undefined ? undefined : q[key];
}

function qpList(q: Record<string, string>, name: string): string[] | undefined {
	const v = qp(q, name);
	if (v === undefined || v === '') return undefined;
	return v.split(',').map((s) => s.trim()).filter(Boolean);
}

function qpBool(q: Record<string, string>, name: string): boolean | undefined {
	const v = qp(q, name);
	return v === undefined ? undefined : v.toLowerCase() === 'true';
}

class BadRequest extends Error {
	constructor(readonly reply: Reply) {
		super('bad request');
	}
}

function qpInt(q: Record<string, string>, name: string, min: number, max: number): number | undefined {
	const v = qp(q, name);
	if (v === undefined || v === '') return undefined;
	const n = Number(v);
	if (!Number.isInteger(n) || n < min) {
		throw new BadRequest(json(400, { ErrorNumber: 16, Type: 'QueryParseException', Message: `${name} must be a whole number from ${min}` }));
	}
	return Math.min(n, max);
}

export async function startXeroSandbox(opts: XeroSandboxOptions = {}): Promise<XeroSandbox> {
	const providerName = opts.providerName ?? 'Billing Pipeline (sandbox)';
	const maxQueryLength = opts.maxQueryLength ?? XERO_MAX_QUERY_LENGTH;
	const tokenTtl = opts.tokenTtlSeconds ?? 1800;
	const limiter = new RateLimiter({ ...XERO_LIMITS, ...opts.limits });
	const faults = new FaultInjector(opts.faults ?? {});
	let latency = opts.latency;

	const makeConnection = (c: XeroConnectionOptions): Connection => ({
		clientId: c.clientId ?? randomBytes(16).toString('hex').toUpperCase(),
		clientSecret: c.clientSecret ?? randomBytes(24).toString('base64url'),
		org: new Organisation(c.organisation),
		counters: new TenantCounters(),
		idempotency: new Map(),
	});
	const connections: Connection[] = [makeConnection(opts), ...(opts.connections ?? []).map(makeConnection)];
	const tokens = new Map<string, { conn: Connection; expiresAt: number }>();
	const issued: string[] = [];
	const callLog: CallRecord[] = [];
	let tokenRequestCount = 0;
	const timers = new Set<NodeJS.Timeout>();

	const sleep = (ms: number) =>
		new Promise<void>((resolve) => {
			if (ms <= 0) return resolve();
			const t = setTimeout(() => {
				timers.delete(t);
				resolve();
			}, ms);
			timers.add(t);
		});

	// ------------------------------------------------------------------ token endpoint

	const handleToken = (req: http.IncomingMessage, body: Buffer): Reply => {
		tokenRequestCount++;
		const form = new URLSearchParams(body.toString('utf8'));
		let id = form.get('client_id') ?? '';
		let secret = form.get('client_secret') ?? '';
		const auth = req.headers.authorization ?? '';
		if (auth.toLowerCase().startsWith('basic ')) {
			const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
			const colon = decoded.indexOf(':');
			id = decodeURIComponent(colon >= 0 ? decoded.slice(0, colon) : decoded);
			secret = decodeURIComponent(colon >= 0 ? decoded.slice(colon + 1) : '');
		}
		const conn = connections.find((c) => c.clientId === id);
		if (!conn || conn.clientSecret !== secret) return json(401, { error: 'invalid_client' });
		const grant = form.get('grant_type');
		if (grant !== 'client_credentials') return json(400, { error: 'unsupported_grant_type' });
		const token = randomBytes(32).toString('base64url');
		tokens.set(token, { conn, expiresAt: Date.now() + tokenTtl * 1000 });
		issued.push(token);
		return json(200, {
			access_token: token,
			expires_in: tokenTtl,
			token_type: 'Bearer',
			scope: 'accounting.transactions accounting.contacts accounting.settings.read',
		});
	};

	// ------------------------------------------------------------------ API

	const envelope = (key: string, items: unknown[], extra: Record<string, unknown> = {}) => ({
		Id: randomUUID(),
		Status: 'OK',
		ProviderName: providerName,
		DateTimeUTC: msDateNoOffset(Date.now()),
		...extra,
		[key]: items,
	});

	const batchReply = (key: string, results: ElementResult[], summarize: boolean, errorFlag: 'HasErrors' | 'HasValidationErrors'): Reply => {
		const failed = results.filter((r) => !r.ok);
		const withErrors = (r: ElementResult) => ({ ...r.element, [errorFlag]: true, ValidationErrors: r.errors.map((Message) => ({ Message })) });
		if (summarize && failed.length) {
			// Valid elements were still saved; the summary lists only the failures (as Xero does).
			return json(400, {
				ErrorNumber: 10,
				Type: 'ValidationException',
				Message: 'A validation exception occurred',
				Elements: failed.map(withErrors),
			});
		}
		return json(
			200,
			envelope(
				key,
				results.map((r) =>
					r.ok ? (summarize ? r.element : { ...r.element, StatusAttributeString: 'OK' }) : { ...withErrors(r), StatusAttributeString: 'ERROR' },
				),
			),
		);
	};

	/** Items of a PUT/POST body: `{"Invoices":[…]}` or one bare element. */
	const itemsOf = (body: unknown, key: string): unknown[] => {
		if (body && typeof body === 'object' && !Array.isArray(body)) {
			const k = Object.keys(body).find((x) => x.toLowerCase() === key.toLowerCase());
			if (k !== undefined) {
				const v = (body as Record<string, unknown>)[k];
				if (!Array.isArray(v)) throw new BadRequest(json(400, { ErrorNumber: 14, Type: 'PostDataInvalidException', Message: `${key} must be a list` }));
				return v;
			}
			return [body];
		}
		if (Array.isArray(body)) return body;
		throw new BadRequest(json(400, { ErrorNumber: 14, Type: 'PostDataInvalidException', Message: 'Invalid Json data' }));
	};

	const listQuery = (q: Record<string, string>, ifModifiedSince: number | undefined): ListQuery => ({
		where: qp(q, 'where') || undefined,
		order: qp(q, 'order') || undefined,
		ids: qpList(q, 'IDs'),
		page: qpInt(q, 'page', 1, 1_000_000),
		pageSize: qpInt(q, 'pageSize', 1, 1000),
		includeArchived: qpBool(q, 'includeArchived'),
		summaryOnly: qpBool(q, 'summaryOnly'),
		searchTerm: qp(q, 'searchTerm') || undefined,
		ifModifiedSince,
	});

	const paginate = <T,>(rows: T[], lq: ListQuery): { rows: T[]; extra: Record<string, unknown> } => {
		if (lq.page === undefined) return { rows, extra: {} };
		const size = lq.pageSize ?? 100;
		const start = (lq.page - 1) * size;
		return {
			rows: rows.slice(start, start + size),
			extra: { pagination: { page: lq.page, pageSize: size, pageCount: Math.ceil(rows.length / size), itemCount: rows.length } },
		};
	};

	const route = (method: string, path: string): string => {
		const rel = path.startsWith(API_PREFIX) ? path.slice(API_PREFIX.length) : path;
		const parts = rel.split('/').filter(Boolean);
		if (parts.length === 0) return `${method} /`;
		const [collection, id, sub] = parts;
		return `${method} /${collection}${id !== undefined ? '/{id}' : ''}${sub !== undefined ? `/${sub}` : ''}`;
	};

	const handleApi = (conn: Connection, method: string, url: URL, body: unknown, headers: http.IncomingHttpHeaders): Reply => {
		const org = conn.org;
		const q = queryOf(url);
		const rel = url.pathname.slice(API_PREFIX.length);
		const [collectionRaw, idRaw, sub] = rel.split('/').filter(Boolean).map(decodeURIComponent);
		const collection = (collectionRaw ?? '').toLowerCase();
		const summarize = qpBool(q, 'summarizeErrors') !== false;
		const imsHeader = headers['if-modified-since'];
		const ims = typeof imsHeader === 'string' && imsHeader ? Date.parse(imsHeader) : NaN;
		const ifModifiedSince = Number.isNaN(ims) ? undefined : ims;
		const unitdp = qpInt(q, 'unitdp', 2, 4);
		const notFound = () => text(404, "The resource you're looking for cannot be found");

		switch (collection) {
			case 'organisation':
			case 'organisations':
				if (method !== 'GET') break;
				return json(200, envelope('Organisations', [org.serializeOrganisation()]));
			case 'accounts':
				if (method !== 'GET') break;
				return json(200, envelope('Accounts', org.accounts.map((a) => ({ ...a, Status: 'ACTIVE' }))));
			case 'taxrates':
				if (method !== 'GET') break;
				return json(200, envelope('TaxRates', org.taxRates.map((t) => ({ ...t, EffectiveRate: t.Rate, DisplayTaxRate: t.Rate, Status: 'ACTIVE' }))));
			case 'currencies':
				if (method !== 'GET') break;
				return json(200, envelope('Currencies', [...org.currencies].map((Code) => ({ Code, Description: Code }))));
			case 'contacts': {
				if (method === 'GET' && idRaw === undefined) {
					const lq = listQuery(q, ifModifiedSince);
					const { rows, extra } = paginate(org.listContacts(lq), lq);
					return json(200, envelope('Contacts', rows.map((c) => org.serializeContact(c)), extra));
				}
				if (method === 'GET' && sub === undefined) {
					// By ContactID, or by ContactNumber (getContactByContactNumber uses the same path).
					const c = org.contacts.get(idRaw.toLowerCase()) ?? [...org.contacts.values()].find((x) => x.ContactNumber === idRaw);
					return c ? json(200, envelope('Contacts', [org.serializeContact(c)])) : notFound();
				}
				if ((method === 'PUT' || method === 'POST') && idRaw === undefined) {
					return batchReply('Contacts', org.saveContacts(itemsOf(body, 'Contacts')), summarize, 'HasValidationErrors');
				}
				if (method === 'POST' && sub === undefined) {
					if (!org.contacts.has(idRaw.toLowerCase())) return notFound();
					return batchReply('Contacts', org.saveContacts(itemsOf(body, 'Contacts').slice(0, 1), idRaw), summarize, 'HasValidationErrors');
				}
				break;
			}
			case 'invoices': {
				if (method === 'GET' && idRaw === undefined) {
					const lq: InvoiceListQuery = {
						...listQuery(q, ifModifiedSince),
						invoiceNumbers: qpList(q, 'InvoiceNumbers'),
						contactIds: qpList(q, 'ContactIDs'),
						statuses: qpList(q, 'Statuses'),
					};
					const { rows, extra } = paginate(org.listInvoices(lq), lq);
					// Xero only includes line items when paging (or fetching one invoice).
					const lineItems = lq.page !== undefined && !lq.summaryOnly;
					return json(200, envelope('Invoices', rows.map((i) => org.serializeInvoice(i, { lineItems })), extra));
				}
				if (method === 'GET' && sub === undefined) {
					const inv = org.findInvoice(idRaw);
					if (!inv) return notFound();
					const accept = String(headers.accept ?? '');
					if (accept.includes('application/pdf')) {
						const contact = org.contacts.get(inv.ContactID);
						const fmt = (ms?: number) => (ms === undefined ? '' : new Date(ms).toUTCString().slice(5, 16));
						const pdf = renderInvoicePdf({
							organisationName: org.name,
							title: inv.Type === 'ACCREC' ? 'TAX INVOICE' : 'BILL',
							invoiceNumber: inv.InvoiceNumber,
							reference: inv.Reference,
							date: fmt(inv.Date),
							dueDate: fmt(inv.DueDate),
							status: inv.Status,
							contactName: contact?.Name ?? '',
							contactEmail: contact?.EmailAddress,
							currencyCode: inv.CurrencyCode,
							lines: inv.LineItems.map((l) => ({
								description: l.Description,
								quantity: String(l.Quantity),
								unitAmount: l.UnitAmount.toFixed(2),
								taxType: org.taxRate(l.TaxType)?.Name ?? l.TaxType,
								lineAmount: fromCents(l.LineAmountCents).toFixed(2),
							})),
							subTotal: fromCents(inv.SubTotalCents).toFixed(2),
							totalTax: fromCents(inv.TotalTaxCents).toFixed(2),
							total: fromCents(inv.TotalCents).toFixed(2),
							amountPaid: fromCents(inv.AmountPaidCents).toFixed(2),
							amountDue: fromCents(org.amountDueCents(inv)).toFixed(2),
						});
						return {
							status: 200,
							headers: { 'Content-Type': 'application/pdf', 'Content-Disposition': `inline; filename="Invoice ${inv.InvoiceNumber}.pdf"` },
							body: pdf,
						};
					}
					return json(200, envelope('Invoices', [org.serializeInvoice(inv)]));
				}
				if ((method === 'PUT' || method === 'POST') && idRaw === undefined) {
					return batchReply('Invoices', org.saveInvoices(itemsOf(body, 'Invoices'), { unitdp }), summarize, 'HasErrors');
				}
				if (method === 'POST' && sub === undefined) {
					if (!org.findInvoice(idRaw)) return notFound();
					return batchReply('Invoices', org.saveInvoices(itemsOf(body, 'Invoices').slice(0, 1), { unitdp, pathId: idRaw }), summarize, 'HasErrors');
				}
				if (method === 'POST' && sub?.toLowerCase() === 'email') {
					const r = org.emailInvoice(idRaw);
					if (r.status === 404) return notFound();
					if (r.status === 204) return { status: 204, headers: {}, body: Buffer.alloc(0) };
					return json(400, { ErrorNumber: 10, Type: 'ValidationException', Message: r.errors![0], Elements: [] });
				}
				break;
			}
			case 'payments': {
				if (method === 'GET' && idRaw === undefined) {
					const lq = listQuery(q, ifModifiedSince);
					const { rows, extra } = paginate(org.listPayments(lq), lq);
					return json(200, envelope('Payments', rows.map((p) => org.serializePayment(p)), extra));
				}
				if (method === 'GET' && sub === undefined) {
					const p = org.payments.get(idRaw.toLowerCase());
					return p ? json(200, envelope('Payments', [org.serializePayment(p)])) : notFound();
				}
				if ((method === 'PUT' || method === 'POST') && idRaw === undefined) {
					return batchReply('Payments', org.savePayments(itemsOf(body, 'Payments')), summarize, 'HasValidationErrors');
				}
				if (method === 'POST' && sub === undefined) {
					const r = org.deletePayment(idRaw, itemsOf(body, 'Payments')[0]);
					return r ? batchReply('Payments', [r], summarize, 'HasValidationErrors') : notFound();
				}
				break;
			}
			default:
				return notFound();
		}
		return json(405, { Title: 'Method Not Allowed', Status: 405, Detail: `${method} is not supported on ${url.pathname}` });
	};

	const send = (res: http.ServerResponse, reply: Reply, extraHeaders: Record<string, string>): void => {
		if (res.writableEnded || res.destroyed) return;
		res.writeHead(reply.status, { ...reply.headers, ...extraHeaders, 'Content-Length': String(reply.body.length) });
		res.end(reply.body);
	};

	const faultReply = (f: FaultDecision): Reply =>
		f.status === 503
			? text(503, 'The Xero API is temporarily unavailable. Please try again later.')
			: json(f.status, { Title: 'An error occurred', Status: f.status, Detail: 'An error occurred in Xero. Check the API Status page http://status.developer.xero.com for current service status.' });

	const server = http.createServer(async (req, res) => {
		const method = (req.method ?? 'GET').toUpperCase();
		const url = new URL(req.url ?? '/', 'http://sandbox');
		const rawQuery = (req.url ?? '').includes('?') ? (req.url ?? '').slice((req.url ?? '').indexOf('?') + 1) : '';
		let raw: Buffer;
		try {
			raw = await readBody(req, 4 * 1024 * 1024);
		} catch {
			send(res, text(413, 'Request Entity Too Large'), {});
			return;
		}

		if (url.pathname === '/connect/token' && method === 'POST') {
			send(res, handleToken(req, raw), {});
			return;
		}

		// Authenticate: Bearer token from the token endpoint, unexpired.
		const auth = req.headers.authorization ?? '';
		const token = auth.toLowerCase().startsWith('bearer ') ? auth.slice(7).trim() : '';
		const session = tokens.get(token);
		const unauthorized = (detail: string) =>
			send(res, json(401, { Type: null, Title: 'Unauthorized', Status: 401, Detail: detail, Instance: randomUUID(), Extensions: {} }), {
				'WWW-Authenticate': 'Bearer error="invalid_token"',
			});
		if (url.pathname === '/connections' && method === 'GET') {
			if (!session || session.expiresAt <= Date.now()) return unauthorized('AuthenticationUnsuccessful');
			const c = session.conn;
			send(
				res,
				json(200, [
					{
						id: randomUUID(),
						authEventId: randomUUID(),
						tenantId: c.org.organisationId,
						tenantType: 'ORGANISATION',
						tenantName: c.org.name,
						createdDateUtc: new Date(Date.UTC(2020, 0, 1)).toISOString(),
						updatedDateUtc: new Date().toISOString(),
					},
				]),
				{},
			);
			return;
		}
		if (!url.pathname.startsWith(API_PREFIX + '/')) {
			send(res, text(404, "The resource you're looking for cannot be found"), {});
			return;
		}
		if (!session) return unauthorized('AuthenticationUnsuccessful');
		if (session.expiresAt <= Date.now()) {
			return unauthorized(`TokenExpired: token expired at ${new Date(session.expiresAt).toISOString()}`);
		}
		const conn = session.conn;
		const tenantHeader = req.headers['xero-tenant-id'];
		const tenantId = typeof tenantHeader === 'string' ? tenantHeader.trim() : '';
		// A custom connection is bound to one organisation: '' or that organisation's id are accepted.
		if (tenantId && tenantId.toLowerCase() !== conn.org.organisationId) {
			send(res, json(403, { Type: null, Title: 'Forbidden', Status: 403, Detail: 'AuthenticationUnsuccessful', Instance: randomUUID(), Extensions: {} }), {});
			return;
		}

		const started = Date.now();
		const record: CallRecord = {
			at: started,
			method,
			route: route(method, url.pathname),
			path: url.pathname,
			query: queryOf(url),
			queryLength: rawQuery.length,
			tenantId: conn.org.organisationId,
			status: 0,
		};
		const keyHeader = req.headers['idempotency-key'];
		const idemKey = typeof keyHeader === 'string' && keyHeader !== '' && method !== 'GET' ? keyHeader : undefined;
		if (idemKey) record.idempotencyKey = idemKey;
		callLog.push(record);
		res.on('close', () => {
			record.status = res.writableFinished ? res.statusCode : 0;
			record.durationMs = Date.now() - started;
		});

		// Xero's front end refuses an over-long URL before the API (and its rate limits) see it.
		if (rawQuery.length > maxQueryLength) {
			send(res, text(404, "The resource you're looking for cannot be found"), {});
			return;
		}

		// Rate limits: storms first (forced), then the real windows.
		const storm = faults.takeStorm(started);
		const limitHeaders = () => limiter.remaining(conn.counters, Date.now()) as unknown as Record<string, string>;
		if (storm) {
			record.rateLimitProblem = storm.problem;
			send(res, { status: 429, headers: {}, body: Buffer.alloc(0) }, {
				...limitHeaders(),
				'Retry-After': String(storm.retryAfterSeconds),
				'X-Rate-Limit-Problem': storm.problem,
			});
			return;
		}
		const admission = limiter.admit(conn.counters, started);
		if (!admission.ok) {
			record.rateLimitProblem = admission.problem;
			send(res, { status: 429, headers: {}, body: Buffer.alloc(0) }, {
				...limitHeaders(),
				'Retry-After': String(admission.retryAfterSeconds),
				'X-Rate-Limit-Problem': admission.problem,
			});
			return;
		}
		res.on('close', admission.release);

		await sleep(drawLatency(latency, faults.random));
		const fault = faults.decide(method, record.route);
		if (fault) {
			record.fault = fault.kind;
			record.faultPhase = fault.phase;
		}
		const deliverFault = (f: FaultDecision) => {
			if (f.kind === 'timeout') {
				// Hang, then drop the connection without a response.
				const t = setTimeout(() => {
					timers.delete(t);
					req.socket.destroy();
				}, f.hangMs);
				timers.add(t);
				return;
			}
			send(res, faultReply(f), limitHeaders());
		};
		if (fault && fault.phase === 'before') return deliverFault(fault);

		let reply: Reply;
		try {
			let body: unknown;
			if (method === 'PUT' || method === 'POST') {
				const textBody = raw.toString('utf8').trim();
				try {
					body = textBody ? JSON.parse(textBody) : {};
				} catch {
					throw new BadRequest(json(400, { ErrorNumber: 14, Type: 'PostDataInvalidException', Message: 'Invalid Json data' }));
				}
			}
			if (idemKey && idemKey.length > 128) {
				throw new BadRequest(json(400, { Title: 'Bad Request', Status: 400, Detail: 'Idempotency-Key must be 128 characters or fewer.' }));
			}
			const fingerprint = idemKey
				? createHash('sha256').update(`${method} ${url.pathname.toLowerCase()}?${canonical(queryOf(url))}\n${canonical(body ?? null)}`).digest('hex')
				: '';
			const stored = idemKey ? conn.idempotency.get(idemKey) : undefined;
			if (stored && stored.fingerprint !== fingerprint) {
				reply = json(400, {
					Title: 'Bad Request',
					Status: 400,
					Detail: `Idempotency-Key '${idemKey}' has already been used with a different request.`,
				});
			} else if (stored) {
				record.replayed = true;
				reply = { status: stored.status, headers: stored.headers, body: stored.body };
			} else {
				reply = handleApi(conn, method, url, body, req.headers);
				// Remember what the work produced so a retry with the same key gets the same answer.
				if (idemKey && reply.status < 500) conn.idempotency.set(idemKey, { fingerprint, ...reply });
			}
		} catch (e) {
			if (e instanceof BadRequest) reply = e.reply;
			else if (e instanceof QueryError) reply = json(400, { ErrorNumber: 16, Type: 'QueryParseException', Message: e.message });
			else reply = json(500, { Title: 'An error occurred', Status: 500, Detail: String((e as Error).message) });
		}
		if (fault) return deliverFault(fault);
		send(res, reply, { ...limitHeaders(), 'Xero-Correlation-Id': randomUUID() });
	});

	const running = await listen(server, opts.port ?? 0);

	const inspector = (conn: Connection): OrgInspector => {
		const org = conn.org;
		return {
			tenantId: org.organisationId,
			clientId: conn.clientId,
			organisation: org,
			invoices: () => org.listInvoices({ includeArchived: true }).map((i) => org.serializeInvoice(i)),
			invoice: (idOrNumber) => {
				const inv = org.findInvoice(idOrNumber);
				return inv ? org.serializeInvoice(inv) : undefined;
			},
			invoicesByReference: (reference) =>
				org
					.listInvoices({ includeArchived: true })
					.filter((i) => i.Reference === reference)
					.map((i) => org.serializeInvoice(i)),
			contacts: () => [...org.contacts.values()].map((c) => org.serializeContact(c)),
			payments: () => [...org.payments.values()].map((p) => org.serializePayment(p)),
			seedContact: (contact) => {
				const [r] = org.saveContacts([contact]);
				if (!r.ok) throw new Error(`seedContact: ${r.errors.join('; ')}`);
				return r.element;
			},
			seedInvoices: (invoices) =>
				org.saveInvoices(invoices).map((r, i) => {
					if (!r.ok) throw new Error(`seedInvoices[${i}]: ${r.errors.join('; ')}`);
					return r.element;
				}),
		};
	};

	const findConn = (key?: string): Connection => {
		if (key === undefined) return connections[0];
		const c = connections.find((x) => x.clientId === key || x.org.organisationId === key.toLowerCase());
		if (!c) throw new Error(`No sandbox connection with client id or tenant id '${key}'`);
		return c;
	};

	const matches = (c: CallRecord, f: CallFilter = {}) =>
		(!f.method || c.method === f.method.toUpperCase()) &&
		(!f.route || c.route === f.route) &&
		(f.status === undefined || c.status === f.status) &&
		(!f.tenantId || c.tenantId === f.tenantId);

	const primary = connections[0];
	return {
		...inspector(primary),
		url: running.url,
		tokenUrl: `${running.url}/connect/token`,
		apiBaseUrl: `${running.url}${API_PREFIX}`,
		clientSecret: primary.clientSecret,
		org: (key) => inspector(findConn(key)),
		calls: (filter) => callLog.filter((c) => matches(c, filter)),
		callCount: (filter) => callLog.filter((c) => matches(c, filter)).length,
		callsByRoute: () => {
			const out: Record<string, number> = {};
			for (const c of callLog) out[c.route] = (out[c.route] ?? 0) + 1;
			return out;
		},
		tokenRequests: () => tokenRequestCount,
		issuedTokens: () => [...issued],
		faults,
		setFaults: (config) => faults.set(config),
		failNext: (count, fault) => faults.failNext(count, fault),
		storm429: (o) => faults.startStorm(o),
		setLatency: (l) => {
			latency = l;
		},
		setLimits: (l) => {
			limiter.config = { ...limiter.config, ...l };
		},
		expireTokens: () => {
			for (const t of tokens.values()) t.expiresAt = Date.now() - 1;
		},
		reset: () => {
			for (const c of connections) {
				c.org.reset();
				c.counters.reset();
				c.idempotency.clear();
			}
			limiter.app.clear();
			callLog.length = 0;
			tokenRequestCount = 0;
			faults.clear();
			faults.resetCounters();
		},
		close: async () => {
			for (const t of timers) clearTimeout(t);
			timers.clear();
			await running.close();
		},
	};
}
