// SMTP sink: a real SMTP server (smtp-server) that parses every message with mailparser and
// keeps it in memory, plus a small HTTP view. Fault injection refuses messages with
// temporary 4xx replies, the way a greylisting or overloaded relay does.
// Parts: session.ts (SMTP callbacks), faults.ts (refusals), mailbox.ts (storage and waiters),
// parse.ts (message parsing), view.ts (HTTP view), types.ts (public types).
import type { AddressInfo } from 'net';
import * as http from 'http';
import { SMTPServer } from 'smtp-server';
import { listen, seededRandom, type RunningServer } from '../common/http';
import { RefusalPolicy } from './faults';
import { Mailbox } from './mailbox';
import { sessionOptions } from './session';
import type { SmtpSink, SmtpSinkOptions } from './types';
import { viewHandler } from './view';

export type { RefusalSpec, RefusalStage, SinkAddress, SinkAttachment, SinkMessage, SmtpSink, SmtpSinkOptions, SmtpSinkStats } from './types';

export async function startSmtpSink(opts: SmtpSinkOptions = {}): Promise<SmtpSink> {
	const host = opts.host ?? '127.0.0.1';
	const random = seededRandom(opts.seed ?? 1);
	let latency = opts.latency;
	const mailbox = new Mailbox();
	const refusals = new RefusalPolicy(random, mailbox.stats, opts.refuseFraction ?? 0, opts.refusal ?? {});

	const smtp = new SMTPServer(sessionOptions(opts, { mailbox, refusals, random, latency: () => latency }));
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
	let httpServer: RunningServer;
	try {
		httpServer = await listen(http.createServer(viewHandler(mailbox)), opts.httpPort ?? 0, host);
	} catch (error) {
		await new Promise<void>((resolve) => smtp.close(() => resolve()));
		throw error;
	}

	return {
		host,
		port: (smtp.server.address() as AddressInfo).port,
		httpUrl: httpServer.url,
		httpPort: httpServer.port,
		messages: () => mailbox.messages(),
		byMessageId: (messageId) => mailbox.byMessageId(messageId),
		byRecipient: (address) => mailbox.byRecipient(address),
		duplicates: () => mailbox.duplicates(),
		countByMessageId: (messageId) => mailbox.countByMessageId(messageId),
		stats: () => ({ ...mailbox.stats }),
		clear: () => mailbox.clear(),
		waitFor: (predicate, timeoutMs) => mailbox.waitFor(predicate, timeoutMs),
		waitForCount: (count, timeoutMs) => mailbox.waitForCount(count, timeoutMs),
		refuseNext: (count, spec) => refusals.refuseNext(count, spec),
		setRefuseFraction: (value, spec) => refusals.setFraction(value, spec),
		setLatency: (value) => {
			latency = value;
		},
		close: async () => {
			mailbox.cancelWaiters();
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
}
