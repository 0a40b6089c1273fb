// The one mapping of the `billingRabbitMqApi` credential to broker settings, used by the
// router, the trigger and the credential test. A bad field is a FieldError naming it.
import { isIP } from 'net';
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { FieldError } from '../../shared/errors';
import type { BrokerEndpoint, BrokerSettings } from './settings';

export const CREDENTIAL_TYPE = 'billingRabbitMqApi';

const PREFIX = 'Billing RabbitMQ credential:';

function str(value: unknown): string {
	return value === undefined || value === null ? '' : String(value);
}

// A DNS name (labels of letters, digits, '-' and '_', as container and cloud names use) or IPv4.
const HOST_NAME = /^(?=.{1,253}\.?$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/**
 * The Host field → the nodes to try, in order: `host` or `host:port` entries separated by commas,
 * IPv6 in brackets (`[::1]:5672`; a bare IPv6 address takes `defaultPort`). Entries without a port
 * use `defaultPort`. A bad entry is a FieldError on `hostname` saying which one and why.
 */
export function parseHosts(text: string, defaultPort: number): BrokerEndpoint[] {
	const entries = text.split(',').map((e) => e.trim());
	const endpoints: BrokerEndpoint[] = [];
	const seen = new Map<string, number>();
	entries.forEach((raw, i) => {
		const which = entries.length === 1 ? `Host "${raw}"` : `Host entry ${i + 1} of ${entries.length} ("${raw}")`;
		const bad = (why: string) => new FieldError('hostname', `${PREFIX} ${which} ${why}`);
		if (!raw) throw new FieldError('hostname', `${PREFIX} Host entry ${i + 1} of ${entries.length} is empty: separate hosts with single commas`);
		if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) || raw.includes('@') || raw.includes('/')) {
			throw bad('is not a host: give host or host:port only (TLS, user and virtual host are fields of their own)');
		}
		let host = raw;
		let portText: string | undefined;
		const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(raw);
		if (bracketed) {
			host = bracketed[1];
			portText = bracketed[2];
			if (isIP(host) !== 6) throw bad('has brackets around something that is not an IPv6 address');
		} else if (isIP(raw) === 6) {
			host = raw;
		} else if (raw.includes(':')) {
			const at = raw.lastIndexOf(':');
			host = raw.slice(0, at);
			portText = raw.slice(at + 1);
			if (host.includes(':')) throw bad('is not valid: write an IPv6 address with a port in brackets, e.g. [::1]:5672');
		}
		if (!bracketed && isIP(host) !== 6 && !HOST_NAME.test(host)) throw bad('is not a valid host name or IP address');
		let port = defaultPort;
		if (portText !== undefined) {
			port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
			if (!(port >= 1 && port <= 65535)) throw bad('has an invalid port: use 1-65535');
		}
		const key = `${host.toLowerCase()}:${port}`;
		const first = seen.get(key);
		if (first !== undefined) throw bad(`repeats entry ${first + 1}`);
		seen.set(key, i);
		endpoints.push({ host, port });
	});
	return endpoints;
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
	const endpoints = parseHosts(hostname, port);
	const settings: BrokerSettings = {
		hostname,
		port,
		endpoints,
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
