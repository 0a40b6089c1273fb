// Starts the Xero sandbox: an HTTP server whose identity routes (token, connections) and public
// pages (theme logos, online invoices) are answered directly and whose Accounting API calls (under
// /api.xro/2.0) run through pipeline.ts around the route table in routes.ts; returns the
// XeroSandbox handle for tests and benchmarks.
import * as http from 'http';
import { listen, readBody } from '../common/http';
import { RouteTable } from '../common/routes';
import { authorize, newGrant, tokenSet } from './handlers/oauth2';
import { logo, onlineInvoicePage } from './handlers/public';
import { issueToken, listConnections, type IdentityRequest } from './handlers/token';
import { inspector } from './inspect';
import { runApiCall } from './pipeline';
import { notFound, send, text } from './reply';
import { dispatchApi } from './routes';
import { API_PREFIX, SandboxState } from './state';
import type { CallFilter, CallRecord, XeroSandbox, XeroSandboxOptions } from './types';
import { LOGO_ROUTE, ONLINE_INVOICE_ROUTE } from './wire/branding';

const DIRECT = new RouteTable<IdentityRequest>([
	{ method: 'POST', pattern: '/connect/token', handle: issueToken },
	{ method: 'GET', pattern: '/connections', handle: listConnections },
	{ method: 'GET', pattern: '/identity/connect/authorize', handle: ({ state, req, res }) => authorize(state, new URL(req.url ?? '/', 'http://sandbox'), res) },
	{ method: 'GET', pattern: LOGO_ROUTE, handle: logo },
	{ method: 'GET', pattern: ONLINE_INVOICE_ROUTE, handle: onlineInvoicePage },
]);

async function handleRequest(state: SandboxState, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
	const method = (req.method ?? 'GET').toUpperCase();
	const url = new URL(req.url ?? '/', 'http://sandbox');
	const target = req.url ?? '';
	const rawQuery = target.includes('?') ? target.slice(target.indexOf('?') + 1) : '';
	let raw: Buffer;
	try {
		raw = await readBody(req, 4 * 1024 * 1024);
	} catch {
		return send(res, text(413, 'Request Entity Too Large'));
	}
	let direct: ReturnType<typeof DIRECT.match>;
	try {
		direct = DIRECT.match(method, url.pathname);
	} catch {
		// A malformed %-escape in a page's token or theme id.
		return send(res, notFound());
	}
	// The identity paths and public pages match exactly (no trailing slash), unlike the API's.
	if (direct.route && !url.pathname.endsWith('/')) return void direct.route.handle({ state, req, res, body: raw }, direct.params);
	if (!url.pathname.startsWith(API_PREFIX + '/')) return send(res, notFound());
	await runApiCall(state, { req, res, method, url, rawQuery, raw }, dispatchApi);
}

function matches(c: CallRecord, f: CallFilter = {}): boolean {
	return (
		(!f.method || c.method === f.method.toUpperCase()) &&
		(!f.route || c.route === f.route) &&
		(f.status === undefined || c.status === f.status) &&
		(!f.tenantId || c.tenantId === f.tenantId)
	);
}

export async function startXeroSandbox(opts: XeroSandboxOptions = {}): Promise<XeroSandbox> {
	const state = new SandboxState(opts);
	const server = http.createServer((req, res) => void handleRequest(state, req, res));
	const running = await listen(server, opts.port ?? 0);
	state.publicUrl = running.url;
	const { faults, limiter, callLog } = state;
	const primary = state.connections[0];
	return {
		...inspector(primary, state.publicUrl),
		url: running.url,
		tokenUrl: `${running.url}/connect/token`,
		apiBaseUrl: `${running.url}${API_PREFIX}`,
		clientSecret: primary.clientSecret,
		org: (key) => inspector(state.findConnection(key), state.publicUrl),
		calls: (filter) => callLog.filter((c) => matches(c, filter)),
		callCount: (filter) => callLog.filter((c) => matches(c, filter)).length,
		callsByRoute: () => {
			const out: Record<string, number> = {};
			for (const c of callLog) out[c.route] = (out[c.route] ?? 0) + 1;
			return out;
		},
		tokenRequests: () => state.tokenRequestCount,
		oauth2: {
			clientId: state.oauthApp.clientId,
			clientSecret: state.oauthApp.clientSecret,
			authorizeUrl: `${running.url}/identity/connect/authorize`,
			tokenUrl: `${running.url}/connect/token`,
			connectionsUrl: `${running.url}/connections`,
			grant: (o = {}) => {
				const tenants = o.tenantIds ? o.tenantIds.map((id) => state.findConnection(id)) : [...state.connections];
				return tokenSet(state, newGrant(tenants, o.scope ?? ''));
			},
			refreshRequests: () => state.refreshRequests,
			refusedRefreshes: () => state.refusedRefreshes,
		},
		issuedTokens: () => [...state.issued],
		faults,
		setFaults: (config) => faults.set(config),
		failNext: (count, fault) => faults.failNext(count, fault),
		storm429: (o) => faults.startStorm(o),
		setLatency: (l) => {
			state.latency = l;
		},
		setLimits: (l) => {
			limiter.config = { ...limiter.config, ...l };
		},
		expireTokens: () => {
			for (const t of state.tokens.values()) t.expiresAt = Date.now() - 1;
		},
		concurrency: () => ({ open: primary.counters.open, peak: primary.counters.peakOpen }),
		reset: () => state.reset(),
		close: async () => {
			state.clearTimers();
			await running.close();
		},
	};
}
