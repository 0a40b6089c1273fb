// n8n's own `postgres` credential (n8n-nodes-base's Postgres.credentials, the one n8n's Postgres
// node uses) → the connection settings of the shared journal, read one way for every node. The
// field names are n8n's: host, port, database, user, password, maxConnections,
// allowUnauthorizedCerts, ssl (disable / allow / require), sshTunnel and its ssh* fields.
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { FieldError } from '../errors';

export type JournalSsl = 'disable' | 'allow' | 'require';

const SSL_MODES: readonly JournalSsl[] = ['disable', 'allow', 'require'];

export interface JournalSettings {
	host: string;
	port: number;
	database: string;
	user: string;
	password: string;
	ssl: JournalSsl;
	/** TLS without checking the server's certificate (n8n's "Ignore SSL Issues"). */
	allowUnauthorizedCerts: boolean;
	/** The credential's Maximum Number of Connections: our pool never opens more. */
	maxConnections: number;
}

const LABEL = 'Postgres credential';

export function journalSettings(data: ICredentialDataDecryptedObject): JournalSettings {
	if (data.sshTunnel === true) {
		throw new FieldError(
			'sshTunnel',
			`${LABEL}: SSH Tunnel is not supported for the shared sent/charge record`,
			'Turn SSH Tunnel off and let n8n reach PostgreSQL directly (every worker needs to), or run the tunnel yourself (e.g. ssh -L) and point Host and Port at it.',
		);
	}
	const host = String(data.host ?? '').trim();
	if (!host) throw new FieldError('host', `${LABEL}: Host is empty`);
	const port = data.port === undefined || data.port === null || data.port === '' ? 5432 : Number(data.port);
	if (!Number.isInteger(port) || port < 1 || port > 65535) throw new FieldError('port', `${LABEL}: Port "${String(data.port)}" is not a port number (1-65535)`);
	const database = String(data.database ?? '').trim();
	if (!database) throw new FieldError('database', `${LABEL}: Database is empty`);
	const user = String(data.user ?? '').trim();
	if (!user) throw new FieldError('user', `${LABEL}: User is empty`);
	const ssl = (data.ssl === undefined || data.ssl === null || data.ssl === '' ? 'disable' : String(data.ssl)) as JournalSsl;
	if (!SSL_MODES.includes(ssl)) throw new FieldError('ssl', `${LABEL}: SSL "${ssl}" is not one of ${SSL_MODES.join(', ')}`);
	const maxConnections = data.maxConnections === undefined || data.maxConnections === null || data.maxConnections === '' ? 100 : Number(data.maxConnections);
	if (!Number.isInteger(maxConnections) || maxConnections < 2) {
		// One connection holds this process's locks while another reads and writes.
		throw new FieldError('maxConnections', `${LABEL}: Maximum Number of Connections "${String(data.maxConnections)}" must be a whole number of 2 or more for the shared sent/charge record`);
	}
	return {
		host,
		port,
		database,
		user,
		password: typeof data.password === 'string' ? data.password : '',
		ssl,
		allowUnauthorizedCerts: data.allowUnauthorizedCerts === true,
		maxConnections,
	};
}

/** Where the journal lives, for messages: never the user or the password. */
export function journalTarget(settings: JournalSettings): string {
	return `${settings.host}:${settings.port}/${settings.database}`;
}
