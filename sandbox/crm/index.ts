// CRM sandbox: a small HTTP JSON API over seeded clients and leads, the shape our CRM
// stage reads. It serves records exactly as stored (hostile ones included) and never
// "fixes" data, so the pipeline's own validation is what gets tested.
import * as http from 'http';
import { drawLatency, listen, seededRandom, sendJson, sleep, type Latency, type RunningServer } from '../common/http';
import {
	assignCardReferences,
	compareLeads,
	type BillableLeadRow,
	type CardReferenceSource,
	type CrmClient,
	type CrmData,
	type CrmLead,
} from './data';

export * from './data';

export interface CrmSandboxOptions {
	port?: number;
	host?: string;
	/** Initial data (e.g. from generateCrmData); default empty. */
	data?: CrmData;
	/** When set, every /api request must carry it in `apiKeyHeader`. */
	apiKey?: string;
	/** Header carrying the API key; default `x-api-key`. */
	apiKeyHeader?: string;
	latency?: Latency;
	/** Seed for latency draws. */
	seed?: number;
	/** Page size when the caller gives none; default 100. */
	defaultPageSize?: number;
	/** Largest accepted limit/pageSize; default 1000. */
	maxPageSize?: number;
}

export interface CrmRequestLog {
	method: string;
	path: string;
	query: Record<string, string>;
	status: number;
	at: string;
}

export interface CrmSandbox extends RunningServer {
	clients(): CrmClient[];
	leads(): CrmLead[];
	/** Replaces all data. */
	setData(data: CrmData): void;
	addClients(...clients: CrmClient[]): void;
	addLeads(...leads: CrmLead[]): void;
	setCardReference(clientId: string, reference: string | null): void;
	assignCardReferences(source: CardReferenceSource): void;
	/** Every request served, in order. */
	requests(): CrmRequestLog[];
	clearRequests(): void;
	/** The next `count` /api requests fail with `status` (default 503). */
	failNext(count: number, status?: number): void;
	setLatency(latency: Latency | undefined): void;
}

class HttpError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
	) {
		super(message);
	}
}

interface Page<T> {
	data: T[];
	pagination: Record<string, number | string | null>;
}

const encodeCursor = (key: string) => Buffer.from(key, 'utf8').toString('base64url');

function decodeCursor(cursor: string): string {
	const key = Buffer.from(cursor, 'base64url').toString('utf8');
	if (!key || encodeCursor(key) !== cursor) throw new HttpError(400, 'invalid_parameter', 'cursor is not a cursor returned by this API');
	return key;
}

function parsePositiveInt(query: URLSearchParams, name: string, max: number): number | undefined {
	const raw = query.get(name);
	if (raw === null) return undefined;
	if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
		throw new HttpError(400, 'invalid_parameter', `${name} must be an integer from 1 to ${max}`);
	}
	return Number(raw);
}

function parseInstant(query: URLSearchParams, name: string, required: boolean): number | undefined {
	const raw = query.get(name);
	if (raw === null || raw === '') {
		if (required) throw new HttpError(400, 'missing_parameter', `${name} is required (ISO 8601 date or timestamp)`);
		return undefined;
	}
	const ms = Date.parse(raw);
	if (Number.isNaN(ms)) throw new HttpError(400, 'invalid_parameter', `${name} "${raw}" is not an ISO 8601 date or timestamp`);
	return ms;
}

/**
 * Keyset pagination (`limit` + `cursor`, stable while records are added) or page numbers
 * (`page` + `pageSize`). `items` must already be in key order.
 */
function paginate<T>(items: T[], keyOf: (item: T) => string, query: URLSearchParams, defaultSize: number, maxSize: number): Page<T> {
	const cursor = query.get('cursor');
	const page = parsePositiveInt(query, 'page', Number.MAX_SAFE_INTEGER);
	if (page !== undefined && cursor !== null) throw new HttpError(400, 'invalid_parameter', 'use either cursor or page, not both');
	if (page !== undefined) {
		const pageSize = parsePositiveInt(query, 'pageSize', maxSize) ?? parsePositiveInt(query, 'limit', maxSize) ?? defaultSize;
		const start = (page - 1) * pageSize;
		return {
			data: items.slice(start, start + pageSize),
			pagination: { total: items.length, page, pageSize, totalPages: Math.ceil(items.length / pageSize) },
		};
	}
	const limit = parsePositiveInt(query, 'limit', maxSize) ?? defaultSize;
	let start = 0;
	if (cursor !== null) {
		const after = decodeCursor(cursor);
		start = items.findIndex((item) => keyOf(item) > after);
		if (start === -1) start = items.length;
	}
	const data = items.slice(start, start + limit);
	const more = start + limit < items.length;
	return {
		data,
		pagination: { total: items.length, limit, nextCursor: more ? encodeCursor(keyOf(data[data.length - 1])) : null },
	};
}

// Sort key that orders like compareLeads when compared as strings.
const leadKey = (lead: { deliveredAt: string; leadId: string }) =>
	`${String(Date.parse(lead.deliveredAt)).padStart(15, '0')}|${lead.leadId}`;

function inRange(lead: CrmLead, from: number | undefined, to: number | undefined): boolean {
	const at = Date.parse(lead.deliveredAt);
	return (from === undefined || at >= from) && (to === undefined || at < to);
}

export async function startCrmSandbox(opts: CrmSandboxOptions = {}): Promise<CrmSandbox> {
	let clients: CrmClient[] = [];
	let leads: CrmLead[] = [];
	const setData = (data: CrmData) => {
		clients = data.clients.map((c) => ({ ...c }));
		leads = data.leads.map((l) => ({ ...l }));
	};
	setData(opts.data ?? { clients: [], leads: [] });
	const log: CrmRequestLog[] = [];
	const random = seededRandom(opts.seed ?? 1);
	let latency = opts.latency;
	let failures: { count: number; status: number } = { count: 0, status: 503 };
	const apiKeyHeader = (opts.apiKeyHeader ?? 'x-api-key').toLowerCase();
	const defaultSize = opts.defaultPageSize ?? 100;
	const maxSize = opts.maxPageSize ?? 1000;

	const sortedClients = () => [...clients].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
	const sortedLeads = () => [...leads].sort(compareLeads);

	function route(method: string, path: string, query: URLSearchParams): { status: number; body: unknown } {
		if (method !== 'GET') throw new HttpError(405, 'method_not_allowed', `${method} is not allowed on ${path}`);
		if (path === '/api/clients') {
			return { status: 200, body: paginate(sortedClients(), (c) => c.id, query, defaultSize, maxSize) };
		}
		const clientMatch = /^\/api\/clients\/([^/]+)$/.exec(path);
		if (clientMatch) {
			const id = decodeURIComponent(clientMatch[1]);
			const client = clients.find((c) => c.id === id);
			if (!client) throw new HttpError(404, 'not_found', `client ${id} not found`);
			return { status: 200, body: client };
		}
		if (path === '/api/leads' || path === '/api/billable-leads') {
			const billable = path === '/api/billable-leads';
			const from = parseInstant(query, 'from', billable);
			const to = parseInstant(query, 'to', billable);
			if (from !== undefined && to !== undefined && to <= from) {
				throw new HttpError(400, 'invalid_parameter', 'to must be after from (the range is [from, to))');
			}
			const clientId = query.get('clientId');
			const selected = sortedLeads().filter((l) => inRange(l, from, to) && (clientId === null || l.clientId === clientId));
			if (!billable) return { status: 200, body: paginate(selected, leadKey, query, defaultSize, maxSize) };
			const byId = new Map(clients.map((c) => [c.id, c]));
			// Left join: a lead whose client is missing still shows up (client fields null),
			// so the consumer notices instead of silently losing a billable item.
			const rows: BillableLeadRow[] = selected.map((lead) => {
				const client = byId.get(lead.clientId);
				return {
					leadId: lead.leadId,
					clientId: lead.clientId,
					clientName: client ? client.name : null,
					billingEmail: client ? client.billingEmail : null,
					currency: client ? client.currency : null,
					cardReference: client ? client.cardReference : null,
					description: lead.description,
					price: lead.price,
					quantity: lead.quantity,
					deliveredAt: lead.deliveredAt,
				};
			});
			return { status: 200, body: paginate(rows, leadKey, query, defaultSize, maxSize) };
		}
		throw new HttpError(404, 'not_found', `no route for ${method} ${path}`);
	}

	const server = http.createServer((req, res) => {
		void (async () => {
			const url = new URL(req.url ?? '/', 'http://crm.sandbox');
			const method = req.method ?? 'GET';
			const entry: CrmRequestLog = {
				method,
				path: url.pathname,
				query: Object.fromEntries(url.searchParams),
				status: 0,
				at: new Date().toISOString(),
			};
			log.push(entry);
			const reply = (status: number, body: unknown) => {
				entry.status = status;
				sendJson(res, status, body);
			};
			const wait = drawLatency(latency, random);
			if (wait > 0) await sleep(wait);
			try {
				if (opts.apiKey !== undefined && req.headers[apiKeyHeader] !== opts.apiKey) {
					throw new HttpError(401, 'unauthorized', `missing or wrong API key in header ${apiKeyHeader}`);
				}
				if (failures.count > 0) {
					failures.count--;
					throw new HttpError(failures.status, 'injected_failure', `injected failure (HTTP ${failures.status})`);
				}
				const { status, body } = route(method, url.pathname, url.searchParams);
				reply(status, body);
			} catch (error) {
				if (error instanceof HttpError) reply(error.status, { error: { code: error.code, message: error.message } });
				else reply(500, { error: { code: 'internal', message: String((error as Error)?.message ?? error) } });
			}
		})();
	});

	const running = await listen(server, opts.port ?? 0, opts.host ?? '127.0.0.1');
	return {
		...running,
		clients: () => clients.map((c) => ({ ...c })),
		leads: () => leads.map((l) => ({ ...l })),
		setData,
		addClients: (...more) => void clients.push(...more.map((c) => ({ ...c }))),
		addLeads: (...more) => void leads.push(...more.map((l) => ({ ...l }))),
		setCardReference: (clientId, reference) => {
			const client = clients.find((c) => c.id === clientId);
			if (!client) throw new Error(`CRM sandbox: no client ${clientId}`);
			client.cardReference = reference;
		},
		assignCardReferences: (source) => setData(assignCardReferences({ clients, leads }, source)),
		requests: () => log.map((e) => ({ ...e, query: { ...e.query } })),
		clearRequests: () => void log.splice(0),
		failNext: (count, status = 503) => {
			failures = { count, status };
		},
		setLatency: (value) => {
			latency = value;
		},
	};
}
