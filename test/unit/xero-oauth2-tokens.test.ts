// The OAuth2 token of one execution (transport/oauth2.ts): asks n8n for a refresh at most once at a
// time, uses a token another execution already stored instead of refreshing again, and the
// transport's concurrent calls after a 401 share that one refresh; calls are limited per tenant.
import type { IDataObject } from 'n8n-workflow';
import { startXeroSandbox, type XeroSandbox } from '../../sandbox/xero';
import { forgetXeroOrganisations, N8nOAuth2Tokens, oauth2Connection, XeroTransport, type N8nOAuth2 } from '../../nodes/XeroBilling/transport';

/** A stand-in for n8n: a stored token set, and a refresh that calls the token endpoint. */
function fakeN8n(stored: IDataObject, refresh: () => Promise<IDataObject>) {
	const calls = { read: 0, refresh: 0 };
	const n8n: N8nOAuth2 = {
		read: async () => {
			calls.read++;
			return { oauthTokenData: { ...stored } };
		},
		refresh: async () => {
			calls.refresh++;
			const next = await refresh();
			Object.assign(stored, next);
			return next;
		},
	};
	return { n8n, calls, stored };
}

describe('N8nOAuth2Tokens', () => {
	it('concurrent refreshes of the same stale token ask n8n once', async () => {
		let n = 0;
		const { n8n, calls } = fakeN8n({ access_token: 'a0' }, async () => {
			await new Promise((r) => setTimeout(r, 20));
			return { access_token: `a${++n}`, n8n_expires_at: String(Date.now() + 1_800_000) };
		});
		const tokens = new N8nOAuth2Tokens({ value: 'a0', expiresAt: Number.POSITIVE_INFINITY }, n8n);
		const got = await Promise.all(Array.from({ length: 5 }, () => tokens.refresh('a0')));
		expect(got.map((t) => t.value)).toEqual(['a1', 'a1', 'a1', 'a1', 'a1']);
		expect(calls.refresh).toBe(1);
		// A refresh for the old token after that is answered with the new one, without asking n8n.
		expect((await tokens.refresh('a0')).value).toBe('a1');
		expect(calls.refresh).toBe(1);
	});

	it('uses the token n8n already stores (refreshed by another execution) instead of refreshing again', async () => {
		const { n8n, calls } = fakeN8n({ access_token: 'newer', n8n_expires_at: String(Date.now() + 1_800_000) }, async () => ({ access_token: 'never' }));
		const tokens = new N8nOAuth2Tokens({ value: 'old', expiresAt: Number.POSITIVE_INFINITY }, n8n);
		expect((await tokens.refresh('old')).value).toBe('newer');
		expect(calls).toEqual({ read: 1, refresh: 0 });
	});

	it('refreshes a token n8n knows has expired before using it', async () => {
		const { n8n, calls } = fakeN8n({ access_token: 'old', n8n_expires_at: String(Date.now() - 1) }, async () => ({ access_token: 'fresh', n8n_expires_at: String(Date.now() + 1_800_000) }));
		const tokens = new N8nOAuth2Tokens({ value: 'old', expiresAt: Date.now() - 1 }, n8n);
		expect((await tokens.accessToken()).value).toBe('fresh');
		expect(calls.refresh).toBe(1);
	});
});

describe('XeroTransport over OAuth2', () => {
	let sb: XeroSandbox;
	beforeAll(async () => {
		sb = await startXeroSandbox({ clientId: 'TOKENSFIRST', connections: [{ clientId: 'TOKENSSECOND' }], oauth2: { clientId: 'TOKENSAPP', clientSecret: 'tokens-app-secret', refreshTokenGraceSeconds: 0 } });
	});
	afterAll(async () => {
		await sb.close();
	});
	beforeEach(() => {
		sb.reset();
		forgetXeroOrganisations();
	});

	async function refreshAt(refreshToken: string): Promise<IDataObject> {
		const res = await fetch(sb.oauth2.tokenUrl, {
			method: 'POST',
			headers: { Authorization: `Basic ${Buffer.from(`${sb.oauth2.clientId}:${sb.oauth2.clientSecret}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
		});
		if (!res.ok) throw new Error(`refresh refused: ${res.status}`);
		return (await res.json()) as IDataObject;
	}

	function transportFor(tenantId: string, stored: IDataObject) {
		const fake = fakeN8n(stored, () => refreshAt(String(stored.refresh_token)));
		const conn = oauth2Connection({ accessTokenUrl: sb.oauth2.tokenUrl, oauthTokenData: stored }, tenantId, fake.n8n);
		return { transport: new XeroTransport(conn, { timeoutMs: 2000, maxRetries: 1, retryDelayMs: 10, maxRateLimitWaitMs: 1000 }), fake };
	}

	it('concurrent calls that all got 401 share one refresh, and every call names the tenant', async () => {
		const { transport, fake } = transportFor(sb.tenantId, { ...sb.oauth2.grant() });
		sb.expireTokens();
		const names = await Promise.all(Array.from({ length: 4 }, () => transport.getOrganisationName()));
		expect(new Set(names).size).toBe(1);
		expect(fake.calls.refresh).toBe(1);
		expect(sb.oauth2.refreshRequests()).toBe(1);
		expect(new Set(sb.calls().map((c) => c.tenantId))).toEqual(new Set([sb.tenantId]));
	});

	it('keeps one limiter per tenant: two transports to one tenant share it, another tenant has its own', async () => {
		const tokens = { ...sb.oauth2.grant() };
		const a = transportFor(sb.tenantId, tokens).transport;
		const b = transportFor(sb.tenantId, tokens).transport;
		const other = transportFor(sb.org('TOKENSSECOND').tenantId, tokens).transport;
		expect(a.limiter).toBe(b.limiter);
		expect(other.limiter).not.toBe(a.limiter);
	});

	it('lists the tenants of the connection', async () => {
		const { transport } = transportFor('', { ...sb.oauth2.grant() });
		expect((await transport.listTenants()).map((t) => t.tenantId)).toEqual([sb.tenantId, sb.org('TOKENSSECOND').tenantId]);
	});
});
