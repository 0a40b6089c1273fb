import { fieldError, type FieldRef } from './fields';

/**
 * Formats a date for people ("15 March 2025"). Accepts ISO dates/timestamps, Date objects and
 * the Microsoft JSON form Xero uses ("/Date(1741996800000+0000)/"). Calendar dates are read in
 * UTC so a due date never shifts by a day.
 */
export function formatDate(raw: unknown, locale: string, field: FieldRef): string {
	let ms: number;
	if (raw instanceof Date) ms = raw.getTime();
	else if (typeof raw === 'string' && raw.trim()) {
		const text = raw.trim();
		const msJson = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/.exec(text);
		ms = msJson ? Number(msJson[1]) : /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : Date.parse(text);
	} else if (raw && typeof raw === 'object' && typeof (raw as { toISO?: unknown }).toISO === 'function') {
		// Luxon DateTime, as n8n expressions return.
		ms = Date.parse((raw as { toISO: () => string }).toISO());
	} else {
		throw fieldError(field, 'is empty; a date is required');
	}
	if (Number.isNaN(ms)) throw fieldError(field, `"${String(raw)}" is not a date (use YYYY-MM-DD)`);
	return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(ms));
}
