// The access token of a custom connection (client-credentials grant), fetched here rather than by
// xero-node because the SDK hard-codes identity.xero.com and we must also reach a stand-in.
import { XeroApiError } from './errors';
import type { CallPolicy, XeroConnection } from './types';
import { waitUnlessAborted } from './wait';

export interface AccessToken {
	value: string;
	/** Epoch milliseconds. */
	expiresAt: number;
}

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
			throw new XeroApiError(`Could not reach the Xero token endpoint ${c.tokenUrl}: ${(e as Error).message}`, 'network', 0);
		}
		const text = await res.text();
		let body: Record<string, unknown> = {};
		try {
			body = JSON.parse(text) as Record<string, unknown>;
		} catch {
			body = {};
		}
		if (res.ok && typeof body.access_token === 'string') {
			const ttl = Number(body.expires_in ?? 1800);
			return { value: body.access_token, expiresAt: Date.now() + (Number.isFinite(ttl) ? ttl : 1800) * 1000 };
		}
		if (res.status >= 500 && attempt < policy.maxRetries) {
			attempt++;
			await waitUnlessAborted(policy.retryDelayMs * 2 ** (attempt - 1), policy.signal);
			continue;
		}
		const code = typeof body.error === 'string' ? body.error : text.slice(0, 200);
		const hint = code === 'invalid_client' ? ' (check the client id and secret of the custom connection)' : '';
		throw new XeroApiError(`Xero refused the access token request: ${res.status} ${code}${hint}`, res.status >= 500 ? 'server' : 'auth', res.status, [code], body);
	}
}
