// "Deliver Not Before": the time a published message may reach its stage at the earliest. A
// future time sends it to the stage's hold queue with a per-message TTL of the milliseconds left;
// RabbitMQ dead-letters it into the stage when that expires (see the README for why this can
// only be late, never early).
import { FieldError } from '../../shared/errors';
import { parseDay } from '../../shared/itemFields';
import { MAX_DELAY_MS } from './topology';

export const DELIVER_NOT_BEFORE_FIELD = 'options.deliverNotBefore';
const LABEL = 'Deliver Not Before';

// YYYY-MM-DD, optionally followed by a time, which then needs Z or an offset.
const ISO_PATTERN = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:(Z)|([+-])(\d{2}):?(\d{2}))?)?$/i;

function refuse(message: string): never {
	throw new FieldError(DELIVER_NOT_BEFORE_FIELD, message, `Use an ISO date-time with a time zone (e.g. 2026-12-14T09:00:00Z) or a day (2026-12-14, meaning 00:00 UTC); leave "${LABEL}" empty to deliver now.`);
}

function isEmpty(raw: unknown): boolean {
	return raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '');
}

/** Text in ISO 8601 form → epoch ms (rounded up, so the time is never moved earlier). */
function parseIsoText(text: string): number {
	const m = ISO_PATTERN.exec(text);
	const day = m ? parseDay(m[1]) : undefined;
	if (!m || !day) refuse(`"${LABEL}" must be an ISO date-time, got ${JSON.stringify(text)}`);
	if (m[2] === undefined) return Date.parse(`${day}T00:00:00Z`);
	if (!m[6] && !m[7]) {
		// A wall-clock time would mean whatever the n8n server's time zone says.
		refuse(`"${LABEL}" ${JSON.stringify(text)} has no time zone: add Z or an offset such as +01:00`);
	}
	const [hour, minute, second] = [Number(m[2]), Number(m[3]), Number(m[4] ?? 0)];
	const [offsetHours, offsetMinutes] = [Number(m[8] ?? 0), Number(m[9] ?? 0)];
	if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) {
		refuse(`"${LABEL}" ${JSON.stringify(text)} is not a valid time`);
	}
	const fraction = m[5] ?? '';
	const ms = Number(fraction.slice(0, 3).padEnd(3, '0')) + (/[1-9]/.test(fraction.slice(3)) ? 1 : 0);
	const sign = m[7] === '-' ? -1 : 1;
	const offsetMs = m[6] ? 0 : sign * (offsetHours * 60 + offsetMinutes) * 60000;
	const [y, mo, d] = day.split('-').map(Number);
	return Date.UTC(y, mo - 1, d, hour, minute, second, ms) - offsetMs;
}

/**
 * The option's value → epoch ms; undefined when empty (deliver now). `fromExpression`: the
 * parameter is an expression, and one that yields nothing (a missing `dueDate`, say) is an error
 * rather than "now", since delivering early is the one thing this option must never do.
 */
export function parseDeliverNotBefore(raw: unknown, fromExpression = false): number | undefined {
	if (isEmpty(raw)) {
		if (fromExpression) {
			refuse(`"${LABEL}" is an expression that gave no value for this item (is the field it reads missing?)`);
		}
		return undefined;
	}
	if (raw instanceof Date) {
		if (Number.isNaN(raw.getTime())) refuse(`"${LABEL}" is an invalid date`);
		return raw.getTime();
	}
	// Luxon DateTime (what $now and date expressions give in n8n).
	if (typeof raw === 'object' && typeof (raw as { toMillis?: unknown }).toMillis === 'function') {
		const ms = (raw as { toMillis(): number }).toMillis();
		if (!Number.isFinite(ms)) refuse(`"${LABEL}" is an invalid date`);
		return ms;
	}
	if (typeof raw !== 'string') refuse(`"${LABEL}" must be an ISO date-time, got ${JSON.stringify(raw)}`);
	return parseIsoText(raw.trim());
}

/**
 * Milliseconds a message must be held at `nowMs` to reach its stage not before `notBeforeMs`:
 * 0 = publish straight to the stage. Beyond RabbitMQ's 32-bit TTL limit it is refused, never
 * clamped (a clamped hold would deliver early).
 */
export function holdMs(notBeforeMs: number, nowMs = Date.now()): number {
	const ms = Math.ceil(notBeforeMs - nowMs);
	if (ms <= 0) return 0;
	if (ms > MAX_DELAY_MS) {
		throw new FieldError(
			DELIVER_NOT_BEFORE_FIELD,
			`"${LABEL}" ${new Date(notBeforeMs).toISOString()} is ${(ms / 86400000).toFixed(1)} days ahead; RabbitMQ can hold a message at most ${MAX_DELAY_MS} ms (about 49.7 days)`,
			'Publish the message later (e.g. from a scheduled workflow) or choose an earlier time.',
		);
	}
	return ms;
}
