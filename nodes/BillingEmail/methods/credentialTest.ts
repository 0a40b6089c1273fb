import type { ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';
import { connectionFromCredentials, SmtpSendError, verifySmtp } from '../transport';

/** Connects, negotiates TLS and logs in with the Billing SMTP credential, without sending mail. */
export async function billingSmtpConnectionTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	try {
		await verifySmtp(connectionFromCredentials(credential.data ?? {}));
		return { status: 'OK', message: 'Connection successful' };
	} catch (error) {
		const message = error instanceof Error ? error.message : String(error);
		return { status: 'Error', message: error instanceof SmtpSendError && error.response ? `${message} (server said: ${error.response})` : message };
	}
}
