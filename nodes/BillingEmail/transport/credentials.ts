// The Billing SMTP credential → an SMTP connection, in one place: the router's connect and the
// credential test both read it here, so both refuse the same values with the same words.
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { FieldError } from '../../shared/errors';

export type TlsMode = 'none' | 'starttls' | 'implicit';

const TLS_MODES: readonly TlsMode[] = ['none', 'starttls', 'implicit'];

/** What the pool is keyed on: every field that changes how the connection is made. */
export interface SmtpSettings {
	host: string;
	port: number;
	tlsMode: TlsMode;
	user: string;
	password: string;
	allowUnauthorizedCerts: boolean;
}

export interface SmtpConnection extends SmtpSettings {
	/** The credential's Default Sender (`Name <address>`), checked per item where it is used. */
	defaultSender: string;
}

export function connectionFromCredentials(data: ICredentialDataDecryptedObject): SmtpConnection {
	const host = String(data.host ?? '').trim();
	if (!host) throw new FieldError('host', 'Billing SMTP credential: Host is empty');
	const port = Number(data.port);
	if (!Number.isInteger(port) || port < 1 || port > 65535) {
		throw new FieldError('port', `Billing SMTP credential: Port "${String(data.port)}" is not a port number (1-65535)`);
	}
	const tlsMode = String(data.tlsMode ?? 'starttls') as TlsMode;
	if (!TLS_MODES.includes(tlsMode)) {
		throw new FieldError('tlsMode', `Billing SMTP credential: TLS Mode "${tlsMode}" is not one of ${TLS_MODES.join(', ')}`);
	}
	return {
		host,
		port,
		tlsMode,
		user: String(data.user ?? ''),
		password: String(data.password ?? ''),
		allowUnauthorizedCerts: data.allowUnauthorizedCerts === true,
		defaultSender: String(data.from ?? ''),
	};
}
