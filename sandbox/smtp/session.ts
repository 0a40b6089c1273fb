// SMTP session handling: the smtp-server options and callbacks (connect, AUTH, MAIL FROM,
// RCPT TO, DATA) that count connections, check logins, apply refusals and store messages.
import type { SMTPServerOptions } from 'smtp-server';
import { drawLatency, sleep, type Latency } from '../common/http';
import { smtpError, type RefusalPolicy } from './faults';
import type { Mailbox } from './mailbox';
import type { SmtpSinkOptions } from './types';

export interface SessionDeps {
	mailbox: Mailbox;
	refusals: RefusalPolicy;
	random: () => number;
	/** Read per message, so setLatency applies to the next one. */
	latency: () => Latency | undefined;
}

export function sessionOptions(opts: SmtpSinkOptions, deps: SessionDeps): SMTPServerOptions {
	const tlsMode = opts.tls ?? 'none';
	const { mailbox, refusals } = deps;
	return {
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
			mailbox.stats.connections++;
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
			const refused = refusals.atMailFrom(session.id);
			return refused ? callback(refused) : callback();
		},
		onRcptTo(_address, session, callback) {
			const refused = refusals.atRcptTo(session.id);
			return refused ? callback(refused) : callback();
		},
		onData(stream, session, callback) {
			const chunks: Buffer[] = [];
			stream.on('data', (chunk: Buffer) => chunks.push(chunk));
			stream.on('end', () => {
				void (async () => {
					const wait = drawLatency(deps.latency(), deps.random);
					if (wait > 0) await sleep(wait);
					if (stream.sizeExceeded) return callback(smtpError(552, 'Message exceeds fixed maximum message size'));
					const refused = refusals.atData(session.id);
					if (refused) return callback(refused);
					try {
						const message = await mailbox.receive(Buffer.concat(chunks), session);
						return callback(null, `Message queued as ${message.id}`);
					} catch (error) {
						return callback(smtpError(554, `Message could not be parsed: ${(error as Error).message}`));
					}
				})();
			});
		},
	};
}
