// Query-string readers for the API handlers: case-insensitive parameters as Xero treats them,
// lists, booleans, bounded whole numbers (400 QueryParseException when out of range), the common
// list query and page slicing with Xero's `pagination` block.
import type { ListQuery } from '../model/query';
import { BadRequest, queryParseError } from '../reply';

/** The most records a page holds here (see listQuery). */
export const PAGE_SIZE_CAP = 100;

export function queryOf(url: URL): Record<string, string> {
	const q: Record<string, string> = {};
	url.searchParams.forEach((v, k) => {
		q[k] = v;
	});
	return q;
}

/** Case-insensitive query parameter, as Xero treats them. */
export function qp(q: Record<string, string>, name: string): string | undefined {
	const key = Object.keys(q).find((k) => k.toLowerCase() === name.toLowerCase());
	return key === undefined ? undefined : q[key];
}

export function qpList(q: Record<string, string>, name: string): string[] | undefined {
	const v = qp(q, name);
	if (v === undefined || v === '') return undefined;
	return v.split(',').map((s) => s.trim()).filter(Boolean);
}

export function qpBool(q: Record<string, string>, name: string): boolean | undefined {
	const v = qp(q, name);
	return v === undefined ? undefined : v.toLowerCase() === 'true';
}

/** A whole number of at least `min`, capped at `max`; anything else is a 400. */
export function qpInt(q: Record<string, string>, name: string, min: number, max: number): number | undefined {
	const v = qp(q, name);
	if (v === undefined || v === '') return undefined;
	const n = Number(v);
	if (!Number.isInteger(n) || n < min) throw new BadRequest(queryParseError(`${name} must be a whole number from ${min}`));
	return Math.min(n, max);
}

export function listQuery(q: Record<string, string>, ifModifiedSince: number | undefined): ListQuery {
	return {
		where: qp(q, 'where') || undefined,
		order: qp(q, 'order') || undefined,
		ids: qpList(q, 'IDs'),
		page: qpInt(q, 'page', 1, 1_000_000),
		// Xero's pages hold up to 100 records; some of its pages say pageSize may go to 1000. Capped
		// at 100 here so the client is proven to follow `pagination`, not an assumed page size.
		pageSize: qpInt(q, 'pageSize', 1, PAGE_SIZE_CAP),
		includeArchived: qpBool(q, 'includeArchived'),
		summaryOnly: qpBool(q, 'summaryOnly'),
		searchTerm: qp(q, 'searchTerm') || undefined,
		ifModifiedSince,
	};
}

/** One page of `rows` when the query asks for a page (100 a page unless pageSize says otherwise). */
export function paginate<T>(rows: T[], lq: ListQuery): { rows: T[]; extra: Record<string, unknown> } {
	if (lq.page === undefined) return { rows, extra: {} };
	const size = lq.pageSize ?? 100;
	const start = (lq.page - 1) * size;
	return {
		rows: rows.slice(start, start + size),
		extra: { pagination: { page: lq.page, pageSize: size, pageCount: Math.ceil(rows.length / size), itemCount: rows.length } },
	};
}
