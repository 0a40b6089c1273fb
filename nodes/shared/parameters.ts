// Node parameters read one way across the package: a value out of range is refused with an error
// that names the parameter (never clamped or silently replaced), so what runs is what was set.
import type { IExecuteFunctions } from 'n8n-workflow';
import { itemParameter } from './itemParameter';
import { FieldError } from './errors';

export interface NumberSpec {
	/** Used when the parameter is unset (or an empty string). */
	default: number;
	min?: number;
	max?: number;
	/** Refuse fractions (counts, sizes). */
	integer?: boolean;
	/** How the editor labels it, for the message; defaults to the parameter path. */
	label?: string;
}

/** Checks a raw value against `spec`; `field` is the parameter path named in the error. */
export function parseNumber(raw: unknown, field: string, spec: NumberSpec): number {
	if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return spec.default;
	const value = typeof raw === 'string' ? Number(raw.trim()) : raw;
	const min = spec.min ?? Number.MIN_SAFE_INTEGER;
	const max = spec.max ?? Number.MAX_SAFE_INTEGER;
	const label = spec.label ?? field;
	const range = spec.max === undefined ? `at least ${min}` : `from ${min} to ${max}`;
	if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (spec.integer && !Number.isInteger(value))) {
		throw new FieldError(field, `"${label}" must be ${spec.integer ? 'a whole number' : 'a number'} ${range}, got ${JSON.stringify(raw)}`);
	}
	return value;
}

/** A number parameter (dotted paths such as `options.timeoutMs` work) for one item. */
export function numberParameter(fns: IExecuteFunctions, name: string, itemIndex: number, spec: NumberSpec): number {
	return parseNumber(itemParameter(fns, name, itemIndex, spec.default) as unknown, name, spec);
}

/** A text parameter, trimmed; empty → `fallback`. */
export function textParameter(fns: IExecuteFunctions, name: string, itemIndex: number, fallback = ''): string {
	const raw = itemParameter(fns, name, itemIndex, fallback) as unknown;
	if (typeof raw === 'number') return String(raw);
	return typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : fallback;
}

/** A required text parameter; missing → a FieldError naming it. */
export function requiredTextParameter(fns: IExecuteFunctions, name: string, itemIndex: number, label: string): string {
	const value = textParameter(fns, name, itemIndex);
	if (!value) throw new FieldError(name, `${label} (${name}) is required`);
	return value;
}

/** A boolean parameter; anything but a boolean → `fallback`. */
export function booleanParameter(fns: IExecuteFunctions, name: string, itemIndex: number, fallback: boolean): boolean {
	const raw = itemParameter(fns, name, itemIndex, fallback) as unknown;
	return typeof raw === 'boolean' ? raw : fallback;
}

/** One of a fixed set of values; anything else → a FieldError naming the parameter (and its editor label). */
export function choiceParameter<T extends string>(fns: IExecuteFunctions, name: string, itemIndex: number, choices: readonly T[], fallback: T, label?: string): T {
	const raw = itemParameter(fns, name, itemIndex, fallback) as unknown;
	if (typeof raw === 'string' && (choices as readonly string[]).includes(raw)) return raw as T;
	const named = label ? `"${label}" (${name})` : `"${name}"`;
	throw new FieldError(name, `${named} must be one of ${choices.join(', ')}, got ${JSON.stringify(raw)}`);
}
