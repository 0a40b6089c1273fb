// CRM sandbox: a small HTTP JSON API over seeded clients and leads, the shape our CRM
// stage reads. It serves records exactly as stored (hostile ones included) and never
// "fixes" data, so the pipeline's own validation is what gets tested.
// Parts: server.ts (route table and request frame), handlers/ (routes), query.ts
// (parameters and pagination), state.ts, data.ts (seeded data).
import * as http from 'http';
import { listen, seededRandom, type Latency, type RunningServer } from '../common/http';
import { assignCardReferences, type CardReferenceSource, type CrmClient, type CrmData, type CrmLead } from './data';
import { crmHandler } from './server';
import type { CrmRequestLog, CrmState } from './state';

export * from './data';
export type { CrmRequestLog } from './state';

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

export async function startCrmSandbox(opts: CrmSandboxOptions = {}): Promise<CrmSandbox> {
	const state: CrmState = {
		clients: [],
		leads: [],
		log: [],
		random: seededRandom(opts.seed ?? 1),
		latency: opts.latency,
		failures: { count: 0, status: 503 },
		apiKey: opts.apiKey,
		apiKeyHeader: (opts.apiKeyHeader ?? 'x-api-key').toLowerCase(),
		defaultPageSize: opts.defaultPageSize ?? 100,
		maxPageSize: opts.maxPageSize ?? 1000,
	};
	const setData = (data: CrmData) => {
		state.clients = data.clients.map((c) => ({ ...c }));
		state.leads = data.leads.map((l) => ({ ...l }));
	};
	setData(opts.data ?? { clients: [], leads: [] });

	const running = await listen(http.createServer(crmHandler(state)), opts.port ?? 0, opts.host ?? '127.0.0.1');
	return {
		...running,
		clients: () => state.clients.map((c) => ({ ...c })),
		leads: () => state.leads.map((l) => ({ ...l })),
		setData,
		addClients: (...more) => void state.clients.push(...more.map((c) => ({ ...c }))),
		addLeads: (...more) => void state.leads.push(...more.map((l) => ({ ...l }))),
		setCardReference: (clientId, reference) => {
			const client = state.clients.find((c) => c.id === clientId);
			if (!client) throw new Error(`CRM sandbox: no client ${clientId}`);
			client.cardReference = reference;
		},
		assignCardReferences: (source) => setData(assignCardReferences({ clients: state.clients, leads: state.leads }, source)),
		requests: () => state.log.map((e) => ({ ...e, query: { ...e.query } })),
		clearRequests: () => void state.log.splice(0),
		failNext: (count, status = 503) => {
			state.failures = { count, status };
		},
		setLatency: (value) => {
			state.latency = value;
		},
	};
}
