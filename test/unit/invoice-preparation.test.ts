import { InvoicePreparation } from '../../nodes/InvoicePreparation/InvoicePreparation.node';
import { billingKey, validateBillingKey } from '../../nodes/shared/billingKey';
import { runNode } from '../helpers/run-node';

const period = { periodStart: '2026-11-16T00:00:00.000Z', periodEnd: '2026-11-19T00:00:00.000Z' };
const lead = (over: Record<string, unknown> = {}) => ({
	leadId: 'L1',
	clientId: 'C001',
	clientName: 'Acme Ltd',
	billingEmail: 'billing@acme.example',
	currency: 'GBP',
	cardReference: '56-9-1234',
	description: 'Solar lead',
	price: '12.50',
	quantity: 1,
	deliveredAt: '2026-11-17T10:00:00Z',
	...over,
});

async function prepare(rows: Array<Record<string, unknown>>, parameters: Record<string, unknown> = {}) {
	const [invoices, rejected] = await runNode(new InvoicePreparation(), {
		parameters: { ...period, priceIn: 'major', ...parameters } as never,
		items: rows.map((json) => ({ json: json as never })),
	});
	return { invoices: invoices.map((i) => ({ ...i.json, pairedItem: i.pairedItem })) as any[], rejected: rejected.map((r) => r.json) as any[] };
}

describe('Invoice Preparation', () => {
	it('groups leads per client into one invoice with exact minor-unit totals and paired items', async () => {
		const { invoices, rejected } = await prepare([
			lead({ leadId: 'L1', price: '12.50' }),
			lead({ leadId: 'L2', price: 0.1, quantity: 3 }),
			lead({ leadId: 'L3', clientId: 'C002', clientName: 'Beta', billingEmail: 'ap@beta.example', currency: 'JPY', price: '1500', cardReference: null }),
		]);
		expect(rejected).toEqual([]);
		expect(invoices).toHaveLength(2);
		const acme = invoices.find((i) => i.clientId === 'C001');
		expect(acme).toMatchObject({ totalMinor: 1280, total: '12.80', currency: 'GBP', leadCount: 2, billingKey: 'C001-20261116-20261119' });
		expect(acme.lines[1]).toMatchObject({ leadId: 'L2', quantity: 3, unitAmountMinor: 10, lineAmountMinor: 30, unitAmount: '0.10' });
		expect(acme.pairedItem).toEqual([{ item: 0 }, { item: 1 }]);
		const beta = invoices.find((i) => i.clientId === 'C002');
		expect(beta).toMatchObject({ totalMinor: 1500, total: '1500', cardReference: null });
	});

	it('gives the same billing keys on a rerun of the same period and different keys for another period', async () => {
		const first = await prepare([lead()]);
		const again = await prepare([lead()]);
		expect(again.invoices[0].billingKey).toBe(first.invoices[0].billingKey);
		const next = await prepare([lead({ deliveredAt: '2026-11-20T10:00:00Z' })], {
			periodStart: '2026-11-19T00:00:00Z',
			periodEnd: '2026-11-23T00:00:00Z',
		});
		expect(next.invoices[0].billingKey).not.toBe(first.invoices[0].billingKey);
		expect(billingKey('client.with.dots-and-a-long-id', period.periodStart, period.periodEnd)).toMatch(/^BK-[0-9a-f]{22}$/);
		expect(billingKey('a.b', period.periodStart, period.periodEnd)).not.toBe(billingKey('a-b', period.periodStart, period.periodEnd));
	});

	it.each([
		['missing email', { billingEmail: '' }, 'billingEmail', /Billing email is missing/],
		['invalid email', { billingEmail: 'not-an-email' }, 'billingEmail', /not a valid address/],
		['CRLF in email', { billingEmail: 'a@b.example\r\nBcc: x@evil.example' }, 'billingEmail', /control characters/],
		['unknown currency', { currency: 'XXZ' }, 'currency', /not an active ISO 4217/],
		['negative price', { price: '-5' }, 'price', /price/],
		['fractional minor unit', { price: '10.505' }, 'price', /price/],
		['price as an object', { price: { amount: 5 } }, 'price', /price/],
		['quantity zero', { quantity: 0 }, 'quantity', /Quantity must be a whole number/],
		['quantity fractional', { quantity: 1.5 }, 'quantity', /Quantity must be a whole number/],
		['delivered outside the period', { deliveredAt: '2026-11-25T00:00:00Z' }, 'deliveredAt', /outside the billing period/],
		['missing client name', { clientName: '  ' }, 'clientName', /Client name is missing/],
	])('rejects a row with %s, naming the row and the field', async (_name, over, field, message) => {
		const { invoices, rejected } = await prepare([lead({ ...over, leadId: 'BAD' }), lead({ leadId: 'OK', clientId: 'C009' })]);
		const bad = rejected.find((r) => r.rejected.row === 0);
		expect(bad.rejected).toEqual({ row: 0, clientId: 'C001', leadId: 'BAD', billingKey: expect.stringMatching(/^RJ-[0-9a-f]{22}$/) });
		expect(bad.error).toMatchObject({ field, retryable: false, code: 'invalidRow' });
		expect(bad.error.message).toMatch(/^Row 0 \(client C001\)/);
		expect(bad.error.message).toMatch(message);
		// The good client beside it is unaffected.
		expect(invoices.map((i) => i.clientId)).toEqual(['C009']);
	});

	it('never half-invoices: one bad row stops its whole client invoice, and says why for every row', async () => {
		const { invoices, rejected } = await prepare([lead({ leadId: 'L1' }), lead({ leadId: 'L2', price: 'abc' })]);
		expect(invoices).toEqual([]);
		expect(rejected.map((r) => r.rejected.row)).toEqual([0, 1]);
		expect(rejected[0].error.message).toMatch(/not invoiced because row\(s\) 1 of client C001 were rejected/);
		// A row refused for its client's sake names no field of its own.
		expect(rejected[0].error).toEqual({ message: expect.any(String), retryable: false, code: 'invalidRow' });
		expect(rejected[0]).toMatchObject({ leadId: 'L1', rejected: { row: 0, clientId: 'C001', leadId: 'L1' } });
		expect(rejected[1].error.field).toBe('price');
		// Each row is parked under its own valid key, the same on a rerun of the period.
		expect(rejected[0].rejected.billingKey).not.toBe(rejected[1].rejected.billingKey);
		for (const r of rejected) expect(validateBillingKey(r.rejected.billingKey)).toBe(r.rejected.billingKey);
		const again = await prepare([lead({ leadId: 'L1' }), lead({ leadId: 'L2', price: 'abc' })]);
		expect(again.rejected.map((r) => r.rejected.billingKey)).toEqual(rejected.map((r) => r.rejected.billingKey));
	});

	it('ignores exact duplicate CRM rows but refuses conflicting duplicates and conflicting client data', async () => {
		const dup = await prepare([lead(), lead()]);
		expect(dup.invoices[0]).toMatchObject({ leadCount: 1, totalMinor: 1250, duplicateRowsIgnored: 1 });

		const conflicting = await prepare([lead(), lead({ price: '99.00' })]);
		expect(conflicting.invoices).toEqual([]);
		expect(conflicting.rejected[0].error.message).toMatch(/lead L1 of client C001 appears in rows 0 and 1 with different values/);

		const mixed = await prepare([lead({ leadId: 'L1' }), lead({ leadId: 'L2', currency: 'EUR' })]);
		expect(mixed.invoices).toEqual([]);
		expect(mixed.rejected[0].error.message).toMatch(/conflicting currency/);
	});

	it('keeps unicode, right-to-left and HTML names as plain data for later escaping', async () => {
		const { invoices } = await prepare([lead({ clientName: 'شركة <script>alert(1)</script> Ünïcødé' })]);
		expect(invoices[0].clientName).toBe('شركة <script>alert(1)</script> Ünïcødé');
	});

	it('maps fields from any CRM shape, with prices in minor units', async () => {
		const { invoices, rejected } = await prepare(
			[{ id: 'x1', company: { id: 'HS7', name: 'Hub Co', email: 'ap@hub.example' }, ccy: 'BHD', amount: 1234 }],
			{
				priceIn: 'minor',
				fields: { leadId: 'id', clientId: 'company.id', clientName: 'company.name', billingEmail: 'company.email', currency: 'ccy', price: 'amount' },
			},
		);
		expect(rejected).toEqual([]);
		expect(invoices[0]).toMatchObject({ clientId: 'HS7', currency: 'BHD', totalMinor: 1234, total: '1.234', cardReference: null });
	});

	it('refuses a period that ends before it starts as a node error', async () => {
		await expect(prepare([lead()], { periodEnd: '2026-11-01T00:00:00Z' })).rejects.toThrow(/Period end must be after period start/);
	});

	it('under Continue On Fail puts every row on Rejected when the period is unusable', async () => {
		const [invoices, rejected] = await runNode(new InvoicePreparation(), {
			parameters: { ...period, periodEnd: '2026-11-01T00:00:00Z', priceIn: 'major' } as never,
			items: [{ json: lead() as never }, { json: lead({ leadId: 'L2' }) as never }],
			continueOnFail: true,
		});
		expect(invoices).toEqual([]);
		expect(rejected.map((r) => [r.pairedItem, r.json.leadId, (r.json.error as any).field])).toEqual([
			[{ item: 0 }, 'L1', 'periodEnd'],
			[{ item: 1 }, 'L2', 'periodEnd'],
		]);
	});

	it('refuses a Max Quantity per Line below 1, naming the option', async () => {
		await expect(prepare([lead()], { options: { maxQuantity: 0 } })).rejects.toThrow(/"Max Quantity per Line" must be a whole number at least 1, got 0/);
	});

	it.each([['0x10'], ['1e2'], ['1.0'], ['+5'], ['-1'], ['5 units'], [' '], ['\u0661\u0662'], ['12\n'], [true], [[2]]])(
		'refuses quantity %j: only a JS integer or ASCII digits, never what Number() reads',
		async (quantity) => {
			const { invoices, rejected } = await prepare([lead({ quantity })]);
			expect(invoices).toEqual([]);
			expect(rejected[0].error).toMatchObject({ field: 'quantity', message: expect.stringMatching(/Quantity must be a whole number from 1 to 10000 \(digits only\), got .* \(field "quantity"\)/) });
		},
	);

	it('reads digit strings with surrounding spaces and JS integers as quantities', async () => {
		const { invoices, rejected } = await prepare([lead({ leadId: 'L1', quantity: ' 12 ' }), lead({ leadId: 'L2', quantity: '007' }), lead({ leadId: 'L3', quantity: 3 }), lead({ leadId: 'L4', quantity: '' })]);
		expect(rejected).toEqual([]);
		expect(invoices[0].lines.map((l: { quantity: number }) => l.quantity)).toEqual([12, 7, 3, 1]);
	});

	it.each([['2026-11-17T10:00:00'], ['2026-11-17 10:00'], ['2026-11-17'], ['2026-11-17T10:00:00.000']])(
		'refuses delivery time %s without a time zone instead of reading it in the server zone',
		async (deliveredAt) => {
			const { invoices, rejected } = await prepare([lead({ deliveredAt })]);
			expect(invoices).toEqual([]);
			expect(rejected[0].error.field).toBe('deliveredAt');
			expect(rejected[0].error.message).toMatch(/has no time zone.*\(field "deliveredAt"\); give an ISO 8601 time with Z or ±hh:mm/);
		},
	);

	it.each([['17/11/2026 10:00Z'], ['2026-02-30T10:00:00Z'], ['2026-11-17T25:00:00Z'], ['2026-11-17T10:00:00+25:00'], ['Tue, 17 Nov 2026 10:00:00 GMT']])(
		'refuses delivery time %s, which is not a zoned ISO 8601 time',
		async (deliveredAt) => {
			const { rejected } = await prepare([lead({ deliveredAt })]);
			expect(rejected[0].error).toMatchObject({ field: 'deliveredAt', message: expect.stringMatching(/is not a date/) });
		},
	);

	it('reads zoned delivery times by their offset, at the period bounds too', async () => {
		const { invoices, rejected } = await prepare([
			lead({ leadId: 'L1', deliveredAt: '2026-11-17T11:00:00+01:00' }),
			lead({ leadId: 'L2', deliveredAt: '2026-11-16T00:00:00.000Z' }),
			lead({ leadId: 'L3', deliveredAt: '2026-11-18T23:59:59.999-00:00' }),
			lead({ leadId: 'L4', deliveredAt: '2026-11-16T00:30:00+01:00', clientId: 'C002' }),
		]);
		expect(invoices[0].lines.map((l: { deliveredAt: string }) => l.deliveredAt)).toEqual(['2026-11-17T10:00:00.000Z', '2026-11-16T00:00:00.000Z', '2026-11-18T23:59:59.999Z']);
		// 00:30 at +01:00 is 23:30 UTC the day before the period starts.
		expect(rejected).toEqual([expect.objectContaining({ error: expect.objectContaining({ field: 'deliveredAt', message: expect.stringMatching(/2026-11-15T23:30:00.000Z, outside the billing period/) }) })]);
	});

	it.each([
		['periodStart', { periodStart: '2026-11-16T00:00:00' }],
		['periodStart', { periodStart: '2026-11-16 00:00' }],
		['periodEnd', { periodEnd: '2026-11-19T00:00:00.000' }],
	])('reads a %s without a time zone in the workflow time zone', async (field, parameters) => {
		// What n8n's date picker stores: meant in the workflow's zone, never the server's.
		const [invoices, rejected] = await runNode(new InvoicePreparation(), {
			parameters: { ...period, priceIn: 'major', ...parameters } as never,
			items: [{ json: lead({ deliveredAt: '2026-11-17T12:00:00Z' }) as never }],
			continueOnFail: true,
		});
		expect(rejected ?? []).toEqual([]);
		expect(String(invoices[0].json[field])).toMatch(/^2026-11-\d\dT\d\d:00:00\.000Z$/);
	});

	it('reads a bare day as the period bound at UTC midnight: the same keys as the full timestamps', async () => {
		const full = await prepare([lead(), lead({ leadId: 'BAD', clientId: 'C002', price: 'x' })]);
		const days = await prepare([lead(), lead({ leadId: 'BAD', clientId: 'C002', price: 'x' })], { periodStart: '2026-11-16', periodEnd: '2026-11-19' });
		expect(days.invoices[0]).toMatchObject({ billingKey: 'C001-20261116-20261119', periodStart: '2026-11-16T00:00:00.000Z', periodEnd: '2026-11-19T00:00:00.000Z' });
		expect(days.rejected[0].rejected.billingKey).toBe(full.rejected[0].rejected.billingKey);
	});

	it('gives two periods on the same days at different times different billing keys', async () => {
		const morning = await prepare([lead({ deliveredAt: '2026-11-16T08:00:00Z' })], { periodStart: '2026-11-16T00:00:00Z', periodEnd: '2026-11-16T12:00:00Z' });
		const afternoon = await prepare([lead({ deliveredAt: '2026-11-16T14:00:00Z' })], { periodStart: '2026-11-16T12:00:00Z', periodEnd: '2026-11-17T00:00:00Z' });
		const keys = [morning.invoices[0].billingKey, afternoon.invoices[0].billingKey];
		expect(keys[0]).not.toBe(keys[1]);
		for (const key of keys) expect(validateBillingKey(key)).toMatch(/^BK-[0-9a-f]{22}$/);
		// The same period given at another offset is the same period, and the same key.
		const again = await prepare([lead({ deliveredAt: '2026-11-16T08:00:00Z' })], { periodStart: '2026-11-16T01:00:00+01:00', periodEnd: '2026-11-16T13:00:00+01:00' });
		expect(again.invoices[0].billingKey).toBe(keys[0]);
	});

	it('rejects one lead id under two clients under both, naming both clients, and bills neither client', async () => {
		const { invoices, rejected } = await prepare([
			lead({ leadId: 'L1', clientId: 'C001' }),
			lead({ leadId: 'L2', clientId: 'C001' }),
			lead({ leadId: 'L1', clientId: 'C002', clientName: 'Beta', billingEmail: 'ap@beta.example' }),
			lead({ leadId: 'L3', clientId: 'C003', clientName: 'Gamma', billingEmail: 'ap@gamma.example' }),
		]);
		expect(invoices.map((i) => i.clientId)).toEqual(['C003']);
		expect(rejected.map((r) => [r.rejected.row, r.rejected.clientId, r.error.field])).toEqual([
			[0, 'C001', 'leadId'],
			[1, 'C001', undefined],
			[2, 'C002', 'leadId'],
		]);
		for (const r of [rejected[0], rejected[2]]) {
			expect(r.error.message).toMatch(/Lead id "L1" appears under clients C001 \(row 0\) and C002 \(row 2\)/);
		}
		expect(rejected[0].error.message).toMatch(/^Row 0 \(client C001\)/);
		expect(rejected[2].error.message).toMatch(/^Row 2 \(client C002\)/);
		expect(rejected[1].error.message).toMatch(/not invoiced because row\(s\) 0 of client C001 were rejected/);
	});

	it('counts a rejected row as a claim on its lead id, so the other client is not billed for it', async () => {
		const { invoices, rejected } = await prepare([lead({ leadId: 'L1', clientId: 'C001' }), lead({ leadId: 'L1', clientId: 'C002', price: 'abc' })]);
		expect(invoices).toEqual([]);
		expect(rejected[0].error).toMatchObject({ field: 'leadId', message: expect.stringMatching(/appears under clients C001 \(row 0\) and C002 \(row 1\)/) });
		expect(rejected[1].error.field).toBe('price');
	});

	it.each([
		['U+2028 inside the client name', { clientName: 'Acme\u2028Ltd' }, 'clientName'],
		['U+2029 at the end of the client name', { clientName: 'Acme Ltd\u2029' }, 'clientName'],
		['U+2028 at the start of the client name', { clientName: '\u2028Acme Ltd' }, 'clientName'],
		['U+0085 in the client name', { clientName: 'Acme\u0085Ltd' }, 'clientName'],
		['a line feed at the end of the client name', { clientName: 'Acme Ltd\n' }, 'clientName'],
		['a control character in the client id', { clientId: 'C001\u0007' }, 'clientId'],
		['U+2028 in the client id', { clientId: 'C00\u20281' }, 'clientId'],
		['a line break in the lead id', { leadId: 'L1\r\nL2' }, 'leadId'],
		['a line feed at the end of the lead id', { leadId: 'L1\n' }, 'leadId'],
		['U+0085 in the lead id', { leadId: 'L\u00851' }, 'leadId'],
		['U+2029 in the description', { description: 'Solar\u2029lead' }, 'description'],
	])('refuses %s, as the email and Xero stages would', async (_name, over, field) => {
		const { invoices, rejected } = await prepare([lead(over)]);
		expect(invoices).toEqual([]);
		expect(rejected[0].error).toMatchObject({ field, message: expect.stringMatching(/contains control characters/) });
		// The message stays on one line.
		expect(rejected[0].error.message).not.toMatch(/[\n\r\u2028\u2029\u0085]/);
	});

	it('keeps backslash, quote and comma in client and lead ids (the Xero transport escapes them)', async () => {
		const { invoices, rejected } = await prepare([lead({ clientId: 'C\\1,"x"', leadId: 'L\\1, "quoted" [x]' })]);
		expect(rejected).toEqual([]);
		expect(invoices[0]).toMatchObject({ clientId: 'C\\1,"x"', lines: [expect.objectContaining({ leadId: 'L\\1, "quoted" [x]' })] });
		expect(validateBillingKey(invoices[0].billingKey)).toMatch(/^BK-/);
	});

	it('rejects a row whose quantity is not a number, keeping both outputs paired', async () => {
		const { invoices, rejected } = await prepare([lead(), { clientId: 'C002', leadId: 'X', clientName: 'Beta', billingEmail: 'ap@beta.example', currency: 'GBP', price: '1', quantity: 'many' }]);
		expect(invoices.map((i) => [i.clientId, i.pairedItem])).toEqual([['C001', [{ item: 0 }]]]);
		expect(rejected).toHaveLength(1);
		expect(rejected[0].error).toMatchObject({ field: 'quantity', code: 'invalidRow', retryable: false });
		expect(rejected[0].rejected).toMatchObject({ row: 1, clientId: 'C002', leadId: 'X' });
	});
});

describe('prepareInvoices (pure)', () => {
	it('refuses a period bound without a time zone: only the node knows the workflow time zone', () => {
		const { prepareInvoices, DEFAULT_FIELDS } = jest.requireActual('../../nodes/InvoicePreparation/helpers/prepare') as typeof import('../../nodes/InvoicePreparation/helpers/prepare');
		const o = { periodStart: '2026-11-16T00:00:00', periodEnd: '2026-11-19T00:00:00Z', fields: DEFAULT_FIELDS, priceIn: 'major' as const, maxQuantity: 10 };
		expect(() => prepareInvoices([], o)).toThrow(/has no time zone/);
	});
});

describe('descriptions that fit Xero once marked with their lead', () => {
	it('refuses a description that would pass 4000 characters with " [lead <id>]" appended', () => {
		const { prepareInvoices, DEFAULT_FIELDS } = jest.requireActual('../../nodes/InvoicePreparation/helpers/prepare') as typeof import('../../nodes/InvoicePreparation/helpers/prepare');
		const o = { periodStart: '2026-11-16T00:00:00Z', periodEnd: '2026-11-19T00:00:00Z', fields: DEFAULT_FIELDS, priceIn: 'major' as const, maxQuantity: 10 };
		const row = (description: string) => ({ leadId: 'L-12345', clientId: 'C1', clientName: 'Acme', billingEmail: 'a@acme.example', currency: 'GBP', price: '10.00', description, deliveredAt: '2026-11-17T10:00:00Z' });
		const fits = 4000 - ' [lead L-12345]'.length;
		expect(prepareInvoices([row('x'.repeat(fits))], o).invoices).toHaveLength(1);
		const refused = prepareInvoices([row('x'.repeat(fits + 1))], o);
		expect(refused.invoices).toEqual([]);
		expect(refused.rejected[0]).toMatchObject({ field: 'description' });
	});
});
