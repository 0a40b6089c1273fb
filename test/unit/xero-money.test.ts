// Money that survives Xero: lines Xero cannot hold exactly are refused before anything is sent,
// unit prices with more than 2 decimals go with unitdp=4, each line names the lead it bills, and
// what Xero holds (created now, or found for the key) is compared with what the item bills before
// the item may go on to be emailed and charged.
import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';
import { startXeroSandbox, type XeroSandbox } from '../../sandbox/xero';
import { XeroBilling } from '../../nodes/XeroBilling/XeroBilling.node';
import { forgetXeroOrganisations, type XeroInvoice } from '../../nodes/XeroBilling/transport';
import { needsUnitdp4 } from '../../nodes/XeroBilling/transport/model';
import { readLines, type ExpectedLine } from '../../nodes/XeroBilling/helpers/invoice';
import { leadOf, markLead } from '../../nodes/XeroBilling/helpers/leads';
import { verifyInvoice, type Billed } from '../../nodes/XeroBilling/helpers/verify';
import { FieldError } from '../../nodes/shared/errors';
import { runNode } from '../helpers/run-node';

const defaults = { accountCode: '200', taxType: '' };

/** The FieldError readLines throws for `lines`, or a failed expectation. */
function refusal(lines: unknown, currency = 'GBP'): FieldError {
	try {
		readLines(lines, 'lines', currency, defaults);
	} catch (e) {
		expect(e).toBeInstanceOf(FieldError);
		return e as FieldError;
	}
	throw new Error('expected readLines to refuse the lines');
}

describe('readLines: each line names its lead', () => {
	it('sends markLead(description, leadId) as the description, read back by leadOf', () => {
		const { lineItems, expected } = readLines(
			[
				{ leadId: 'L-1', description: 'Quote request from Leeds', quantity: 1, unitAmountMinor: 1250 },
				{ leadId: 42, description: 'Boiler survey', quantity: 2, unitAmount: '4.25' },
				{ description: 'No lead', unitAmountMinor: 100 },
			],
			'lines',
			'GBP',
			defaults,
		);
		expect(lineItems.map((l) => l.description)).toEqual([markLead('Quote request from Leeds', 'L-1'), markLead('Boiler survey', '42'), 'No lead']);
		expect(lineItems.map((l) => leadOf(l.description))).toEqual(['L-1', '42', null]);
		expect(expected).toEqual([
			{ field: 'lines[0]', leadId: 'L-1', lineAmountMinor: 1250 },
			{ field: 'lines[1]', leadId: '42', lineAmountMinor: 850 },
			{ field: 'lines[2]', leadId: null, lineAmountMinor: 100 },
		]);
	});

	it('checks the 4000-character limit on the marked description', () => {
		const text = 'x'.repeat(3995);
		expect(readLines([{ description: text, unitAmountMinor: 100 }], 'lines', 'GBP', defaults).lineItems[0].description).toBe(text);
		const e = refusal([{ leadId: 'L1', description: text, unitAmountMinor: 100 }]);
		expect(e.field).toBe('lines[0].description');
		expect(e.message).toMatch(/longer than 4000 characters once marked with lead L1/);
	});

	it('refuses a bad lead id, a lead billed twice, and a description that would hide its lead', () => {
		expect(refusal([{ leadId: '  ', description: 'x', unitAmountMinor: 1 }])).toMatchObject({ field: 'lines[0].leadId', message: expect.stringMatching(/lead id is empty/) });
		expect(refusal([{ leadId: { id: 1 }, description: 'x', unitAmountMinor: 1 }])).toMatchObject({ field: 'lines[0].leadId', message: expect.stringMatching(/must be text/) });
		expect(refusal([{ leadId: 'L'.repeat(101), description: 'x', unitAmountMinor: 1 }])).toMatchObject({ field: 'lines[0].leadId', message: expect.stringMatching(/longer than 100/) });
		expect(refusal([{ leadId: 'L\n2', description: 'x', unitAmountMinor: 1 }])).toMatchObject({ field: 'lines[0].leadId', message: expect.stringMatching(/control character/) });
		expect(
			refusal([
				{ leadId: 'L1', description: 'a', unitAmountMinor: 1 },
				{ leadId: 'L1', description: 'b', unitAmountMinor: 1 },
			]),
		).toMatchObject({ field: 'lines[1].leadId', message: expect.stringMatching(/Lead L1 is billed twice, by lines 0 and 1/) });
		expect(refusal([{ leadId: 'A [lead B', description: 'Survey', unitAmountMinor: 1 }])).toMatchObject({
			field: 'lines[0].leadId',
			message: expect.stringMatching(/lead id "A \[lead B" could not be read back/),
		});
		// A description that itself ends like a marker still names the line's own lead.
		expect(leadOf(readLines([{ leadId: 'L2', description: 'Survey [lead L1]', unitAmountMinor: 1 }], 'lines', 'GBP', defaults).lineItems[0].description)).toBe('L2');
	});
});

describe('readLines: only amounts Xero can hold exactly', () => {
	it('accepts a 3-decimal unit price whose line amount has 2 decimals (BHD 1.235 × 100 = 123.500)', () => {
		const { lineItems, expected } = readLines([{ description: 'x', quantity: 100, unitAmount: '1.235' }], 'lines', 'BHD', defaults);
		expect(lineItems[0]).toMatchObject({ quantity: 100, unitAmount: 1.235 });
		expect(expected[0].lineAmountMinor).toBe(123500);
	});

	it('refuses a line amount with more than 2 decimals (BHD 3 × 1.235 = 3.705), naming the line field', () => {
		const e = refusal([{ description: 'x', quantity: 3, unitAmount: '1.235' }], 'BHD');
		expect(e.field).toBe('lines[0].unitAmount');
		expect(e.message).toMatch(/Line 0 amount 3 × 1\.235 BHD = 3\.705 has more than 2 decimals/);
		expect(refusal([{ description: 'x', quantity: 3, unitAmountMinor: 1235 }], 'BHD').field).toBe('lines[0].unitAmountMinor');
	});

	it('refuses a line amount that is not whole minor units (0.5 × 0.01 GBP); takes 4-decimal unit prices (CLF 100 × 0.0125)', () => {
		expect(refusal([{ description: 'x', quantity: 0.5, unitAmountMinor: 1 }]).message).toMatch(/not a whole number of GBP minor units/);
		expect(readLines([{ description: 'x', quantity: 100, unitAmount: '0.0125' }], 'lines', 'CLF', defaults).expected[0].lineAmountMinor).toBe(12500);
		expect(refusal([{ description: 'x', quantity: 10, unitAmount: '0.0125' }], 'CLF').message).toMatch(/0\.1250 has more than 2 decimals/);
	});

	it("refuses a line whose own lineAmountMinor is not quantity × unit price", () => {
		const e = refusal([{ description: 'x', quantity: 2, unitAmountMinor: 1250, lineAmountMinor: 2000 }]);
		expect(e.field).toBe('lines[0].lineAmountMinor');
		expect(e.message).toMatch(/not quantity × unit price \(2 × 12\.50 GBP = 2500\)/);
	});
});

describe('needsUnitdp4', () => {
	it('is true only when a unit amount has more than 2 decimals', () => {
		expect(needsUnitdp4({ lineItems: [{ description: 'a', quantity: 1, unitAmount: 10.5 }, { description: 'b', quantity: 3, unitAmount: 0.1 + 0.2 }] })).toBe(false);
		expect(needsUnitdp4({ lineItems: [{ description: 'a', quantity: 1, unitAmount: 10.5 }, { description: 'b', quantity: 1, unitAmount: 1.235 }] })).toBe(true);
		expect(needsUnitdp4({})).toBe(false);
	});
});

describe('verifyInvoice', () => {
	const line = (leadId: string | null, lineAmountMinor: number, n = 0): ExpectedLine => ({ field: `lines[${n}]`, leadId, lineAmountMinor });
	const billed = (over: Partial<Billed> = {}): Billed => ({ key: 'bk-1', currency: 'GBP', lineAmountTypes: 'Exclusive', lines: [line('L1', 1050), line('L2', 850, 1)], ...over });
	const inv = (over: Partial<XeroInvoice> = {}): XeroInvoice => ({
		invoiceId: 'a1b2c3d4-0000-4000-8000-000000000001',
		invoiceNumber: 'INV-0007',
		reference: 'bk-1',
		type: 'ACCREC',
		status: 'AUTHORISED',
		contactId: 'c',
		currency: 'GBP',
		subTotal: 19,
		totalTax: 3.8,
		total: 22.8,
		amountDue: 22.8,
		amountPaid: 0,
		amountCredited: 0,
		sentToContact: false,
		lineItems: [
			{ description: markLead('Lead 1', 'L1'), quantity: 1, unitAmount: 10.5, lineAmount: 10.5 },
			{ description: markLead('Lead 2', 'L2'), quantity: 2, unitAmount: 4.25, lineAmount: 8.5 },
		],
		payments: [],
		...over,
	});

	it('passes an invoice that bills exactly what the item bills, in any line order', () => {
		expect(verifyInvoice(billed(), inv(), false)).toBeNull();
		expect(verifyInvoice(billed(), inv({ lineItems: [...inv().lineItems!].reverse() }), true)).toBeNull();
	});

	it('refuses another currency (a corrected currency for an existing key), naming both and saying nothing was sent', () => {
		const f = verifyInvoice(billed(), inv({ currency: 'EUR' }), true)!;
		expect(f).toMatchObject({ code: 'currencyMismatch', retryable: false });
		expect(f.message).toBe('Xero invoice INV-0007 (a1b2c3d4-0000-4000-8000-000000000001) for billing key bk-1 is in EUR, but the item bills GBP. Nothing was emailed or charged.');
		expect(f.description).toMatch(/already exists for this billing key/);
	});

	it('refuses a line amount Xero rounded (BHD 123.500 billed, 124.000 held), naming both amounts and the lead', () => {
		const b = billed({ currency: 'BHD', lineAmountTypes: 'NoTax', lines: [line('L1', 123500)] });
		const f = verifyInvoice(b, inv({ currency: 'BHD', subTotal: 124, totalTax: 0, total: 124, lineItems: [{ description: markLead('x', 'L1'), quantity: 100, unitAmount: 1.24, lineAmount: 124 }] }), false)!;
		expect(f).toMatchObject({ code: 'xeroAmountMismatch', retryable: false });
		expect(f.message).toMatch(/billing key bk-1 differs from what the item bills: lines\[0\] \(lead L1\) is 124\.000 BHD in Xero, the item bills 123\.500 BHD\. Nothing was emailed or charged\./);
	});

	it('refuses a subtotal (exclusive) or a total (inclusive) other than the sum of the lines', () => {
		expect(verifyInvoice(billed(), inv({ subTotal: 19.01 }), false)).toMatchObject({ code: 'xeroAmountMismatch', message: expect.stringMatching(/the subtotal is 19\.01 GBP in Xero, the item bills 19\.00 GBP/) });
		expect(verifyInvoice(billed({ lineAmountTypes: 'Inclusive' }), inv({ subTotal: 15.83, totalTax: 3.17, total: 19 }), false)).toBeNull();
		expect(verifyInvoice(billed({ lineAmountTypes: 'Inclusive' }), inv(), false)).toMatchObject({ code: 'xeroAmountMismatch', message: expect.stringMatching(/the total is 22\.80 GBP/) });
	});

	it('refuses an invoice whose leads differ, naming the leads missing and extra', () => {
		const other = inv({ lineItems: [inv().lineItems![0], { description: markLead('Lead 9', 'L9'), quantity: 1, unitAmount: 8.5, lineAmount: 8.5 }] });
		const f = verifyInvoice(billed(), other, true)!;
		expect(f.code).toBe('invoiceDiffers');
		expect(f.message).toMatch(/bills other leads than the item: lead\(s\) missing from the invoice: L2; lead\(s\) on the invoice the item does not bill: L9\. Nothing was emailed or charged\./);
		const unmarked = inv({ lineItems: [...inv().lineItems!, { description: 'Added by hand', quantity: 1, unitAmount: 1, lineAmount: 1 }] });
		expect(verifyInvoice(billed(), unmarked, true)!.message).toMatch(/1 line\(s\) naming no lead/);
		const doubled = inv({ lineItems: [...inv().lineItems!, inv().lineItems![1]] });
		expect(verifyInvoice(billed(), doubled, true)).toMatchObject({ code: 'invoiceDiffers', message: expect.stringMatching(/lead\(s\) on more than one line: L2/) });
	});

	it('matches lines by position when the item names no leads', () => {
		const b = billed({ lines: [line(null, 1050), line(null, 850, 1)] });
		expect(verifyInvoice(b, inv(), false)).toBeNull();
		expect(verifyInvoice(b, inv({ lineItems: inv().lineItems!.slice(0, 1) }), true)).toMatchObject({ code: 'invoiceDiffers', message: expect.stringMatching(/has 1 line\(s\), but the item bills 2/) });
	});

	it('refuses a total the currency cannot hold (JPY 6018 + 20 % tax = 7221.60), saying what ops should do', () => {
		const b = billed({ currency: 'JPY', lines: [line('L1', 6018)] });
		const jpy = inv({ currency: 'JPY', subTotal: 6018, totalTax: 1203.6, total: 7221.6, lineItems: [{ description: markLead('x', 'L1'), quantity: 1, unitAmount: 6018, lineAmount: 6018 }] });
		const f = verifyInvoice(b, jpy, false)!;
		expect(f).toMatchObject({ code: 'xeroTotalNotExact', retryable: false });
		expect(f.message).toMatch(/totals 7221\.6 JPY \(tax 1203\.6\), which JPY cannot be charged: it has no minor unit.*Nothing was emailed or charged\./);
		expect(f.description).toMatch(/Tax Inclusive/);
	});

	it('refuses an invoice that came back without lines rather than pass it unchecked', () => {
		expect(verifyInvoice(billed(), inv({ lineItems: undefined }), true)).toMatchObject({ code: 'invoiceDiffers' });
	});
});

describe('Create Invoices against the sandbox', () => {
	let sb: XeroSandbox;
	const node = new XeroBilling();

	beforeAll(async () => {
		sb = await startXeroSandbox({ clientId: 'MONEYCLIENT', clientSecret: 'money-secret', organisation: { currencies: ['EUR', 'USD', 'BHD', 'KWD', 'JPY'] } });
	});
	afterAll(async () => {
		await sb.close();
	});
	beforeEach(() => {
		sb.reset();
		forgetXeroOrganisations();
	});

	const creds = () => ({ xeroCustomConnectionApi: { clientId: sb.clientId, clientSecret: sb.clientSecret, endpoints: 'custom', tokenUrl: sb.tokenUrl, apiBaseUrl: sb.apiBaseUrl } });
	const params = (over: IDataObject = {}): INodeParameters => ({ resource: 'invoice', operation: 'create', accountCode: '200', taxType: 'OUTPUT2', dueInDays: 14, options: { retryDelayMs: 20, timeoutMs: 2000 }, ...over });
	const run = (p: INodeParameters, json: IDataObject[], continueOnFail = false) => runNode(node, { parameters: p, items: json.map((j) => ({ json: j })), credentials: creds(), continueOnFail });
	const contact = () => sb.seedContact({ Name: `Client ${Math.random()}` }).ContactID as string;
	const item = (contactId: string, currency: string, lines: IDataObject[], key = 'bk-money-1'): IDataObject => ({ billingKey: key, currency, xeroContactId: contactId, lines });
	const error = (i: INodeExecutionData) => i.json.error as { message: string; code?: string; field?: string; retryable?: boolean };

	it('creates a BHD 1.235 × 100 line for 123.500, passing unitdp=4 (Xero would hold 124.000 without it)', async () => {
		const [ok, failed] = await run(params({ lineAmountTypes: 'NoTax' }), [item(contact(), 'BHD', [{ leadId: 'L1', description: 'Leads', quantity: 100, unitAmount: '1.235' }])]);
		expect(failed).toEqual([]);
		expect(ok[0].json.xeroInvoice).toMatchObject({ currency: 'BHD', total: 123.5, totalMinor: 123500, created: true });
		expect(sb.calls({ route: 'PUT /Invoices' })[0].query.unitdp).toBe('4');
	});

	it('does not ask for unitdp=4 when every unit price has 2 decimals', async () => {
		const [ok] = await run(params(), [item(contact(), 'GBP', [{ leadId: 'L1', description: 'Leads', quantity: 2, unitAmount: '12.50' }])]);
		expect(ok[0].json.xeroInvoice).toMatchObject({ total: 30, totalMinor: 3000 });
		expect(sb.calls({ route: 'PUT /Invoices' })[0].query.unitdp).toBeUndefined();
	});

	it('refuses BHD 3 × 1.235 (3.705) before calling Xero, naming the line field and the billing key', async () => {
		const [ok, failed] = await run(params(), [item(contact(), 'BHD', [{ leadId: 'L1', description: 'Leads', quantity: 3, unitAmount: '1.235' }])], true);
		expect(ok).toEqual([]);
		expect(error(failed[0])).toMatchObject({ field: 'lines[0].unitAmount', message: expect.stringMatching(/3\.705 has more than 2 decimals.*billing key bk-money-1/) });
		expect(sb.callCount({ route: 'PUT /Invoices' })).toBe(0);
		expect(sb.invoices()).toHaveLength(0);
	});

	it('writes each line with its lead marker into Xero', async () => {
		await run(params(), [item(contact(), 'GBP', [{ leadId: 'L1', description: 'Quote', unitAmountMinor: 1000 }, { leadId: 'L2', description: 'Survey', unitAmountMinor: 500 }])]);
		const stored = sb.invoices()[0] as { LineItems: Array<{ Description: string }> };
		expect(stored.LineItems.map((l) => leadOf(l.Description))).toEqual(['L1', 'L2']);
		expect(stored.LineItems[0].Description).toBe('Quote [lead L1]');
	});

	it('sends a JPY invoice whose tax makes the total fractional to the failure output, never on (Xero: 7221.60 JPY)', async () => {
		const [ok, failed] = await run(params(), [item(contact(), 'JPY', [{ leadId: 'L1', description: 'Leads', quantity: 1, unitAmountMinor: 6018 }])]);
		expect(ok).toEqual([]);
		expect(error(failed[0])).toMatchObject({ code: 'xeroTotalNotExact', retryable: false, message: expect.stringMatching(/bk-money-1 totals 7221\.6 JPY.*Nothing was emailed or charged/) });
		expect(failed[0].json).toMatchObject({ billingKey: 'bk-money-1', xeroInvoiceId: expect.any(String) });
		expect(failed[0].json.xeroInvoice).toBeUndefined();
	});

	it('bills the same JPY line tax inclusive: the total is the line, exactly', async () => {
		const [ok, failed] = await run(params({ lineAmountTypes: 'Inclusive' }), [item(contact(), 'JPY', [{ leadId: 'L1', description: 'Leads', quantity: 1, unitAmountMinor: 7222 }])]);
		expect(failed).toEqual([]);
		expect(ok[0].json.xeroInvoice).toMatchObject({ total: 7222, totalMinor: 7222 });
	});

	it('refuses an existing EUR invoice when the key comes back in GBP (corrected currency): nothing goes on to be charged', async () => {
		const c = contact();
		const lines = [{ leadId: 'L1', description: 'Leads', quantity: 1, unitAmount: '100.00' }];
		const [first] = await run(params(), [item(c, 'EUR', lines)]);
		expect(first[0].json.xeroInvoice).toMatchObject({ currency: 'EUR', total: 120 });
		const [ok, failed] = await run(params(), [item(c, 'GBP', lines)]);
		expect(ok).toEqual([]);
		expect(error(failed[0])).toMatchObject({ code: 'currencyMismatch', retryable: false, message: expect.stringMatching(/billing key bk-money-1 is in EUR, but the item bills GBP\. Nothing was emailed or charged\./) });
		expect(sb.invoices()).toHaveLength(1);
	});

	it('refuses the corrected currency too when the billing key is the invoice number (as the shipped workflow runs)', async () => {
		const c = contact();
		const lines = [{ leadId: 'L1', description: 'Leads', quantity: 1, unitAmount: '100.00' }];
		await run(params({ duplicateCheck: 'invoiceNumber' }), [item(c, 'EUR', lines)]);
		const [ok, failed] = await run(params({ duplicateCheck: 'invoiceNumber' }), [item(c, 'GBP', lines)]);
		expect(ok).toEqual([]);
		expect(error(failed[0])).toMatchObject({ code: 'currencyMismatch', message: expect.stringMatching(/is in EUR, but the item bills GBP/) });
	});

	it('refuses an existing invoice Xero rounded (made without unitdp=4: 124.000 BHD for 123.500)', async () => {
		const c = contact();
		sb.seedInvoices([
			{ Type: 'ACCREC', Contact: { ContactID: c }, Reference: 'bk-money-1', Status: 'AUTHORISED', DueDate: '2024-02-14', CurrencyCode: 'BHD', LineAmountTypes: 'NoTax', LineItems: [{ Description: markLead('Leads', 'L1'), Quantity: 100, UnitAmount: 1.235, AccountCode: '200' }] },
		]);
		const [ok, failed] = await run(params({ lineAmountTypes: 'NoTax' }), [item(c, 'BHD', [{ leadId: 'L1', description: 'Leads', quantity: 100, unitAmount: '1.235' }])]);
		expect(ok).toEqual([]);
		expect(error(failed[0])).toMatchObject({ code: 'xeroAmountMismatch', message: expect.stringMatching(/lines\[0\] \(lead L1\) is 124\.000 BHD in Xero, the item bills 123\.500 BHD/) });
	});

	it('refuses an existing invoice billing other leads, naming them; the same leads again pass', async () => {
		const c = contact();
		await run(params(), [item(c, 'GBP', [{ leadId: 'L1', description: 'a', unitAmountMinor: 1000 }, { leadId: 'L2', description: 'b', unitAmountMinor: 1000 }])]);
		const [ok, failed] = await run(params(), [item(c, 'GBP', [{ leadId: 'L1', description: 'a', unitAmountMinor: 1000 }, { leadId: 'L3', description: 'c', unitAmountMinor: 1000 }])]);
		expect(ok).toEqual([]);
		expect(error(failed[0])).toMatchObject({ code: 'invoiceDiffers', message: expect.stringMatching(/missing from the invoice: L3; .* does not bill: L2/) });
		const [again, none] = await run(params(), [item(c, 'GBP', [{ leadId: 'L2', description: 'b', unitAmountMinor: 1000 }, { leadId: 'L1', description: 'a', unitAmountMinor: 1000 }])]);
		expect(none).toEqual([]);
		expect(again[0].json.xeroInvoice).toMatchObject({ created: false, totalMinor: 2400 });
	});

	it('checks every item of a key: a second item in another currency fails, the first goes on', async () => {
		const c = contact();
		const lines = [{ leadId: 'L1', description: 'Leads', unitAmountMinor: 1000 }];
		const [ok, failed] = await run(params(), [item(c, 'GBP', lines), item(c, 'EUR', lines)]);
		expect(ok.map((o) => o.pairedItem)).toEqual([{ item: 0 }]);
		expect(failed.map((f) => f.pairedItem)).toEqual([{ item: 1 }]);
		expect(error(failed[0]).code).toBe('currencyMismatch');
	});
});
