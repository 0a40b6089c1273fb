// Node-side credential test: open one connection to every host of the credential, close them,
// report the broker's own words. OK when any host answers; the message names those that did not.
import type { ICredentialDataDecryptedObject, ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';
import { connectionFromCredentials, testConnection } from '../transport';

export async function billingRabbitMqConnectionTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	try {
		const settings = connectionFromCredentials((credential.data ?? {}) as ICredentialDataDecryptedObject);
		const server = await testConnection(settings);
		const connected = `Connected to ${server.product ?? 'RabbitMQ'} ${server.version ?? ''} at ${server.endpoint}`.replace(/\s+/g, ' ');
		if (server.failed.length === 0) {
			const others = settings.endpoints.length - 1;
			return { status: 'OK', message: others > 0 ? `${connected}; all ${others + 1} hosts answered` : connected };
		}
		return {
			status: 'OK',
			message: `${connected}, but ${server.failed.length} of ${settings.endpoints.length} hosts did not answer: ${server.failed.map((e) => e.message).join('; ')}`,
		};
	} catch (error) {
		return { status: 'Error', message: (error as Error).message };
	}
}
