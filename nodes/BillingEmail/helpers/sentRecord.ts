// Where the node records the emails the SMTP server accepted (the Sent Record parameter), behind
// one interface so the delivery flow does not care which:
// - file: the journal in this n8n's user folder (sentJournal.ts); each process knows its own sends
//   and those of processes sharing the folder;
// - postgres: the shared journal (nodes/shared/journal), for queue-mode workers with their own
//   user folders: one batched read skips what any worker sent; each send holds a lock on its
//   Message-ID that PostgreSQL drops if the worker dies, so two live workers never send the same
//   email at once; the row is written right after the server accepted the message.
import type { IExecuteFunctions } from 'n8n-workflow';
import { FieldError } from '../../shared/errors';
import { journalFailure, type Journal, type JournalUse } from '../../shared/journal';
import { booleanParameter, choiceParameter, textParameter } from '../../shared/parameters';
import { defaultJournalFolder, sentJournal, type SentJournal } from './sentJournal';

export type SentRecordMode = 'file' | 'postgres' | 'off';

const MODES: readonly SentRecordMode[] = ['file', 'postgres', 'off'];

/** What sendOnce did: the message had been sent (when), `send` ran, or another worker is sending it now. */
export type SendOnce<T> = { sentAt: string } | { value: T } | { busy: true };

export interface SentRecord {
	/** Which of `messageIds` went out already, and when (one read for the whole batch). */
	sentAmong(messageIds: readonly string[]): Promise<Map<string, string>>;
	/**
	 * Runs `send` (which sends and records) unless the message went out already. Executions of this
	 * process holding the same message wait for each other; `signal` ends the wait.
	 */
	sendOnce<T>(messageId: string, send: () => Promise<T>, signal?: AbortSignal): Promise<SendOnce<T>>;
	/** Records an accepted message before the caller moves on. */
	record(messageId: string): Promise<void>;
}

/**
 * The Sent Record parameter, with the older Skip Already Sent option still honoured: off there
 * means Off (workflows made before Sent Record existed).
 */
export function sentRecordMode(fns: IExecuteFunctions): SentRecordMode {
	const mode = choiceParameter(fns, 'sentRecord', 0, MODES, 'file', 'Sent Record');
	const skip = booleanParameter(fns, 'options.skipAlreadySent', 0, true);
	if (mode === 'postgres') {
		// Two explicit choices that contradict each other: say so rather than pick one silently.
		if (!skip) {
			throw new FieldError(
				'options.skipAlreadySent',
				'Skip Already Sent (options.skipAlreadySent) is off, but Sent Record is PostgreSQL',
				'Set Sent Record to Off to send without a record, or remove the Skip Already Sent option. Nothing was sent.',
			);
		}
		if (textParameter(fns, 'options.journalFolder', 0)) {
			throw new FieldError(
				'options.journalFolder',
				'Journal Folder (options.journalFolder) is set, but Sent Record is PostgreSQL, which keeps no file',
				'Remove the Journal Folder option, or set Sent Record to File. Nothing was sent.',
			);
		}
		return mode;
	}
	return skip ? mode : 'off';
}

/** The file journal of the Journal Folder option (default: n8n's user folder). */
export function fileSentRecord(fns: IExecuteFunctions): SentRecord {
	return new FileSentRecord(sentJournal(textParameter(fns, 'options.journalFolder', 0, defaultJournalFolder())));
}

class FileSentRecord implements SentRecord {
	constructor(private readonly journal: SentJournal) {}

	async sentAmong(messageIds: readonly string[]): Promise<Map<string, string>> {
		try {
			await this.journal.refresh();
		} catch (error) {
			// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- below the router: toNodeError makes it a NodeApiError/NodeOperationError once
			throw new FieldError(
				'options.journalFolder',
				// Without the errno prefix: n8n swaps a message naming EEXIST, EACCES… for a generic one.
				`Cannot read the sent-email journal in ${this.journal.folder}: ${String((error as Error).message).replace(/^E[A-Z]+: /, '')}`,
				'Make the folder writable for n8n, set another Journal Folder, or set Sent Record to Off. Nothing was sent.',
			);
		}
		const sent = new Map<string, string>();
		for (const id of messageIds) {
			const at = this.journal.sentAt(id);
			if (at !== undefined) sent.set(id, at);
		}
		return sent;
	}

	async sendOnce<T>(messageId: string, send: () => Promise<T>, signal?: AbortSignal): Promise<SendOnce<T>> {
		return await this.journal.sendOnce(messageId, send, signal);
	}

	async record(messageId: string): Promise<void> {
		await this.journal.record(messageId);
	}
}

const KIND = 'email.sent';

export const SENT_RECORD_USE: JournalUse = { parameter: 'sentRecord', label: 'Sent Record', consequence: 'Nothing was sent for this item.' };

export class PostgresSentRecord implements SentRecord {
	constructor(private readonly journal: Journal) {}

	async sentAmong(messageIds: readonly string[]): Promise<Map<string, string>> {
		let rows;
		try {
			rows = await this.journal.read(KIND, messageIds);
		} catch (error) {
			throw journalFailure(error, { ...SENT_RECORD_USE, consequence: 'Nothing was sent.' });
		}
		const sent = new Map<string, string>();
		for (const [id, row] of rows) if (row.state === 'sent') sent.set(id, sentAtOf(row.data.sentAt, row.updatedAt));
		return sent;
	}

	async sendOnce<T>(messageId: string, send: () => Promise<T>, signal?: AbortSignal): Promise<SendOnce<T>> {
		let sending = false;
		try {
			const outcome = await this.journal.withLock(
				KIND,
				messageId,
				async (): Promise<SendOnce<T>> => {
					// Read again under the lock: the worker that held it before may have sent it since the batch read.
					const row = await this.journal.readOne(KIND, messageId);
					if (row?.state === 'sent') return { sentAt: sentAtOf(row.data.sentAt, row.updatedAt) };
					sending = true;
					return { value: await send() };
				},
				{ wait: false, signal },
			);
			return outcome.locked ? outcome.value : { busy: true };
		} catch (error) {
			// The send's own failure (the SMTP server's answer) is the caller's; the journal's is named here.
			throw sending ? error : journalFailure(error, SENT_RECORD_USE);
		}
	}

	async record(messageId: string): Promise<void> {
		await this.journal.write(KIND, messageId, 'sent', { sentAt: new Date().toISOString() });
	}
}

function sentAtOf(value: unknown, fallback: string): string {
	return typeof value === 'string' && value ? value : fallback;
}
