// The only module that touches nodemailer. Pooled SMTP transports are cached per
// credential across executions (a billing run sends many mails; a new TLS handshake
// and AUTH per mail is slow and upsets rate limits) and closed once idle.
import { createHash } from 'crypto';
import { isIP } from 'net';
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';

export type TlsMode = 'none' | 'starttls' | 'implicit';

export interface SmtpSettings {
	host: string;
	port: number;
	tlsMode: TlsMode;
	user: string;
	password: string;
	allowUnauthorizedCerts: boolean;
}

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

/** An SMTP failure, with what the server said and whether a later retry may succeed. */
export class SmtpSendError extends Error {
	readonly code?: string;
	readonly responseCode?: number;
	readonly response?: string;
	readonly command?: string;
	/** 4xx replies and connection problems are worth retrying; 5xx and auth failures are not. */
	readonly temporary: boolean;

	constructor(cause: { message?: string; code?: string; responseCode?: number; response?: string; command?: string }) {
		super(cause.message || 'SMTP send failed');
		this.name = 'SmtpSendError';
		this.code = cause.code;
		this.responseCode = cause.responseCode;
		this.response = cause.response;
		this.command = cause.command;
		const connectionProblem = ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'ECONNRESET'].includes(cause.code ?? '');
		this.temporary =
			cause.responseCode !== undefined ? cause.responseCode >= 400 && cause.responseCode < 500 : connectionProblem;
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

/**
 * Runs `work` with a send function over the cached pool for `settings`. The pool stays
 * open while any execution uses it and closes `idleCloseMs` after the last one finished.
 */
export async function withSmtpPool<T>(settings: SmtpSettings, work: (send: SendFn) => Promise<T>): Promise<T> {
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
			throw new SmtpSendError(error as SmtpSendError);
		}
	};
	try {
		return await work(send);
	} finally {
		current.users--;
		if (current.users === 0 && pools.get(key) === current) {
			current.idleTimer = setTimeout(() => closeEntry(key, current), idleCloseMs);
			// An idle pool must not keep the process alive on its own.
			current.idleTimer.unref();
		}
	}
}

/** Connects, negotiates TLS and authenticates once, without sending (credential test). */
export async function verifySmtp(settings: SmtpSettings): Promise<void> {
	const { pool: _pool, maxConnections: _max, maxMessages: _messages, ...single } = transportOptions(settings);
	const transporter = nodemailer.createTransport({ ...single, connectionTimeout: 10_000, greetingTimeout: 10_000 });
	try {
		await transporter.verify();
	} catch (error) {
		throw new SmtpSendError(error as SmtpSendError);
	} finally {
		transporter.close();
	}
}
