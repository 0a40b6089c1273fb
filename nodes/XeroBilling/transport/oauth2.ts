// An OAuth2 connection through n8n's own Xero OAuth2 credential (`xeroOAuth2Api`, the one n8n's
// Xero node uses). n8n owns the token: it stores the token set with the credential and refreshes
// it through `helpers.refreshOAuth2Token`, which n8n runs one at a time per credential (a lease,
// across processes with its lock service), re-reads the stored token inside that lease, and stores
// the rotated refresh token before answering. So two executions whose tokens expire together never
// both spend the same refresh token, and no rotated token is lost. This module only asks n8n: it
// never sees the refresh token or calls the token endpoint itself.
import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';
import { FieldError } from '../../shared/errors';
import { XeroApiError } from './errors';
import { XERO_API_BASE_URL, XERO_CONNECTIONS_URL, type AccessToken, type OAuth2Tokens, type XeroOAuth2Connection } from './types';

/** n8n's credential type the node reads in OAuth2 mode (defined by n8n, not by this package). */
export const XERO_OAUTH2_CREDENTIAL = 'xeroOAuth2Api';

/** What the transport needs from n8n for an OAuth2 credential. */
export interface N8nOAuth2 {
	/** The credential as n8n stores it now (decrypted; `oauthTokenData` holds the token set). */
	read(): Promise<ICredentialDataDecryptedObject>;
	/** n8n's refresh: serialised per credential, stores the rotated token set, returns it. */
	refresh(): Promise<IDataObject>;
}

/** A token is used until a minute before it expires, as for custom connections. */
const EXPIRY_MARGIN_MS = 60_000;

const fresh = (t: AccessToken) => t.expiresAt - EXPIRY_MARGIN_MS > Date.now();

/**
 * The access token in n8n's token data. Its expiry is n8n's `n8n_expires_at` (epoch ms, set when
 * n8n stored the token); without it the expiry is unknown and Xero's 401 tells.
 */
export function tokenFromData(data: unknown): AccessToken | undefined {
	if (!data || typeof data !== 'object') return undefined;
	const d = data as Record<string, unknown>;
	if (typeof d.access_token !== 'string' || d.access_token === '') return undefined;
	const at = Number(d.n8n_expires_at);
	return { value: d.access_token, expiresAt: d.n8n_expires_at !== undefined && Number.isFinite(at) ? at : Number.POSITIVE_INFINITY };
}

/**
 * Where the API and the connections list are. n8n's credential keeps Xero's token URL in a hidden
 * field; a stored value other than Xero's (a stand-in such as the sandbox) serves the API and
 * /connections on its own origin. So the bearer token only ever goes to the host that issued it,
 * or to api.xero.com for a token from identity.xero.com.
 */
export function oauth2Endpoints(accessTokenUrl: unknown): { apiBaseUrl: string; connectionsUrl: string } {
	const value = typeof accessTokenUrl === 'string' ? accessTokenUrl.trim() : '';
	if (!value) return { apiBaseUrl: XERO_API_BASE_URL, connectionsUrl: XERO_CONNECTIONS_URL };
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		throw new FieldError('accessTokenUrl', `Xero OAuth2 credential: Access Token URL "${value}" is not a valid URL`);
	}
	if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new FieldError('accessTokenUrl', 'Xero OAuth2 credential: Access Token URL must be an http(s) URL');
	if (url.hostname.toLowerCase() === 'identity.xero.com') return { apiBaseUrl: XERO_API_BASE_URL, connectionsUrl: XERO_CONNECTIONS_URL };
	return { apiBaseUrl: `${url.origin}/api.xro/2.0`, connectionsUrl: `${url.origin}/connections` };
}

/** n8n's token for one execution: refreshed through n8n, one refresh at a time. */
export class N8nOAuth2Tokens implements OAuth2Tokens {
	private pending?: Promise<AccessToken>;

	constructor(
		private current: AccessToken,
		private readonly n8n: N8nOAuth2,
	) {}

	async accessToken(): Promise<AccessToken> {
		if (this.pending) return await this.pending;
		return fresh(this.current) ? this.current : await this.refresh(this.current.value);
	}

	async refresh(stale: string): Promise<AccessToken> {
		// Another call of this execution already replaced the refused token.
		if (this.current.value !== stale && fresh(this.current)) return this.current;
		this.pending ??= this.renew(stale).finally(() => {
			this.pending = undefined;
		});
		return await this.pending;
	}

	private async renew(stale: string): Promise<AccessToken> {
		try {
			// Another execution may have refreshed meanwhile: then n8n already stores a newer token,
			// and refreshing again would only spend a refresh token.
			const stored = tokenFromData((await this.n8n.read()).oauthTokenData);
			if (stored && stored.value !== stale && fresh(stored)) return (this.current = stored);
			const renewed = tokenFromData(await this.n8n.refresh());
			if (!renewed) throw new Error('n8n returned no access token');
			return (this.current = renewed);
		} catch (error) {
			if (error instanceof XeroApiError) throw error;
			const message = error instanceof Error ? error.message : String(error);
			throw new XeroApiError(
				`Refreshing the Xero OAuth2 access token through n8n failed: ${message}`,
				'auth',
				401,
				[],
				undefined,
				{},
			);
		}
	}
}

/** The OAuth2 connection for the credential's data and the chosen tenant, refusing what cannot work. */
export function oauth2Connection(data: ICredentialDataDecryptedObject | undefined, tenantId: string, n8n: N8nOAuth2): XeroOAuth2Connection {
	const token = tokenFromData(data?.oauthTokenData);
	if (!token) {
		throw new FieldError('oauthTokenData', 'Xero OAuth2 credential: not connected to Xero (no access token); open the credential and click "Connect my account"');
	}
	return { kind: 'oauth2', tenantId, ...oauth2Endpoints(data?.accessTokenUrl), tokens: new N8nOAuth2Tokens(token, n8n) };
}
