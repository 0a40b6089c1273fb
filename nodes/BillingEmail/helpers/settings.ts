import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import type { SmtpSettings, TlsMode } from '../transport';

const TLS_MODES: readonly TlsMode[] = ['none', 'starttls', 'implicit'];

/** Reads and checks the Billing SMTP credential; the message names the credential field. */
export function smtpSettingsFromCredentials(credentials: ICredentialDataDecryptedObject): SmtpSettings {
	const host = String(credentials.host ?? '').trim();
	if (!host) throw new Error('Billing SMTP credential: Host is empty');
	const port = Number(credentials.port);
	if (!Number.isInteger(port) || port < 1 || port > 65535) {
		throw new Error(`Billing SMTP credential: Port "${String(credentials.port)}" is not a port number (1-65535)`);
	}
	const tlsMode = String(credentials.tlsMode ?? 'starttls') as TlsMode;
	if (!TLS_MODES.includes(tlsMode)) {
		throw new Error(`Billing SMTP credential: TLS Mode "${tlsMode}" is not one of ${TLS_MODES.join(', ')}`);
	}
	return {
		host,
		port,
		tlsMode,
		user: String(credentials.user ?? ''),
		password: String(credentials.password ?? ''),
		allowUnauthorizedCerts: credentials.allowUnauthorizedCerts === true,
	};
}
