// The only module that talks to the Secure Trading (Trust Payments) webservices gateway.
// It behaves like the official libraries (st-python-api, PHP-API): JSON envelope, HTTP Basic
// auth, their headers, connect 10 s / total 60 s timeouts, a check that the answer carries our
// requestreference, and retries ONLY while the connection could not be made: once a request may
// have reached the gateway it is never re-sent, because an AUTH could be charged twice.
import * as http from 'http';
import * as https from 'https';
import * as zlib from 'zlib';
import { randomBytes } from 'crypto';
import { sleep } from 'n8n-workflow';
import { ServiceError } from '../../shared/errors';
import { bodySummary } from '../../shared/redact';

export const GATEWAY_URLS = {
	eu: 'https://webservices.securetrading.net',
	euBackup: 'https://webservices2.securetrading.net',
	us: 'https://webservices.securetrading.us',
} as const;

export const JSON_VERSION = '1.00';
export const LIBRARY_VERSION = 'n8n-nodes-billing-pipeline_0.1.0';
const MAX_RESPONSE_BYTES = 20 * 1024 * 1024;

export interface TransportConfig {
	/** Full webservices URL, e.g. https://webservices.securetrading.net/json/ */
	endpoint: string;
	/** Webservices user; also sent as the envelope `alias`. */
	username: string;
	password: string;
	/** Per-attempt connect timeout (default 10 000 ms, as the official libraries). */
	connectTimeoutMs?: number;
	/** Whole request, connect to last byte (default 60 000 ms). */
	timeoutMs?: number;
	/** Attempts while the connection cannot be made (default 6, as the official libraries). */
	maxConnectAttempts?: number;
	/** Time window for those attempts (default 10 000 ms). */
	connectWindowMs?: number;
	connectRetryDelayMs?: number;
	signal?: AbortSignal;
	/** Counts the requests sent with this config (the run report attributes them to billing runs). */
	requests?: { count: number };
}

/** One request object of the envelope: flat, lowercase keys, string values. */
export type GatewayRequest = { requesttypedescriptions: string[] } & Record<string, unknown>;

/** One response element: strings, plus the lists `errordata` and `records`. */
export type GatewayResponse = Record<string, unknown> & { errorcode?: string; errormessage?: string };

export interface GatewayResult {
	requestReference: string;
	responses: GatewayResponse[];
}

export type TransportFailureKind =
	/** The connection could not be made; nothing was sent. */
	| 'connect'
	/** Connected, then no complete answer in time. */
	| 'timeout'
	/** Connected, then the connection dropped before a complete answer. */
	| 'connectionLost'
	/** HTTP 401: wrong webservices username or password. */
	| 'unauthorized'
	/** Any other non-200 HTTP status. */
	| 'httpStatus'
	/** 200 but the body is not a gateway envelope. */
	| 'malformed'
	/** The envelope answers a different requestreference. */
	| 'referenceMismatch'
	| 'aborted';

/**
 * The gateway could not be asked, or did not answer properly. `code` is the kind; `retryable` is
 * true only when nothing was sent (the connection was never made), so trying again cannot charge
 * twice. Whether to verify with a query is the caller's call, from `mayHaveBeenProcessed`.
 */
export class TransportError extends ServiceError {
	readonly kind: TransportFailureKind;
	/** False only when the gateway certainly did not process the request. */
	readonly mayHaveBeenProcessed: boolean;
	readonly httpStatus?: number;
	readonly requestReference: string;

	constructor(
		kind: TransportFailureKind,
		message: string,
		details: { requestReference: string; mayHaveBeenProcessed: boolean; httpStatus?: number },
	) {
		super(message, {
			code: kind,
			retryable: !details.mayHaveBeenProcessed && (kind === 'connect' || kind === 'aborted'),
			httpCode: details.httpStatus,
			details: { requestreference: details.requestReference },
		});
		this.name = 'TransportError';
		this.kind = kind;
		this.requestReference = details.requestReference;
		this.mayHaveBeenProcessed = details.mayHaveBeenProcessed;
		this.httpStatus = details.httpStatus;
	}
}

/** A fresh request reference, "A" and random characters like the official libraries. */
export function newRequestReference(): string {
	return `A${randomBytes(6).toString('hex').slice(0, 10)}`;
}

/** Base URL (or full /json/ URL) → the webservices endpoint. */
export function endpointFor(baseUrl: string): string {
	const url = new URL(baseUrl);
	if (!/\/json\/?$/.test(url.pathname)) url.pathname = `${url.pathname.replace(/\/+$/, '')}/json/`;
	else if (!url.pathname.endsWith('/')) url.pathname += '/';
	return url.toString();
}

/**
 * Sends the request objects in one envelope and returns the gateway's response elements.
 * Throws TransportError for anything that is not a well-formed envelope answering our request.
 */
export async function sendToGateway(config: TransportConfig, requests: GatewayRequest[], requestReference = newRequestReference()): Promise<GatewayResult> {
	const url = new URL(config.endpoint);
	if (url.protocol !== 'https:' && url.protocol !== 'http:') {
		throw new TransportError('connect', `Unsupported gateway URL protocol ${url.protocol}`, { requestReference, mayHaveBeenProcessed: false });
	}
	const envelope = {
		alias: config.username,
		version: JSON_VERSION,
		request: requests.map((request) => ({ requestreference: requestReference, ...request })),
		libraryversion: LIBRARY_VERSION,
	};
	const body = Buffer.from(JSON.stringify(envelope), 'utf8');
	if (config.requests) config.requests.count++;
	const headers: Record<string, string | number> = {
		'Content-Type': 'application/json;charset=utf-8',
		Accept: 'application/json',
		'Accept-Encoding': 'gzip',
		'User-Agent': `Node.js-${process.versions.node}:${LIBRARY_VERSION}`,
		REQUESTREFERENCE: requestReference,
		VERSIONINFO: `Node.js::${process.versions.node}::${LIBRARY_VERSION}::${process.platform}`,
		Connection: 'close',
		Authorization: `Basic ${Buffer.from(`${config.username}:${config.password}`, 'utf8').toString('base64')}`,
		'Content-Length': body.length,
	};

	const reply = await postWithConnectRetries(url, headers, body, config, requestReference);
	return parseReply(reply, requestReference);
}

interface RawReply {
	status: number;
	headers: http.IncomingHttpHeaders;
	body: Buffer;
}

/** Why one attempt failed, and whether the connection had been made (so data may have been sent). */
class AttemptFailure extends Error {
	constructor(
		message: string,
		readonly connected: boolean,
		readonly reason: 'error' | 'connectTimeout' | 'timeout' | 'aborted',
	) {
		super(message);
	}
}

async function postWithConnectRetries(
	url: URL,
	headers: Record<string, string | number>,
	body: Buffer,
	config: TransportConfig,
	requestReference: string,
): Promise<RawReply> {
	const connectTimeoutMs = config.connectTimeoutMs ?? 10_000;
	const timeoutMs = config.timeoutMs ?? 60_000;
	const maxAttempts = Math.max(1, config.maxConnectAttempts ?? 6);
	const windowMs = config.connectWindowMs ?? 10_000;
	const retryDelayMs = config.connectRetryDelayMs ?? 500;
	const started = Date.now();
	let lastError = '';
	for (let attempt = 1; ; attempt++) {
		const elapsed = Date.now() - started;
		const remainingWindow = windowMs - elapsed;
		const remainingTotal = timeoutMs - elapsed;
		try {
			return await attemptOnce(url, headers, body, Math.max(1, Math.min(connectTimeoutMs, remainingWindow, remainingTotal)), Math.max(1, remainingTotal), config.signal);
		} catch (error) {
			const failure = error as AttemptFailure;
			if (failure.reason === 'aborted') {
				// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- below the router: toNodeError makes it a NodeApiError/NodeOperationError once
				throw new TransportError('aborted', 'The request was cancelled', { requestReference, mayHaveBeenProcessed: failure.connected });
			}
			if (failure.connected) {
				const kind = failure.reason === 'timeout' ? 'timeout' : 'connectionLost';
				const message =
					kind === 'timeout'
						? `No answer from the gateway within ${timeoutMs} ms after sending the request`
						: `The connection to the gateway dropped after sending the request: ${failure.message}`;
				// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- below the router: toNodeError makes it a NodeApiError/NodeOperationError once
				throw new TransportError(kind, message, { requestReference, mayHaveBeenProcessed: true });
			}
			lastError = failure.message;
			const nextElapsed = Date.now() - started + retryDelayMs;
			if (attempt >= maxAttempts || nextElapsed >= windowMs || nextElapsed >= timeoutMs) break;
			// Cancelled while waiting: the next attempt sees the aborted signal and reports it.
			await sleep(retryDelayMs, config.signal).catch(() => undefined);
		}
	}
	throw new TransportError('connect', `Could not connect to ${url.host}: ${lastError}`, { requestReference, mayHaveBeenProcessed: false });
}

function attemptOnce(
	url: URL,
	headers: Record<string, string | number>,
	body: Buffer,
	connectTimeoutMs: number,
	totalTimeoutMs: number,
	signal?: AbortSignal,
): Promise<RawReply> {
	return new Promise<RawReply>((resolve, reject) => {
		if (signal?.aborted) {
			reject(new AttemptFailure('aborted', false, 'aborted'));
			return;
		}
		const secure = url.protocol === 'https:';
		let connected = false;
		let done = false;
		// agent:false → a fresh socket, so "connected" really means this request's connection.
		const req = (secure ? https : http).request(url, { method: 'POST', headers, agent: false });
		const finish = (fn: () => void) => {
			if (done) return;
			done = true;
			clearTimeout(connectTimer);
			clearTimeout(totalTimer);
			signal?.removeEventListener('abort', onAbort);
			fn();
		};
		const fail = (failure: AttemptFailure) => {
			finish(() => reject(failure));
			req.destroy();
		};
		const onAbort = () => fail(new AttemptFailure('aborted', connected, 'aborted'));
		const connectTimer = setTimeout(() => {
			if (!connected) fail(new AttemptFailure(`connect timeout after ${connectTimeoutMs} ms`, false, 'connectTimeout'));
		}, connectTimeoutMs);
		const totalTimer = setTimeout(() => fail(new AttemptFailure('timeout', connected, connected ? 'timeout' : 'connectTimeout')), totalTimeoutMs);
		signal?.addEventListener('abort', onAbort);

		req.on('socket', (socket) => {
			// Request bytes go out only after TCP (and, for https, TLS) is up.
			socket.once(secure ? 'secureConnect' : 'connect', () => {
				connected = true;
				clearTimeout(connectTimer);
			});
		});
		req.on('error', (error: NodeJS.ErrnoException) => {
			fail(new AttemptFailure(error.code ? `${error.code} ${error.message}` : error.message, connected, 'error'));
		});
		req.on('response', (res) => {
			const chunks: Buffer[] = [];
			let size = 0;
			res.on('data', (chunk: Buffer) => {
				size += chunk.length;
				if (size > MAX_RESPONSE_BYTES) {
					fail(new AttemptFailure(`response larger than ${MAX_RESPONSE_BYTES} bytes`, true, 'error'));
					return;
				}
				chunks.push(chunk);
			});
			res.on('error', (error) => fail(new AttemptFailure(error.message, true, 'error')));
			res.on('aborted', () => fail(new AttemptFailure('response aborted', true, 'error')));
			res.on('end', () => {
				if (!res.complete) {
					fail(new AttemptFailure('response ended early', true, 'error'));
					return;
				}
				finish(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
			});
		});
		req.end(body);
	});
}

function parseReply(reply: RawReply, requestReference: string): GatewayResult {
	if (reply.status === 401) {
		throw new TransportError('unauthorized', 'The gateway refused the webservices username or password (HTTP 401)', {
			requestReference,
			mayHaveBeenProcessed: false,
			httpStatus: 401,
		});
	}
	let text: string;
	try {
		const encoding = String(reply.headers['content-encoding'] ?? '').toLowerCase();
		const raw = encoding === 'gzip' ? zlib.gunzipSync(reply.body) : encoding === 'deflate' ? zlib.inflateSync(reply.body) : reply.body;
		text = raw.toString('utf8');
	} catch (error) {
		throw malformed(`The gateway's answer could not be decompressed: ${(error as Error).message}`, requestReference, reply.status);
	}
	if (reply.status !== 200) {
		// Named by type and size, never quoted: a proxy's error page can echo our request, and with
		// it the Authorization header.
		const answer = text.length ? ` with ${bodySummary(reply.headers['content-type'], Buffer.byteLength(text))}` : '';
		throw new TransportError('httpStatus', `The gateway answered HTTP ${reply.status}${answer}`, {
			requestReference,
			// 5xx: the gateway may have processed the request before failing.
			mayHaveBeenProcessed: reply.status >= 500,
			httpStatus: reply.status,
		});
	}
	let parsed: unknown;
	try {
		parsed = JSON.parse(text);
	} catch {
		throw malformed('The gateway answered with something that is not JSON', requestReference, reply.status);
	}
	if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
		throw malformed('The gateway answer is not a JSON object', requestReference, reply.status);
	}
	const envelope = parsed as Record<string, unknown>;
	const responses = envelope.response;
	if (!Array.isArray(responses) || responses.length === 0 || responses.some((r) => !r || typeof r !== 'object' || Array.isArray(r))) {
		throw malformed('The gateway answer has no response list', requestReference, reply.status);
	}
	if (envelope.requestreference !== requestReference) {
		throw new TransportError(
			'referenceMismatch',
			`The gateway answered request ${String(envelope.requestreference)} instead of ${requestReference}`,
			{ requestReference, mayHaveBeenProcessed: true, httpStatus: reply.status },
		);
	}
	for (const response of responses as GatewayResponse[]) {
		if (typeof response.errorcode !== 'string') throw malformed('A gateway response element has no errorcode', requestReference, reply.status);
	}
	return { requestReference, responses: responses as GatewayResponse[] };
}

function malformed(message: string, requestReference: string, httpStatus: number): TransportError {
	return new TransportError('malformed', message, { requestReference, mayHaveBeenProcessed: true, httpStatus });
}
