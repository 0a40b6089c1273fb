// Request parameters of the CRM API: the HttpError every handler throws, integer and
// instant parameters, keyset/page pagination, and the lead sort key and date range.
import type { CrmLead } from './data';

/** Answered as `{ error: { code, message } }` with `status`. */
export class HttpError extends Error {
	constructor(
		readonly status: number,
		readonly code: string,
		message: string,
	) {
		super(message);
	}
}

export interface Page<T> {
	data: T[];
	pagination: Record<string, number | string | null>;
}

const encodeCursor = (key: string) => Buffer.from(key, 'utf8').toString('base64url');

function decodeCursor(cursor: string): string {
	const key = Buffer.from(cursor, 'base64url').toString('utf8');
	if (!key || encodeCursor(key) !== cursor) throw new HttpError(400, 'invalid_parameter', 'cursor is not a cursor returned by this API');
	return key;
}

function parsePositiveInt(query: URLSearchParams, name: string, max: number): number | undefined {
	const raw = query.get(name);
	if (raw === null) return undefined;
	if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
		throw new HttpError(400, 'invalid_parameter', `${name} must be an integer from 1 to ${max}`);
	}
	return Number(raw);
}

export function parseInstant(query: URLSearchParams, name: string, required: boolean): number | undefined {
	const raw = query.get(name);
	if (raw === null || raw === '') {
		if (required) throw new HttpError(400, 'missing_parameter', `${name} is required (ISO 8601 date or timestamp)`);
		return undefined;
	}
	const ms = Date.parse(raw);
	if (Number.isNaN(ms)) throw new HttpError(400, 'invalid_parameter', `${name} "${raw}" is not an ISO 8601 date or timestamp`);
	return ms;
}

/**
 * Keyset pagination (`limit` + `cursor`, stable while records are added) or page numbers
 * (`page` + `pageSize`). `items` must already be in key order.
 */
export function paginate<T>(items: T[], keyOf: (item: T) => string, query: URLSearchParams, defaultSize: number, maxSize: number): Page<T> {
	const cursor = query.get('cursor');
	const page = parsePositiveInt(query, 'page', Number.MAX_SAFE_INTEGER);
	if (page !== undefined && cursor !== null) throw new HttpError(400, 'invalid_parameter', 'use either cursor or page, not both');
	if (page !== undefined) {
		const pageSize = parsePositiveInt(query, 'pageSize', maxSize) ?? parsePositiveInt(query, 'limit', maxSize) ?? defaultSize;
		const start = (page - 1) * pageSize;
		return {
			data: items.slice(start, start + pageSize),
			pagination: { total: items.length, page, pageSize, totalPages: Math.ceil(items.length / pageSize) },
		};
	}
	const limit = parsePositiveInt(query, 'limit', maxSize) ?? defaultSize;
	let start = 0;
	if (cursor !== null) {
		const after = decodeCursor(cursor);
		start = items.findIndex((item) => keyOf(item) > after);
		if (start === -1) start = items.length;
	}
	const data = items.slice(start, start + limit);
	const more = start + limit < items.length;
	return {
		data,
		pagination: { total: items.length, limit, nextCursor: more ? encodeCursor(keyOf(data[data.length - 1])) : null },
	};
}

// Sort key that orders like compareLeads when compared as strings.
export const leadKey = (lead: { deliveredAt: string; leadId: string }) => `${String(Date.parse(lead.deliveredAt)).padStart(15, '0')}|${lead.leadId}`;

export function inRange(lead: CrmLead, from: number | undefined, to: number | undefined): boolean {
	const at = Date.parse(lead.deliveredAt);
	return (from === undefined || at >= from) && (to === undefined || at < to);
}
