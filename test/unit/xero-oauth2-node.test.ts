// The Xero Billing node with n8n's Xero OAuth2 credential, run in n8n-core's engine against the
// sandbox's OAuth2 app: the organisation chosen in the node (xero-tenant-id on every call), the
// Organization list (GET /connections), and the token owned by n8n: refreshed through n8n's
// helpers.refreshOAuth2Token on a 401 or a known expiry, the rotated refresh token stored with the
// credential, and never spent twice by executions running at the same time.
import type { ICredentialDataDecryptedObject, IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';
import { startXeroSandbox, type XeroSandbox } from '../../sandbox/xero';
import { XeroBilling } from '../../nodes/XeroBilling/XeroBilling.node';
import { forgetXeroOrganisations, oauth2Endpoints } from '../../nodes/XeroBilling/transport';
import { runLoadOptions, runNode } from '../helpers/run-node';

let sb: XeroSandbox;
const node = new XeroBilling();
let first: string;
let second: string;

beforeAll(async () => {
	sb = await startXeroSandbox({
		clientId: 'OAUTHNODEFIRST',
		organisation: { name: 'First Org Ltd' },
		connections: [{ clientId: 'OAUTHNODESECOND', organisation: { name: 'Second Org Ltd' } }],
		// Strict: a used refresh token is refused at once, so a lost rotation would show.
		oauth2: { clientId: 'N8NXEROAPP', clientSecret: 'n8n-xero-app-secret', refreshTokenGraceSeconds: 0 },
	});
	first = sb.tenantId;
	second = sb.org('OAUTHNODESECOND').tenantId;
});
afterAll(async () => {
	await sb.close();
});
beforeEach(() => {
	sb.reset();
	forgetXeroOrganisations();
});

/** n8n's xeroOAuth2Api credential as n8n decrypts it (hidden fields pointing at the sandbox). */
function oauthCredential(tokens: IDataObject = sb.oauth2.grant() as unknown as IDataObject): ICredentialDataDecryptedObject {
	return {
		grantType: 'authorizationCode',
		authUrl: sb.oauth2.authorizeUrl,
		accessTokenUrl: sb.oauth2.tokenUrl,
		clientId: sb.oauth2.clientId,
		clientSecret: sb.oauth2.clientSecret,
		scope: 'offline_access accounting.transactions accounting.contacts accounting.settings',
		authQueryParameters: '',
		authentication: 'header',
		oauthTokenData: tokens,
	};
}

const fast = { retryDelayMs: 20, timeoutMs: 2000 };

const createParams = (organizationId: string, extra: INodeParameters = {}): INodeParameters => ({
	authentication: 'oAuth2',
	organizationId,
	resource: 'invoice',
	operation: 'create',
	accountCode: '200',
	taxType: 'OUTPUT2',
	dueInDays: 14,
	options: fast,
	...extra,
});

function request(n: number, contactId: string): IDataObject {
	return {
		billingKey: `bk-oauth-C${n}`,
		clientId: `C${n}`,
		clientName: `Client ${n} Ltd`,
		billingEmail: `billing${n}@client.test`,
		currency: 'GBP',
		xeroContactId: contactId,
		lines: [{ leadId: `L${n}a`, description: `Lead L${n}a`, quantity: 1, unitAmount: '10.50', unitAmountMinor: 1050 }],
	};
}

function seedContacts(tenant: string, n: number): string[] {
	return Array.from({ length: n }, (_, i) => sb.org(tenant).seedContact({ Name: `Client ${i} Ltd`, ContactNumber: `C${i}` }).ContactID as string);
}

function run(parameters: INodeParameters, json: IDataObject[], credential: ICredentialDataDecryptedObject, continueOnFail = false) {
	return runNode(node, { parameters, items: json.map((j) => ({ json: j })), credentials: { xeroOAuth2Api: credential }, continueOnFail });
}

const errorOf = (item: INodeExecutionData) => item.json.error as { message: string; field?: string; code?: string };

describe('OAuth2: invoices in the chosen organisation', () => {
	it('creates invoices in the tenant named by Organization, with xero-tenant-id and idempotency keys on every call', async () => {
		const contacts = seedContacts(second, 3);
		const [ok, failed] = await run(createParams(second), contacts.map((c, i) => request(i, c)), oauthCredential());
		expect(failed).toEqual([]);
		expect(ok.map((i) => (i.json.xeroInvoice as IDataObject).reference)).toEqual(['bk-oauth-C0', 'bk-oauth-C1', 'bk-oauth-C2']);
		expect(sb.org(second).invoices().map((i) => i.Reference)).toEqual(['bk-oauth-C0', 'bk-oauth-C1', 'bk-oauth-C2']);
		expect(sb.org(first).invoices()).toEqual([]);
		const calls = sb.calls();
		expect(calls.length).toBeGreaterThan(0);
		expect(new Set(calls.map((c) => c.tenantId))).toEqual(new Set([second]));
		const creates = sb.calls({ route: 'PUT /Invoices' });
		expect(creates).toHaveLength(1);
		expect(creates[0].idempotencyKey).toEqual(expect.any(String));
		// No refresh was needed: n8n's token was valid.
		expect(sb.oauth2.refreshRequests()).toBe(0);
	});

	it('a run repeated with the same items creates nothing twice', async () => {
		const contacts = seedContacts(first, 2);
		const items = contacts.map((c, i) => request(i, c));
		const credential = oauthCredential();
		await run(createParams(first), items, credential);
		const [ok, failed] = await run(createParams(first), items, credential);
		expect(failed).toEqual([]);
		expect(ok).toHaveLength(2);
		expect(sb.org(first).invoices()).toHaveLength(2);
	});

	it('an organisation the connection does not reach fails every item with Xero\'s 403, naming no success', async () => {
		const onlyFirst = oauthCredential(sb.oauth2.grant({ tenantIds: [first] }) as unknown as IDataObject);
		const contacts = seedContacts(second, 1);
		const [ok, failed] = await run(createParams(second), [request(0, contacts[0])], onlyFirst, true);
		expect(ok).toEqual([]);
		expect(failed).toHaveLength(1);
		expect(errorOf(failed[0])).toMatchObject({ code: 'auth' });
		expect(errorOf(failed[0]).message).toMatch(/403/);
		expect(sb.org(second).invoices()).toEqual([]);
	});

	it('refuses an Organization expression that resolves to nothing, naming the parameter, before any call', async () => {
		// n8n itself refuses an empty fixed value (a required parameter); an expression gets this far.
		const [ok, failed] = await run(createParams('={{ $json.organisation }}'), [request(0, 'x')], oauthCredential(), true);
		expect(ok).toEqual([]);
		expect(errorOf(failed[0])).toMatchObject({ field: 'organizationId' });
		expect(errorOf(failed[0]).message).toMatch(/Organization/);
		expect(sb.callCount()).toBe(0);
	});

	it('refuses a credential that was never connected (no token), naming the field', async () => {
		const credential = oauthCredential();
		delete credential.oauthTokenData;
		const [, failed] = await run(createParams(first), [request(0, 'x')], credential, true);
		expect(errorOf(failed[0])).toMatchObject({ field: 'oauthTokenData' });
		expect(errorOf(failed[0]).message).toMatch(/not connected/);
	});
});

describe('OAuth2: the token is n8n\'s', () => {
	it('after a 401 (expired token), n8n refreshes once, stores the rotated refresh token, and the call is repeated', async () => {
		const tokens = sb.oauth2.grant();
		const credential = oauthCredential(tokens as unknown as IDataObject);
		sb.expireTokens();
		const contacts = seedContacts(first, 2);
		const [ok, failed] = await run(createParams(first), contacts.map((c, i) => request(i, c)), credential);
		expect(failed).toEqual([]);
		expect(ok).toHaveLength(2);
		expect(sb.oauth2.refreshRequests()).toBe(1);
		const stored = credential.oauthTokenData as IDataObject;
		expect(stored.refresh_token).not.toBe(tokens.refresh_token);
		expect(stored.access_token).not.toBe(tokens.access_token);
		expect(Number(stored.n8n_expires_at)).toBeGreaterThan(Date.now());
		// The stored refresh token is the live one (the old one is now refused).
		const next = await fetch(sb.oauth2.tokenUrl, {
			method: 'POST',
			headers: { Authorization: `Basic ${Buffer.from(`${sb.oauth2.clientId}:${sb.oauth2.clientSecret}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: String(stored.refresh_token) }).toString(),
		});
		expect(next.status).toBe(200);
	});

	it('a token n8n knows has expired is refreshed before the first call (no 401 spent)', async () => {
		const tokens = { ...sb.oauth2.grant(), n8n_expires_at: String(Date.now() - 1000) };
		sb.expireTokens();
		const credential = oauthCredential(tokens);
		const contacts = seedContacts(first, 1);
		const [ok] = await run(createParams(first), [request(0, contacts[0])], credential);
		expect(ok).toHaveLength(1);
		expect(sb.oauth2.refreshRequests()).toBe(1);
		expect(sb.calls().filter((c) => c.status === 401)).toEqual([]);
	});

	it('two executions whose token expired together refresh once: the second uses the token the first stored', async () => {
		const credential = oauthCredential();
		sb.expireTokens();
		const contacts = seedContacts(first, 2);
		const [a, b] = await Promise.all([
			run(createParams(first), [request(0, contacts[0])], credential),
			run(createParams(first), [request(1, contacts[1])], credential),
		]);
		expect(a[1]).toEqual([]);
		expect(b[1]).toEqual([]);
		expect(sb.oauth2.refreshRequests()).toBe(1);
		expect(sb.oauth2.refusedRefreshes()).toBe(0);
		expect(sb.org(first).invoices()).toHaveLength(2);
	});

	it('a refresh Xero refuses (revoked or reused refresh token) fails the items with a reconnect message', async () => {
		const tokens = sb.oauth2.grant();
		// Spend the refresh token elsewhere: with no grace period Xero refuses it from now on.
		await fetch(sb.oauth2.tokenUrl, {
			method: 'POST',
			headers: { Authorization: `Basic ${Buffer.from(`${sb.oauth2.clientId}:${sb.oauth2.clientSecret}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: String(tokens.refresh_token) }).toString(),
		});
		sb.expireTokens();
		const contacts = seedContacts(first, 1);
		const [ok, failed] = await run(createParams(first), [request(0, contacts[0])], oauthCredential(tokens as unknown as IDataObject), true);
		expect(ok).toEqual([]);
		expect(errorOf(failed[0])).toMatchObject({ code: 'auth' });
		expect(errorOf(failed[0]).message).toMatch(/OAuth2 access token.*reconnect/is);
		expect(sb.org(first).invoices()).toEqual([]);
	});
});

describe('OAuth2: the Organization list', () => {
	it('lists the tenants of the connection by name (GET /connections)', async () => {
		const options = await runLoadOptions(node, 'getTenants', { parameters: { authentication: 'oAuth2' }, credentials: { xeroOAuth2Api: oauthCredential() } });
		expect(options.map((o) => [o.name, o.value])).toEqual([
			['First Org Ltd', first],
			['Second Org Ltd', second],
		]);
	});

	it('refreshes an expired token through n8n and stores it', async () => {
		const credential = oauthCredential();
		const before = (credential.oauthTokenData as IDataObject).refresh_token;
		sb.expireTokens();
		const options = await runLoadOptions(node, 'getTenants', { parameters: { authentication: 'oAuth2' }, credentials: { xeroOAuth2Api: credential } });
		expect(options).toHaveLength(2);
		expect(sb.oauth2.refreshRequests()).toBe(1);
		expect((credential.oauthTokenData as IDataObject).refresh_token).not.toBe(before);
	});

	it('says why when the connection cannot list organisations', async () => {
		const credential = oauthCredential();
		delete credential.oauthTokenData;
		await expect(runLoadOptions(node, 'getTenants', { parameters: { authentication: 'oAuth2' }, credentials: { xeroOAuth2Api: credential } })).rejects.toThrow(
			/Could not list the Xero organisations.*not connected/,
		);
	});
});

describe('OAuth2 endpoints', () => {
	it('Xero\'s token URL (or none) means api.xero.com; a stand-in serves the API on its own origin', () => {
		const xero = { apiBaseUrl: 'https://api.xero.com/api.xro/2.0', connectionsUrl: 'https://api.xero.com/connections' };
		expect(oauth2Endpoints('https://identity.xero.com/connect/token')).toEqual(xero);
		expect(oauth2Endpoints(undefined)).toEqual(xero);
		expect(oauth2Endpoints('http://127.0.0.1:4010/connect/token')).toEqual({ apiBaseUrl: 'http://127.0.0.1:4010/api.xro/2.0', connectionsUrl: 'http://127.0.0.1:4010/connections' });
		expect(() => oauth2Endpoints('not a url')).toThrow(/Access Token URL/);
	});
});

describe('the credential chosen by Authentication (router kit)', () => {
	it('an Authentication value the node does not know fails the items naming the parameter, reading no credential', async () => {
		const [ok, failed] = await run(createParams(first, { authentication: 'apiKey' }), [request(0, 'x')], oauthCredential(), true);
		expect(ok).toEqual([]);
		expect(errorOf(failed[0])).toMatchObject({ field: 'authentication' });
		expect(errorOf(failed[0]).message).toMatch(/"apiKey" is not one of: customConnection, oAuth2/);
		expect(sb.callCount()).toBe(0);
	});
});

describe('custom connection unchanged', () => {
	it('a workflow without Authentication still reads the custom connection credential', async () => {
		const contacts = seedContacts(first, 1);
		const [ok, failed] = await runNode(node, {
			parameters: { resource: 'invoice', operation: 'create', accountCode: '200', taxType: 'OUTPUT2', dueInDays: 14, options: fast },
			items: [{ json: request(0, contacts[0]) }],
			credentials: { xeroCustomConnectionApi: { clientId: sb.clientId, clientSecret: sb.clientSecret, endpoints: 'custom', tokenUrl: sb.tokenUrl, apiBaseUrl: sb.apiBaseUrl } },
		});
		expect(failed).toEqual([]);
		expect(ok).toHaveLength(1);
		expect(sb.calls().map((c) => c.tenantId)).toEqual(sb.calls().map(() => first));
	});
});
