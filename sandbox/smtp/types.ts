// Public types of the SMTP sink: stored messages, refusal (fault) settings, options, stats
// and the sink handle startSmtpSink returns.
import type { Latency } from '../common/http';

export interface SinkAddress {
	address: string;
	name: string;
}

export interface SinkAttachment {
	filename: string | null;
	contentType: string;
	size: number;
	sha256: string;
	contentId: string | null;
	content: Buffer;
}

export interface SinkMessage {
	/** Sink-local id ("1", "2", ...), used by the HTTP view. */
	id: string;
	/** Message-ID header as sent, with angle brackets; null when absent. */
	messageId: string | null;
	/** How many messages with this Message-ID the sink had received, this one included. */
	copy: number;
	envelope: { mailFrom: string | null; rcptTo: string[] };
	from: SinkAddress | null;
	to: SinkAddress[];
	cc: SinkAddress[];
	replyTo: SinkAddress[];
	subject: string | null;
	date: string | null;
	html: string | null;
	text: string | null;
	/** Parsed headers, lower-case names. */
	headers: Record<string, unknown>;
	/** Raw header lines as received (unfolded by the parser), for injection checks. */
	headerLines: { key: string; line: string }[];
	attachments: SinkAttachment[];
	/** The full message source. */
	raw: string;
	size: number;
	authUser: string | null;
	receivedAt: string;
}

export type RefusalStage = 'mail' | 'rcpt' | 'data';

export interface RefusalSpec {
	/** SMTP reply code; default 451 (temporary). */
	code?: number;
	message?: string;
	/** When in the transaction to refuse; default 'data' (after the message was transmitted). */
	stage?: RefusalStage;
}

export interface SmtpSinkOptions {
	host?: string;
	/** SMTP port; default 0 (free port). */
	port?: number;
	/** HTTP view port; default 0 (free port). */
	httpPort?: number;
	/** Require AUTH PLAIN/LOGIN with these; without it AUTH is optional and any login is accepted. */
	auth?: { user: string; password: string };
	/** 'none' (default, STARTTLS not offered), 'starttls' (offered), 'implicit' (TLS from the first byte). Uses smtp-server's built-in self-signed test certificate. */
	tls?: 'none' | 'starttls' | 'implicit';
	/** Seed for refusal and latency draws. */
	seed?: number;
	/** Refuse this fraction (0..1) of messages, drawn with the seeded random. */
	refuseFraction?: number;
	refusal?: RefusalSpec;
	/** Delay before answering each message. */
	latency?: Latency;
	/** Largest message accepted, bytes; default 25 MiB. */
	maxSize?: number;
}

export interface SmtpSinkStats {
	received: number;
	refused: number;
	/** Messages whose Message-ID had been seen before. */
	duplicates: number;
	/** SMTP connections accepted (shows whether a client reuses pooled connections). */
	connections: number;
}

export interface SmtpSink {
	host: string;
	port: number;
	/** Base URL of the HTTP view. */
	httpUrl: string;
	httpPort: number;
	messages(): SinkMessage[];
	/** Latest message with this Message-ID (angle brackets optional). */
	byMessageId(messageId: string): SinkMessage | undefined;
	/** Messages whose envelope or To/Cc headers name this address (case-insensitive). */
	byRecipient(address: string): SinkMessage[];
	/** Message-IDs received more than once, with counts. */
	duplicates(): Record<string, number>;
	countByMessageId(messageId: string): number;
	stats(): SmtpSinkStats;
	clear(): void;
	/** Resolves with the first stored message matching `predicate` (already stored or arriving within `timeoutMs`). */
	waitFor(predicate: (message: SinkMessage) => boolean, timeoutMs?: number): Promise<SinkMessage>;
	/** Resolves once at least `count` messages are stored. */
	waitForCount(count: number, timeoutMs?: number): Promise<SinkMessage[]>;
	/** Refuse the next `count` messages. */
	refuseNext(count: number, spec?: RefusalSpec): void;
	setRefuseFraction(fraction: number, spec?: RefusalSpec): void;
	setLatency(latency: Latency | undefined): void;
	close(): Promise<void>;
}

/** The parts of an smtp-server session the sink reads when storing a message. */
export interface SessionEnvelope {
	envelope: { mailFrom: false | { address: string }; rcptTo: { address: string }[] };
	user?: unknown;
}
