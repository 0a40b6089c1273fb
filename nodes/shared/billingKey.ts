// The billing key: one client's bill for one period, the idempotency key of every stage (queue
// message id, Xero invoice reference or number, gateway orderreference, email Message-ID).
// One definition, checked the same way wherever a key enters a stage.
import { createHash } from 'crypto';
import { FieldError } from './errors';
import { parseZonedTime } from './itemFields';

/** Trust Payments recommends order references of at most 25 characters; the key is sent as one. */
export const MAX_BILLING_KEY_LENGTH = 25;

/**
 * Letters, digits and `-`, `_`, `.`: safe unquoted in Xero `where` filters and the comma-separated
 * `InvoiceNumbers=` list, in a gateway orderreference and in an email Message-ID.
 */
export const BILLING_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const compactDate = (iso: string) => iso.slice(0, 10).replace(/-/g, '');
const isUtcMidnight = (iso: string) => iso.endsWith('T00:00:00.000Z');

/** A period bound as `toISOString()` gives it: a zoned ISO 8601 time, or a bare day read as UTC midnight. */
function periodBound(value: string, field: 'periodStart' | 'periodEnd'): string {
	const t = parseZonedTime(value, { dayAsUtcMidnight: true });
	if (t === undefined) throw new FieldError(field, `Billing period bound "${value}" is not an ISO 8601 time with a zone (field "${field}")`);
	return new Date(t).toISOString();
}

/**
 * Deterministic key for one client and one billing period, so a rerun of the same period yields
 * the same keys. Readable (`<client>-<yyyymmdd>-<yyyymmdd>`) only when the client id is short and
 * plain and both bounds are UTC midnight, since the dates alone then say the whole period;
 * otherwise a hash over the id and the full timestamps, because rewriting the id (e.g. dropping
 * punctuation) could make two clients collide, and two periods on the same days must differ.
 */
export function billingKey(clientId: string, periodStart: string, periodEnd: string): string {
	const start = periodBound(periodStart, 'periodStart');
	const end = periodBound(periodEnd, 'periodEnd');
	const readable = `${clientId}-${compactDate(start)}-${compactDate(end)}`;
	if (isUtcMidnight(start) && isUtcMidnight(end) && /^[A-Za-z0-9]+$/.test(clientId) && readable.length <= MAX_BILLING_KEY_LENGTH) return readable;
	return hashedKey('BK', [clientId, start, end]);
}

/** A valid key made of a short prefix and a hash of `parts`, for ids that are long or odd. */
export function hashedKey(prefix: string, parts: readonly string[]): string {
	const digest = createHash('sha256').update(parts.join('\n')).digest('hex');
	return `${prefix}-${digest.slice(0, MAX_BILLING_KEY_LENGTH - prefix.length - 1)}`;
}

/** The key a rejected CRM row is parked under: stable across reruns of the same period. */
export function rejectedRowKey(periodStart: string, periodEnd: string, clientId: string | null, leadId: string | null, row: number): string {
	return hashedKey('RJ', [periodStart, periodEnd, clientId ?? '', leadId ?? `row ${row}`]);
}

/** Checks a key from input; `field` is the input field or parameter it came from. Returns it trimmed. */
export function validateBillingKey(value: unknown, field = 'billingKey'): string {
	const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
	if (typeof text !== 'string' || text.trim() === '') throw new FieldError(field, `Billing key is missing or empty (field "${field}")`);
	const key = text.trim();
	if (key.length > MAX_BILLING_KEY_LENGTH) {
		throw new FieldError(field, `Billing key "${preview(key)}" is longer than ${MAX_BILLING_KEY_LENGTH} characters (field "${field}")`);
	}
	if (!BILLING_KEY_PATTERN.test(key)) {
		throw new FieldError(
			field,
			`Billing key "${preview(key)}" may only hold letters, digits, "-", "_" and "." (field "${field}")`,
			'Billing keys reach Xero filters, gateway order references and email headers; derive them with the Invoice Preparation node.',
		);
	}
	return key;
}

/** A bad key shown safely inside a message: control characters escaped, length capped. */
function preview(key: string): string {
	const shown = JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key);
	return shown.slice(1, -1);
}
