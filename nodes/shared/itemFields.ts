// Reading values out of input items by a configurable path (`client.email`), one way across the
// package. Each reader names the field in its FieldError, so a bad record is easy to find.
import type { IDataObject } from 'n8n-workflow';
import { FieldError } from './errors';

/**
 * Control characters (line breaks included): a data error in a name or key, and unsafe in email
 * headers. A superset of what the Billing Email node refuses in a header (C0 but tab, DEL,
 * U+2028/U+2029) and of what Xero Billing refuses in a lead id (C0, DEL, C1 with U+0085), so a
 * value the first stage accepts is never refused by a later one.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point: they are refused.
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * A value from outside (a CRM name, a refused address) quoted on one line of a text for people:
 * control characters shown as escapes (\r, \n, \u0007), so a hostile value can neither break
 * the line nor pass for a header or a line of its own.
 */
export function oneLine(value: string): string {
	return value.replace(new RegExp(CONTROL_CHARACTERS.source, 'g'), (c) =>
		c === '\r' ? '\\r' : c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
	);
}

/** Reads `a.b.c` from an item; a key that itself contains dots is tried first. */
export function readPath(json: IDataObject, path: string): unknown {
	if (path in json) return json[path];
	return path.split('.').reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), json);
}

export interface TextFieldOptions {
	/** Default true: missing or empty → FieldError. False: missing → ''. */
	required?: boolean;
	max?: number;
	/** Default false: control characters are refused. */
	allowControlCharacters?: boolean;
}

/** A text (or number) value at `path`, trimmed and checked. */
export function textField(json: IDataObject, path: string, label: string, options: TextFieldOptions = {}): string {
	const raw = readPath(json, path);
	if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
		if (options.required === false) return '';
		throw new FieldError(path, `${label} is missing (field "${path}")`);
	}
	if (typeof raw !== 'string' && typeof raw !== 'number') {
		throw new FieldError(path, `${label} must be text, got ${Array.isArray(raw) ? 'a list' : typeof raw} (field "${path}")`);
	}
	const text = String(raw);
	// Checked before trimming: trim() silently drops line breaks (U+2028 too) at either end, which
	// later stages would refuse in the untrimmed value.
	if (!options.allowControlCharacters && CONTROL_CHARACTERS.test(text)) {
		throw new FieldError(path, `${label} contains control characters such as line breaks (field "${path}")`);
	}
	const value = text.trim();
	if (options.max !== undefined && value.length > options.max) {
		throw new FieldError(path, `${label} is longer than ${options.max} characters (field "${path}")`);
	}
	return value;
}

/** A calendar day `YYYY-MM-DD` at `path` (a longer ISO timestamp is cut to its day); unset → undefined. */
export function dayField(json: IDataObject, path: string, label: string): string | undefined {
	if (!path) return undefined;
	const raw = readPath(json, path);
	if (raw === undefined || raw === null || raw === '') return undefined;
	const text = raw instanceof Date ? raw.toISOString() : String(raw).trim();
	const day = parseDay(text);
	if (!day) throw new FieldError(path, `${label} "${text}" is not a date in YYYY-MM-DD form (field "${path}")`);
	return day;
}

/** `YYYY-MM-DD` (and what follows it) → the day, if it is a real calendar day. */
export function parseDay(text: string): string | undefined {
	const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
	if (!m) return undefined;
	const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
	const day = `${m[1]}-${m[2]}-${m[3]}`;
	return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === day ? day : undefined;
}

// ISO 8601 date and time with a zone: `Z` or `±hh:mm` (`±hhmm` too, as Salesforce writes it).
const ZONED_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):?(\d{2}))$/;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
// A date and time without a zone, in the forms Date.parse would read in the server's zone.
const UNZONED_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?$/;

/**
 * Milliseconds since the epoch of a zoned ISO 8601 time (`2026-11-24T10:00:00Z`,
 * `2026-11-24T11:00+01:00`), or undefined. Never reads a time in the server's zone: a time
 * without a zone is refused, and a bare day `YYYY-MM-DD` is read as UTC midnight only when
 * `dayAsUtcMidnight` says so. Digits beyond milliseconds are dropped.
 */
export function parseZonedTime(text: string, options: { dayAsUtcMidnight?: boolean } = {}): number | undefined {
	const day = options.dayAsUtcMidnight ? DAY.exec(text) : null;
	if (day) return utcTime(day[1], day[2], day[3], '00', '00', '00', '', 0);
	const m = ZONED_TIME.exec(text);
	if (!m) return undefined;
	const [, y, mo, d, h, mi, s = '00', fraction = '', z, sign, oh, om] = m;
	let offsetMinutes = 0;
	if (!z) {
		if (Number(oh) > 23 || Number(om) > 59) return undefined;
		offsetMinutes = (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
	}
	return utcTime(y, mo, d, h, mi, s, fraction, offsetMinutes);
}

/** True for a date, or a date and time, that names no zone (`2026-11-24 10:00`, `2026-11-24T10:00:00`). */
export function isUnzonedTime(text: string): boolean {
	return UNZONED_TIME.test(text);
}

function utcTime(y: string, mo: string, d: string, h: string, mi: string, s: string, fraction: string, offsetMinutes: number): number | undefined {
	const [year, month, date, hour, minute, second] = [y, mo, d, h, mi, s].map(Number);
	if (hour > 23 || minute > 59 || second > 59) return undefined;
	const local = Date.UTC(year, month - 1, date, hour, minute, second, Number(fraction.slice(0, 3).padEnd(3, '0')));
	// Date.UTC rolls 31 February into March and reads years 0–99 as 19xx: refuse both.
	const check = new Date(local);
	if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== date) return undefined;
	return local - offsetMinutes * 60_000;
}

/**
 * A date and time without a zone read in the IANA time zone `timeZone` (what n8n's date picker stores,
 * meant in the workflow's time zone), as an ISO string with `Z`; undefined when it is not one.
 */
export function inTimeZone(text: string, timeZone: string): string | undefined {
	// A bare day keeps its own rule (UTC midnight, see parseZonedTime).
	if (!isUnzonedTime(text) || DAY.test(text)) return undefined;
	const asUtc = parseZonedTime(`${text.replace(' ', 'T')}Z`);
	if (asUtc === undefined) return undefined;
	// The zone's offset at that wall-clock time, found by formatting; twice for DST edges.
	const offsetAt = (t: number) => {
		const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(t);
		const v = (type: string) => Number(parts.find((p) => p.type === type)?.value);
		return Date.UTC(v('year'), v('month') - 1, v('day'), v('hour'), v('minute'), v('second')) - Math.floor(t / 1000) * 1000;
	};
	let t = asUtc - offsetAt(asUtc);
	t = asUtc - offsetAt(t);
	return new Date(t).toISOString();
}

export function todayUtc(): string {
	return new Date().toISOString().slice(0, 10);
}

export function addDays(day: string, days: number): string {
	return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
