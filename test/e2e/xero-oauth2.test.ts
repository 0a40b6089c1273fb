// The Xero Billing node with n8n's own Xero OAuth2 credential, end to end in a real n8n: the
// sandbox's OAuth2 app connected over HTTP (authorize → code → token) as n8n's "Connect my
// account" would, the token set imported with the n8n CLI into a `xeroOAuth2Api` credential whose
// hidden Authorization/Access Token URL fields point at the sandbox (n8n uses stored values over
// the hidden defaults), and a published webhook workflow creating invoices in the organisation
// chosen in the node. Then the token expires: n8n refreshes it, stores the rotated refresh token,
// and a second expiry is refreshed with that stored token (the sandbox refuses any reuse).
import { startXeroSandbox, type XeroSandbox } from '../../sandbox/xero';
import { N8nInstance, startN8n } from '../../support/n8n';
import { xeroCreateInvoices, xeroOAuth2, XERO_OAUTH2_CREDENTIAL } from './fixtures/xero';

type Json = Record<string, any>;
const REDIRECT = 'http://127.0.0.1:5678/rest/oauth2-credential/callback';

function invoiceRequests(prefix: string, count: number): Json[] {
	return Array.from({ length: count }, (_, n) => {
		const clientId = `${prefix}${String(n).padStart(3, '0')}`;
		return {
			billingKey: `bk-${clientId}`,
			clientId,
			clientName: `${prefix} Client ${n} Ltd`,
			billingEmail: `accounts@${clientId.toLowerCase()}.example`,
			currency: 'GBP',
			lines: [{ leadId: `${clientId}-L1`, description: `Lead ${clientId}-L1`, quantity: 1, unitAmount: '12.50', unitAmountMinor: 1250 }],
		};
	});
}

/** The OAuth2 authorization code flow against the sandbox, as n8n's credential dialog runs it. */
async function connect(sb: XeroSandbox): Promise<Json> {
	const authorize = new URL(sb.oauth2.authorizeUrl);
	authorize.search = new URLSearchParams({ response_type: 'code', client_id: sb.oauth2.clientId, redirect_uri: REDIRECT, scope: 'offline_access accounting.transactions accounting.contacts accounting.settings', state: 'e2e' }).toString();
	const approved = await fetch(authorize, { redirect: 'manual' });
	const code = new URL(approved.headers.get('location') ?? '').searchParams.get('code');
	expect(code).toBeTruthy();
	const res = await fetch(sb.oauth2.tokenUrl, {
		method: 'POST',
		headers: { Authorization: `Basic ${Buffer.from(`${sb.oauth2.clientId}:${sb.oauth2.clientSecret}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ grant_type: 'authorization_code', code: code!, redirect_uri: REDIRECT }).toString(),
	});
	expect(res.status).toBe(200);
	return (await res.json()) as Json;
}

describe('Xero Billing with n8n\'s Xero OAuth2 credential in a real n8n', () => {
	let sb: XeroSandbox;
	let n8n: N8nInstance;
	let tenant: string;

	async function post(body: unknown): Promise<{ status: number; items: Json[] }> {
		const res = await fetch(`${n8n.url}/webhook/billing/e2e/xero-oauth2/invoices`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
		const text = await res.text();
		let parsed: unknown;
		try {
			parsed = JSON.parse(text);
		} catch {
			throw new Error(`webhook answered ${res.status} with non-JSON: ${text.slice(0, 300)}\n${n8n.logs(60)}`);
		}
		return { status: res.status, items: (Array.isArray(parsed) ? parsed : [parsed]) as Json[] };
	}

	beforeAll(async () => {
		sb = await startXeroSandbox({
			clientId: 'E2EOAUTHFIRSTORG',
			organisation: { name: 'E2E First Org Ltd' },
			connections: [{ clientId: 'E2EOAUTHSECONDORG', organisation: { name: 'E2E Second Org Ltd' } }],
			oauth2: { clientId: 'E2EN8NXEROAPP', clientSecret: 'e2e-n8n-xero-app-secret', refreshTokenGraceSeconds: 0 },
		});
		tenant = sb.org('E2EOAUTHSECONDORG').tenantId;
		const tokens = await connect(sb);
		const workflow = xeroCreateInvoices(xeroOAuth2(tenant));
		n8n = await startN8n({
			credentials: [
				{
					...XERO_OAUTH2_CREDENTIAL,
					type: 'xeroOAuth2Api',
					// clientId/secret are the app's; the hidden URL fields point at the sandbox.
					data: { clientId: sb.oauth2.clientId, clientSecret: sb.oauth2.clientSecret, authUrl: sb.oauth2.authorizeUrl, accessTokenUrl: sb.oauth2.tokenUrl, oauthTokenData: tokens },
				},
			],
			workflows: [workflow],
			publish: [workflow.id as string],
		});
	}, 240_000);

	afterAll(async () => {
		await n8n?.dispose();
		await sb?.close();
	});

	it('creates invoices in the organisation chosen in the node, every call naming it in xero-tenant-id', async () => {
		const requests = invoiceRequests('OA', 5);
		const reply = await post({ invoices: requests });
		expect(reply.status).toBe(200);
		expect(reply.items.filter((i) => i.error)).toEqual([]);
		expect(reply.items.map((i) => i.xeroInvoice?.reference)).toEqual(requests.map((r) => r.billingKey));
		expect(sb.org(tenant).invoices().map((i) => i.Reference).sort()).toEqual(requests.map((r) => r.billingKey).sort());
		expect(sb.invoices()).toEqual([]); // nothing in the other organisation
		expect(new Set(sb.calls().map((c) => c.tenantId))).toEqual(new Set([tenant]));
		expect(sb.calls().filter((c) => c.method !== 'GET' && !c.idempotencyKey)).toEqual([]);
		expect(sb.oauth2.refreshRequests()).toBe(0);
	});

	it('an expired token is refreshed by n8n and the rotated refresh token is stored: a second expiry refreshes with it', async () => {
		sb.expireTokens();
		const firstBatch = invoiceRequests('OB', 3);
		const first = await post({ invoices: firstBatch });
		expect(first.items.filter((i) => i.error)).toEqual([]);
		expect(sb.oauth2.refreshRequests()).toBe(1);

		// The sandbox refuses any reused refresh token: this works only if n8n stored the new one.
		sb.expireTokens();
		const second = await post({ invoices: invoiceRequests('OC', 3) });
		expect(second.items.filter((i) => i.error)).toEqual([]);
		expect(sb.oauth2.refreshRequests()).toBe(2);
		expect(sb.oauth2.refusedRefreshes()).toBe(0);
		expect(sb.org(tenant).invoices()).toHaveLength(11);
	});
});
