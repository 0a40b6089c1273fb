// SMTP sink: a real SMTP server (smtp-server) that parses every message with mailparser
// and keeps it in memory, plus a small HTTP view. Fault injection refuses messages with
// temporary 4xx replies, the way a greylisting or overloaded relay does.
import { createHash } from 'crypto';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { simpleParser, type AddressObject, type HeaderValue } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { drawLatency, listen, seededRandom, sendJson, sleep, type Latency, type RunningServer } from '../common/http';

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

// Message-IDs compare exactly (RFC 5322 gives no case folding); only the brackets are optional.
const bare = (messageId: string) => messageId.trim().replace(/^<|>$/g, '');

function addresses(value: AddressObject | AddressObject[] | undefined): SinkAddress[] {
	if (!value) return [];
	const list = Array.isArray(value) ? value : [value];
	const out: SinkAddress[] = [];
	const walk = (entries: { address?: string; name: string; group?: unknown[] }[]) => {
		for (const entry of entries) {
			if (entry.group) walk(entry.group as typeof entries);
			else out.push({ address: entry.address ?? '', name: entry.name ?? '' });
		}
	};
	for (const object of list) walk(object.value);
	return out;
}

// Header values from mailparser can be Maps/Dates/objects; keep them JSON-friendly.
function plainHeader(value: HeaderValue): unknown {
	if (value instanceof Date) return value.toISOString();
	if (typeof value === 'string' || Array.isArray(value)) return value;
	if (value && typeof value === 'object') {
		if ('value' in value && 'params' in value) return { value: value.value, params: value.params };
		if ('text' in value) return (value as AddressObject).text;
	}
	return value;
}

function smtpError(code: number, message: string): Error {
	return Object.assign(new Error(message), { responseCode: code });
}

export async function startSmtpSink(opts: SmtpSinkOptions = {}): Promise<SmtpSink> {
	const host = opts.host ?? '127.0.0.1';
	const random = seededRandom(opts.seed ?? 1);
	let latency = opts.latency;
	let fraction = opts.refuseFraction ?? 0;
	let fractionSpec: RefusalSpec = opts.refusal ?? {};
	let refuseQueue: RefusalSpec[] = [];
	let store: SinkMessage[] = [];
	const seen = new Map<string, number>();
	let nextId = 1;
	const stats: SmtpSinkStats = { received: 0, refused: 0, duplicates: 0, connections: 0 };
	const waiters = new Set<{ onMessage: () => void; cancel: () => void }>();
	const tlsMode = opts.tls ?? 'none';

	/** Decides, once per message (at MAIL FROM), whether and where it is refused. */
	const decide = (): RefusalSpec | null => {
		if (refuseQueue.length > 0) return refuseQueue.shift()!;
		// Always draw, so the sequence of decisions depends only on the seed and message order.
		const roll = random();
		return fraction > 0 && roll < fraction ? fractionSpec : null;
	};
	const refusalError = (spec: RefusalSpec) => {
		stats.refused++;
		return smtpError(spec.code ?? 451, spec.message ?? 'Requested action aborted: local error in processing, try again later');
	};

	const sessionRefusals = new Map<string, RefusalSpec | null>();

	const options: SMTPServerOptions = {
		logger: false,
		banner: 'billing-pipeline SMTP sink',
		// No reverse DNS for the client: it only slows every connection down.
		disableReverseLookup: true,
		secure: tlsMode === 'implicit',
		disabledCommands: tlsMode === 'none' ? ['STARTTLS'] : [],
		authMethods: ['PLAIN', 'LOGIN'],
		authOptional: !opts.auth,
		allowInsecureAuth: true,
		size: opts.maxSize ?? 25 * 1024 * 1024,
		closeTimeout: 200,
		onConnect(_session, callback) {
			stats.connections++;
			callback();
		},
		onAuth(auth, _session, callback) {
			if (!opts.auth) return callback(null, { user: auth.username ?? 'anonymous' });
			if (auth.username === opts.auth.user && auth.password === opts.auth.password) {
				return callback(null, { user: auth.username });
			}
			return callback(smtpError(535, 'Authentication credentials invalid'));
		},
		onMailFrom(_address, session, callback) {
			const spec = decide();
			sessionRefusals.set(session.id, spec);
			if (spec && (spec.stage ?? 'data') === 'mail') return callback(refusalError(spec));
			return callback();
		},
		onRcptTo(_address, session, callback) {
			const spec = sessionRefusals.get(session.id);
			if (spec && spec.stage === 'rcpt') {
				// Refuse once per message, not once per recipient.
				sessionRefusals.set(session.id, null);
				return callback(refusalError(spec));
			}
			return callback();
		},
		onData(stream, session, callback) {
			const chunks: Buffer[] = [];
			stream.on('data', (chunk: Buffer) => chunks.push(chunk));
			stream.on('end', () => {
				void (async () => {
					const wait = drawLatency(latency, random);
					if (wait > 0) await sleep(wait);
					if (stream.sizeExceeded) return callback(smtpError(552, 'Message exceeds fixed maximum message size'));
					const spec = sessionRefusals.get(session.id);
					sessionRefusals.delete(session.id);
					if (spec && (spec.stage ?? 'data') === 'data') return callback(refusalError(spec));
					try {
						const message = await store1(Buffer.concat(chunks), session);
						return callback(null, `Message queued as ${message.id}`);
					} catch (error) {
						return callback(smtpError(554, `Message could not be parsed: ${(error as Error).message}`));
					}
				})();
			});
		},
	};

	async function store1(raw: Buffer, session: { envelope: { mailFrom: false | { address: string }; rcptTo: { address: string }[] }; user?: unknown }): Promise<SinkMessage> {
		const parsed = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true });
		const messageId = parsed.messageId ?? null;
		let copy = 1;
		if (messageId) {
			copy = (seen.get(bare(messageId)) ?? 0) + 1;
			seen.set(bare(messageId), copy);
			if (copy > 1) stats.duplicates++;
		}
		const headers: Record<string, unknown> = {};
		for (const [key, value] of parsed.headers) headers[key] = plainHeader(value);
		const message: SinkMessage = {
			id: String(nextId++),
			messageId,
			copy,
			envelope: {
				mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
				rcptTo: session.envelope.rcptTo.map((r) => r.address),
			},
			from: addresses(parsed.from)[0] ?? null,
			to: addresses(parsed.to),
			cc: addresses(parsed.cc),
			replyTo: addresses(parsed.replyTo),
			subject: parsed.subject ?? null,
			date: parsed.date ? parsed.date.toISOString() : null,
			html: parsed.html === false ? null : (parsed.html ?? null),
			text: parsed.text ?? null,
			headers,
			headerLines: parsed.headerLines.map((h) => ({ key: h.key, line: h.line })),
			attachments: parsed.attachments.map((a) => ({
				filename: a.filename ?? null,
				contentType: a.contentType,
				size: a.content.length,
				sha256: createHash('sha256').update(a.content).digest('hex'),
				contentId: a.contentId ?? null,
				content: a.content,
			})),
			raw: raw.toString('utf8'),
			size: raw.length,
			authUser: typeof session.user === 'string' ? session.user : null,
			receivedAt: new Date().toISOString(),
		};
		store.push(message);
		stats.received++;
		for (const waiter of [...waiters]) waiter.onMessage();
		return message;
	}

	const smtp = new SMTPServer(options);
	smtp.on('error', () => {
		// Client-side socket errors (resets, TLS aborts) are normal for a sink; keep serving.
	});
	await new Promise<void>((resolve, reject) => {
		smtp.server.once('error', reject);
		smtp.listen(opts.port ?? 0, host, () => {
			smtp.server.off('error', reject);
			resolve();
		});
	});
	const smtpPort = (smtp.server.address() as AddressInfo).port;

	const summary = (m: SinkMessage) => {
		const { raw: _raw, attachments, headers: _headers, headerLines: _lines, ...rest } = m;
		return { ...rest, attachments: attachments.map(({ content: _content, ...a }) => a) };
	};
	const full = (m: SinkMessage) => {
		const { raw: _raw, ...rest } = m;
		return { ...rest, attachments: m.attachments.map((a) => ({ ...a, content: a.content.toString('base64') })) };
	};

	const view = http.createServer((req, res) => {
		const url = new URL(req.url ?? '/', 'http://smtp.sandbox');
		const match = /^\/messages\/([^/]+)(\/raw)?$/.exec(url.pathname);
		if (url.pathname === '/messages' && req.method === 'GET') {
			const to = url.searchParams.get('to');
			const messageId = url.searchParams.get('messageId');
			let list = to ? sink.byRecipient(to) : sink.messages();
			if (messageId) list = list.filter((m) => m.messageId && bare(m.messageId) === bare(messageId));
			return sendJson(res, 200, { messages: list.map(summary), stats: { ...stats } });
		}
		if (url.pathname === '/messages' && req.method === 'DELETE') {
			sink.clear();
			return sendJson(res, 200, { cleared: true });
		}
		if (match && req.method === 'GET') {
			const message = store.find((m) => m.id === decodeURIComponent(match[1]));
			if (!message) return sendJson(res, 404, { error: { code: 'not_found', message: `no message ${match[1]}` } });
			if (match[2]) {
				res.writeHead(200, { 'Content-Type': 'message/rfc822', 'Content-Length': Buffer.byteLength(message.raw) });
				return res.end(message.raw);
			}
			return sendJson(res, 200, full(message));
		}
		return sendJson(res, 404, { error: { code: 'not_found', message: `no route for ${req.method} ${url.pathname}` } });
	});
	let httpServer: RunningServer;
	try {
		httpServer = await listen(view, opts.httpPort ?? 0, host);
	} catch (error) {
		await new Promise<void>((resolve) => smtp.close(() => resolve()));
		throw error;
	}

	const waitUntil = <T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> => {
		const now = check();
		if (now !== undefined) return Promise.resolve(now);
		return new Promise<T>((resolve, reject) => {
			const finish = (error?: Error, result?: T) => {
				clearTimeout(timer);
				waiters.delete(waiter);
				if (error) reject(error);
				else resolve(result as T);
			};
			const timer = setTimeout(
				() => finish(new Error(`SMTP sink: timed out after ${timeoutMs} ms waiting for ${what} (${store.length} messages stored)`)),
				timeoutMs,
			);
			const waiter = {
				onMessage: () => {
					const result = check();
					if (result !== undefined) finish(undefined, result);
				},
				cancel: () => finish(new Error(`SMTP sink closed while waiting for ${what}`)),
			};
			waiters.add(waiter);
		});
	};

	const sink: SmtpSink = {
		host,
		port: smtpPort,
		httpUrl: httpServer.url,
		httpPort: httpServer.port,
		messages: () => [...store],
		byMessageId: (messageId) => {
			const wanted = bare(messageId);
			return [...store].reverse().find((m) => m.messageId !== null && bare(m.messageId) === wanted);
		},
		byRecipient: (address) => {
			const wanted = address.trim().toLowerCase();
			return store.filter(
				(m) =>
					m.envelope.rcptTo.some((r) => r.toLowerCase() === wanted) ||
					[...m.to, ...m.cc].some((a) => a.address.toLowerCase() === wanted),
			);
		},
		duplicates: () => Object.fromEntries([...seen].filter(([, count]) => count > 1).map(([id, count]) => [`<${id}>`, count])),
		countByMessageId: (messageId) => seen.get(bare(messageId)) ?? 0,
		stats: () => ({ ...stats }),
		clear: () => {
			store = [];
			seen.clear();
			stats.received = 0;
			stats.refused = 0;
			stats.duplicates = 0;
			stats.connections = 0;
		},
		waitFor: (predicate, timeoutMs = 5000) => waitUntil(() => store.find(predicate), timeoutMs, 'a matching message'),
		waitForCount: (count, timeoutMs = 5000) =>
			waitUntil(() => (store.length >= count ? [...store] : undefined), timeoutMs, `${count} messages`),
		refuseNext: (count, spec = {}) => {
			refuseQueue = [...refuseQueue, ...Array.from({ length: count }, () => spec)];
		},
		setRefuseFraction: (value, spec) => {
			fraction = value;
			if (spec) fractionSpec = spec;
		},
		setLatency: (value) => {
			latency = value;
		},
		close: async () => {
			for (const waiter of [...waiters]) waiter.cancel();
			const closed = new Promise<void>((resolve) => smtp.server.once('close', () => resolve()));
			smtp.close();
			// Pooled clients keep connections open; end them now rather than after closeTimeout.
			for (const connection of smtp.connections) {
				connection.send(421, 'Server shutting down');
				connection.close();
			}
			await Promise.all([closed, httpServer.close()]);
		},
	};
	return sink;
}
