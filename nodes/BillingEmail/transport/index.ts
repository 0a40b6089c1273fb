// The only module that touches nodemailer. Pooled SMTP transports are cached per
// credential across executions (a billing run sends many mails; a new TLS handshake
// and AUTH per mail is slow and upsets rate limits) and closed once idle.
import { createHash } from 'crypto';
import { isIP } from 'net';
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import { ServiceError } from '../../shared/errors';
import { redactSecrets } from '../../shared/redact';
import type { SmtpConnection, SmtpSettings } from './credentials';

export { connectionFromCredentials, type SmtpConnection, type SmtpSettings, type TlsMode } from './credentials';

export interface MailAddress {
	name: string;
	address: string;
}

export interface OutgoingEmail {
	from: MailAddress;
	to: MailAddress[];
	replyTo?: MailAddress[];
	bcc?: MailAddress[];
	subject: string;
	html: string;
	text: string;
	messageId: string;
	/** Extra headers; values must already be free of CR/LF. */
	headers: Record<string, string>;
	inReplyTo?: string;
	references?: string[];
	attachments: { filename: string; content: Buffer; contentType: string }[];
}

export interface SendResult {
	messageId: string;
	accepted: string[];
	rejected: string[];
	response: string;
	envelope: { from: string | false; to: string[] };
}

interface SmtpFailureCause {
	message?: string;
	/** nodemailer's code: EAUTH, ECONNECTION, EMESSAGE, … */
	code?: string;
	responseCode?: number;
	response?: string;
	command?: string;
}

const CONNECTION_PROBLEMS = ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'ECONNRESET'];

/**
 * An SMTP failure, with what the server said. `code` is the server's reply code when it gave one
 * (451, 550), else nodemailer's (ECONNECTION); `retryable` says whether a later retry may succeed:
 * 4xx replies and connection problems yes, 5xx and auth failures no. The server's words are kept
 * without secrets: a server may echo the AUTH exchange (base64 of user and password) in its reply,
 * and the reply travels into the item's output.
 */
export class SmtpSendError extends ServiceError {
	readonly responseCode?: number;
	readonly response?: string;
	readonly command?: string;

	constructor(cause: SmtpFailureCause, secrets: readonly string[] = []) {
		const connectionProblem = CONNECTION_PROBLEMS.includes(cause.code ?? '');
		super(redactSecrets(cause.message || 'SMTP send failed', secrets), {
			code: cause.responseCode ?? cause.code,
			retryable: cause.responseCode !== undefined ? cause.responseCode >= 400 && cause.responseCode < 500 : connectionProblem,
		});
		this.name = 'SmtpSendError';
		this.responseCode = cause.responseCode;
		this.response = cause.response === undefined ? undefined : redactSecrets(cause.response, secrets);
		this.command = cause.command === undefined ? undefined : redactSecrets(cause.command, secrets);
	}

	/** The SMTP word for `retryable` (a 4xx reply is a "temporary" failure). */
	get temporary(): boolean {
		return this.retryable;
	}
}

function transportOptions(settings: SmtpSettings): SMTPPool.Options {
	return {
		pool: true,
		host: settings.host,
		port: settings.port,
		secure: settings.tlsMode === 'implicit',
		// 'none' must not upgrade opportunistically; 'starttls' must not fall back to plain.
		ignoreTLS: settings.tlsMode === 'none',
		requireTLS: settings.tlsMode === 'starttls',
		auth: settings.user ? { user: settings.user, pass: settings.password } : undefined,
		// SNI only for names; an IP address as servername is deprecated in Node.
		tls: { rejectUnauthorized: !settings.allowUnauthorizedCerts, ...(isIP(settings.host) ? {} : { servername: settings.host }) },
		maxConnections: 5,
		maxMessages: 100,
		connectionTimeout: 15_000,
		greetingTimeout: 15_000,
		socketTimeout: 60_000,
		logger: false,
	};
}

interface PoolEntry {
	transporter: Transporter<SMTPPool.SentMessageInfo>;
	users: number;
	idleTimer?: NodeJS.Timeout;
}

const pools = new Map<string, PoolEntry>();
let idleCloseMs = 30_000;

/** How long an unused pooled transport stays open (default 30 s). */
export function setIdleCloseDelay(ms: number): void {
	idleCloseMs = ms;
}

/** Number of cached pooled transports (for tests and diagnostics). */
export function openTransportCount(): number {
	return pools.size;
}

// Key on every connection-relevant field, hashed so the cache holds no password in clear.
const poolKey = (s: SmtpSettings) =>
	createHash('sha256').update(JSON.stringify([s.host, s.port, s.tlsMode, s.user, s.password, s.allowUnauthorizedCerts])).digest('hex');

function closeEntry(key: string, entry: PoolEntry): void {
	if (entry.idleTimer) clearTimeout(entry.idleTimer);
	pools.delete(key);
	entry.transporter.close();
}

/** Closes every cached transport now (tests' afterAll, process shutdown). */
export function closeAllTransports(): void {
	for (const [key, entry] of [...pools]) closeEntry(key, entry);
}

export type SendFn = (email: OutgoingEmail) => Promise<SendResult>;

/** A hold on the cached pool of one credential: send through it, release it when done. */
export interface SmtpLease {
	send: SendFn;
	release: () => void;
}

/**
 * Takes the cached pool for `settings` (creating it; nodemailer connects only on the first send).
 * The pool stays open while any execution holds it and closes `idleCloseMs` after the last release.
 */
export function acquireSmtpPool(settings: SmtpSettings): SmtpLease {
	const key = poolKey(settings);
	let entry = pools.get(key);
	if (!entry) {
		const transporter = nodemailer.createTransport(transportOptions(settings));
		// Pool-level errors surface per message; an unhandled 'error' event would crash n8n.
		transporter.on('error', () => undefined);
		entry = { transporter, users: 0 };
		pools.set(key, entry);
	}
	const current = entry;
	if (current.idleTimer) clearTimeout(current.idleTimer);
	current.idleTimer = undefined;
	current.users++;
	let released = false;
	const send: SendFn = async (email) => {
		try {
			const info = await current.transporter.sendMail({
				from: email.from,
				to: email.to,
				replyTo: email.replyTo,
				bcc: email.bcc,
				subject: email.subject,
				html: email.html,
				text: email.text,
				messageId: email.messageId,
				inReplyTo: email.inReplyTo,
				references: email.references,
				headers: email.headers,
				attachments: email.attachments,
				// Never let nodemailer read files or URLs named in data.
				disableFileAccess: true,
				disableUrlAccess: true,
			});
			return {
				messageId: info.messageId,
				accepted: info.accepted.map(String),
				rejected: info.rejected.map(String),
				response: info.response,
				envelope: { from: info.envelope.from, to: info.envelope.to },
			};
		} catch (error) {
			// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- below the router: toNodeError makes it a NodeApiError/NodeOperationError once
			throw new SmtpSendError(error as SmtpFailureCause, [settings.password]);
		}
	};
	const release = () => {
		if (released) return;
		released = true;
		current.users--;
		if (current.users === 0 && pools.get(key) === current) {
			current.idleTimer = setTimeout(() => closeEntry(key, current), idleCloseMs);
			// An idle pool must not keep the process alive on its own.
			current.idleTimer.unref();
		}
	};
	return { send, release };
}

/** What the Billing Email operations get from the router: the connection and its pool's send. */
export interface SmtpClient {
	connection: SmtpConnection;
	send: SendFn;
}

/** Connects, negotiates TLS and authenticates once, without sending (credential test). */
export async function verifySmtp(settings: SmtpSettings): Promise<void> {
	const { pool: _pool, maxConnections: _max, maxMessages: _messages, ...single } = transportOptions(settings);
	const transporter = nodemailer.createTransport({ ...single, connectionTimeout: 10_000, greetingTimeout: 10_000 });
	try {
		await transporter.verify();
	} catch (error) {
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- below the router: toNodeError makes it a NodeApiError/NodeOperationError once
		throw new SmtpSendError(error as SmtpFailureCause, [settings.password]);
	} finally {
		transporter.close();
	}
}
