// For tests and benchmarks: a real xero-node XeroClient pointed at the sandbox. The SDK's
// getClientCredentialsToken() always calls identity.xero.com, so the token is fetched from the
// sandbox's token URL and handed to the SDK with setTokenSet(), as the reference describes.
import { XeroClient } from 'xero-node';

export interface SandboxCredentials {
	clientId: string;
	clientSecret: string;
	tokenUrl: string;
	apiBaseUrl: string;
}

export async function fetchSandboxToken(
	c: Pick<SandboxCredentials, 'clientId' | 'clientSecret' | 'tokenUrl'>,
): Promise<{ access_token: string; expires_in: number; token_type: string; scope?: string }> {
	const res = await fetch(c.tokenUrl, {
		method: 'POST',
		headers: {
			Authorization: `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`).toString('base64')}`,
			'Content-Type': 'application/x-www-form-urlencoded',
		},
		body: 'grant_type=client_credentials',
	});
	const body = (await res.json()) as Record<string, unknown>;
	if (!res.ok) throw new Error(`token request failed: ${res.status} ${JSON.stringify(body)}`);
	return body as { access_token: string; expires_in: number; token_type: string };
}

export async function connectXeroClient(c: SandboxCredentials): Promise<XeroClient> {
	const xero = new XeroClient({ clientId: c.clientId, clientSecret: c.clientSecret, grantType: 'client_credentials' });
	const token = await fetchSandboxToken(c);
	xero.accountingApi.basePath = c.apiBaseUrl;
	xero.setTokenSet({ ...token, expires_at: Math.floor(Date.now() / 1000) + token.expires_in });
	return xero;
}

/** xero-node rejects with a JSON string; this turns it back into the status, headers and body. */
export function parseSdkError(e: unknown): { statusCode: number; body: unknown; headers: Record<string, string> } {
	const parsed = typeof e === 'string' ? JSON.parse(e) : e;
	const response = (parsed as { response?: { statusCode: number; body: unknown; headers: Record<string, string> } }).response;
	if (!response) throw e;
	return response;
}

/** The parsed rejection of an SDK call that must fail (tests). */
export async function sdkRejection(call: Promise<unknown>): Promise<ReturnType<typeof parseSdkError>> {
	try {
		await call;
	} catch (e) {
		return parseSdkError(e);
	}
	throw new Error('expected the SDK call to reject');
}
