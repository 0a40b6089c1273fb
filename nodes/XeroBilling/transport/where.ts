// Xero's `where` language, in one place: quoting literals, the terms the operations filter by
// (Reference, ContactNumber, EmailAddress, sales invoices dated from a day), and packing many
// terms into as few `where` clauses (or comma-separated list parameters) as Xero's query-string
// limit allows.
import { FieldError } from '../../shared/errors';

/**
 * A where string literal as Xero's parser reads it: the classic Microsoft Dynamic LINQ, where a
 * literal runs to the next `"`, a doubled `""` stands for one quote and a backslash is an ordinary
 * character (escaping it would double it in the value). Xero answers `"a\"b"` with "Syntax error"
 * (XeroAPI/Xero-Java#347), as that parser does; sources in docs/xero.md. So `A\B"C,` is sent as
 * `"A\B""C,"`, and a trailing backslash cannot swallow the closing quote.
 */
export function whereString(value: string): string {
	return `"${value.replace(/"/g, '""')}"`;
}

/** `Field=="a" OR Field=="b"` for a list of values. */
export function whereAnyOf(field: string, values: string[]): string {
	return values.map((v) => `${field}==${whereString(v)}`).join(' OR ');
}

/**
 * Xero answers 404 "The resource you're looking for cannot be found" to a GET whose query string
 * is longer than about 2,048 characters as sent: xero-node#404 (52 ContactIDs work, 53 fail),
 * XeroAPI/Xero-NetStandard#471 (Contacts, any URL over ~2,091 characters) and #413 (Invoices).
 * Every `where=…` we build stays within WHERE_MAX_SENT_CHARS as sent, leaving room for `&page=N`.
 */
export const XERO_MAX_QUERY_CHARS = 2048;
export const WHERE_MAX_SENT_CHARS = 2000;

/**
 * Length of a query value as xero-node sends it: axios percent-encodes it like encodeURIComponent
 * but keeps `:` `$` `,` and sends a space as `+`.
 */
export function sentLength(value: string): number {
	return encodeURIComponent(value).replace(/%3A/gi, ':').replace(/%24/g, '$').replace(/%2C/gi, ',').replace(/%20/g, '+').length;
}

/** Length of `where=<value>` in the query string as sent (the `=` after `where` is not encoded). */
export function whereSentLength(where: string): number {
	return 'where='.length + sentLength(where);
}

export interface WhereClause {
	where: string;
	/** The distinct terms ORed in `where`. */
	terms: string[];
}

/**
 * Packs OR-terms, in order and each distinct term once, into as few `where` clauses as fit within
 * `maxChars` as sent. `terms` decide how many clauses there are; `fillers` only go into the room
 * those clauses leave (first fit) and are reported in `placed` when they did. A term too long for
 * any clause on its own is returned in `tooLong`.
 */
export function packTerms(terms: string[], fillers: string[] = [], maxChars = WHERE_MAX_SENT_CHARS): { clauses: WhereClause[]; placed: Set<string>; tooLong: string[] } {
	const fixed = whereSentLength('');
	const sep = sentLength(' OR ');
	const open: Array<{ terms: string[]; chars: number }> = [];
	const seen = new Set<string>();
	const tooLong: string[] = [];
	for (const t of terms) {
		if (seen.has(t)) continue;
		seen.add(t);
		const len = sentLength(t);
		if (fixed + len > maxChars) {
			tooLong.push(t);
			continue;
		}
		const last = open[open.length - 1];
		if (last && last.chars + sep + len <= maxChars) {
			last.terms.push(t);
			last.chars += sep + len;
		} else open.push({ terms: [t], chars: fixed + len });
	}
	const placed = new Set<string>();
	for (const t of fillers) {
		if (seen.has(t)) {
			if (!tooLong.includes(t)) placed.add(t);
			continue;
		}
		const len = sentLength(t);
		const room = open.find((c) => c.chars + sep + len <= maxChars);
		if (!room) continue;
		seen.add(t);
		placed.add(t);
		room.terms.push(t);
		room.chars += sep + len;
	}
	return { clauses: open.map((c) => ({ where: c.terms.join(' OR '), terms: c.terms })), placed, tooLong };
}

export interface WhereGroup<T> {
	entries: T[];
	where: string;
}

/**
 * Packs entries, in order, into as few `where` clauses as fit: each clause ORs its entries' terms
 * (each distinct term once), wrapped by `wrap`, with `where=…` at most `maxChars` long as sent and
 * at most `maxEntries` entries. An entry whose own terms cannot fit in any clause is returned in
 * `tooLong` instead.
 */
export function packWhere<T>(
	entries: T[],
	termsOf: (entry: T) => string[],
	opts: { wrap?: (orTerms: string) => string; maxEntries?: number; maxChars?: number } = {},
): { groups: Array<WhereGroup<T>>; tooLong: T[] } {
	const wrap = opts.wrap ?? ((s: string) => s);
	const maxEntries = opts.maxEntries ?? Number.POSITIVE_INFINITY;
	const maxChars = opts.maxChars ?? WHERE_MAX_SENT_CHARS;
	const fixed = whereSentLength(wrap(''));
	const sep = sentLength(' OR ');
	const groups: Array<WhereGroup<T>> = [];
	const tooLong: T[] = [];
	let cur: { entries: T[]; terms: string[]; seen: Set<string>; chars: number } | undefined;
	const flush = () => {
		if (cur) groups.push({ entries: cur.entries, where: wrap(cur.terms.join(' OR ')) });
		cur = undefined;
	};
	for (const entry of entries) {
		const own = [...new Set(termsOf(entry))];
		const ownChars = own.reduce((n, t) => n + sentLength(t), 0) + sep * Math.max(0, own.length - 1);
		if (!own.length || fixed + ownChars > maxChars) {
			tooLong.push(entry);
			continue;
		}
		if (cur && cur.entries.length < maxEntries) {
			const fresh = own.filter((t) => !cur!.seen.has(t));
			const extra = fresh.reduce((n, t) => n + sep + sentLength(t), 0);
			if (cur.chars + extra <= maxChars) {
				cur.entries.push(entry);
				for (const t of fresh) {
					cur.terms.push(t);
					cur.seen.add(t);
				}
				cur.chars += extra;
				continue;
			}
		}
		flush();
		cur = { entries: [entry], terms: [...own], seen: new Set(own), chars: fixed + ownChars };
	}
	flush();
	return { groups, tooLong };
}

/**
 * Cuts values for a comma-separated list parameter (`InvoiceNumbers=a,b,c`) into as few calls as
 * fit Xero's query-string limit, each at most `maxEntries` long. Distinct values only; a value
 * too long for a call on its own is returned in `tooLong`. A value holding a comma is never put in
 * a list (Xero would split it into two values, and the list has no escape): it is returned in
 * `withComma`, for the caller to refuse with `listCommaError`.
 */
export function packList(
	values: string[],
	param: string,
	opts: { maxEntries?: number; maxChars?: number } = {},
): { groups: string[][]; tooLong: string[]; withComma: string[] } {
	const maxEntries = opts.maxEntries ?? Number.POSITIVE_INFINITY;
	const maxChars = opts.maxChars ?? WHERE_MAX_SENT_CHARS;
	const fixed = `${param}=`.length;
	const groups: string[][] = [];
	const tooLong: string[] = [];
	const withComma: string[] = [];
	let cur: string[] = [];
	let chars = fixed;
	for (const v of new Set(values)) {
		if (v.includes(',')) {
			withComma.push(v);
			continue;
		}
		const len = sentLength(v);
		if (fixed + len > maxChars) {
			tooLong.push(v);
			continue;
		}
		if (cur.length && (cur.length >= maxEntries || chars + 1 + len > maxChars)) {
			groups.push(cur);
			cur = [];
			chars = fixed;
		}
		chars += (cur.length ? 1 : 0) + len;
		cur.push(v);
	}
	if (cur.length) groups.push(cur);
	return { groups, tooLong, withComma };
}

/** The error for an item whose value packList returned in `withComma`: nothing was looked up for it. */
export function listCommaError(value: string, param: string, field: string): FieldError {
	return new FieldError(
		field,
		`"${value}" holds a comma, which Xero's comma-separated ${param} list cannot carry: it was not looked up (field "${field}")`,
		'Xero splits the list at every comma and offers no escape; remove the comma from the value.',
	);
}

// ------------------------------------------------------------------ the terms the node filters by

/** A sales invoice (ACCREC) whose Reference is `reference` (the billing key). */
export function referenceTerm(reference: string): string {
	return `Reference==${whereString(reference)}`;
}

/** Restricts ORed terms to sales invoices. */
export function salesInvoicesWhere(orTerms: string): string {
	return `Type=="ACCREC" AND (${orTerms})`;
}

/** Sales invoices dated on or after `day` (YYYY-MM-DD, already checked by the caller). */
export function salesInvoicesDatedFrom(day: string): string {
	const [y, m, d] = day.split('-').map(Number);
	return `Type=="ACCREC" AND Date>=DateTime(${y},${m},${d})`;
}

/** A contact whose ContactNumber is the CRM client id. */
export function contactNumberTerm(contactNumber: string): string {
	return `ContactNumber==${whereString(contactNumber)}`;
}

/** A contact with this email address (lower-cased: the node compares addresses case-blind). */
export function emailAddressTerm(email: string): string {
	return `EmailAddress==${whereString(email.toLowerCase())}`;
}

/**
 * Entries whose billing keys are looked up as sales-invoice References, packed into as few
 * `where` clauses as fit, at most `maxEntries` each.
 */
export function packReferences<T>(entries: T[], keyOf: (entry: T) => string, maxEntries: number): { groups: Array<WhereGroup<T>>; tooLong: T[] } {
	return packWhere(entries, (e) => [referenceTerm(keyOf(e))], { wrap: salesInvoicesWhere, maxEntries });
}
