// Credential test: exchange the id/secret for a token, then read the organisation. Tells apart a
// credential that cannot work (named field), a refused client (invalid_client), an unreachable
// endpoint and success (naming the organisation).
import type { ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';
import { FieldError } from '../../shared/errors';
import { connectionFromCredentials, XeroTransport } from '../transport';

export async function xeroCustomConnectionApiTest(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	let transport: XeroTransport;
	try {
		transport = new XeroTransport(connectionFromCredentials(credential.data), { timeoutMs: 15_000, maxRetries: 1, retryDelayMs: 500, maxRateLimitWaitMs: 10_000 });
	} catch (error) {
		if (error instanceof FieldError) return { status: 'Error', message: error.message };
		throw error;
	}
	try {
		const name = await transport.getOrganisationName();
		return { status: 'OK', message: `Connected to the Xero organisation "${name}"` };
	} catch (error) {
		return { status: 'Error', message: error instanceof Error ? error.message : String(error) };
	}
}
