// The run ledger's storage, behind one interface: a folder of append-only files in n8n's user
// folder (one n8n process, the default) or PostgreSQL through n8n's own Postgres credential
// (queue mode: every worker writes and reads the same ledger).
import type { IDataObject } from 'n8n-workflow';
import type { LedgerEvent, OutcomeEvent, RunHeader } from '../helpers/model';

export interface RunLedgerStore {
	/** Where it is kept, for messages ("folder /…", "PostgreSQL db@host"). */
	readonly target: string;
	/** Appends events durably before it returns. Outcome events already recorded (same eventId) are skipped. */
	append(events: readonly LedgerEvent[]): Promise<void>;
	/** Every event of a run, in the order recorded. */
	read(runId: string): Promise<LedgerEvent[]>;
	/** The most recent runs first. */
	listRuns(limit: number): Promise<RunHeader[]>;
	/** Outcome events recorded at or after `since` (ISO), every run, oldest first (for alert rates). */
	outcomesSince(since: string): Promise<OutcomeEvent[]>;
	/** Small named records (alert memory: last stage figures, what was alerted when). */
	getState(key: string): Promise<IDataObject | undefined>;
	setState(key: string, value: IDataObject): Promise<void>;
	/**
	 * true for the first caller of `key` only (across processes sharing the store): "send this alert"
	 * is claimed once, so a condition alerts once per period even when two executions see it.
	 */
	claim(key: string): Promise<boolean>;
	/** Deletes runs, claims and state older than `days` (at most once an hour per process); returns how many. */
	cleanUp(days?: number): Promise<number>;
}

/** How long the ledger keeps a run: a report is about two billing cycles a week, reruns included. */
export const LEDGER_RETENTION_DAYS = 60;
/** Clean-up runs at most this often per process. */
export const CLEANUP_EVERY_MS = 60 * 60 * 1000;
