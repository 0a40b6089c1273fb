// The sink's mailbox: stored messages, Message-ID copy counts, the sink-wide stats, lookups,
// and waiters that resolve when a matching message arrives.
import { bare, parseMessage } from './parse';
import type { SessionEnvelope, SinkMessage, SmtpSinkStats } from './types';

interface Waiter {
	onMessage: () => void;
	cancel: () => void;
}

export class Mailbox {
	/** Shared with the session and fault modules, which count connections and refusals. */
	readonly stats: SmtpSinkStats = { received: 0, refused: 0, duplicates: 0, connections: 0 };
	private store: SinkMessage[] = [];
	private readonly seen = new Map<string, number>();
	private nextId = 1;
	private readonly waiters = new Set<Waiter>();

	/** Parses and stores a received message, then wakes the waiters. */
	async receive(raw: Buffer, session: SessionEnvelope): Promise<SinkMessage> {
		const message = await parseMessage(raw, session, (messageId) => ({ copy: this.countCopy(messageId), id: String(this.nextId++) }));
		this.store.push(message);
		this.stats.received++;
		for (const waiter of [...this.waiters]) waiter.onMessage();
		return message;
	}

	messages(): SinkMessage[] {
		return [...this.store];
	}

	count(): number {
		return this.store.length;
	}

	byId(id: string): SinkMessage | undefined {
		return this.store.find((m) => m.id === id);
	}

	byMessageId(messageId: string): SinkMessage | undefined {
		const wanted = bare(messageId);
		return [...this.store].reverse().find((m) => m.messageId !== null && bare(m.messageId) === wanted);
	}

	byRecipient(address: string): SinkMessage[] {
		const wanted = address.trim().toLowerCase();
		return this.store.filter(
			(m) => m.envelope.rcptTo.some((r) => r.toLowerCase() === wanted) || [...m.to, ...m.cc].some((a) => a.address.toLowerCase() === wanted),
		);
	}

	duplicates(): Record<string, number> {
		return Object.fromEntries([...this.seen].filter(([, count]) => count > 1).map(([id, count]) => [`<${id}>`, count]));
	}

	countByMessageId(messageId: string): number {
		return this.seen.get(bare(messageId)) ?? 0;
	}

	/** Forgets messages, Message-IDs and stats (waiters keep waiting). */
	clear(): void {
		this.store = [];
		this.seen.clear();
		this.stats.received = 0;
		this.stats.refused = 0;
		this.stats.duplicates = 0;
		this.stats.connections = 0;
	}

	waitFor(predicate: (message: SinkMessage) => boolean, timeoutMs = 5000): Promise<SinkMessage> {
		return this.waitUntil(() => this.store.find(predicate), timeoutMs, 'a matching message');
	}

	waitForCount(count: number, timeoutMs = 5000): Promise<SinkMessage[]> {
		return this.waitUntil(() => (this.store.length >= count ? [...this.store] : undefined), timeoutMs, `${count} messages`);
	}

	/** Rejects every pending waiter (the sink is closing). */
	cancelWaiters(): void {
		for (const waiter of [...this.waiters]) waiter.cancel();
	}

	private countCopy(messageId: string | null): number {
		if (!messageId) return 1;
		const copy = (this.seen.get(bare(messageId)) ?? 0) + 1;
		this.seen.set(bare(messageId), copy);
		if (copy > 1) this.stats.duplicates++;
		return copy;
	}

	private waitUntil<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
		const now = check();
		if (now !== undefined) return Promise.resolve(now);
		return new Promise<T>((resolve, reject) => {
			const finish = (error?: Error, result?: T) => {
				clearTimeout(timer);
				this.waiters.delete(waiter);
				if (error) reject(error);
				else resolve(result as T);
			};
			const timer = setTimeout(
				() => finish(new Error(`SMTP sink: timed out after ${timeoutMs} ms waiting for ${what} (${this.store.length} messages stored)`)),
				timeoutMs,
			);
			const waiter: Waiter = {
				onMessage: () => {
					const result = check();
					if (result !== undefined) finish(undefined, result);
				},
				cancel: () => finish(new Error(`SMTP sink closed while waiting for ${what}`)),
			};
			this.waiters.add(waiter);
		});
	}
}
