// Issue 16, item 8: a Xero token endpoint or proxy that echoes our request put
// base64(clientId:secret) into the item's error, an API echo the Bearer token, and Retry or Park
// copied that text into the parked message's x-billing-error-message header. Here the real Xero
// Billing and Billing Queue nodes run (n8n's engine, real RabbitMQ) against the chaos scan's
// echoing proxy (test/chaos/echo.ts); item errors, the errors n8n saves and parked messages are
// scanned with the chaos run's own scanner.
import { echoProbe, type EchoProbeReport } from '../chaos/echo';
import { scan } from '../chaos/secrets';

let report: EchoProbeReport;

beforeAll(async () => {
	report = await echoProbe();
});

describe('an echoing Xero token endpoint or API proxy', () => {
	it('did echo the secrets: the scan finds the Basic credentials and a Bearer token in its answers', () => {
		const found = new Set(scan(report.echoes, report.secrets).findings.map((f) => f.what));
		expect(found).toContain('Xero client id and secret (Basic user:password)');
		expect([...found].some((what) => what.startsWith('Xero access token'))).toBe(true);
	});

	it('gets no secret into item errors, saved errors, Retry or Park items or parked messages', () => {
		// Six echo kinds (token and API × JSON, HTML, text), each with and without Continue On Fail.
		expect(report.sources.filter((s) => s.where.includes('thrown and saved error'))).toHaveLength(6);
		expect(report.itemErrors).toHaveLength(12);
		// Six failure items and n8n's error-output text of one echo, all parked.
		expect(report.parked).toBe(7);
		expect(scan(report.sources, report.secrets).findings).toEqual([]);
	});

	it('reduces a non-JSON answer to its status, type and size, and keeps the service words of a JSON one', () => {
		expect(report.itemErrors).toEqual(
			expect.arrayContaining([
				expect.stringMatching(/Xero refused the access token request: 401 \(answered with text\/html \(\d+(\.\d)? (B|KB)\)\)/),
				expect.stringMatching(/Xero answered 400 with text\/plain \(\d+(\.\d)? (B|KB)\)/),
				expect.stringMatching(/Xero refused the access token request: 401 rejected: POST \/connect\/token/),
			]),
		);
		for (const message of report.itemErrors) expect(message).not.toMatch(/<html|<pre>/i);
		// The JSON echo's words are kept, its Authorization header is not.
		expect(report.itemErrors.filter((m) => /authorization: /i.test(m)).every((m) => /authorization: \[redacted\]/i.test(m))).toBe(true);
	});
});
