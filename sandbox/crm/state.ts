// The CRM sandbox's state (data, request log, latency, injected failures, settings) and the
// context a route handler gets.
import type { Latency } from '../common/http';
import type { CrmClient, CrmLead } from './data';

export interface CrmRequestLog {
	method: string;
	path: string;
	query: Record<string, string>;
	status: number;
	at: string;
}

export interface CrmState {
	/** Replaced by setData; handlers read them per request. */
	clients: CrmClient[];
	leads: CrmLead[];
	readonly log: CrmRequestLog[];
	readonly random: () => number;
	latency: Latency | undefined;
	/** The next `count` /api requests fail with `status`. */
	failures: { count: number; status: number };
	/** API key required in `apiKeyHeader` (lower-case), when set. */
	readonly apiKey: string | undefined;
	readonly apiKeyHeader: string;
	readonly defaultPageSize: number;
	readonly maxPageSize: number;
}

export interface CrmRequest {
	state: CrmState;
	query: URLSearchParams;
	/** Answers and records the status in the request log. */
	reply(status: number, body: unknown): void;
}
