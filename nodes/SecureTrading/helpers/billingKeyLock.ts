// In-process lock per (site reference, billing key) around "query, then AUTH".
//
// The query-before-charge guard alone cannot stop two executions in the same n8n process that
// charge the same billing key at the same moment: both would query, both see no charge, both
// AUTH. Holding this lock from the first query until the outcome is known makes the second one
// query only after the first has charged, so it finds that charge. It is module-level on
// purpose: n8n loads a node's module once per process and every execution shares it.
// It does not reach across processes (queue-mode workers); there the query guard still applies.

/** The tail of each key's queue of holders; a key with nobody holding or waiting is absent. */
const tails = new Map<string, Promise<void>>();

export class LockWaitAborted extends Error {
	constructor() {
		super('cancelled while waiting for another charge with the same billing key to finish');
		this.name = 'LockWaitAborted';
	}
}

export function billingKeyLockKey(siteReference: string, billingKey: string): string {
	return `${siteReference}\u0000${billingKey}`;
}

/** Runs `fn` once every earlier holder of `key` has finished (in arrival order). */
export async function withBillingKeyLock<T>(key: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
	const previous = tails.get(key) ?? Promise.resolve();
	let release!: () => void;
	const mine = new Promise<void>((resolve) => (release = resolve));
	// Whoever comes next waits for the previous holder AND for us, even if we give up waiting.
	const tail = previous.then(() => mine);
	tails.set(key, tail);
	try {
		await waitUnlessAborted(previous, signal);
		return await fn();
	} finally {
		release();
		if (tails.get(key) === tail) tails.delete(key);
	}
}

/** Number of keys currently held or waited for (for tests). */
export function heldBillingKeyLocks(): number {
	return tails.size;
}

function waitUnlessAborted(promise: Promise<void>, signal?: AbortSignal): Promise<void> {
	if (!signal) return promise;
	if (signal.aborted) return Promise.reject(new LockWaitAborted());
	return new Promise<void>((resolve, reject) => {
		const onAbort = () => reject(new LockWaitAborted());
		signal.addEventListener('abort', onAbort, { once: true });
		promise.then(() => {
			signal.removeEventListener('abort', onAbort);
			resolve();
		});
	});
}
