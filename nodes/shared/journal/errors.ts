// What goes wrong with the shared journal, in the kit's error shape. A journal error never means
// "done": the caller turns it into a failure that says nothing was sent or charged (journalFailure),
// so the item goes to Retry or Park, never down a success path.
import { FieldError, ServiceError } from '../errors';
import { redactSecrets } from '../redact';

/** The journal's own code when another worker holds a lock we could not wait for. */
export const LOCK_BUSY = 'lockBusy';

// Connection trouble, a restarting or overloaded server, a serialisation conflict: later may work.
// SQLSTATE classes 08 (connection), 53 (resources), 57 (operator intervention: shutdown, timeout),
// 40 (transaction rollback), 55P03 (lock not available) and 42P01 (the table was dropped: the
// journal creates it again on the next call).
const RETRYABLE_SQLSTATE = /^(08|53|57|40)|^55P03$|^42P01$/;
const RETRYABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

// n8n replaces any error message that contains a Node errno code (ECONNREFUSED, ENOTFOUND,
// getaddrinfo…) or carries one as its code with a generic sentence that names neither the database
// nor the parameter. So the journal says them in words.
const ERRNO_WORDS: Readonly<Record<string, string>> = {
	ECONNREFUSED: 'connection refused',
	ECONNRESET: 'connection reset',
	ECONNABORTED: 'connection aborted',
	ETIMEDOUT: 'timed out',
	EHOSTUNREACH: 'host unreachable',
	ENETUNREACH: 'network unreachable',
	ENOTFOUND: 'host not found',
	EAI_AGAIN: 'name lookup failed',
	EADDRNOTAVAIL: 'address not available',
	EPIPE: 'connection closed',
};

/** `text` with errno codes in words, so n8n keeps the message. */
export function inWords(text: string): string {
	return text
		.replace(/\bconnect (?=E[A-Z_]{3,}\b)/g, 'could not connect: ')
		.replace(/\bgetaddrinfo\b/gi, 'name lookup').replace(/\bE[A-Z_]{3,}\b/g, (code) => ERRNO_WORDS[code] ?? code.slice(1).toLowerCase());
}

/** The journal's code for a database it cannot reach (the errno is in the message, in words). */
export const UNREACHABLE = 'databaseUnreachable';

interface PgFailure {
	message?: string;
	code?: string;
}

export class JournalError extends ServiceError {
	constructor(message: string, options: { code?: string; retryable: boolean; description?: string }, secrets: readonly string[] = []) {
		super(redactSecrets(inWords(message), secrets), { ...options, ...(options.description ? { description: redactSecrets(options.description, secrets) } : {}) });
		this.name = 'JournalError';
	}

	/** A failure of the pg driver or the server, for the journal at `target`, without the password. */
	static from(error: unknown, target: string, doing: string, secrets: readonly string[] = []): JournalError {
		if (error instanceof JournalError) return error;
		const cause = (error && typeof error === 'object' ? error : { message: String(error) }) as PgFailure;
		const code = typeof cause.code === 'string' ? cause.code : undefined;
		// pg's own timeouts carry no code: waiting for a connection, or for a query's answer.
		const timedOut = !code && /timeout|timed out|terminated/i.test(cause.message ?? '');
		const retryable = timedOut || (code !== undefined && (RETRYABLE_NODE_CODES.has(code) || RETRYABLE_SQLSTATE.test(code)));
		const errno = code !== undefined && /^E[A-Z_]+$/.test(code);
		const why = inWords(cause.message || 'unknown error');
		const sqlstate = code !== undefined && !errno && !why.includes(code) ? ` (SQLSTATE ${code})` : '';
		return new JournalError(`PostgreSQL at ${target} failed while ${doing}: ${why}${sqlstate}`, { code: errno || timedOut ? UNREACHABLE : code, retryable }, secrets);
	}
}

/** How a node names the journal it uses, for its error messages. */
export interface JournalUse {
	/** The node parameter that chose PostgreSQL, e.g. `sentRecord`. */
	parameter: string;
	/** Its label in the editor, e.g. `Sent Record`. */
	label: string;
	/** What did not happen, e.g. `Nothing was sent for this item.` */
	consequence: string;
}

/**
 * Any journal failure as the node reports it: naming the parameter, saying what did not happen,
 * retryable when the database may answer later. A FieldError (a bad credential) stays as it is.
 */
export function journalFailure(error: unknown, use: JournalUse): Error {
	if (!(error instanceof ServiceError)) {
		if (error instanceof FieldError) return error;
		return new JournalError(`${use.label} (${use.parameter}): ${error instanceof Error ? error.message : String(error)}.${after(use)}`, { retryable: true });
	}
	if (error.message.startsWith(`${use.label} (${use.parameter})`)) return error;
	return new JournalError(`${use.label} (${use.parameter}): ${error.message}.${after(use)}`, {
		code: error.code,
		retryable: error.retryable,
		description:
			error.description ??
			(error.retryable
				? 'The item is tried again later. If this persists, check that every n8n instance and worker can reach the database named in the Postgres credential.'
				: 'Check the Postgres credential (user, password, database) and that the user may create and write the table n8n_billing_pipeline_journal.'),
	});
}

const after = (use: JournalUse) => (use.consequence ? ` ${use.consequence}` : '');
