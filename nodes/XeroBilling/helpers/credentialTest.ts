// Credential test: exchange the id/secret for a token, then read the organisation. Tells apart a
// refused client (invalid_client), an unreachable endpoint and success (naming the organisation).
import type { ICredentialDataDecryptedObject, INodeCredentialTestResult } from 'n8n-workflow';
import { XeroApiError, XeroTransport } from '../transport';
import { connectionFromCredentials, CredentialError } from './credentials';

export async function testXeroCredentials(data: ICredentialDataDecryptedObject | undefined): Promise<INodeCredentialTestResult> {
	let transport: XeroTransport;
	try {
		transport = new XeroTransport(connectionFromCredentials(data), { timeoutMs: 15_000, maxRetries: 1, retryDelayMs: 500, maxRateLimitWaitMs: 10_000 });
	} catch (error) {
		if (error instanceof CredentialError) return { status: 'Error', message: error.message };
		throw error;
	}
	try {
		const name = await transport.getOrganisationName();
		return { status: 'OK', message: `Connected to the Xero organisation "${name}"` };
	} catch (error) {
		if (error instanceof XeroApiError) return { status: 'Error', message: error.message };
		return { status: 'Error', message: (error as Error).message };
	}
}
