// Per-item concurrency and batching, shared by the per-item operations (a gateway request each)
// and the batched ones (Xero counts calls, not records).

/**
 * Runs `fn` over `items` with at most `limit` in flight, starting them in input order (so per-key
 * locks taken inside `fn` are queued in item order); results keep input order.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
	const results = new Array<R>(items.length);
	let next = 0;
	const worker = async () => {
		while (next < items.length) {
			const index = next++;
			results[index] = await fn(items[index], index);
		}
	};
	await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
	return results;
}

/** Splits a list into consecutive batches of at most `size`. */
export function chunk<T>(list: readonly T[], size: number): T[][] {
	const out: T[][] = [];
	for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
	return out;
}

export class LockWaitAborted extends Error {
	constructor() {
		super('cancelled while waiting for other work on the same key to finish');
		this.name = 'LockWaitAborted';
	}
}

/**
 * Serialises work per key inside one process: a holder of key K runs only after every earlier
 * holder of K finished (in arrival order); different keys run side by side. Keep one instance at
 * module level where executions must see each other: n8n loads a node's module once per process.
 */
export class KeyedLock {
	/** The tail of each key's queue of holders; a key with nobody holding or waiting is absent. */
	private readonly tails = new Map<string, Promise<void>>();

	async run<T>(key: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
		const previous = this.tails.get(key) ?? Promise.resolve();
		let release!: () => void;
		const mine = new Promise<void>((resolve) => (release = resolve));
		// Whoever comes next waits for the previous holder AND for us, even if we give up waiting.
		const tail = previous.then(() => mine);
		this.tails.set(key, tail);
		try {
			await waitUnlessAborted(previous, signal);
			return await fn();
		} finally {
			release();
			if (this.tails.get(key) === tail) this.tails.delete(key);
		}
	}

	/** Keys currently held or waited for (for tests and diagnostics). */
	get size(): number {
		return this.tails.size;
	}
}

function waitUnlessAborted(promise: Promise<void>, signal?: AbortSignal): Promise<void> {
	if (!signal) return promise;
	if (signal.aborted) return Promise.reject(new LockWaitAborted());
	return new Promise<void>((resolve, reject) => {
		const onAbort = () => reject(new LockWaitAborted());
		signal.addEventListener('abort', onAbort, { once: true });
		void promise.then(() => {
			signal.removeEventListener('abort', onAbort);
			resolve();
		});
	});
}
