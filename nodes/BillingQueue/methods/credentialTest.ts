// Node-side credential test: open one connection, close it, report the broker's own words.
import type { ICredentialDataDecryptedObject, ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';
import { connectionFromCredentials, describeEndpoint, testConnection } from '../transport';

export async function billingRabbitMqConnectionTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	try {
		const settings = connectionFromCredentials((credential.data ?? {}) as ICredentialDataDecryptedObject);
		const server = await testConnection(settings);
		return {
			status: 'OK',
			message: `Connected to ${server.product ?? 'RabbitMQ'} ${server.version ?? ''} at ${describeEndpoint(settings)}`.replace(/\s+/g, ' '),
		};
	} catch (error) {
		return { status: 'Error', message: (error as Error).message };
	}
}
