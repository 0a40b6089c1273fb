// The pipeline every Accounting API call runs through, in Xero's order: bearer token and tenant,
// the call record, the front end's URL length limit, 429 storms and rate limits, latency, fault
// injection (before or after the work), JSON body, Idempotency-Key replay, then the route; the
// answer goes out with the rate-limit headers and a correlation id.
import { randomUUID } from 'crypto';
import type * as http from 'http';
import { drawLatency } from '../common/http';
import { sessionOf, unauthorized } from './auth';
import type { FaultDecision } from './faults';
import { apiContext, type ApiContext } from './handlers/context';
import { queryOf } from './handlers/query';
import { withIdempotency } from './idempotency';
import { QueryError } from './model/query';
import { BadRequest, empty, json, notFound, postDataInvalid, queryParseError, send, text, type Reply } from './reply';
import { callRoute } from './routes';
import type { Connection, SandboxState } from './state';
import type { CallRecord } from './types';

/** One API request as received: its body is already read. */
export interface ApiRequest {
	req: http.IncomingMessage;
	res: http.ServerResponse;
	method: string;
	url: URL;
	/** The query string as sent (after `?`). */
	rawQuery: string;
	raw: Buffer;
}

/** The connection a valid token and tenant header give, or undefined after answering 401/403. */
function authenticate(state: SandboxState, call: ApiRequest): Connection | undefined {
	const session = sessionOf(state, call.req);
	const refuse = (detail: string) => {
		const { reply, headers } = unauthorized(detail);
		send(call.res, reply, headers);
	};
	if (!session) return void refuse('AuthenticationUnsuccessful');
	if (session.expiresAt <= Date.now()) return void refuse(`TokenExpired: token expired at ${new Date(session.expiresAt).toISOString()}`);
	const tenantHeader = call.req.headers['xero-tenant-id'];
	const tenantId = typeof tenantHeader === 'string' ? tenantHeader.trim() : '';
	if (session.grant) {
		// An OAuth2 token covers several organisations: the call must name a connected one, else
		// Xero answers 403 AuthenticationUnsuccessful (NangoHQ/nango#203, XeroAPI/xero-node#432).
		const conn = session.grant.tenants.find((t) => t.org.organisationId === tenantId.toLowerCase());
		if (!conn) {
			send(call.res, json(403, { Type: null, Title: 'Forbidden', Status: 403, Detail: 'AuthenticationUnsuccessful', Instance: randomUUID(), Extensions: {} }));
			return undefined;
		}
		return conn;
	}
	// A custom connection is bound to one organisation: '' or that organisation's id are accepted.
	if (tenantId && tenantId.toLowerCase() !== session.conn.org.organisationId) {
		send(call.res, json(403, { Type: null, Title: 'Forbidden', Status: 403, Detail: 'AuthenticationUnsuccessful', Instance: randomUUID(), Extensions: {} }));
		return undefined;
	}
	return session.conn;
}

function idempotencyKey(call: ApiRequest): string | undefined {
	const keyHeader = call.req.headers['idempotency-key'];
	return typeof keyHeader === 'string' && keyHeader !== '' && call.method !== 'GET' ? keyHeader : undefined;
}

/** Logs the call; its status and duration are filled in when the response closes. */
function recordCall(state: SandboxState, call: ApiRequest, conn: Connection, started: number): CallRecord {
	const record: CallRecord = {
		at: started,
		method: call.method,
		route: callRoute(call.method, call.url.pathname),
		path: call.url.pathname,
		query: queryOf(call.url),
		queryLength: call.rawQuery.length,
		tenantId: conn.org.organisationId,
		status: 0,
	};
	const key = idempotencyKey(call);
	if (key) record.idempotencyKey = key;
	state.callLog.push(record);
	call.res.on('close', () => {
		record.status = call.res.writableFinished ? call.res.statusCode : 0;
		record.durationMs = Date.now() - started;
	});
	return record;
}

const limitHeaders = (state: SandboxState, conn: Connection): Record<string, string> =>
	state.limiter.remaining(conn.counters, Date.now()) as unknown as Record<string, string>;

/** Storms first (forced), then the real windows; false after answering 429. */
function admit(state: SandboxState, call: ApiRequest, conn: Connection, record: CallRecord, started: number): boolean {
	const storm = state.faults.takeStorm(started);
	const admission = storm ? undefined : state.limiter.admit(conn.counters, started);
	const refusal = storm ?? (admission && !admission.ok ? admission : undefined);
	if (refusal) {
		record.rateLimitProblem = refusal.problem;
		send(call.res, empty(429), {
			...limitHeaders(state, conn),
			'Retry-After': String(refusal.retryAfterSeconds),
			'X-Rate-Limit-Problem': refusal.problem,
		});
		return false;
	}
	if (admission?.ok) call.res.on('close', admission.release);
	return true;
}

function faultReply(f: FaultDecision): Reply {
	return f.status === 503
		? text(503, 'The Xero API is temporarily unavailable. Please try again later.')
		: json(f.status, { Title: 'An error occurred', Status: f.status, Detail: 'An error occurred in Xero. Check the API Status page http://status.developer.xero.com for current service status.' });
}

function deliverFault(state: SandboxState, call: ApiRequest, conn: Connection, f: FaultDecision): void {
	// A timeout hangs, then drops the connection without a response.
	if (f.kind === 'timeout') return state.after(f.hangMs, () => call.req.socket.destroy());
	send(call.res, faultReply(f), limitHeaders(state, conn));
}

function parseBody(call: ApiRequest): unknown {
	if (call.method !== 'PUT' && call.method !== 'POST') return undefined;
	const textBody = call.raw.toString('utf8').trim();
	try {
		return textBody ? JSON.parse(textBody) : {};
	} catch {
		throw new BadRequest(postDataInvalid('Invalid Json data'));
	}
}

/** The body, idempotency and route steps; request errors become Xero's 400s, anything else a 500. */
function produce(state: SandboxState, call: ApiRequest, conn: Connection, record: CallRecord, dispatch: (ctx: ApiContext) => Reply): Reply {
	try {
		const body = parseBody(call);
		const { method, url } = call;
		const idem = { key: idempotencyKey(call), method, pathname: url.pathname, query: queryOf(url), body };
		return withIdempotency(conn, idem, record, () =>
			dispatch(apiContext({ org: conn.org, method, url, body, headers: call.req.headers, providerName: state.providerName, publicUrl: state.publicUrl })),
		);
	} catch (e) {
		if (e instanceof BadRequest) return e.reply;
		if (e instanceof QueryError) return queryParseError(e.message);
		return json(500, { Title: 'An error occurred', Status: 500, Detail: String((e as Error).message) });
	}
}

/** Runs one API call through the pipeline around `dispatch` (the route table). */
export async function runApiCall(state: SandboxState, call: ApiRequest, dispatch: (ctx: ApiContext) => Reply): Promise<void> {
	const conn = authenticate(state, call);
	if (!conn) return;
	const started = Date.now();
	call.res.on('close', conn.counters.opened());
	const record = recordCall(state, call, conn, started);
	// Xero's front end refuses an over-long URL before the API (and its rate limits) see it.
	if (call.rawQuery.length > state.maxQueryLength) return send(call.res, notFound());
	if (!admit(state, call, conn, record, started)) return;

	await state.sleep(drawLatency(state.latency, state.faults.random));
	const decided = state.faults.decide(call.method, record.route);
	if (decided) {
		record.fault = decided.kind;
		record.faultPhase = decided.phase;
	}
	// A slow answer is a normal answer, late: before the work, or after it (the work is done even
	// when the client has given up meanwhile).
	const slowMs = (phase: 'before' | 'after') => (decided?.kind === 'slow' && decided.phase === phase ? decided.hangMs : 0);
	const fault = decided?.kind === 'slow' ? null : decided;
	await state.sleep(slowMs('before'));
	if (fault && fault.phase === 'before') return deliverFault(state, call, conn, fault);
	const reply = produce(state, call, conn, record, dispatch);
	await state.sleep(slowMs('after'));
	if (fault) return deliverFault(state, call, conn, fault);
	send(call.res, reply, { ...limitHeaders(state, conn), 'Xero-Correlation-Id': randomUUID() });
}
