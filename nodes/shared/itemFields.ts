// Reading values out of input items by a configurable path (`client.email`), one way across the
// package. Each reader names the field in its FieldError, so a bad record is easy to find.
import type { IDataObject } from 'n8n-workflow';
import { FieldError } from './errors';

/** Control characters (line breaks included): a data error in a name or key, and unsafe in email headers. */
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

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
	const value = String(raw).trim();
	if (options.max !== undefined && value.length > options.max) {
		throw new FieldError(path, `${label} is longer than ${options.max} characters (field "${path}")`);
	}
	if (!options.allowControlCharacters && CONTROL_CHARACTERS.test(value)) {
		throw new FieldError(path, `${label} contains control characters such as line breaks (field "${path}")`);
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

export function todayUtc(): string {
	return new Date().toISOString().slice(0, 10);
}

export function addDays(day: string, days: number): string {
	return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
