// Broker settings (built from the credential in credentials.ts) → amqplib connection options.
import { createHash } from 'crypto';
import { isIP } from 'net';
import { credentials as saslCredentials } from 'amqplib';
import type { Options, SocketOptions } from 'amqplib';

export interface BrokerSettings {
	hostname: string;
	port: number;
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

export function connectionOptions(settings: BrokerSettings, connectionName: string, connectTimeoutMs = 10000): ConnectionOptions {
	const url: Options.Connect = {
		protocol: settings.ssl ? 'amqps' : 'amqp',
		hostname: settings.hostname,
		port: settings.port,
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
		if (!isIP(settings.hostname)) socket.servername = settings.hostname;
		if (settings.ca) socket.ca = [Buffer.from(normalisePem(settings.ca))];
		if (settings.cert) socket.cert = Buffer.from(normalisePem(settings.cert));
		if (settings.key) socket.key = Buffer.from(normalisePem(settings.key));
		if (settings.passphrase) socket.passphrase = settings.passphrase;
		if (settings.externalAuth) socket.credentials = saslCredentials.external();
	}
	return { url, socket };
}

/** Pool key: every field that changes the connection, hashed so no secret sits in a map key. */
export function settingsKey(settings: BrokerSettings): string {
	return createHash('sha256').update(JSON.stringify(settings)).digest('hex');
}

export function describeEndpoint(settings: BrokerSettings): string {
	const vhost = settings.vhost === '/' ? '/' : `/${settings.vhost}`;
	return `${settings.ssl ? 'amqps' : 'amqp'}://${settings.hostname}:${settings.port}${vhost}`;
}
