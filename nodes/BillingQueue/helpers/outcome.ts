// How the trigger reads the IRun that n8n resolves the donePromise with.
import type { IRun } from 'n8n-workflow';
import type { ErrorInfo } from './message';

export type ExecutionOutcome = { ok: true; status: string } | { ok: false; error: ErrorInfo };

const FAILED_STATUSES = new Set(['error', 'crashed', 'canceled']);

export function classifyRun(run: IRun | undefined | null): ExecutionOutcome {
	const time = new Date().toISOString();
	// n8n resolves with undefined when no execution ran at all; nothing was forwarded then.
	if (!run) return { ok: false, error: { message: 'n8n reported that no execution ran for this batch', time } };
	const resultData = run.data?.resultData;
	const error = resultData?.error as (Error & { node?: { name?: string } }) | undefined;
	const lastNode = resultData?.lastNodeExecuted;
	if (error) {
		return {
			ok: false,
			error: { message: error.message || 'The execution failed', node: error.node?.name ?? lastNode, time },
		};
	}
	if (FAILED_STATUSES.has(run.status)) {
		return { ok: false, error: { message: `The execution ended with status "${run.status}"`, node: lastNode, time } };
	}
	// 'waiting' (a Wait node) counts as handed over: n8n persists the execution and resumes it.
	return { ok: true, status: run.status ?? 'success' };
}

export function outcomeFromRejection(error: unknown, node?: string): ExecutionOutcome {
	const message = error instanceof Error ? error.message : String(error);
	return { ok: false, error: { message: `The execution failed: ${message}`, node, time: new Date().toISOString() } };
}
