// The access token of a custom connection (client-credentials grant), fetched here rather than by
// xero-node because the SDK hard-codes identity.xero.com and we must also reach a stand-in.
import { bodySummary, redactSecrets } from '../../shared/redact';
import { XeroApiError } from './errors';
import type { AccessToken, CallPolicy, XeroConnection } from './types';
import { waitUnlessAborted } from './wait';

export type { AccessToken };

/** Exchanges the client id and secret for a token; retries unreachable endpoints and 5xx answers. */
export async function fetchToken(c: XeroConnection, policy: CallPolicy): Promise<AccessToken> {
	let attempt = 0;
	for (;;) {
		let res: Response;
		try {
			res = await fetch(c.tokenUrl, {
				method: 'POST',
				headers: {
					Authorization: `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`).toString('base64')}`,
					'Content-Type': 'application/x-www-form-urlencoded',
					Accept: 'application/json',
				},
				body: 'grant_type=client_credentials',
				signal: AbortSignal.timeout(policy.timeoutMs),
			});
		} catch (e) {
			if (attempt < policy.maxRetries) {
				attempt++;
				await waitUnlessAborted(policy.retryDelayMs * 2 ** (attempt - 1), policy.signal);
				continue;
			}
			throw new XeroApiError(redactSecrets(`Could not reach the Xero token endpoint ${c.tokenUrl}: ${(e as Error).message}`, [c.clientSecret]), 'network', 0);
		}
		const text = await res.text();
		let body: Record<string, unknown> | undefined;
		try {
			const parsed = JSON.parse(text) as unknown;
			if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
		} catch {
			body = undefined;
		}
		if (res.ok && typeof body?.access_token === 'string') {
			const ttl = Number(body.expires_in ?? 1800);
			return { value: body.access_token, expiresAt: Date.now() + (Number.isFinite(ttl) ? ttl : 1800) * 1000 };
		}
		if (res.status >= 500 && attempt < policy.maxRetries) {
			attempt++;
			await waitUnlessAborted(policy.retryDelayMs * 2 ** (attempt - 1), policy.signal);
			continue;
		}
		const kind = res.status >= 500 ? 'server' : 'auth';
		// OAuth's `error` code (invalid_client, …) is quoted; any other answer (an HTML page, a proxy
		// echoing our request with its Basic credentials) only by type and size.
		if (typeof body?.error !== 'string') {
			const answer = `answered with ${bodySummary(res.headers.get('content-type'), Buffer.byteLength(text))}`;
			throw new XeroApiError(`Xero refused the access token request: ${res.status} (${answer})`, kind, res.status);
		}
		const code = redactSecrets(body.error.slice(0, 200), [c.clientSecret]);
		const hint = code === 'invalid_client' ? ' (check the client id and secret of the custom connection)' : '';
		throw new XeroApiError(`Xero refused the access token request: ${res.status} ${code}${hint}`, kind, res.status, [code], body);
	}
}
