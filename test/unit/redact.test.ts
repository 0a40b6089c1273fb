// Issue 16, item 8: no secret in an error. The kit's redactSecrets (nodes/shared/redact.ts), the
// execution's credential secrets (withSecrets), and the transports that must not quote an answer's
// body (Xero, its token endpoint, Secure Trading) or must redact what a server echoed (SMTP, AMQP).
import * as http from 'http';
import type { AddressInfo } from 'net';
import { BrokerError, toBrokerError } from '../../nodes/BillingQueue/transport/errors';
import { SmtpSendError } from '../../nodes/BillingEmail/transport';
import { sendToGateway, TransportError } from '../../nodes/SecureTrading/transport';
import { parseSdkRejection } from '../../nodes/XeroBilling/transport/errors';
import { fetchToken } from '../../nodes/XeroBilling/transport/token';
import { activeSecrets, bodySummary, credentialSecrets, redactDeep, redactSecrets, withSecrets } from '../../nodes/shared';

const ID = 'B7A1C0DE55AA4E2F9D3C1B2A3F4E5D6C';
const SECRET = 'xS3cr3t-Va1ue_2024';
const BASIC = Buffer.from(`${ID}:${SECRET}`).toString('base64');

describe('redactSecrets: patterns (no credential known)', () => {
	it('removes Authorization header values, as text, as JSON and as JSON quoted in a string', () => {
		expect(redactSecrets(`POST /token HTTP/1.1\r\nAuthorization: Basic ${BASIC}\r\nAccept: */*`)).toBe('POST /token HTTP/1.1\r\nAuthorization: [redacted]\r\nAccept: */*');
		expect(redactSecrets('{"headers":{"authorization":"Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig","host":"x"}}')).toBe('{"headers":{"authorization":"[redacted]","host":"x"}}');
		expect(redactSecrets(`{\\"Proxy-Authorization\\":\\"Basic ${BASIC}\\"}`)).toBe('{\\"Proxy-Authorization\\":\\"[redacted]\\"}');
	});

	it('removes Basic and Bearer credentials but leaves the words "Basic authentication" and "Bearer token"', () => {
		expect(redactSecrets(`echo: Basic ${BASIC} / Bearer 0a1B2c3D4e5F6g7H8i9J`)).toBe('echo: Basic [redacted] / Bearer [redacted]');
		expect(redactSecrets('Basic authentication failed; Bearer token missing')).toBe('Basic authentication failed; Bearer token missing');
		expect(redactSecrets('Authorization failed - please check your credentials')).toBe('Authorization failed - please check your credentials');
	});

	it('removes password, client_secret and access_token query, form and JSON fields, and passwords in URLs', () => {
		expect(redactSecrets('grant_type=client_credentials&client_secret=abc123&password=hunter22&access_token=tok.en&user=bob')).toBe(
			'grant_type=client_credentials&client_secret=[redacted]&password=[redacted]&access_token=[redacted]&user=bob',
		);
		expect(redactSecrets('{"password": "p@ss word", "client_secret":"zz", "user":"bob"}')).toBe('{"password": "[redacted]", "client_secret":"[redacted]", "user":"bob"}');
		expect(redactSecrets('connect amqp://billing:Pa55w0rd!@rabbit:5672/vhost failed; see http://host:8080/a@b')).toBe(
			'connect amqp://billing:[redacted]@rabbit:5672/vhost failed; see http://host:8080/a@b',
		);
	});

	it('gives the same text when applied twice', () => {
		for (const text of [`Authorization: Basic ${BASIC}`, 'password=x&token=y', 'amqp://u:p@h', `Bearer ${BASIC}`]) {
			const once = redactSecrets(text, [SECRET]);
			expect(redactSecrets(once, [SECRET])).toBe(once);
		}
	});
});

describe('redactSecrets: credential values', () => {
	it('removes a value as it is, URL-encoded, JSON-escaped, and inside base64 (id:secret, SMTP AUTH PLAIN)', () => {
		const odd = 'p&ss"w/rd+1';
		const text = [SECRET, encodeURIComponent(odd), JSON.stringify(odd), `token ${BASIC} end`, Buffer.from(`\0mailer\0${SECRET}`).toString('base64')].join(' | ');
		const out = redactSecrets(text, [SECRET, odd]);
		expect(out).toBe('[redacted] | [redacted] | "[redacted]" | token [redacted] end | [redacted]');
	});

	it('ignores values shorter than 6 characters, so "1" or "" never blank out a message', () => {
		expect(redactSecrets('Attempt 1 of 3 failed', ['1', '', 'of 3'])).toBe('Attempt 1 of 3 failed');
	});

	it('uses the secrets registered for the execution under way, and only those', async () => {
		expect(activeSecrets()).toEqual([]);
		const [a, b] = await Promise.all([
			withSecrets(['secret-of-run-A'], async () => {
				await new Promise((resolve) => setTimeout(resolve, 20));
				return redactSecrets('A: secret-of-run-A, B: secret-of-run-B');
			}),
			withSecrets(['secret-of-run-B'], async () => {
				await new Promise((resolve) => setTimeout(resolve, 5));
				return redactSecrets('A: secret-of-run-A, B: secret-of-run-B');
			}),
		]);
		expect(a).toBe('A: [redacted], B: secret-of-run-B');
		expect(b).toBe('A: secret-of-run-A, B: [redacted]');
		expect(redactSecrets('secret-of-run-A')).toBe('secret-of-run-A');
	});

	it('takes a credential’s secret fields by name: passwords, client secrets, keys; not URLs, users or ids', () => {
		expect(credentialSecrets({ clientId: ID, clientSecret: SECRET, tokenUrl: 'https://id.example/token', endpoints: 'custom' })).toEqual([SECRET]);
		expect(credentialSecrets({ hostname: 'rabbit', username: 'billing', password: 'rabbit-pass', passphrase: 'tls-phrase', key: '-----BEGIN KEY-----', port: 5672, ssl: true })).toEqual([
			'rabbit-pass',
			'tls-phrase',
			'-----BEGIN KEY-----',
		]);
		expect(credentialSecrets({ password: '1', user: 'mailer' })).toEqual([]);
		expect(credentialSecrets({ apiToken: 'tok-123456', other: 'x-123456' }, ['other'])).toEqual(['x-123456']);
	});
});

describe('redactDeep and bodySummary', () => {
	it('blanks sensitive members of an echoed body and redacts every string, without touching the input', () => {
		const input = { request: { headers: { authorization: `Basic ${BASIC}`, cookie: ['a=b'], host: 'x' }, body: `client_secret=${SECRET}` }, note: `saw ${SECRET}` };
		const copy = JSON.parse(JSON.stringify(input)) as typeof input;
		expect(redactDeep(input, [SECRET])).toEqual({ request: { headers: { authorization: '[redacted]', cookie: '[redacted]', host: 'x' }, body: 'client_secret=[redacted]' }, note: 'saw [redacted]' });
		expect(input).toEqual(copy);
	});

	it('names a body by type and size', () => {
		expect(bodySummary('text/html; charset=utf-8', 1234)).toBe('text/html (1.2 KB)');
		expect(bodySummary(undefined, 12)).toBe('no content type (12 B)');
	});
});

/** A local server answering every request with `status`, `type` and the request echoed by `body`. */
async function echoServer(status: number, type: string, body: (req: http.IncomingMessage, text: string) => string): Promise<{ url: string; close: () => Promise<void> }> {
	const server = http.createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			res.writeHead(status, { 'content-type': type });
			res.end(body(req, Buffer.concat(chunks).toString('utf8')));
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

const echoPage = (req: http.IncomingMessage) => `<html><head><title>Bad request: authorization ${String(req.headers.authorization)}</title></head><body><pre>${JSON.stringify(req.headers)}</pre></body></html>`;

describe('transports never quote a non-JSON error body', () => {
	it('Xero: an HTML or text answer becomes status, type and size', () => {
		const html = `<html><title>Proxy error</title><pre>Authorization: Bearer ${BASIC}</pre></html>`;
		const e = parseSdkRejection(JSON.stringify({ response: { statusCode: 502, body: html, headers: { 'Content-Type': 'text/html' } } }), 'Creating invoices');
		expect(e.message).toBe(`Creating invoices failed: Xero answered 502 with text/html (${Buffer.byteLength(html)} B)`);
		expect(e.messages).toEqual([]);
		expect(JSON.stringify(e.details)).not.toContain('Bearer');
		expect([e.kind, e.retryable]).toEqual(['server', true]);
		// A JSON answer still gives Xero's own words.
		const json = parseSdkRejection(JSON.stringify({ response: { statusCode: 400, body: JSON.stringify({ Message: 'Invoice # must be unique.' }), headers: {} } }), 'X');
		expect([json.message, json.kind]).toEqual(['X failed: Xero answered 400: Invoice # must be unique.', 'validation']);
	});

	it('Xero token endpoint: an HTML answer is not quoted; an OAuth error code is, without the credentials', async () => {
		const page = await echoServer(401, 'text/html', echoPage);
		const oauth = await echoServer(400, 'application/json', (req) => JSON.stringify({ error: `invalid_request (got ${String(req.headers.authorization)})` }));
		const policy = { timeoutMs: 2000, maxRetries: 0, retryDelayMs: 10, maxRateLimitWaitMs: 0 };
		try {
			const fromPage = await fetchToken({ clientId: ID, clientSecret: SECRET, tokenUrl: page.url, apiBaseUrl: page.url }, policy).catch((e: Error) => e);
			expect((fromPage as Error).message).toMatch(/^Xero refused the access token request: 401 \(answered with text\/html \(\d+ B\)\)$/);
			const fromOauth = await fetchToken({ clientId: ID, clientSecret: SECRET, tokenUrl: oauth.url, apiBaseUrl: oauth.url }, policy).catch((e: Error) => e);
			expect((fromOauth as Error).message).toBe('Xero refused the access token request: 400 invalid_request (got Basic [redacted])');
		} finally {
			await page.close();
			await oauth.close();
		}
	});

	it('Secure Trading: an error page is named by type and size, its title is not quoted', async () => {
		const page = await echoServer(502, 'text/html; charset=utf-8', echoPage);
		try {
			const error = await sendToGateway({ endpoint: `${page.url}/json/`, username: 'ws@site.example', password: SECRET, timeoutMs: 2000, maxConnectAttempts: 1 }, [
				{ requesttypedescriptions: ['AUTH'] },
			]).catch((e: Error) => e);
			expect(error).toBeInstanceOf(TransportError);
			expect((error as TransportError).message).toMatch(/^The gateway answered HTTP 502 with text\/html \(\d+ B\)$/);
			expect((error as TransportError).mayHaveBeenProcessed).toBe(true);
		} finally {
			await page.close();
		}
	});
});

describe('transports redact what a server echoed', () => {
	it('SMTP: an AUTH PLAIN echo in the reply and the password are removed from message and response', () => {
		const plain = Buffer.from(`\0mailer\0${SECRET}`).toString('base64');
		const error = new SmtpSendError(
			{ message: `Invalid login: 535 5.7.8 rejected AUTH PLAIN ${plain}`, code: 'EAUTH', responseCode: 535, response: `535 5.7.8 rejected AUTH PLAIN ${plain} (password ${SECRET})`, command: 'AUTH PLAIN' },
			[SECRET],
		);
		expect(error.message).toBe('Invalid login: 535 5.7.8 rejected AUTH PLAIN [redacted]');
		expect(error.response).toBe('535 5.7.8 rejected AUTH PLAIN [redacted] (password [redacted])');
		expect([error.code, error.retryable]).toEqual(['535', false]);
	});

	it('RabbitMQ: a password in an AMQP URL is removed from the message and the broker’s words', () => {
		const error = toBrokerError(new Error('connect ECONNREFUSED amqp://billing:Pa55w0rd!@rabbit:5672'), 'Could not connect to RabbitMQ');
		expect(error).toBeInstanceOf(BrokerError);
		expect(error.message).toBe('Could not connect to RabbitMQ: connect ECONNREFUSED amqp://billing:[redacted]@rabbit:5672');
		expect(JSON.stringify([error.brokerMessage, error.description])).not.toContain('Pa55w0rd');
	});
});
