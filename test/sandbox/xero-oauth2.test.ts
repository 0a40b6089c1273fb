// The Xero sandbox's OAuth2 flow for standard apps, over HTTP as n8n's OAuth2 client speaks it:
// authorize (approves at once, redirects with a code), the token endpoint's authorization_code and
// refresh_token grants (rotating refresh tokens, a used one refused after Xero's grace period),
// GET /connections listing one tenant per organisation, and the API's xero-tenant-id rule.
import { startXeroSandbox, type XeroSandbox } from '../../sandbox/xero';

let sb: XeroSandbox;
let strict: XeroSandbox;
const REDIRECT = 'http://localhost:5678/rest/oauth2-credential/callback';

beforeAll(async () => {
	sb = await startXeroSandbox({
		clientId: 'OAUTHSANDBOX',
		clientSecret: 'custom-secret',
		organisation: { name: 'First Org Ltd' },
		connections: [{ clientId: 'SECONDORG', organisation: { name: 'Second Org Ltd' } }],
		oauth2: { clientId: 'OAUTH2APP', clientSecret: 'oauth2-app-secret', redirectUris: [REDIRECT] },
	});
	strict = await startXeroSandbox({ oauth2: { clientId: 'STRICTAPP', clientSecret: 'strict-secret', refreshTokenGraceSeconds: 0 } });
});
afterAll(async () => {
	await sb.close();
	await strict.close();
});
beforeEach(() => sb.reset());

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

async function token(box: XeroSandbox, form: Record<string, string>, auth = basic(box.oauth2.clientId, box.oauth2.clientSecret)) {
	const res = await fetch(box.oauth2.tokenUrl, {
		method: 'POST',
		headers: { Authorization: auth, 'Content-Type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams(form).toString(),
	});
	return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function authorize(params: Record<string, string>) {
	const url = new URL(sb.oauth2.authorizeUrl);
	for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
	return fetch(url, { redirect: 'manual' });
}

const scope = 'openid offline_access accounting.transactions accounting.contacts';

async function codeFlow() {
	const res = await authorize({ response_type: 'code', client_id: 'OAUTH2APP', redirect_uri: REDIRECT, scope, state: 'xyz' });
	const back = new URL(res.headers.get('location') ?? '');
	return { res, back, code: back.searchParams.get('code') ?? '' };
}

async function connections(box: XeroSandbox, access: string) {
	const res = await fetch(box.oauth2.connectionsUrl, { headers: { Authorization: `Bearer ${access}` } });
	return { status: res.status, body: (await res.json()) as Array<Record<string, string>> };
}

function getOrganisation(box: XeroSandbox, access: string, tenantId?: string) {
	return fetch(`${box.apiBaseUrl}/Organisation`, { headers: { Authorization: `Bearer ${access}`, Accept: 'application/json', ...(tenantId !== undefined ? { 'xero-tenant-id': tenantId } : {}) } });
}

describe('authorize', () => {
	it('redirects back to the registered URI with a code and the state', async () => {
		const { res, back, code } = await codeFlow();
		expect(res.status).toBe(302);
		expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
		expect(back.searchParams.get('state')).toBe('xyz');
		expect(code).toMatch(/^[A-Za-z0-9_-]{20,}$/);
	});

	it('refuses an unknown client or an unregistered redirect URI without redirecting', async () => {
		const unknown = await authorize({ response_type: 'code', client_id: 'NOPE', redirect_uri: REDIRECT, scope });
		expect(unknown.status).toBe(400);
		expect(await unknown.text()).toMatch(/unauthorized_client/);
		const elsewhere = await authorize({ response_type: 'code', client_id: 'OAUTH2APP', redirect_uri: 'https://evil.example/cb', scope });
		expect(elsewhere.status).toBe(400);
		expect(elsewhere.headers.get('location')).toBeNull();
	});

	it('redirects with an OAuth error for a response type other than code', async () => {
		const res = await authorize({ response_type: 'token', client_id: 'OAUTH2APP', redirect_uri: REDIRECT, scope, state: 's' });
		const back = new URL(res.headers.get('location') ?? '');
		expect(back.searchParams.get('error')).toBe('unsupported_response_type');
		expect(back.searchParams.get('code')).toBeNull();
	});
});

describe('token endpoint', () => {
	it('exchanges a code once, for the redirect URI it was issued to', async () => {
		const { code } = await codeFlow();
		const wrongUri = await token(sb, { grant_type: 'authorization_code', code, redirect_uri: 'http://localhost:5678/other' });
		expect(wrongUri).toEqual({ status: 400, body: { error: 'invalid_grant' } });
		const first = await token(sb, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT });
		expect(first.status).toBe(200);
		expect(first.body).toMatchObject({ token_type: 'Bearer', expires_in: 1800, scope });
		expect(typeof first.body.access_token).toBe('string');
		expect(typeof first.body.refresh_token).toBe('string');
		const again = await token(sb, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT });
		expect(again).toEqual({ status: 400, body: { error: 'invalid_grant' } });
	});

	it('refuses the OAuth2 grants to a wrong client secret', async () => {
		const { code } = await codeFlow();
		const res = await token(sb, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT }, basic('OAUTH2APP', 'wrong'));
		expect(res).toEqual({ status: 401, body: { error: 'invalid_client' } });
	});

	it('issues no refresh token without offline_access', async () => {
		const set = sb.oauth2.grant({ scope: 'accounting.transactions' });
		expect(set.refresh_token).toBeUndefined();
	});

	it('rotates the refresh token on every refresh; the old one still works within the grace period', async () => {
		const first = sb.oauth2.grant();
		const second = await token(sb, { grant_type: 'refresh_token', refresh_token: first.refresh_token! });
		expect(second.status).toBe(200);
		expect(second.body.refresh_token).not.toBe(first.refresh_token);
		expect(second.body.access_token).not.toBe(first.access_token);
		const third = await token(sb, { grant_type: 'refresh_token', refresh_token: second.body.refresh_token });
		expect(third.status).toBe(200);
		// Xero's 30-minute grace period for a refresh whose answer was lost.
		const replay = await token(sb, { grant_type: 'refresh_token', refresh_token: first.refresh_token! });
		expect(replay.status).toBe(200);
		expect(sb.oauth2.refreshRequests()).toBe(3);
		expect(sb.oauth2.refusedRefreshes()).toBe(0);
	});

	it('refuses a reused refresh token once the grace period is over (invalid_grant), and an unknown one', async () => {
		const first = strict.oauth2.grant();
		const second = await token(strict, { grant_type: 'refresh_token', refresh_token: first.refresh_token! });
		expect(second.status).toBe(200);
		const reused = await token(strict, { grant_type: 'refresh_token', refresh_token: first.refresh_token! });
		expect(reused).toEqual({ status: 400, body: { error: 'invalid_grant' } });
		const unknown = await token(strict, { grant_type: 'refresh_token', refresh_token: 'made-up' });
		expect(unknown).toEqual({ status: 400, body: { error: 'invalid_grant' } });
		// The rotated token is unaffected.
		const next = await token(strict, { grant_type: 'refresh_token', refresh_token: second.body.refresh_token });
		expect(next.status).toBe(200);
		expect(strict.oauth2.refusedRefreshes()).toBe(2);
	});
});

describe('GET /connections and the tenant header', () => {
	it('lists one tenant per organisation the grant covers', async () => {
		const { code } = await codeFlow();
		const { body } = await token(sb, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT });
		const res = await connections(sb, body.access_token);
		expect(res.status).toBe(200);
		expect(res.body.map((t) => [t.tenantId, t.tenantName, t.tenantType])).toEqual([
			[sb.tenantId, 'First Org Ltd', 'ORGANISATION'],
			[sb.org('SECONDORG').tenantId, 'Second Org Ltd', 'ORGANISATION'],
		]);
		expect(new Set(res.body.map((t) => t.authEventId)).size).toBe(1);
	});

	it('answers 401 to a missing or expired token', async () => {
		expect((await fetch(sb.oauth2.connectionsUrl)).status).toBe(401);
		const set = sb.oauth2.grant();
		sb.expireTokens();
		expect((await connections(sb, set.access_token)).status).toBe(401);
	});

	it('serves an OAuth2 call for a connected tenant, in that organisation', async () => {
		const set = sb.oauth2.grant();
		const second = sb.org('SECONDORG').tenantId;
		const res = await getOrganisation(sb, set.access_token, second);
		expect(res.status).toBe(200);
		expect(((await res.json()) as any).Organisations[0].Name).toBe('Second Org Ltd');
		expect(sb.calls().map((c) => c.tenantId)).toEqual([second]);
	});

	it('answers 403 AuthenticationUnsuccessful without xero-tenant-id, or for a tenant the grant does not cover', async () => {
		const onlyFirst = sb.oauth2.grant({ tenantIds: [sb.tenantId] });
		for (const tenant of [undefined, '', sb.org('SECONDORG').tenantId, '00000000-0000-0000-0000-000000000000']) {
			const res = await getOrganisation(sb, onlyFirst.access_token, tenant);
			expect(res.status).toBe(403);
			expect(await res.json()).toMatchObject({ Title: 'Forbidden', Status: 403, Detail: 'AuthenticationUnsuccessful' });
		}
		expect(sb.callCount()).toBe(0);
	});

	it('keeps custom connections as they were: the empty tenant id is accepted', async () => {
		const res = await fetch(sb.tokenUrl, {
			method: 'POST',
			headers: { Authorization: basic('OAUTHSANDBOX', 'custom-secret'), 'Content-Type': 'application/x-www-form-urlencoded' },
			body: 'grant_type=client_credentials',
		});
		const { access_token } = (await res.json()) as { access_token: string };
		expect((await getOrganisation(sb, access_token, '')).status).toBe(200);
		expect((await connections(sb, access_token)).body.map((t) => t.tenantId)).toEqual([sb.tenantId]);
	});
});
