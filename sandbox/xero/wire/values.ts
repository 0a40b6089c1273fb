// Xero wire values: Microsoft JSON dates, DateString, the date forms Xero accepts on input, and
// case-insensitive property access (Xero's JSON binder ignores case).

/** `/Date(1552262400000+0000)/`, the form Xero uses for dates inside entities. */
export function msDate(ms: number): string {
	return `/Date(${ms}+0000)/`;
}

/** `/Date(1552327126164)/`, the form Xero uses for the envelope timestamp. */
export function msDateNoOffset(ms: number): string {
	return `/Date(${ms})/`;
}

/** `2019-03-11T00:00:00`, the DateString companion field. */
export function dateString(ms: number): string {
	return new Date(ms).toISOString().slice(0, 19);
}

/**
 * Parses a date as Xero accepts it on input: `YYYY-MM-DD`, `YYYY-MM-DDThh:mm:ss` (optionally with
 * a zone), or `/Date(ms+zzzz)/`. Returns midnight UTC of that calendar day, or null if invalid.
 */
export function parseXeroDate(value: unknown): number | null {
	if (typeof value !== 'string') return null;
	const ms = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/.exec(value.trim());
	if (ms) {
		const d = new Date(Number(ms[1]));
		return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
	}
	const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(value.trim());
	if (!m) return null;
	const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
	const t = Date.UTC(y, mo - 1, d);
	const check = new Date(t);
	// Reject 2024-02-30 and the like instead of letting Date roll them over.
	if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return null;
	return t;
}

/** Case-insensitive property read, as Xero binds JSON property names without regard to case. */
export function prop(obj: unknown, name: string): unknown {
	if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
	const rec = obj as Record<string, unknown>;
	if (name in rec) return rec[name];
	const lower = name.toLowerCase();
	const key = Object.keys(rec).find((k) => k.toLowerCase() === lower);
	return key === undefined ? undefined : rec[key];
}

export function propString(obj: unknown, name: string): string | undefined {
	const v = prop(obj, name);
	if (v === undefined || v === null) return undefined;
	return typeof v === 'string' ? v : String(v);
}

/** Reads a number that may arrive as a JSON number or a numeric string. */
export function propNumber(obj: unknown, name: string): number | undefined | 'invalid' {
	const v = prop(obj, name);
	if (v === undefined || v === null || v === '') return undefined;
	const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
	return Number.isFinite(n) ? n : 'invalid';
}
