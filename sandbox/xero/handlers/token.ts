// Xero's identity endpoints: POST /connect/token (client id and secret as Basic auth or form
// fields; the client-credentials grant of custom connections here, the OAuth2 app's
// authorization_code and refresh_token grants in oauth2.ts) and GET /connections (the one tenant a
// custom connection is bound to, or the tenants an OAuth2 grant covers).
import { randomBytes, randomUUID } from 'crypto';
import type * as http from 'http';
import { sessionOf, unauthorized } from '../auth';
import { json, send } from '../reply';
import type { Connection, SandboxState } from '../state';
import { exchangeCode, refresh } from './oauth2';

/** What an identity route gets: the sandbox, the request and its (already read) body. */
export interface IdentityRequest {
	state: SandboxState;
	req: http.IncomingMessage;
	res: http.ServerResponse;
	body: Buffer;
}

function clientOf(req: http.IncomingMessage, form: URLSearchParams): { id: string; secret: string } {
	const auth = req.headers.authorization ?? '';
	if (auth.toLowerCase().startsWith('basic ')) {
		const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
		const colon = decoded.indexOf(':');
		return {
			id: decodeURIComponent(colon >= 0 ? decoded.slice(0, colon) : decoded),
			secret: decodeURIComponent(colon >= 0 ? decoded.slice(colon + 1) : ''),
		};
	}
	return { id: form.get('client_id') ?? '', secret: form.get('client_secret') ?? '' };
}

export function issueToken({ state, req, res, body }: IdentityRequest): void {
	state.tokenRequestCount++;
	const form = new URLSearchParams(body.toString('utf8'));
	const { id, secret } = clientOf(req, form);
	const grantType = form.get('grant_type');
	if (id === state.oauthApp.clientId) {
		// The OAuth2 standard app: authorization code and refresh grants only.
		if (secret !== state.oauthApp.clientSecret) return send(res, json(401, { error: 'invalid_client' }));
		if (grantType === 'authorization_code') return exchangeCode(state, form, res);
		if (grantType === 'refresh_token') return refresh(state, form, res);
		return send(res, json(400, { error: 'unsupported_grant_type' }));
	}
	const conn = state.connections.find((c) => c.clientId === id);
	if (!conn || conn.clientSecret !== secret) return send(res, json(401, { error: 'invalid_client' }));
	if (form.get('grant_type') !== 'client_credentials') return send(res, json(400, { error: 'unsupported_grant_type' }));
	const token = randomBytes(32).toString('base64url');
	state.tokens.set(token, { conn, expiresAt: Date.now() + state.tokenTtlSeconds * 1000 });
	state.issued.push(token);
	send(
		res,
		json(200, {
			access_token: token,
			expires_in: state.tokenTtlSeconds,
			token_type: 'Bearer',
			scope: 'accounting.transactions accounting.contacts accounting.settings.read',
		}),
	);
}

export function listConnections({ state, req, res }: IdentityRequest): void {
	const session = sessionOf(state, req);
	if (!session || session.expiresAt <= Date.now()) {
		const { reply, headers } = unauthorized('AuthenticationUnsuccessful');
		return send(res, reply, headers);
	}
	const grant = session.grant;
	const tenants: Connection[] = grant ? grant.tenants : [session.conn];
	const created = new Date(grant ? grant.createdAt : Date.UTC(2020, 0, 1)).toISOString();
	send(
		res,
		json(
			200,
			tenants.map(({ org }) => ({
				id: randomUUID(),
				authEventId: grant?.authEventId ?? randomUUID(),
				tenantId: org.organisationId,
				tenantType: 'ORGANISATION',
				tenantName: org.name,
				createdDateUtc: created,
				updatedDateUtc: new Date().toISOString(),
			})),
		),
	);
}
