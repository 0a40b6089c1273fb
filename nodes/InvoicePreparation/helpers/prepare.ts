// Pure logic of invoice preparation: validate CRM rows, group them per client and period, and
// refuse a client's whole invoice when any of its rows is bad, so nothing is half-invoiced.
import type { IDataObject } from 'n8n-workflow';
import { billingKey } from '../../shared/billingKey';
import { formatMinorUnits, normaliseCurrency, toMinorUnits } from '../../shared/currency';
import { FieldError } from '../../shared/errors';
import { readPath, textField } from '../../shared/itemFields';

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
	periodStart: string; // ISO, inclusive
	periodEnd: string; // ISO, exclusive
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

	const quantityRaw = readPath(row, f.quantity);
	let quantity = 1;
	if (quantityRaw !== undefined && quantityRaw !== null && quantityRaw !== '') {
		const q = typeof quantityRaw === 'string' ? Number(quantityRaw.trim()) : quantityRaw;
		if (typeof q !== 'number' || !Number.isInteger(q) || q < 1 || q > o.maxQuantity) {
			throw new FieldError(f.quantity, `Quantity must be a whole number from 1 to ${o.maxQuantity}, got ${JSON.stringify(quantityRaw)} (field "${f.quantity}")`);
		}
		quantity = q;
	}

	const deliveredRaw = optionalText(row, f.deliveredAt, 'Delivery time', 64);
	let deliveredAt: string | null = null;
	if (deliveredRaw !== null) {
		const t = Date.parse(deliveredRaw);
		if (Number.isNaN(t)) throw new FieldError(f.deliveredAt, `Delivery time "${deliveredRaw}" is not a date (field "${f.deliveredAt}")`);
		if (t < Date.parse(o.periodStart) || t >= Date.parse(o.periodEnd)) {
			throw new FieldError(f.deliveredAt, `Lead was delivered on ${new Date(t).toISOString()}, outside the billing period ${o.periodStart} – ${o.periodEnd} (field "${f.deliveredAt}")`);
		}
		deliveredAt = new Date(t).toISOString();
	}

	const description = optionalText(row, f.description, 'Description', 4000) ?? `Lead ${leadId}`;
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

const PERIOD_HINT = 'Check Period Start and Period End';

/** Refuses the whole run when the period itself is unusable; row problems never do. */
export function prepareInvoices(rows: IDataObject[], o: PrepareOptions): PrepareResult {
	if (Number.isNaN(Date.parse(o.periodStart))) throw new FieldError('periodStart', `Period start "${o.periodStart}" is not a date`, PERIOD_HINT);
	if (Number.isNaN(Date.parse(o.periodEnd))) throw new FieldError('periodEnd', `Period end "${o.periodEnd}" is not a date`, PERIOD_HINT);
	if (Date.parse(o.periodEnd) <= Date.parse(o.periodStart)) throw new FieldError('periodEnd', 'Period end must be after period start', PERIOD_HINT);
	const periodStart = new Date(o.periodStart).toISOString();
	const periodEnd = new Date(o.periodEnd).toISOString();
	const opts = { ...o, periodStart, periodEnd };

	const rejected: Rejection[] = [];
	const byClient = new Map<string, { good: GoodRow[]; badRows: number[]; conflict?: Rejection }>();
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
				reason: `Row ${index}${clientId ? ` (client ${clientId})` : ''}: ${(error as Error).message}`,
			});
			if (clientId) clientOf(clientId).badRows.push(index);
		}
	});

	const invoices: PrepareResult['invoices'] = [];
	for (const [clientId, entry] of byClient) {
		const { good } = entry;
		let problem: string | null = null;
		if (entry.badRows.length > 0) {
			problem = `not invoiced because row(s) ${entry.badRows.join(', ')} of client ${clientId} were rejected; fix them and rerun the period`;
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
	return { invoices, rejected };
}
