import type { ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';
import { smtpSettingsFromCredentials } from '../helpers/settings';
import { verifySmtp } from '../transport';

/** Connects, negotiates TLS and logs in with the Billing SMTP credential, without sending mail. */
export async function billingSmtpConnectionTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	try {
		await verifySmtp(smtpSettingsFromCredentials(credential.data ?? {}));
		return { status: 'OK', message: 'Connection successful' };
	} catch (error) {
		const e = error as { message?: string; response?: string };
		return { status: 'Error', message: e.response ? `${e.message} (server said: ${e.response})` : String(e.message ?? error) };
	}
}
