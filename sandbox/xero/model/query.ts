// List queries shared by the aggregates: the paging/filter options of Xero's list endpoints, the
// `where` compiler wrapped so its errors become QueryError, and `order` sorting over a record's
// queryable view (the field names Xero's where/order clauses use).
import { compileWhere, type Predicate } from '../where';

export class QueryError extends Error {}

/** Paging and filters common to the list endpoints. */
export interface ListQuery {
	where?: string;
	order?: string;
	ids?: string[];
	page?: number;
	pageSize?: number;
	includeArchived?: boolean;
	ifModifiedSince?: number;
	searchTerm?: string;
	summaryOnly?: boolean;
}

export interface InvoiceListQuery extends ListQuery {
	invoiceNumbers?: string[];
	contactIds?: string[];
	statuses?: string[];
}

/** Compiles a `where` clause over the given fields; a bad clause is a QueryError (400 on the wire). */
export function compileFilter(where: string, typeName: string, fields: string[]): Predicate {
	try {
		return compileWhere(where, { typeName, fields });
	} catch (e) {
		throw new QueryError((e as Error).message);
	}
}

/** A field of a view, exact name first, else ignoring case (order clauses are not case-sensitive). */
function fieldOf(obj: object, name: string): unknown {
	if (Array.isArray(obj)) return undefined;
	const rec = obj as Record<string, unknown>;
	if (name in rec) return rec[name];
	const key = Object.keys(rec).find((k) => k.toLowerCase() === name.toLowerCase());
	return key === undefined ? undefined : rec[key];
}

function pathValue(view: Record<string, unknown>, field: string): unknown {
	return field.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? fieldOf(o, k) : undefined), view);
}

/** Sorts by an `order` clause ("Name DESC, Date"); rows are left as they are without one. */
export function sortBy<T>(rows: T[], order: string | undefined, view: (r: T) => Record<string, unknown>): T[] {
	if (!order) return rows;
	const keys = order.split(',').map((part) => {
		const [field, dir] = part.trim().split(/\s+/);
		if (!field || !/^[A-Za-z.]+$/.test(field)) throw new QueryError(`Invalid order clause '${part.trim()}'`);
		return { field, desc: (dir ?? '').toUpperCase() === 'DESC' };
	});
	return [...rows].sort((a, b) => {
		const va = view(a);
		const vb = view(b);
		for (const { field, desc } of keys) {
			const x = pathValue(va, field);
			const y = pathValue(vb, field);
			if (x === y) continue;
			if (x === undefined || x === null) return desc ? 1 : -1;
			if (y === undefined || y === null) return desc ? -1 : 1;
			const c = (x as number | string) < (y as number | string) ? -1 : 1;
			return desc ? -c : c;
		}
		return 0;
	});
}

/** Outcome of saving one element of a batch: the saved record, or why not (with the record when one is shown back). */
export type SaveOutcome<T> = { ok: true; rec: T } | { ok: false; errors: string[]; rec?: T };
