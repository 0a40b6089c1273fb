// The one abortable wait of the transport: a backoff that ends early when the execution is
// cancelled, so a cancelled run stops retrying at once (n8n-workflow's `sleep` cannot be aborted).

/** Resolves after `ms`, or as soon as `signal` aborts (never rejects: the caller checks the signal). */
export function waitUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
	return new Promise((resolve) => {
		if (ms <= 0 || signal?.aborted) return resolve();
		const timer = setTimeout(done, ms);
		function done() {
			clearTimeout(timer);
			signal?.removeEventListener('abort', done);
			resolve();
		}
		signal?.addEventListener('abort', done, { once: true });
	});
}
