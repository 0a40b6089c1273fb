// The one mapping of the `billingRabbitMqApi` credential to broker settings, used by the
// router, the trigger and the credential test. A bad field is a FieldError naming it.
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { FieldError } from '../../shared/errors';
import type { BrokerSettings } from './settings';

export const CREDENTIAL_TYPE = 'billingRabbitMqApi';

const PREFIX = 'Billing RabbitMQ credential:';

function str(value: unknown): string {
	return value === undefined || value === null ? '' : String(value);
}

export function connectionFromCredentials(data: ICredentialDataDecryptedObject): BrokerSettings {
	const hostname = str(data.hostname).trim();
	if (!hostname) throw new FieldError('hostname', `${PREFIX} Host is empty`);
	const port = Number(data.port ?? (data.ssl ? 5671 : 5672));
	if (!Number.isInteger(port) || port < 1 || port > 65535) {
		throw new FieldError('port', `${PREFIX} Port must be 1-65535, got ${JSON.stringify(data.port)}`);
	}
	const heartbeat = data.heartbeat === undefined || data.heartbeat === '' ? 30 : Number(data.heartbeat);
	if (!Number.isFinite(heartbeat) || heartbeat < 0) {
		throw new FieldError('heartbeat', `${PREFIX} Heartbeat must be 0 or more seconds, got ${JSON.stringify(data.heartbeat)}`);
	}
	const ssl = data.ssl === true;
	const settings: BrokerSettings = {
		hostname,
		port,
		vhost: str(data.vhost) || '/',
		username: str(data.username),
		password: str(data.password),
		heartbeat: Math.round(heartbeat),
		ssl,
		rejectUnauthorized: data.rejectUnauthorized !== false,
		externalAuth: ssl && data.externalAuth === true,
	};
	if (ssl) {
		if (str(data.ca).trim()) settings.ca = str(data.ca);
		if (str(data.cert).trim()) settings.cert = str(data.cert);
		if (str(data.key).trim()) settings.key = str(data.key);
		if (str(data.passphrase)) settings.passphrase = str(data.passphrase);
		if (settings.externalAuth && (!settings.cert || !settings.key)) {
			throw new FieldError(settings.cert ? 'key' : 'cert', `${PREFIX} logging in with the client certificate needs both Client Certificate and Client Key`);
		}
	}
	if (!settings.externalAuth && !settings.username) {
		throw new FieldError('username', `${PREFIX} User is empty`);
	}
	return settings;
}
