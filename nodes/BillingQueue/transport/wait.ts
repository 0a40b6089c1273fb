// The one abortable wait of the Billing Queue nodes: the consumer's loops must stop waiting the
// moment the trigger closes, which n8n-workflow's `sleep` cannot do.

/** Waits `ms`; resolves false early if `signal` aborts. Never leaves a timer behind. */
export function abortableWait(ms: number, signal?: AbortSignal): Promise<boolean> {
	if (signal?.aborted) return Promise.resolve(false);
	return new Promise((resolve) => {
		const onAbort = () => {
			clearTimeout(timer);
			resolve(false);
		};
		const timer = setTimeout(() => {
			signal?.removeEventListener('abort', onAbort);
			resolve(true);
		}, ms);
		signal?.addEventListener('abort', onAbort, { once: true });
	});
}

/**
 * Races `promise` against a limit. Resolves `{ done: true, value }` or `{ done: false }` when
 * the limit passes or `signal` aborts first; a later rejection of `promise` is swallowed.
 */
export async function within<T>(
	promise: Promise<T>,
	ms: number,
	signal?: AbortSignal,
): Promise<{ done: true; value: T } | { done: false; aborted: boolean }> {
	const local = new AbortController();
	const onAbort = () => local.abort();
	signal?.addEventListener('abort', onAbort, { once: true });
	promise.catch(() => undefined);
	try {
		return await Promise.race([
			promise.then((value) => ({ done: true as const, value })),
			abortableWait(ms, local.signal).then(() => ({ done: false as const, aborted: signal?.aborted === true })),
		]);
	} finally {
		local.abort();
		signal?.removeEventListener('abort', onAbort);
	}
}
