// A pass-through in front of the Xero sandbox's token endpoint (and, when given, its API) for
// end-to-end tests and the secrets checks: n8n's Xero credential points at it, it forwards each
// request unchanged and remembers every access token it hands out, so a test can search stored
// executions and credentials for leaked tokens.
// Echo mode plays a proxy or endpoint that answers with an error quoting our request, headers and
// body: the token request's `Authorization: Basic base64(id:secret)`, an API call's Bearer token.
// Whatever the nodes make of such an answer must not carry those into an error.
import * as http from 'http';
import { listen, readBody } from '../sandbox/common/http';

/** Which requests the proxy answers with an echo instead of forwarding. */
export type EchoTarget = 'token' | 'api' | 'all';

export interface EchoOptions {
	/** HTTP status of the echo (default 401 for the token endpoint, 400 for the API). */
	status?: number;
	/** JSON (our request under `error`, `message` and `request`), an HTML error page, or plain text. Default json. */
	format?: 'json' | 'html' | 'text';
}

export interface XeroTokenProxy {
	/** Token URL to give the n8n credential (stand-in for https://identity.xero.com/connect/token). */
	tokenUrl: string;
	/** API base URL to give the credential; set when the proxy was started with an upstream API. */
	apiBaseUrl?: string;
	/** Every access token the upstream issued through this proxy. */
	issued: Set<string>;
	/** Starts answering `target` requests with an echo of the request; `false` stops. */
	echo(target: EchoTarget | false, options?: EchoOptions): void;
	/** The echo answers sent so far (their bodies), as the service would have written them. */
	echoes: string[];
	/** Requests answered with an echo so far. */
	echoed: number;
	close(): Promise<void>;
}

const API_PREFIX = '/api';

/** The request as a proxy's error page would quote it: request line, every header, the body. */
function requestText(req: http.IncomingMessage, body: Buffer): string {
	const headers = Object.entries(req.headers).map(([name, value]) => `${name}: ${Array.isArray(value) ? value.join(', ') : String(value)}`);
	return [`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1`, ...headers, '', body.toString('utf8')].join('\r\n');
}

function echoAnswer(req: http.IncomingMessage, body: Buffer, status: number, format: EchoOptions['format']): { status: number; type: string; text: string } {
	const text = requestText(req, body);
	if (format === 'html') {
		const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
		return { status, type: 'text/html; charset=utf-8', text: `<html><head><title>${status} Bad request: ${escaped.split('\r\n')[0]}</title></head><body><h1>Rejected</h1><pre>${escaped}</pre></body></html>` };
	}
	if (format === 'text') return { status, type: 'text/plain; charset=utf-8', text: `Rejected request:\r\n${text}` };
	const request = { method: req.method, url: req.url, headers: req.headers, body: body.toString('utf8') };
	// `error` and `message` as OAuth and Xero put their words there, so the nodes read them.
	return { status, type: 'application/json', text: JSON.stringify({ error: `rejected: ${text}`, message: `Rejected request: ${text}`, Message: text, request }) };
}

// Hop-by-hop and framing headers are the proxy's own; fetch already decompressed the body.
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'content-encoding', 'host']);

export async function startXeroTokenProxy(upstreamTokenUrl: string, upstreamApiBaseUrl?: string): Promise<XeroTokenProxy> {
	const issued = new Set<string>();
	let echoing: { target: EchoTarget; options: EchoOptions } | undefined;
	const echoes: string[] = [];
	const server = http.createServer((req, res) => {
		void (async () => {
			try {
				const body = await readBody(req);
				const isApi = upstreamApiBaseUrl !== undefined && (req.url ?? '').startsWith(`${API_PREFIX}/`);
				if (echoing && (echoing.target === 'all' || echoing.target === (isApi ? 'api' : 'token'))) {
					const answer = echoAnswer(req, body, echoing.options.status ?? (isApi ? 400 : 401), echoing.options.format);
					echoes.push(answer.text);
					res.writeHead(answer.status, { 'content-type': answer.type });
					res.end(answer.text);
					return;
				}
				const target = isApi ? `${upstreamApiBaseUrl}${(req.url ?? '').slice(API_PREFIX.length)}` : upstreamTokenUrl;
				const headers: Record<string, string> = {};
				for (const [name, value] of Object.entries(req.headers)) {
					if (value !== undefined && !NOT_FORWARDED.has(name)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
				}
				const answer = await fetch(target, { method: req.method, headers, body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body });
				const content = Buffer.from(await answer.arrayBuffer());
				if (!isApi) {
					try {
						const token = (JSON.parse(content.toString('utf8')) as { access_token?: unknown }).access_token;
						if (typeof token === 'string') issued.add(token);
					} catch {
						// Not JSON (an error page): nothing to remember.
					}
				}
				const out: Record<string, string> = {};
				answer.headers.forEach((value, name) => {
					if (!NOT_FORWARDED.has(name)) out[name] = value;
				});
				res.writeHead(answer.status, out);
				res.end(content);
			} catch (error) {
				res.writeHead(502, { 'content-type': 'text/plain' });
				res.end(String(error));
			}
		})();
	});
	const running = await listen(server);
	return {
		tokenUrl: `${running.url}/connect/token`,
		...(upstreamApiBaseUrl !== undefined ? { apiBaseUrl: `${running.url}${API_PREFIX}` } : {}),
		issued,
		echo(target, options = {}) {
			echoing = target ? { target, options } : undefined;
		},
		echoes,
		get echoed() {
			return echoes.length;
		},
		close: running.close,
	};
}
