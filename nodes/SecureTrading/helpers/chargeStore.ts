// Where the debit keeps its guard (the Charge Record parameter): the lock held from the pre-charge
// query until the AUTH's outcome is known, and the memo of each key's charge, never-retry decline
// or unknown AUTH. One interface, two implementations:
// - process: today's in-process KeyedLock and ChargeMemo; they reach every execution of one n8n
//   process, not other queue-mode workers (there only the gateway query guards, and it lags);
// - postgres: the shared journal (nodes/shared/journal): an advisory lock per (site, billing key)
//   that PostgreSQL drops when its worker dies, and the memo as rows every worker reads. Before
//   the AUTH a row `charging` is written; a later holder that finds it (the lock was free, so its
//   writer is gone) treats it as an AUTH whose outcome is unknown: query only, never AUTH, until
//   the settle window has passed with two spaced empty queries.
import type { IDataObject } from 'n8n-workflow';
import { KeyedLock, LockWaitAborted } from '../../shared/concurrency';
import { journalFailure, type Journal, type JournalRow, type JournalUse } from '../../shared/journal';
import type { GatewayResponse } from '../transport';
import { ChargeMemo, type MemoEntry, type SettleRecord } from './chargeMemo';

export interface ChargeKey {
	siteReference: string;
	billingKey: string;
}

/** What the record keeps of an AUTH about to be sent (evidence, should its outcome be lost). */
export interface AuthFacts {
	attempt: number;
	amountMinor: number;
	currency: string;
	requestreference: string;
}

/** An AUTH's known outcome that the memo keeps nothing for: a soft decline, a refused request, one that never left. */
export type AuthEnd = 'declined' | 'notCharged' | 'suspended';

export interface ChargeStore {
	readonly kind: 'process' | 'postgres';
	/** Runs `fn` holding the key's lock: other holders (in this process, or on every worker) wait. */
	run<T>(key: ChargeKey, fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
	get(key: ChargeKey): Promise<MemoEntry | undefined>;
	set(key: ChargeKey, entry: MemoEntry): Promise<void>;
	delete(key: ChargeKey): Promise<void>;
	/** An AUTH is about to be sent. Must succeed before it is: if it throws, nothing is sent. */
	authStarting(key: ChargeKey, facts: AuthFacts): Promise<void>;
	/** The AUTH's outcome is known and nothing is to be remembered (set or delete record the rest). */
	authEnded(key: ChargeKey, end: AuthEnd, facts: IDataObject): Promise<void>;
}

/**
 * Held from the pre-charge query until the outcome is known, per site and billing key. Module
 * level on purpose: n8n loads a node's module once per process and every execution shares it.
 * It does not reach across processes (queue-mode workers): Charge Record PostgreSQL does.
 */
export const chargeLock = new KeyedLock();

/**
 * What this process learnt about each (site, billing key): the charge, a never-retry decline, or
 * an AUTH with an unknown result. Consulted inside the lock before any query: the gateway's search
 * lags its charges, so a repeat seconds later must not rely on a query alone. Module level like
 * the lock; bounded (oldest dropped) and forgotten after 24 h.
 */
export const chargeMemo = new ChargeMemo(10_000, 24 * 60 * 60 * 1000);

export function chargeLockKey(siteReference: string, billingKey: string): string {
	return `${siteReference}\u0000${billingKey}`;
}

const memoKey = (key: ChargeKey) => chargeLockKey(key.siteReference, key.billingKey);

/** Charge Record "process": the lock and memo of this n8n process. */
export const processChargeStore: ChargeStore = {
	kind: 'process',
	run: async (key, fn, signal) => await chargeLock.run(memoKey(key), fn, signal),
	get: async (key) => chargeMemo.get(memoKey(key)),
	set: async (key, entry) => chargeMemo.set(memoKey(key), entry),
	delete: async (key) => chargeMemo.delete(memoKey(key)),
	// A process that dies takes its memory with it: there is nothing to leave behind for others.
	authStarting: async () => undefined,
	authEnded: async () => undefined,
};

const KIND = 'charge';

/** The row and lock key: PostgreSQL text holds no NUL, and site references and billing keys hold no "/". */
const rowKey = (key: ChargeKey) => `${key.siteReference}/${key.billingKey}`;

export const CHARGE_RECORD_USE: JournalUse = { parameter: 'chargeRecord', label: 'Charge Record', consequence: 'Nothing was charged.' };

/** How long a worker waits for another that is charging the same key (its AUTH, query and timeouts). */
const LOCK_WAIT_MS = 5 * 60 * 1000;

/** Charge Record "postgres": the lock and the memo shared by every worker through the journal. */
export class PostgresChargeStore implements ChargeStore {
	readonly kind = 'postgres';

	constructor(private readonly journal: Journal) {}

	async run<T>(key: ChargeKey, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
		let inside = false;
		try {
			const outcome = await this.journal.withLock(
				KIND,
				rowKey(key),
				async () => {
					inside = true;
					return await fn();
				},
				{ wait: true, signal, maxWaitMs: LOCK_WAIT_MS },
			);
			// With wait: true the journal either locks or throws.
			if (!outcome.locked) throw new Error('the charge lock was not taken');
			return outcome.value;
		} catch (error) {
			// The charge's own errors are the operation's; only the lock's are named here.
			throw inside || error instanceof LockWaitAborted ? error : journalFailure(error, CHARGE_RECORD_USE);
		}
	}

	async get(key: ChargeKey): Promise<MemoEntry | undefined> {
		let row: JournalRow | undefined;
		try {
			row = await this.journal.readOne(KIND, rowKey(key));
		} catch (error) {
			throw journalFailure(error, CHARGE_RECORD_USE);
		}
		return row ? memoOf(row) : undefined;
	}

	async set(key: ChargeKey, entry: MemoEntry): Promise<void> {
		const data: IDataObject = entry.kind === 'uncertain' ? { settle: { ...entry.settle } } : { record: { ...entry.record } };
		await this.write(key, entry.kind === 'uncertain' ? 'uncertain' : entry.kind, data);
	}

	async delete(key: ChargeKey): Promise<void> {
		try {
			await this.journal.remove(KIND, rowKey(key));
		} catch (error) {
			throw journalFailure(error, { ...CHARGE_RECORD_USE, consequence: '' });
		}
	}

	async authStarting(key: ChargeKey, facts: AuthFacts): Promise<void> {
		await this.write(key, 'charging', { ...facts, startedAt: new Date().toISOString() });
	}

	async authEnded(key: ChargeKey, end: AuthEnd, facts: IDataObject): Promise<void> {
		await this.write(key, end, { ...facts, endedAt: new Date().toISOString() });
	}

	private async write(key: ChargeKey, state: string, data: IDataObject): Promise<void> {
		try {
			await this.journal.write(KIND, rowKey(key), state, data);
		} catch (error) {
			throw journalFailure(error, { ...CHARGE_RECORD_USE, consequence: state === 'charging' ? 'Nothing was charged.' : '' });
		}
	}
}

/** A row as the memo entry the operation knows; states that answer nothing (a soft decline…) are none. */
function memoOf(row: JournalRow): MemoEntry | undefined {
	const record = row.data.record as GatewayResponse | undefined;
	switch (row.state) {
		case 'charged':
			return record ? { kind: 'charged', record } : undefined;
		case 'hardDecline':
			return record ? { kind: 'hardDecline', record } : undefined;
		case 'uncertain':
			return row.data.settle ? { kind: 'uncertain', settle: row.data.settle as unknown as SettleRecord } : undefined;
		case 'charging':
			return { kind: 'uncertain', settle: abandonedAuth(row) };
		default:
			return undefined;
	}
}

/**
 * A `charging` row the lock did not protect: the worker that wrote it died (or lost its database
 * connection) between writing it and learning the AUTH's outcome. The AUTH may have charged.
 */
function abandonedAuth(row: JournalRow): SettleRecord {
	const startedAt = typeof row.data.startedAt === 'string' && !Number.isNaN(Date.parse(row.data.startedAt)) ? row.data.startedAt : row.updatedAt;
	return {
		uncertainSince: new Date(Date.parse(startedAt)).toISOString(),
		checks: 0,
		spacedChecks: 0,
		...(typeof row.data.requestreference === 'string' ? { requestreference: row.data.requestreference } : {}),
		uncertainResult: `the worker sending this AUTH (attempt ${String(row.data.attempt ?? 0)}, started ${startedAt}) stopped before its outcome was known`,
	};
}
