// The Organization list in OAuth2 mode: the tenants of the connection (GET /connections). It is
// also the OAuth2 path's connection check: n8n tests an OAuth2 credential only by whether it holds
// a token, so opening this list is where a connection that cannot reach Xero shows, by name.
import type { ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { n8nOAuth2 } from '../helpers/oauth2';
import { oauth2Connection, XeroTransport, type CallPolicy } from '../transport';

const LIST_POLICY: CallPolicy = { timeoutMs: 15_000, maxRetries: 1, retryDelayMs: 500, maxRateLimitWaitMs: 10_000 };

export async function getTenants(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	try {
		const n8n = n8nOAuth2(this);
		// tenantId '' only builds the connection: /connections names no tenant.
		const transport = new XeroTransport(oauth2Connection(await n8n.read(), '', n8n), LIST_POLICY);
		const tenants = (await transport.listTenants()).filter((t) => t.tenantType === '' || t.tenantType === 'ORGANISATION');
		if (tenants.length === 0) throw new Error('the connection reaches no Xero organisation: reconnect the credential and tick at least one organisation');
		return tenants.map((t) => ({ name: t.tenantName, value: t.tenantId, description: `Tenant ID ${t.tenantId}` }));
	} catch (error) {
		const message = error instanceof Error ? error.message : String(error);
		throw new NodeOperationError(this.getNode(), `Could not list the Xero organisations of the OAuth2 credential: ${message}`);
	}
}
