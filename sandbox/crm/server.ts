// The CRM API's route table and the frame every request goes through: request log, latency,
// API key, injected failures, read-only (405 for any other method), and errors as JSON.
import type * as http from 'http';
import { drawLatency, matchRoute, sendJson, sleep } from '../common/http';
import { RouteTable } from '../common/routes';
import { getClient, listClients } from './handlers/clients';
import { listBillableLeads, listLeads } from './handlers/leads';
import { HttpError } from './query';
import type { CrmRequest, CrmRequestLog, CrmState } from './state';

const ROUTES = new RouteTable<CrmRequest>([
	{ method: 'GET', pattern: '/api/clients', handle: listClients },
	{ method: 'GET', pattern: '/api/clients/{id}', handle: getClient },
	{ method: 'GET', pattern: '/api/leads', handle: listLeads },
	{ method: 'GET', pattern: '/api/billable-leads', handle: listBillableLeads },
]);

/** The request listener of the CRM sandbox. */
export function crmHandler(state: CrmState): http.RequestListener {
	return (req, res) => {
		void serve(state, req, res);
	};
}

async function serve(state: CrmState, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
	const url = new URL(req.url ?? '/', 'http://crm.sandbox');
	const method = req.method ?? 'GET';
	const entry: CrmRequestLog = { method, path: url.pathname, query: Object.fromEntries(url.searchParams), status: 0, at: new Date().toISOString() };
	state.log.push(entry);
	const reply = (status: number, body: unknown) => {
		entry.status = status;
		sendJson(res, status, body);
	};
	const wait = drawLatency(state.latency, state.random);
	if (wait > 0) await sleep(wait);
	try {
		checkAccess(state, req);
		// The API is read-only: any other method is 405, whatever the path.
		if (method !== 'GET') throw new HttpError(405, 'method_not_allowed', `${method} is not allowed on ${url.pathname}`);
		// A malformed %-escape in a path parameter throws URIError here: a 500, as it always was.
		const match = matchRoute(ROUTES, method, url.pathname);
		if (!match.route) throw new HttpError(404, 'not_found', `no route for ${method} ${url.pathname}`);
		await match.route.handle({ state, query: url.searchParams, reply }, match.params);
	} catch (error) {
		if (error instanceof HttpError) reply(error.status, { error: { code: error.code, message: error.message } });
		else reply(500, { error: { code: 'internal', message: String((error as Error)?.message ?? error) } });
	}
}

/** API key first, then an injected failure (which uses up one of the `failNext` count). */
function checkAccess(state: CrmState, req: http.IncomingMessage): void {
	if (state.apiKey !== undefined && req.headers[state.apiKeyHeader] !== state.apiKey) {
		throw new HttpError(401, 'unauthorized', `missing or wrong API key in header ${state.apiKeyHeader}`);
	}
	if (state.failures.count > 0) {
		state.failures.count--;
		throw new HttpError(state.failures.status, 'injected_failure', `injected failure (HTTP ${state.failures.status})`);
	}
}
