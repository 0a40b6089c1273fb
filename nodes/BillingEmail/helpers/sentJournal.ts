// A durable record of the Message-IDs this n8n has handed to the SMTP server. A batch whose
// execution died (SIGKILL, power cut, lost broker connection) comes back from RabbitMQ whole; the
// journal lets the node skip the emails of that batch that already went out, so a crash costs
// at most the emails in flight at that instant instead of the whole batch. One append-only file
// per UTC day; a line is written and fsynced right after the server accepted the message. Several
// n8n instances can share one journal folder (a shared volume): each reads what the others
// appended since it last looked.
import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { KeyedLock } from '../../shared/concurrency';

const FILE = /^sent-(\d{4}-\d{2}-\d{2})\.log$/;

/** n8n's own user folder (`N8N_USER_FOLDER`/.n8n, else ~/.n8n), where the journal lives by default. */
export function defaultJournalFolder(): string {
	return path.join(process.env.N8N_USER_FOLDER ?? os.homedir(), '.n8n', 'billing-email-journal');
}

export class SentJournal {
	private readonly sent = new Map<string, string>();
	/** Bytes already read from each day file. */
	private readonly offsets = new Map<string, number>();

	constructor(
		readonly folder: string,
		private readonly retentionDays = 60,
		private readonly now: () => Date = () => new Date(),
	) {}

	/** Reads what was appended since the last refresh (by this process or another sharing the folder). */
	async refresh(): Promise<void> {
		await fsp.mkdir(this.folder, { recursive: true });
		const oldest = new Date(this.now().getTime() - this.retentionDays * 86_400_000).toISOString().slice(0, 10);
		for (const name of await fsp.readdir(this.folder)) {
			const m = FILE.exec(name);
			if (!m) continue;
			const file = path.join(this.folder, name);
			if (m[1] < oldest) {
				await fsp.rm(file, { force: true });
				this.offsets.delete(file);
				continue;
			}
			const from = this.offsets.get(file) ?? 0;
			const handle = await fsp.open(file, 'r');
			try {
				const { size } = await handle.stat();
				if (size <= from) continue;
				const buf = Buffer.alloc(size - from);
				await handle.read(buf, 0, buf.length, from);
				// Only whole lines: a line another process is writing right now is read next time.
				const text = buf.toString('utf8');
				const end = text.lastIndexOf('\n') + 1;
				for (const line of text.slice(0, end).split('\n')) {
					const [messageId, at] = line.split('\t');
					if (messageId) this.sent.set(messageId, at ?? '');
				}
				this.offsets.set(file, from + Buffer.byteLength(text.slice(0, end)));
			} finally {
				await handle.close();
			}
		}
	}

	/** Serialises the sends of one Message-ID within this process. */
	private readonly sending = new KeyedLock();

	/**
	 * Runs `send` (which sends and records) unless the message went out already. Two executions of
	 * this process can hold the same message at once: after a broker restart RabbitMQ redelivers a
	 * batch whose first execution is still sending. The second waits for the first, then skips.
	 * `signal` (the execution's cancel signal) ends the wait with LockWaitAborted.
	 */
	async sendOnce<T>(messageId: string, send: () => Promise<T>, signal?: AbortSignal): Promise<{ sentAt: string } | { value: T }> {
		return await this.sending.run(
			messageId,
			async () => {
				const sentAt = this.sent.get(messageId);
				return sentAt !== undefined ? { sentAt } : { value: await send() };
			},
			signal,
		);
	}

	/** When this Message-ID was sent, if the journal knows it. */
	sentAt(messageId: string): string | undefined {
		return this.sent.get(messageId);
	}

	/** Records an accepted message durably (fsync) before the caller moves on. */
	async record(messageId: string): Promise<void> {
		if (/[\t\r\n]/.test(messageId)) throw new Error('Message-ID must not contain tabs or line breaks');
		const at = this.now().toISOString();
		const file = path.join(this.folder, `sent-${at.slice(0, 10)}.log`);
		const handle = await fsp.open(file, 'a');
		try {
			await handle.write(`${messageId}\t${at}\n`);
			await handle.datasync();
		} finally {
			await handle.close();
		}
		this.sent.set(messageId, at);
	}
}

const journals = new Map<string, SentJournal>();

/** One journal object per folder and process, shared by every execution. */
export function sentJournal(folder: string): SentJournal {
	let journal = journals.get(folder);
	if (!journal) {
		journal = new SentJournal(folder);
		journals.set(folder, journal);
	}
	return journal;
}
