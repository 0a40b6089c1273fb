// Xero's OAuth2 flow for standard apps: the authorize endpoint (login.xero.com; approves at once
// for every organisation, as a user ticking them all would), the authorization_code and
// refresh_token grants of the token endpoint, and the grant behind GET /connections.
// Facts (docs/xero.md): codes are single use and last 5 minutes; refresh tokens rotate: each use
// returns a new one, and a used one is refused with `invalid_grant` once Xero's 30-minute grace
// period has passed (Xero developer community, official reply in discussion 105714701). A refresh
// token is issued only with the `offline_access` scope.
import { randomBytes, randomUUID } from 'crypto';
import type * as http from 'http';
import { json, send, text } from '../reply';
import type { Connection, Grant, SandboxState } from '../state';
import type { OAuth2TokenSet } from '../types';

const CODE_TTL_MS = 5 * 60_000;
const DEFAULT_SCOPE = 'offline_access accounting.transactions accounting.contacts accounting.settings';

const opaque = (bytes = 32) => randomBytes(bytes).toString('base64url');

function redirectAllowed(state: SandboxState, uri: string): boolean {
	let parsed: URL;
	try {
		parsed = new URL(uri);
	} catch {
		return false;
	}
	if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
	return state.oauthApp.redirectUris.length === 0 || state.oauthApp.redirectUris.includes(uri);
}

/** GET /identity/connect/authorize: redirects back with a code (or an OAuth error) at once. */
export function authorize(state: SandboxState, url: URL, res: http.ServerResponse): void {
	const q = url.searchParams;
	const redirectUri = q.get('redirect_uri') ?? '';
	// Without a known client or an allowed redirect URI there is nowhere safe to send the user.
	if (q.get('client_id') !== state.oauthApp.clientId) return send(res, text(400, 'Error: unauthorized_client (Invalid client_id)'));
	if (!redirectAllowed(state, redirectUri)) return send(res, text(400, 'Error: invalid_request (Invalid redirect_uri)'));
	const back = new URL(redirectUri);
	const stateParam = q.get('state');
	if (stateParam !== null) back.searchParams.set('state', stateParam);
	if (q.get('response_type') !== 'code') {
		back.searchParams.set('error', 'unsupported_response_type');
	} else {
		const code = opaque();
		const scope = q.get('scope') ?? '';
		state.authCodes.set(code, { tenants: [...state.connections], redirectUri, scope, expiresAt: Date.now() + CODE_TTL_MS, used: false });
		back.searchParams.set('code', code);
		back.searchParams.set('scope', scope);
	}
	res.writeHead(302, { Location: back.toString(), 'Content-Length': '0' });
	res.end();
}

/** Access (and, with offline_access, refresh) token for a grant; the access token is a bearer session. */
export function tokenSet(state: SandboxState, grant: Grant): OAuth2TokenSet {
	const access = opaque();
	state.tokens.set(access, { conn: grant.tenants[0] ?? state.connections[0], expiresAt: Date.now() + state.tokenTtlSeconds * 1000, grant });
	state.issued.push(access);
	const set: OAuth2TokenSet = { access_token: access, expires_in: state.tokenTtlSeconds, token_type: 'Bearer', scope: grant.scope };
	if (grant.scope.split(/\s+/).includes('offline_access')) {
		set.refresh_token = opaque();
		state.refreshTokens.set(set.refresh_token, { grant });
		state.issued.push(set.refresh_token);
	}
	return set;
}

export function newGrant(tenants: Connection[], scope: string): Grant {
	return { id: randomUUID(), authEventId: randomUUID(), tenants, scope: scope || DEFAULT_SCOPE, createdAt: Date.now(), revoked: false };
}

const invalidGrant = () => json(400, { error: 'invalid_grant' });

/** grant_type=authorization_code (client already authenticated as the OAuth2 app). */
export function exchangeCode(state: SandboxState, form: URLSearchParams, res: http.ServerResponse): void {
	const code = state.authCodes.get(form.get('code') ?? '');
	if (!code || code.used || code.expiresAt <= Date.now() || code.redirectUri !== (form.get('redirect_uri') ?? '')) return send(res, invalidGrant());
	code.used = true;
	send(res, json(200, tokenSet(state, newGrant(code.tenants, code.scope))));
}

/** grant_type=refresh_token: a new token pair; the old refresh token only within the grace period. */
export function refresh(state: SandboxState, form: URLSearchParams, res: http.ServerResponse): void {
	state.refreshRequests++;
	const record = state.refreshTokens.get(form.get('refresh_token') ?? '');
	const now = Date.now();
	if (!record || record.grant.revoked || (record.usedAt !== undefined && now - record.usedAt >= state.oauthApp.refreshGraceMs)) {
		state.refusedRefreshes++;
		return send(res, invalidGrant());
	}
	record.usedAt ??= now;
	send(res, json(200, tokenSet(state, record.grant)));
}
