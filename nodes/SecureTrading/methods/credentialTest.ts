// Credential test: a harmless TRANSACTIONQUERY for a transaction that cannot exist, on the
// credential's site. It tells apart a wrong password (HTTP 401), an unknown site (30001), a site
// the user may not use (30006), an unreachable gateway, and success.
import type { ICredentialDataDecryptedObject, ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';
import { FieldError } from '../../shared/errors';
import { sendToGateway, TransportError } from '../transport';
import { connectionFromCredentials, type SecureTradingConnection } from '../transport/credentials';

export async function secureTradingApiTest(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	return await testSecureTradingCredentials(credential.data);
}

async function testSecureTradingCredentials(data: ICredentialDataDecryptedObject | undefined): Promise<INodeCredentialTestResult> {
	let connection: SecureTradingConnection;
	try {
		connection = connectionFromCredentials(data);
	} catch (error) {
		if (error instanceof FieldError) return { status: 'Error', message: error.message };
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- no node here: known failures become status Error, others go to n8n's tester
		throw error;
	}
	const { transport, siteReference } = connection;
	try {
		const result = await sendToGateway({ ...transport, timeoutMs: 30_000, connectTimeoutMs: 10_000, maxConnectAttempts: 2 }, [
			{
				requesttypedescriptions: ['TRANSACTIONQUERY'],
				filter: {
					sitereference: [{ value: siteReference }],
					transactionreference: [{ value: '0-0-0' }],
				},
			},
		]);
		const response = result.responses[0];
		const code = String(response.errorcode);
		if (code === '0') return { status: 'OK', message: 'Connection successful' };
		if (code === '30001') return { status: 'Error', message: `Unknown site reference "${siteReference}" (errorcode 30001 ${String(response.errormessage ?? '')})` };
		if (code === '30006') {
			return {
				status: 'Error',
				message: `Site reference "${siteReference}" is not valid for webservices user "${transport.username}" (errorcode 30006 ${String(response.errormessage ?? '')})`,
			};
		}
		return { status: 'Error', message: `The gateway answered errorcode ${code}: ${String(response.errormessage ?? '')}` };
	} catch (error) {
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- no node here: known failures become status Error, others go to n8n's tester
		if (!(error instanceof TransportError)) throw error;
		if (error.kind === 'unauthorized') {
			return { status: 'Error', message: 'Wrong webservices username or password (HTTP 401). Webservices users are also IP-restricted in MyST.' };
		}
		return { status: 'Error', message: `Could not reach the Secure Trading gateway at ${transport.endpoint}: ${error.message}` };
	}
}
