// Failures of Xero calls. XeroApiError is the kit's ServiceError: `code` is the kind of failure
// (validation, auth, rateLimit, dayLimit, server, …), `retryable` says whether the same call may
// succeed later, `httpCode` is Xero's status. xero-node rejects with a JSON *string*
// ({"response":{statusCode,body,headers,...},"body":...}); parseSdkRejection recovers the status,
// headers and Xero's own messages from it.
import type { JsonObject } from 'n8n-workflow';
import { ServiceError } from '../../shared/errors';
import { bodySummary } from '../../shared/redact';

export type XeroErrorKind =
	| 'validation' // 400 ValidationException and other 4xx answers with Xero messages
	| 'auth' // 401/403 or a refused client id/secret
	| 'notFound'
	| 'rateLimit' // 429 minute/concurrent/app limits we gave up waiting on
	| 'dayLimit' // the organisation's daily call budget is spent (or would be)
	| 'server' // 5xx
	| 'timeout' // no answer within the request timeout
	| 'network' // connection refused/reset, socket hang up
	| 'other';

/** Kinds where the same call may succeed later (`retryable`): outages, and limits that reset. */
const RETRYABLE_KINDS: ReadonlySet<XeroErrorKind> = new Set(['server', 'timeout', 'network', 'rateLimit', 'dayLimit']);

/** Kinds the transport itself sends again at once, after a backoff (limits wait instead). */
const RESEND_KINDS: ReadonlySet<XeroErrorKind> = new Set(['server', 'timeout', 'network']);

export function resendable(error: XeroApiError): boolean {
	return RESEND_KINDS.has(error.kind);
}

export class XeroApiError extends ServiceError {
	constructor(
		message: string,
		readonly kind: XeroErrorKind,
		readonly statusCode: number,
		/** Xero's own messages (validation messages, Detail, Message). */
		readonly messages: string[] = [],
		readonly body: unknown = undefined,
		readonly headers: Record<string, string> = {},
	) {
		super(message, {
			code: kind,
			retryable: RETRYABLE_KINDS.has(kind),
			httpCode: statusCode > 0 ? statusCode : undefined,
			description: messages.length ? `Xero: ${messages.join('; ')}` : undefined,
			details: {
				kind,
				statusCode,
				messages,
				...(body && typeof body === 'object' && !Buffer.isBuffer(body) ? { xero: body as JsonObject } : {}),
			},
		});
		this.name = 'XeroApiError';
	}
}

/** Thrown before a batch starts when the day budget cannot cover it, and on a 429 "day". */
export class XeroDayLimitError extends XeroApiError {
	constructor(message: string, headers: Record<string, string> = {}) {
		super(message, 'dayLimit', 429, [message], undefined, headers);
		this.name = 'XeroDayLimitError';
	}
}

interface SdkErrorShape {
	response?: { statusCode?: number; body?: unknown; headers?: Record<string, unknown> };
	body?: unknown;
}

/** HTTP headers with lower-case names, as the limiter reads them. */
export function lowerHeaders(h: unknown): Record<string, string> {
	const out: Record<string, string> = {};
	if (h && typeof h === 'object') {
		for (const [k, v] of Object.entries(h as Record<string, unknown>)) if (v !== undefined && v !== null) out[k.toLowerCase()] = String(v);
	}
	return out;
}

/** Collects the human messages Xero put in an error body. */
export function xeroMessages(body: unknown): string[] {
	if (body === undefined || body === null || body === '') return [];
	if (typeof body === 'string') {
		const t = body.trim();
		if (t.startsWith('{')) {
			try {
				return xeroMessages(JSON.parse(t));
			} catch {
				// not JSON: fall through to the raw text
			}
		}
		return [t.slice(0, 500)];
	}
	if (Buffer.isBuffer(body)) return xeroMessages(body.toString('utf8'));
	if (typeof body !== 'object') return [String(body)];
	const b = body as Record<string, unknown>;
	const out: string[] = [];
	const elements = (b.Elements ?? b.elements) as unknown;
	if (Array.isArray(elements)) {
		for (const el of elements) {
			const errs = (el as Record<string, unknown>)?.ValidationErrors as unknown;
			if (Array.isArray(errs)) for (const e of errs) if (e && typeof (e as { Message?: unknown }).Message === 'string') out.push((e as { Message: string }).Message);
		}
	}
	if (!out.length) {
		for (const key of ['Detail', 'Message', 'Title', 'error_description', 'error', 'message']) {
			if (typeof b[key] === 'string' && b[key]) {
				out.push(b[key] as string);
				break;
			}
		}
	}
	return [...new Set(out)];
}

function kindFor(status: number, body: unknown): XeroErrorKind {
	if (status === 0) return 'network';
	if (status === 401 || status === 403) return 'auth';
	if (status === 404) return 'notFound';
	if (status === 429) return 'rateLimit';
	if (status >= 500) return 'server';
	if (status >= 400) return body && typeof body === 'object' ? 'validation' : 'other';
	return 'other';
}

/** Turns whatever xero-node rejected with into an XeroApiError. */
export function parseSdkRejection(e: unknown, what: string): XeroApiError {
	if (e instanceof XeroApiError) return e;
	let parsed: SdkErrorShape | undefined;
	if (typeof e === 'string') {
		try {
			parsed = JSON.parse(e) as SdkErrorShape;
		} catch {
			return new XeroApiError(`${what} failed: ${e.slice(0, 300)}`, 'other', 0, [e.slice(0, 300)]);
		}
	} else if (e && typeof e === 'object' && 'response' in e) {
		parsed = e as SdkErrorShape;
	}
	if (!parsed?.response) {
		const message = e instanceof Error ? e.message : String(e);
		return new XeroApiError(`${what} failed: ${message}`, 'other', 0, [message]);
	}
	const status = Number(parsed.response.statusCode ?? 0);
	const headers = lowerHeaders(parsed.response.headers);
	const raw = parsed.response.body ?? parsed.body;
	// Status 0: xero-node's own text for a connection that failed (no answer, so nothing echoed).
	const body = status === 0 ? raw : jsonBody(raw);
	const messages = xeroMessages(body);
	const kind = kindFor(status, body);
	let summary: string;
	if (status === 0) summary = `${what} failed: no answer from Xero (${messages[0] ?? 'connection error'})`;
	else if (status === 429) summary = `${what} was refused by Xero's rate limit (${headers['x-rate-limit-problem'] ?? 'limit'}; Retry-After ${headers['retry-after'] ?? '?'} s)`;
	else if (body === undefined && textLength(raw) > 0) summary = `${what} failed: Xero answered ${status} with ${bodySummary(headers['content-type'], textLength(raw))}`;
	else summary = `${what} failed: Xero answered ${status}${messages.length ? `: ${messages.join('; ')}` : ''}`;
	return new XeroApiError(summary, kind, status, messages, body, headers);
}

/**
 * An error answer's body when it is JSON (an object), else undefined: a non-JSON body (an HTML
 * error page, a proxy's text, an echo of our request with its Authorization header) is never
 * quoted, only named by type and size.
 */
function jsonBody(raw: unknown): unknown {
	if (raw === undefined || raw === null || raw === '') return undefined;
	const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : raw;
	if (typeof text !== 'string') return typeof text === 'object' ? text : undefined;
	try {
		const parsed = JSON.parse(text) as unknown;
		return parsed && typeof parsed === 'object' ? parsed : undefined;
	} catch {
		return undefined;
	}
}

function textLength(raw: unknown): number {
	if (Buffer.isBuffer(raw)) return raw.length;
	return typeof raw === 'string' ? Buffer.byteLength(raw) : 0;
}

/**
 * Which limit a 429 hit, from X-Rate-Limit-Problem (`day`, `minute`, `concurrent`, `appminute`).
 * Read case-insensitively: a "Day" must never be taken for a short pause of the organisation.
 */
export function rateLimitProblem(headers: Record<string, string | undefined>): string | undefined {
	const value = headers['x-rate-limit-problem'];
	return value === undefined ? undefined : value.trim().toLowerCase();
}
