// Pure logic of invoice preparation: validate CRM rows, group them per client and period, and
// refuse a client's whole invoice when any of its rows is bad, so nothing is half-invoiced.
import type { IDataObject } from 'n8n-workflow';
import { billingKey } from '../../shared/billingKey';
import { formatMinorUnits, normaliseCurrency, toMinorUnits } from '../../shared/currency';
import { FieldError } from '../../shared/errors';
import { CONTROL_CHARACTERS, isUnzonedTime, parseZonedTime, readPath, textField } from '../../shared/itemFields';

export interface FieldMap {
	leadId: string;
	clientId: string;
	clientName: string;
	billingEmail: string;
	currency: string;
	price: string;
	quantity: string;
	description: string;
	deliveredAt: string;
	cardReference: string;
}

export const DEFAULT_FIELDS: FieldMap = {
	leadId: 'leadId',
	clientId: 'clientId',
	clientName: 'clientName',
	billingEmail: 'billingEmail',
	currency: 'currency',
	price: 'price',
	quantity: 'quantity',
	description: 'description',
	deliveredAt: 'deliveredAt',
	cardReference: 'cardReference',
};

export interface PrepareOptions {
	/** Zoned ISO 8601 time (or a bare day, read as UTC midnight), inclusive. */
	periodStart: string;
	/** Zoned ISO 8601 time (or a bare day, read as UTC midnight), exclusive. */
	periodEnd: string;
	fields: FieldMap;
	priceIn: 'major' | 'minor';
	maxQuantity: number;
}

export interface InvoiceLine {
	leadId: string;
	description: string;
	quantity: number;
	unitAmount: string;
	unitAmountMinor: number;
	lineAmountMinor: number;
	deliveredAt: string | null;
}

export interface InvoiceRequest {
	billingKey: string;
	clientId: string;
	clientName: string;
	billingEmail: string;
	currency: string;
	cardReference: string | null;
	periodStart: string;
	periodEnd: string;
	lines: InvoiceLine[];
	leadCount: number;
	totalMinor: number;
	total: string;
	duplicateRowsIgnored: number;
}

export interface Rejection {
	/** Index of the input row. */
	row: number;
	clientId: string | null;
	leadId: string | null;
	field: string | null;
	reason: string;
}

export interface PrepareResult {
	invoices: Array<{ invoice: InvoiceRequest; rows: number[] }>;
	rejected: Rejection[];
	/** The period as read, in `toISOString()` form. */
	periodStart: string;
	periodEnd: string;
}

interface GoodRow {
	row: number;
	leadId: string;
	clientId: string;
	clientName: string;
	billingEmail: string;
	currency: string;
	cardReference: string | null;
	line: InvoiceLine;
}

// Deliberately plain: one @, no spaces or control characters, a dotted domain.
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

/**
 * A quantity: a JS integer, or ASCII digits with optional surrounding spaces. `Number()` is not
 * used on text because it reads "0x10" as 16, "1e2" as 100 and "" as 0.
 */
function readQuantity(raw: unknown, field: string, max: number): number {
	if (raw === undefined || raw === null || raw === '') return 1;
	const digits = typeof raw === 'string' ? /^ *([0-9]+) *$/.exec(raw) : null;
	const q = typeof raw === 'number' ? raw : digits ? Number(digits[1]) : NaN;
	if (!Number.isInteger(q) || q < 1 || q > max) {
		throw new FieldError(field, `Quantity must be a whole number from 1 to ${max} (digits only), got ${shown(JSON.stringify(raw) ?? typeof raw)} (field "${field}")`);
	}
	return q;
}

const CONTROL_CHARACTERS_ALL = new RegExp(CONTROL_CHARACTERS.source, 'g');

/** An id shown inside a message: control characters as `\uXXXX`, so the message stays one line. */
function shown(id: string): string {
	return id.replace(CONTROL_CHARACTERS_ALL, (ch) => `\\u${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`);
}

/** An optional text field: null when the row leaves it empty. */
function optionalText(row: IDataObject, path: string, label: string, max: number): string | null {
	return textField(row, path, label, { required: false, max }) || null;
}

function parseRow(row: IDataObject, index: number, o: PrepareOptions): GoodRow {
	const f = o.fields;
	const clientId = textField(row, f.clientId, 'Client id', { max: 50 });
	const leadId = textField(row, f.leadId, 'Lead id', { max: 100 });
	const clientName = textField(row, f.clientName, 'Client name', { max: 255 });
	const billingEmail = textField(row, f.billingEmail, 'Billing email', { max: 254 });
	if (!EMAIL.test(billingEmail)) throw new FieldError(f.billingEmail, `Billing email "${billingEmail}" is not a valid address (field "${f.billingEmail}")`);

	// AmountError is a FieldError naming the mapped field.
	const currency = normaliseCurrency(readPath(row, f.currency), f.currency);
	const unitAmountMinor = toMinorUnits(readPath(row, f.price), currency, { field: f.price, mode: o.priceIn, allowZero: true });

	const quantity = readQuantity(readPath(row, f.quantity), f.quantity, o.maxQuantity);

	const deliveredRaw = optionalText(row, f.deliveredAt, 'Delivery time', 64);
	let deliveredAt: string | null = null;
	if (deliveredRaw !== null) {
		const t = parseZonedTime(deliveredRaw);
		if (t === undefined) {
			const problem = isUnzonedTime(deliveredRaw) ? 'has no time zone, so its moment would depend on the server' : 'is not a date';
			throw new FieldError(f.deliveredAt, `Delivery time "${deliveredRaw}" ${problem} (field "${f.deliveredAt}"); give an ISO 8601 time with Z or ±hh:mm, e.g. 2026-11-24T10:00:00Z`);
		}
		if (t < Date.parse(o.periodStart) || t >= Date.parse(o.periodEnd)) {
			throw new FieldError(f.deliveredAt, `Lead was delivered on ${new Date(t).toISOString()}, outside the billing period ${o.periodStart} – ${o.periodEnd} (field "${f.deliveredAt}")`);
		}
		deliveredAt = new Date(t).toISOString();
	}

	// Xero keeps 4000 characters of a line description, and stage 2 appends " [lead <id>]" to it.
	const description = optionalText(row, f.description, 'Description', 4000 - ` [lead ${leadId}]`.length) ?? `Lead ${leadId}`;
	const cardReference = optionalText(row, f.cardReference, 'Card reference', 64);
	if (cardReference !== null && !/^[A-Za-z0-9-]+$/.test(cardReference)) {
		throw new FieldError(f.cardReference, `Card reference "${cardReference}" is not a gateway transaction reference (field "${f.cardReference}")`);
	}

	const lineAmountMinor = unitAmountMinor * quantity;
	if (!Number.isSafeInteger(lineAmountMinor)) throw new FieldError(f.price, `Line amount is too large (field "${f.price}")`);
	return {
		row: index,
		leadId,
		clientId,
		clientName,
		billingEmail,
		currency,
		cardReference,
		line: {
			leadId,
			description,
			quantity,
			unitAmount: formatMinorUnits(unitAmountMinor, currency),
			unitAmountMinor,
			lineAmountMinor,
			deliveredAt,
		},
	};
}

const CLIENT_FIELDS = ['clientName', 'billingEmail', 'currency', 'cardReference'] as const;

interface ClientRows {
	good: GoodRow[];
	badRows: number[];
}

/**
 * Lead ids are the CRM's global ids: one under two clients is a data error, and whichever client
 * is billed for it may be the wrong one. The lead's good rows are rejected under every client
 * (which stops each client's whole invoice); rows rejected on their own still count as a claim.
 */
function rejectLeadsUnderTwoClients(byClient: Map<string, ClientRows>, rejected: Rejection[], leadField: string): void {
	const claims = new Map<string, Map<string, number[]>>();
	const claim = (leadId: string, clientId: string, row: number) => {
		let clients = claims.get(leadId);
		if (!clients) claims.set(leadId, (clients = new Map()));
		clients.set(clientId, [...(clients.get(clientId) ?? []), row]);
	};
	for (const [clientId, entry] of byClient) for (const g of entry.good) claim(g.leadId, clientId, g.row);
	for (const r of rejected) if (r.clientId && r.leadId?.trim()) claim(r.leadId.trim(), r.clientId, r.row);

	for (const [clientId, entry] of byClient) {
		entry.good = entry.good.filter((g) => {
			const clients = claims.get(g.leadId)!;
			if (clients.size < 2) return true;
			const where = [...clients].map(([c, rows]) => `${shown(c)} (row ${rows.join(', ')})`).join(' and ');
			rejected.push({
				row: g.row,
				clientId,
				leadId: g.leadId,
				field: leadField,
				reason: `Row ${g.row} (client ${shown(clientId)}): Lead id "${shown(g.leadId)}" appears under clients ${where}; a lead belongs to one client, so it is billed to neither until the CRM is fixed (field "${leadField}")`,
			});
			entry.badRows.push(g.row);
			return false;
		});
	}
}

const PERIOD_HINT =
	'Check Period Start and Period End: each an ISO 8601 time with a zone (e.g. 2026-11-16T00:00:00Z or 2026-11-16T00:00:00+01:00), or a bare day YYYY-MM-DD, read as UTC midnight';

/** A period bound in `toISOString()` form; never read in the server's time zone. */
function periodBound(value: unknown, field: 'periodStart' | 'periodEnd', label: string): string {
	const text = typeof value === 'string' ? value.trim() : value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString() : undefined;
	if (text === undefined || text === '') throw new FieldError(field, `${label} is missing`, PERIOD_HINT);
	const t = parseZonedTime(text, { dayAsUtcMidnight: true });
	if (t === undefined) {
		const problem = isUnzonedTime(text) ? 'has no time zone, so the period would depend on the server’s time zone' : 'is not a date';
		throw new FieldError(field, `${label} "${text}" ${problem}`, PERIOD_HINT);
	}
	return new Date(t).toISOString();
}

/** Refuses the whole run when the period itself is unusable; row problems never do. */
export function prepareInvoices(rows: IDataObject[], o: PrepareOptions): PrepareResult {
	const periodStart = periodBound(o.periodStart, 'periodStart', 'Period start');
	const periodEnd = periodBound(o.periodEnd, 'periodEnd', 'Period end');
	if (Date.parse(periodEnd) <= Date.parse(periodStart)) throw new FieldError('periodEnd', 'Period end must be after period start', PERIOD_HINT);
	const opts = { ...o, periodStart, periodEnd };

	const rejected: Rejection[] = [];
	const byClient = new Map<string, ClientRows>();
	const clientOf = (id: string) => {
		let entry = byClient.get(id);
		if (!entry) byClient.set(id, (entry = { good: [], badRows: [] }));
		return entry;
	};

	rows.forEach((row, index) => {
		try {
			if (!row || typeof row !== 'object' || Array.isArray(row)) throw new Error('Row is not an object');
			const good = parseRow(row, index, opts);
			clientOf(good.clientId).good.push(good);
		} catch (error) {
			const isRow = row && typeof row === 'object' && !Array.isArray(row);
			const rawClient = isRow ? readPath(row, o.fields.clientId) : undefined;
			const clientId = typeof rawClient === 'string' || typeof rawClient === 'number' ? String(rawClient).trim() || null : null;
			const rawLead = isRow ? readPath(row, o.fields.leadId) : undefined;
			rejected.push({
				row: index,
				clientId,
				leadId: typeof rawLead === 'string' || typeof rawLead === 'number' ? String(rawLead) : null,
				field: error instanceof FieldError ? error.field : null,
				reason: `Row ${index}${clientId ? ` (client ${shown(clientId)})` : ''}: ${(error as Error).message}`,
			});
			if (clientId) clientOf(clientId).badRows.push(index);
		}
	});
	rejectLeadsUnderTwoClients(byClient, rejected, o.fields.leadId);

	const invoices: PrepareResult['invoices'] = [];
	for (const [clientId, entry] of byClient) {
		const { good } = entry;
		let problem: string | null = null;
		if (entry.badRows.length > 0) {
			problem = `not invoiced because row(s) ${entry.badRows.sort((a, b) => a - b).join(', ')} of client ${shown(clientId)} were rejected; fix them and rerun the period`;
		}
		// All rows of one client must agree on who and how to bill.
		if (!problem && good.length > 0) {
			for (const key of CLIENT_FIELDS) {
				const values = new Set(good.map((g) => g[key]));
				if (values.size > 1) {
					problem = `client ${clientId} has conflicting ${key} values across its rows (${[...values].map((v) => JSON.stringify(v)).join(', ')})`;
					break;
				}
			}
		}
		// The same lead twice: identical copies are ignored, conflicting ones stop the invoice.
		const seen = new Map<string, GoodRow>();
		let duplicates = 0;
		const lines: InvoiceLine[] = [];
		const sourceRows: number[] = [];
		if (!problem) {
			for (const g of good) {
				const prior = seen.get(g.leadId);
				if (prior) {
					if (JSON.stringify(prior.line) !== JSON.stringify(g.line)) {
						problem = `lead ${g.leadId} of client ${clientId} appears in rows ${prior.row} and ${g.row} with different values`;
						break;
					}
					duplicates++;
					sourceRows.push(g.row);
					continue;
				}
				seen.set(g.leadId, g);
				lines.push(g.line);
				sourceRows.push(g.row);
			}
		}
		const totalMinor = lines.reduce((sum, l) => sum + l.lineAmountMinor, 0);
		if (!problem && good.length > 0 && totalMinor <= 0) problem = `client ${clientId} has nothing to bill: the invoice total is zero`;
		if (!problem && !Number.isSafeInteger(totalMinor)) problem = `client ${clientId} invoice total is too large`;

		if (problem) {
			for (const g of good) {
				rejected.push({ row: g.row, clientId, leadId: g.leadId, field: null, reason: `Row ${g.row} (client ${clientId}): ${problem}` });
			}
			continue;
		}
		if (good.length === 0) continue;
		const first = good[0];
		invoices.push({
			rows: sourceRows,
			invoice: {
				billingKey: billingKey(clientId, periodStart, periodEnd),
				clientId,
				clientName: first.clientName,
				billingEmail: first.billingEmail,
				currency: first.currency,
				cardReference: first.cardReference,
				periodStart,
				periodEnd,
				lines,
				leadCount: lines.length,
				totalMinor,
				total: formatMinorUnits(totalMinor, first.currency),
				duplicateRowsIgnored: duplicates,
			},
		});
	}
	rejected.sort((a, b) => a.row - b.row);
	return { invoices, rejected, periodStart, periodEnd };
}
