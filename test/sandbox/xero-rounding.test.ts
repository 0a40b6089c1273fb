// The Xero sandbox rounds as Xero does (developer.xero.com/documentation/guides/how-to-guides/rounding-in-xero):
// UnitAmount kept at 2 decimals unless the call passes unitdp=4, LineAmount = Quantity × UnitAmount
// at 2 decimals, tax per line at 2 decimals then summed, every total at 2 decimals whatever the
// currency's own minor unit (BHD 3, JPY 0).
import { startXeroSandbox, type XeroSandbox } from '../../sandbox/xero';
import { fetchSandboxToken } from '../../sandbox/xero/sdk';

let sb: XeroSandbox;
let token: string;

beforeAll(async () => {
	sb = await startXeroSandbox({ clientId: 'ROUNDINGCLIENT', clientSecret: 'rounding-secret', organisation: { currencies: ['EUR', 'USD', 'BHD', 'KWD', 'JPY', 'CLF'] } });
	token = (await fetchSandboxToken(sb)).access_token;
});
afterAll(async () => {
	await sb.close();
});
beforeEach(() => sb.reset());

interface Line {
	Quantity?: number;
	UnitAmount?: number;
	LineAmount?: number;
	TaxType?: string;
}
type Wire = Record<string, unknown> & { LineItems: Array<Record<string, unknown>> };

/** PUT /Invoices with one invoice of `lines`, straight on the wire (no SDK rounding in between). */
async function put(currency: string, lines: Line[], opts: { unitdp?: number; lineAmountTypes?: string; method?: string } = {}): Promise<Wire> {
	const c = sb.seedContact({ Name: `Rounding ${Math.random()}` });
	const query = opts.unitdp ? `?unitdp=${opts.unitdp}` : '';
	const res = await fetch(`${sb.apiBaseUrl}/Invoices${query}`, {
		method: opts.method ?? 'PUT',
		headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
		body: JSON.stringify({
			Invoices: [
				{
					Type: 'ACCREC',
					Contact: { ContactID: c.ContactID },
					Date: '2024-01-31',
					DueDate: '2024-02-14',
					Status: 'AUTHORISED',
					CurrencyCode: currency,
					LineAmountTypes: opts.lineAmountTypes ?? 'NoTax',
					LineItems: lines.map((l, n) => ({ Description: `line ${n}`, AccountCode: '200', ...l })),
				},
			],
		}),
	});
	const body = (await res.json()) as { Invoices?: Wire[] };
	expect(res.status).toBe(200);
	return body.Invoices![0];
}

const amounts = (inv: Wire) => ({ SubTotal: inv.SubTotal, TotalTax: inv.TotalTax, Total: inv.Total });
const lineOf = (inv: Wire, n = 0) => ({ UnitAmount: inv.LineItems[n].UnitAmount, LineAmount: inv.LineItems[n].LineAmount, TaxAmount: inv.LineItems[n].TaxAmount });

describe('unit amounts: 2 decimals unless unitdp=4', () => {
	it('rounds a 3-decimal unit price to 2 decimals without unitdp (BHD 1.235 × 100 → 124.00, as seen in Xero)', async () => {
		const inv = await put('BHD', [{ Quantity: 100, UnitAmount: 1.235 }]);
		expect(lineOf(inv)).toMatchObject({ UnitAmount: 1.24, LineAmount: 124 });
		expect(amounts(inv)).toEqual({ SubTotal: 124, TotalTax: 0, Total: 124 });
	});

	it('keeps it with unitdp=4 (BHD 1.235 × 100 → 123.50)', async () => {
		const inv = await put('BHD', [{ Quantity: 100, UnitAmount: 1.235 }], { unitdp: 4 });
		expect(lineOf(inv)).toMatchObject({ UnitAmount: 1.235, LineAmount: 123.5 });
		expect(inv.Total).toBe(123.5);
	});

	it('rounds a tie half away from zero (KWD 10.125 × 40 → 405.20 in Xero; 405.00 with unitdp=4)', async () => {
		expect(lineOf(await put('KWD', [{ Quantity: 40, UnitAmount: 10.125 }]))).toMatchObject({ UnitAmount: 10.13, LineAmount: 405.2 });
		expect(lineOf(await put('KWD', [{ Quantity: 40, UnitAmount: 10.125 }], { unitdp: 4 }))).toMatchObject({ UnitAmount: 10.125, LineAmount: 405 });
	});

	it('rounds on the decimal value, not its binary approximation (1.005 → 1.01, 0.145 → 0.15)', async () => {
		// (1.005).toFixed(2) is "1.00" in JavaScript: the binary double is just below 1.005.
		const inv = await put('GBP', [{ Quantity: 1, UnitAmount: 1.005 }, { Quantity: 3, UnitAmount: 0.145 }]);
		expect(lineOf(inv, 0)).toMatchObject({ UnitAmount: 1.01, LineAmount: 1.01 });
		expect(lineOf(inv, 1)).toMatchObject({ UnitAmount: 0.15, LineAmount: 0.45 });
	});

	it('keeps 4 decimals at most with unitdp=4, and the line amount at 2 (0.061171 × 1000 → 0.0612, 61.20)', async () => {
		const inv = await put('USD', [{ Quantity: 1000, UnitAmount: 0.061171 }], { unitdp: 4 });
		expect(lineOf(inv)).toMatchObject({ UnitAmount: 0.0612, LineAmount: 61.2 });
	});

	it('rounds quantity × unit to 2 decimals for the line amount (3 × 1.235 BHD → 3.71 with unitdp=4)', async () => {
		const inv = await put('BHD', [{ Quantity: 3, UnitAmount: 1.235 }], { unitdp: 4 });
		expect(lineOf(inv)).toMatchObject({ UnitAmount: 1.235, LineAmount: 3.71 });
		expect(inv.Total).toBe(3.71);
	});

	it('shows a 4-decimal unit amount at 2 decimals on reads without unitdp=4, the line amount unchanged', async () => {
		const inv = await put('BHD', [{ Quantity: 100, UnitAmount: 1.235 }], { unitdp: 4 });
		const get = async (query: string) => {
			const res = await fetch(`${sb.apiBaseUrl}/Invoices/${String(inv.InvoiceID)}${query}`, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } });
			return lineOf(((await res.json()) as { Invoices: Wire[] }).Invoices[0]);
		};
		expect(await get('')).toMatchObject({ UnitAmount: 1.24, LineAmount: 123.5 });
		expect(await get('?unitdp=4')).toMatchObject({ UnitAmount: 1.235, LineAmount: 123.5 });
	});

	it('applies the same rule on POST (update or create) as on PUT', async () => {
		const inv = await put('BHD', [{ Quantity: 100, UnitAmount: 1.235 }], { method: 'POST' });
		expect(lineOf(inv)).toMatchObject({ UnitAmount: 1.24, LineAmount: 124 });
	});
});

describe('tax: per line at 2 decimals, then summed', () => {
	it("matches Xero's own example (25.06, 25.61, 25.63 at 15 %: tax 11.44, total 87.74)", async () => {
		const org = await startXeroSandbox({
			clientId: 'ROUNDING15',
			clientSecret: 'rounding-15',
			organisation: { taxRates: [{ TaxType: 'OUTPUT', Name: '15% GST on Income', Rate: 15, CanApplyToRevenue: true, CanApplyToExpenses: false }] },
		});
		try {
			const t = (await fetchSandboxToken(org)).access_token;
			const contact = org.seedContact({ Name: 'GST Ltd' });
			const res = await fetch(`${org.apiBaseUrl}/Invoices`, {
				method: 'PUT',
				headers: { Authorization: `Bearer ${t}`, 'Content-Type': 'application/json', Accept: 'application/json' },
				body: JSON.stringify({
					Invoices: [
						{
							Type: 'ACCREC',
							Contact: { ContactID: contact.ContactID },
							DueDate: '2024-02-14',
							Status: 'AUTHORISED',
							LineAmountTypes: 'Exclusive',
							LineItems: [25.06, 25.61, 25.63].map((u) => ({ Description: `Product ${u}`, Quantity: 1, UnitAmount: u, AccountCode: '200', TaxType: 'OUTPUT' })),
						},
					],
				}),
			});
			const inv = ((await res.json()) as { Invoices: Wire[] }).Invoices[0];
			expect(inv.LineItems.map((l) => l.TaxAmount)).toEqual([3.76, 3.84, 3.84]);
			expect(amounts(inv)).toEqual({ SubTotal: 76.3, TotalTax: 11.44, Total: 87.74 });
		} finally {
			await org.close();
		}
	});

	it('keeps tax at 2 decimals even for a currency without minor units (JPY 6018 + 20 % → 7221.60)', async () => {
		const inv = await put('JPY', [{ Quantity: 1, UnitAmount: 6018, TaxType: 'OUTPUT2' }], { lineAmountTypes: 'Exclusive' });
		expect(lineOf(inv)).toMatchObject({ UnitAmount: 6018, LineAmount: 6018, TaxAmount: 1203.6 });
		expect(amounts(inv)).toEqual({ SubTotal: 6018, TotalTax: 1203.6, Total: 7221.6 });
	});

	it('takes tax out of tax-inclusive lines per line, so the total is the sum of the lines (JPY 7222 incl. 20 %)', async () => {
		const inv = await put('JPY', [{ Quantity: 1, UnitAmount: 7222, TaxType: 'OUTPUT2' }, { Quantity: 2, UnitAmount: 101, TaxType: 'OUTPUT2' }], { lineAmountTypes: 'Inclusive' });
		// 7222 × 20/120 = 1203.666… → 1203.67; 202 × 20/120 = 33.666… → 33.67.
		expect(inv.LineItems.map((l) => l.TaxAmount)).toEqual([1203.67, 33.67]);
		expect(amounts(inv)).toEqual({ SubTotal: 6186.66, TotalTax: 1237.34, Total: 7424 });
	});

	it('rounds the tax of a tax-exclusive line at 2 decimals (BHD 123.45 + 5 % → 6.17)', async () => {
		const inv = await put('BHD', [{ Quantity: 1, UnitAmount: 123.45, TaxType: 'RROUTPUT' }], { lineAmountTypes: 'Exclusive' });
		// 123.45 × 5 % = 6.1725 → 6.17.
		expect(lineOf(inv).TaxAmount).toBe(6.17);
		expect(amounts(inv)).toEqual({ SubTotal: 123.45, TotalTax: 6.17, Total: 129.62 });
	});
});
