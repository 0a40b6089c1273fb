// A pass-through in front of the Xero sandbox's token endpoint for end-to-end tests: n8n's Xero
// credential points at it, it forwards each token request unchanged and remembers every access
// token it hands out, so a test can search stored executions and credentials for leaked tokens.
import * as http from 'http';
import { listen, readBody } from '../sandbox/common/http';

export interface XeroTokenProxy {
	/** Token URL to give the n8n credential (stand-in for https://identity.xero.com/connect/token). */
	tokenUrl: string;
	/** Every access token the upstream issued through this proxy. */
	issued: Set<string>;
	close(): Promise<void>;
}

export async function startXeroTokenProxy(upstreamTokenUrl: string): Promise<XeroTokenProxy> {
	const issued = new Set<string>();
	const server = http.createServer((req, res) => {
		void (async () => {
			try {
				const body = await readBody(req);
				const answer = await fetch(upstreamTokenUrl, {
					method: req.method,
					headers: { authorization: String(req.headers.authorization ?? ''), 'content-type': String(req.headers['content-type'] ?? '') },
					body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
				});
				const text = await answer.text();
				try {
					const token = (JSON.parse(text) as { access_token?: unknown }).access_token;
					if (typeof token === 'string') issued.add(token);
				} catch {
					// Not JSON (an error page): nothing to remember.
				}
				res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
				res.end(text);
			} catch (error) {
				res.writeHead(502, { 'content-type': 'text/plain' });
				res.end(String(error));
			}
		})();
	});
	const running = await listen(server);
	return { tokenUrl: `${running.url}/connect/token`, issued, close: running.close };
}
