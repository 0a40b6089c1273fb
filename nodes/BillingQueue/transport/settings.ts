// Broker settings (built from the credential in credentials.ts) → amqplib connection options.
import { createHash } from 'crypto';
import { isIP } from 'net';
import { credentials as saslCredentials } from 'amqplib';
import type { Options, SocketOptions } from 'amqplib';

/** One node of the broker: a host name or IP address (IPv6 without brackets) and its AMQP port. */
export interface BrokerEndpoint {
	host: string;
	port: number;
}

export interface BrokerSettings {
	/** The credential's Host field as entered: one host, or a comma-separated list for a cluster. */
	hostname: string;
	/** The credential's Port field: the port of every entry that names none. */
	port: number;
	/** Every node to try, in the credential's order; at least one. */
	endpoints: BrokerEndpoint[];
	vhost: string;
	username: string;
	password: string;
	/** Heartbeat in seconds; 0 disables it. */
	heartbeat: number;
	ssl: boolean;
	ca?: string;
	cert?: string;
	key?: string;
	passphrase?: string;
	rejectUnauthorized: boolean;
	/** Authenticate with the TLS client certificate (SASL EXTERNAL) instead of user/password. */
	externalAuth: boolean;
}

/** PEM text pasted into a single-line field loses its line breaks; put them back. */
export function normalisePem(text: string): string {
	const trimmed = text.trim();
	if (trimmed.includes('\n')) return `${trimmed}\n`;
	const blocks = trimmed.match(/-----BEGIN [^-]+-----.*?-----END [^-]+-----/g);
	if (!blocks) return trimmed;
	return blocks
		.map((block) => {
			const m = /^(-----BEGIN [^-]+-----)(.*?)(-----END [^-]+-----)$/.exec(block);
			if (!m) return block;
			// Encrypted keys carry "Proc-Type:"/"DEK-Info:" lines; keep them on their own lines.
			const body = m[2].trim().replace(/\s+/g, '\n');
			return `${m[1]}\n${body}\n${m[3]}`;
		})
		.join('\n')
		.concat('\n');
}

export interface ConnectionOptions {
	url: Options.Connect;
	socket: SocketOptions;
}

/** The nodes to try; settings built by hand before the list existed name one host. */
export function endpointsOf(settings: BrokerSettings): BrokerEndpoint[] {
	return settings.endpoints?.length ? settings.endpoints : [{ host: settings.hostname, port: settings.port }];
}

/** amqplib's options for one endpoint (default: the first). */
export function connectionOptions(
	settings: BrokerSettings,
	connectionName: string,
	connectTimeoutMs = 10000,
	endpoint: BrokerEndpoint = endpointsOf(settings)[0],
): ConnectionOptions {
	const url: Options.Connect = {
		protocol: settings.ssl ? 'amqps' : 'amqp',
		hostname: endpoint.host,
		port: endpoint.port,
		vhost: settings.vhost,
		heartbeat: settings.heartbeat,
	};
	if (!settings.externalAuth) {
		url.username = settings.username;
		url.password = settings.password;
	}
	const socket: SocketOptions = {
		timeout: connectTimeoutMs,
		noDelay: true,
		keepAlive: true,
		clientProperties: { connection_name: connectionName },
	};
	if (settings.ssl) {
		socket.rejectUnauthorized = settings.rejectUnauthorized;
		// SNI must not be an IP address.
		if (!isIP(endpoint.host)) socket.servername = endpoint.host;
		if (settings.ca) socket.ca = [Buffer.from(normalisePem(settings.ca))];
		if (settings.cert) socket.cert = Buffer.from(normalisePem(settings.cert));
		if (settings.key) socket.key = Buffer.from(normalisePem(settings.key));
		if (settings.passphrase) socket.passphrase = settings.passphrase;
		if (settings.externalAuth) socket.credentials = saslCredentials.external();
	}
	return { url, socket };
}

/** Pool key: every field that changes the connection (the whole endpoint list, in order), hashed so no secret sits in a map key. */
export function settingsKey(settings: BrokerSettings): string {
	// The Host and Port fields as typed do not matter, the endpoints they give do.
	const { hostname: _hostname, port: _port, ...rest } = settings;
	return createHash('sha256').update(JSON.stringify({ ...rest, endpoints: endpointsOf(settings) })).digest('hex');
}

/** `amqp://host:port/vhost` of one endpoint (default: the first), for messages and logs; no credentials. */
export function describeEndpoint(settings: BrokerSettings, endpoint: BrokerEndpoint = endpointsOf(settings)[0]): string {
	const vhost = settings.vhost === '/' ? '/' : `/${settings.vhost}`;
	const host = isIP(endpoint.host) === 6 ? `[${endpoint.host}]` : endpoint.host;
	return `${settings.ssl ? 'amqps' : 'amqp'}://${host}:${endpoint.port}${vhost}`;
}
