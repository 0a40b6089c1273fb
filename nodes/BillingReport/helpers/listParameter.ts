// A parameter that takes a list of items: an expression's array (e.g. {{ $('Queue Statistics').all()
// .map(i => i.json) }}), one object, its JSON text, or nothing. Bad input names the parameter.
import { FieldError } from '../../shared/errors';

const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);

const NOT_JSON = Symbol('not JSON');
function parseJson(text: string): unknown {
	try {
		return JSON.parse(text) as unknown;
	} catch {
		return NOT_JSON;
	}
}

/** The entries of the list (unchecked: the caller checks what each must be). */
export function listParameter(raw: unknown, field: string, label: string): unknown[] {
	let value = raw;
	if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return [];
	if (typeof value === 'string') {
		value = parseJson(value);
		if (value === NOT_JSON) throw new FieldError(field, `"${label}" (${field}) is not valid JSON: give a list of items, e.g. {{ $('Queue Statistics').all().map(i => i.json) }}`);
	}
	if (value === undefined || value === null) return [];
	if (isObject(value)) return [value];
	if (!Array.isArray(value)) throw new FieldError(field, `"${label}" (${field}) must be a list of items, got ${typeof value} ${JSON.stringify(value)}`);
	return value;
}
