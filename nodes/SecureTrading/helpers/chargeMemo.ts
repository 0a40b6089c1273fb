// What this process already knows about a billing key's charge, and the settle record an
// uncertain AUTH leaves on its item.
//
// The memo answers a repeated billing key without asking the gateway: its search lags the
// charge (a query right after an AUTH may not show it), so a second item with the same key in
// the same batch, or a retry seconds later, must not be decided by a query alone. It remembers
// a successful charge, a never-retry decline and an AUTH whose result is unknown.
import { FieldError } from '../../shared/errors';
import type { GatewayResponse } from '../transport';

/**
 * Carried by an item whose AUTH result is unknown, and handed back when it is retried.
 * `checks`: transaction queries since the uncertain AUTH that showed no charge; `spacedChecks`:
 * those at least the query gap after the previous counted one; `lastCheckedAt`: when the last
 * counted (spaced) one ran.
 */
export interface SettleRecord {
	uncertainSince: string;
	checks: number;
	spacedChecks: number;
	lastCheckedAt?: string;
	/** The uncertain AUTH's request reference and what went wrong, as evidence. */
	requestreference?: string;
	uncertainResult?: string;
}

export type MemoEntry =
	| { kind: 'charged'; record: GatewayResponse }
	| { kind: 'hardDecline'; record: GatewayResponse }
	| { kind: 'uncertain'; settle: SettleRecord };

interface Stored {
	entry: MemoEntry;
	expiresAt: number;
}

/** A bounded map with a time to live: the oldest entries go first when it is full. */
export class ChargeMemo {
	private readonly entries = new Map<string, Stored>();

	constructor(
		private readonly maxEntries = 10_000,
		private readonly ttlMs = 24 * 60 * 60 * 1000,
		private readonly now: () => number = () => Date.now(),
	) {}

	get(key: string): MemoEntry | undefined {
		const stored = this.entries.get(key);
		if (!stored) return undefined;
		if (stored.expiresAt <= this.now()) {
			this.entries.delete(key);
			return undefined;
		}
		return stored.entry;
	}

	set(key: string, entry: MemoEntry): void {
		// Re-inserting moves the key to the newest end, so eviction drops the least recently set.
		this.entries.delete(key);
		this.entries.set(key, { entry, expiresAt: this.now() + this.ttlMs });
		while (this.entries.size > this.maxEntries) {
			const oldest = this.entries.keys().next().value as string;
			this.entries.delete(oldest);
		}
	}

	delete(key: string): void {
		this.entries.delete(key);
	}

	clear(): void {
		this.entries.clear();
	}

	get size(): number {
		return this.entries.size;
	}
}

const SETTLE_FIELD = 'settleRecord';

function count(value: unknown, name: string): number {
	if (value === undefined || value === null) return 0;
	const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
	if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
		throw new FieldError(SETTLE_FIELD, `Settle Record: "${name}" must be a whole number of 0 or more (parameter "${SETTLE_FIELD}")`);
	}
	return n;
}

function isoTime(value: unknown, name: string): string {
	const ms = typeof value === 'string' ? Date.parse(value) : NaN;
	if (Number.isNaN(ms)) throw new FieldError(SETTLE_FIELD, `Settle Record: "${name}" must be an ISO date and time (parameter "${SETTLE_FIELD}")`);
	return new Date(ms).toISOString();
}

/**
 * The Settle Record parameter: an object (or its JSON text) as an earlier uncertain AUTH left
 * it on its item; empty means none. Anything else is a FieldError, never silently ignored: a
 * dropped record would let the retry charge again.
 */
export function parseSettleRecord(value: unknown): SettleRecord | undefined {
	if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return undefined;
	let raw: unknown = value;
	if (typeof value === 'string') {
		try {
			raw = JSON.parse(value);
		} catch {
			// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- below the router: toNodeError makes it a NodeApiError/NodeOperationError once
			throw new FieldError(SETTLE_FIELD, `Settle Record is not JSON (parameter "${SETTLE_FIELD}")`, 'Pass the "settle" object of an earlier item whose outcome was unknown, or leave it empty.');
		}
	}
	if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
		throw new FieldError(SETTLE_FIELD, `Settle Record must be an object like { "uncertainSince": "…", "checks": 1 } (parameter "${SETTLE_FIELD}")`);
	}
	const record = raw as Record<string, unknown>;
	const checks = count(record.checks, 'checks');
	return {
		uncertainSince: isoTime(record.uncertainSince, 'uncertainSince'),
		checks,
		// Records without spacedChecks count every check as spaced, the most they can be.
		spacedChecks: record.spacedChecks === undefined ? checks : count(record.spacedChecks, 'spacedChecks'),
		...(record.lastCheckedAt !== undefined && record.lastCheckedAt !== null && record.lastCheckedAt !== '' ? { lastCheckedAt: isoTime(record.lastCheckedAt, 'lastCheckedAt') } : {}),
		...(typeof record.requestreference === 'string' ? { requestreference: record.requestreference } : {}),
		...(typeof record.uncertainResult === 'string' ? { uncertainResult: record.uncertainResult } : {}),
	};
}

/** Two records of the same uncertainty (the item's and the memo's): the earliest start, the most checks. */
export function mergeSettleRecords(a: SettleRecord | undefined, b: SettleRecord | undefined): SettleRecord | undefined {
	if (!a || !b) return a ?? b;
	const later = (x?: string, y?: string) => (!x ? y : !y ? x : Date.parse(x) >= Date.parse(y) ? x : y);
	return {
		...b,
		...a,
		uncertainSince: Date.parse(a.uncertainSince) <= Date.parse(b.uncertainSince) ? a.uncertainSince : b.uncertainSince,
		checks: Math.max(a.checks, b.checks),
		spacedChecks: Math.max(a.spacedChecks, b.spacedChecks),
		...(later(a.lastCheckedAt, b.lastCheckedAt) ? { lastCheckedAt: later(a.lastCheckedAt, b.lastCheckedAt) } : {}),
	};
}

/** The record after one more query that showed no charge at `nowMs`. */
export function afterEmptyCheck(settle: SettleRecord, nowMs: number, gapMs: number): SettleRecord {
	const last = settle.lastCheckedAt ? Date.parse(settle.lastCheckedAt) : undefined;
	const spaced = last === undefined || nowMs - last >= gapMs;
	return {
		...settle,
		checks: settle.checks + 1,
		spacedChecks: settle.spacedChecks + (spaced ? 1 : 0),
		...(spaced ? { lastCheckedAt: new Date(nowMs).toISOString() } : {}),
	};
}
