// The Xero sandbox's organisation details, branding themes (with a logo it serves) and online
// invoice links (with the pages it serves), driven through the real xero-node SDK: what a client
// needs to render its own invoice document or hand out Xero's online invoice.
import * as zlib from 'zlib';
import { Invoice, type XeroClient } from 'xero-node';
import { startXeroSandbox, XERO_LIMITS, type XeroSandbox } from '../../sandbox/xero';
import { crc32 } from '../../sandbox/xero/png';
import { connectXeroClient, sdkRejection } from '../../sandbox/xero/sdk';

const PLAIN = { clientId: 'PLAINORG', clientSecret: 'plain-secret' };
const THEMED = { clientId: 'THEMEDORG', clientSecret: 'themed-secret' };
const PLAIN_ADDRESS = { AddressType: 'STREET' as const, AddressLine1: '1 Quay Road', City: 'Bristol', PostalCode: 'BS1 4AA', Country: 'United Kingdom' };

let sb: XeroSandbox;
let xero: XeroClient;
let plain: XeroClient;
let themed: XeroClient;

beforeAll(async () => {
	sb = await startXeroSandbox({
		clientId: 'BRANDCLIENT',
		clientSecret: 'brand-secret',
		connections: [
			{
				...PLAIN,
				organisation: {
					name: 'Plain Trading Ltd',
					addresses: [PLAIN_ADDRESS],
					phones: [],
					taxNumber: null,
					brandingThemes: [{ name: 'Standard', logo: false }],
					onlineInvoices: false,
				},
			},
			{ ...THEMED, organisation: { brandingThemes: [{ name: 'Standard' }, { name: 'Special Projects' }] } },
		],
	});
	xero = await connectXeroClient(sb);
	plain = await connectXeroClient({ ...sb, ...PLAIN });
	themed = await connectXeroClient({ ...sb, ...THEMED });
});
afterAll(async () => {
	await sb.close();
});
beforeEach(() => sb.reset());

const rejected = sdkRejection;

type ValidationBody = { ErrorNumber: number; Type: string; Message: string; Elements: Array<{ InvoiceID: string; ValidationErrors: Array<{ Message: string }> }> };

function seedInvoice(org = sb.org(), fields: Record<string, unknown> = {}): Record<string, unknown> {
	// A contact named only by name is created on first use, as Xero does.
	const [inv] = org.seedInvoices([
		{
			Type: 'ACCREC',
			Contact: { Name: 'Acme <Widgets> & Co', EmailAddress: 'billing@acme.test' },
			Date: '2024-01-31',
			DueDate: '2024-02-14',
			Status: 'AUTHORISED',
			LineItems: [{ Description: 'Lead 1001', Quantity: 2, UnitAmount: 10.5, AccountCode: '200', TaxType: 'OUTPUT2' }],
			...fields,
		},
	]);
	return inv;
}

/** The chunks of a PNG file after its signature, each CRC-checked. */
function pngChunks(png: Buffer): Array<{ type: string; data: Buffer }> {
	const chunks: Array<{ type: string; data: Buffer }> = [];
	for (let at = 8; at < png.length; ) {
		const length = png.readUInt32BE(at);
		const typeAndData = png.subarray(at + 4, at + 8 + length);
		expect(png.readUInt32BE(at + 8 + length)).toBe(crc32(typeAndData));
		chunks.push({ type: typeAndData.subarray(0, 4).toString('ascii'), data: typeAndData.subarray(4) });
		at += 12 + length;
	}
	return chunks;
}

describe('GET /Organisation', () => {
	it('gives the default organisation a postal and a street address, an office phone and a UK VAT number', async () => {
		const { body } = await xero.accountingApi.getOrganisations('');
		const org = body.organisations![0];
		expect(org.taxNumber).toBe('GB999999973');
		const postal = org.addresses!.find((a) => String(a.addressType) === 'POBOX');
		expect(postal).toMatchObject({
			addressLine1: 'Unit 4, Riverside Works',
			city: 'Manchester',
			postalCode: 'M1 3HE',
			country: 'United Kingdom',
			attentionTo: 'Accounts Receivable',
		});
		expect(org.addresses!.some((a) => String(a.addressType) === 'STREET')).toBe(true);
		expect(org.phones).toEqual([{ phoneType: 'OFFICE', phoneNumber: '496 0123', phoneAreaCode: '0161', phoneCountryCode: '44' }]);
	});

	it('shows the configured address and no phone or tax number when the organisation has none', async () => {
		const { body } = await plain.accountingApi.getOrganisations('');
		const org = body.organisations![0];
		expect(org.name).toBe('Plain Trading Ltd');
		expect(org.addresses).toEqual([{ addressType: 'STREET', addressLine1: '1 Quay Road', city: 'Bristol', postalCode: 'BS1 4AA', country: 'United Kingdom' }]);
		expect(org.phones).toEqual([]);
		expect(org.taxNumber).toBeUndefined();
	});
});

describe('GET /BrandingThemes and the logo', () => {
	it('lists the Standard theme (SortOrder 0) whose LogoUrl, on the sandbox itself, downloads a 240×80 PNG', async () => {
		const { body } = await xero.accountingApi.getBrandingThemes('');
		expect(body.brandingThemes).toHaveLength(1);
		const theme = body.brandingThemes![0];
		expect(theme).toMatchObject({ name: 'Standard', sortOrder: 0, type: 'INVOICE' });
		expect(theme.createdDateUTC).toBeInstanceOf(Date);
		expect(theme.logoUrl).toBe(`${sb.url}/branding/${theme.brandingThemeID}/logo.png`);
		expect(sb.logoUrl()).toBe(theme.logoUrl);

		const callsBefore = sb.callCount();
		const res = await fetch(theme.logoUrl!);
		expect(res.status).toBe(200);
		expect(res.headers.get('content-type')).toBe('image/png');
		const png = Buffer.from(await res.arrayBuffer());
		expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
		const chunks = pngChunks(png);
		expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
		const ihdr = chunks[0].data;
		expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ihdr[8], ihdr[9]]).toEqual([240, 80, 8, 2]);
		// Every scanline is there (filter byte + 240 RGB pixels), and the shape is in colour.
		const raw = zlib.inflateSync(chunks[1].data);
		expect(raw.length).toBe(80 * (1 + 240 * 3));
		const pixel = (x: number, y: number) => [...raw.subarray(y * 721 + 1 + x * 3, y * 721 + 4 + x * 3)];
		expect(pixel(0, 0)).toEqual([255, 255, 255]);
		expect(new Set(pixel(20, 40)).size).toBeGreaterThan(1);

		// The logo is not an API call (as Xero's CDN is not), but the download is counted.
		expect(sb.callCount()).toBe(callsBefore);
		expect(sb.logoDownloads()).toBe(1);
	});

	it('gets one theme by id, and answers 404 for an unknown theme and its logo', async () => {
		const [theme] = sb.brandingThemes();
		const { body } = await xero.accountingApi.getBrandingTheme('', String(theme.BrandingThemeID));
		expect(body.brandingThemes![0]).toMatchObject({ brandingThemeID: theme.BrandingThemeID, name: 'Standard', logoUrl: theme.LogoUrl });
		const unknown = '5b3e4f5c-0000-4000-8000-000000000000';
		expect((await rejected(xero.accountingApi.getBrandingTheme('', unknown))).statusCode).toBe(404);
		expect((await fetch(`${sb.url}/branding/${unknown}/logo.png`)).status).toBe(404);
		expect(sb.logoDownloads()).toBe(0);
	});

	it('leaves LogoUrl out for a theme without a logo, and serves no image for it', async () => {
		const { body } = await plain.accountingApi.getBrandingThemes('');
		const theme = body.brandingThemes![0];
		expect(theme.name).toBe('Standard');
		expect(theme.logoUrl).toBeUndefined();
		expect(sb.org(PLAIN.clientId).logoUrl()).toBeUndefined();
		expect((await fetch(`${sb.url}/branding/${theme.brandingThemeID}/logo.png`)).status).toBe(404);
	});

	it('lists a second theme after the default, with a logo of its own', async () => {
		const { body } = await themed.accountingApi.getBrandingThemes('');
		const themes = body.brandingThemes!;
		expect(themes.map((t) => [t.name, t.sortOrder])).toEqual([
			['Standard', 0],
			['Special Projects', 1],
		]);
		const [first, second] = await Promise.all(themes.map(async (t) => Buffer.from(await (await fetch(t.logoUrl!)).arrayBuffer())));
		expect(second.subarray(0, 8)).toEqual(first.subarray(0, 8));
		expect(second.equals(first)).toBe(false);
		expect(sb.org(THEMED.clientId).logoDownloads()).toBe(2);
	});

	it('keeps the BrandingThemeID an invoice is created with, and refuses one the organisation does not have', async () => {
		const themeId = String(sb.org(THEMED.clientId).brandingThemes()[1].BrandingThemeID);
		const contact = sb.org(THEMED.clientId).seedContact({ Name: 'Beta Ltd' });
		const invoice = (brandingThemeID: string): Invoice => ({
			type: Invoice.TypeEnum.ACCREC,
			contact: { contactID: String(contact.ContactID) },
			date: '2024-01-31',
			dueDate: '2024-02-14',
			status: Invoice.StatusEnum.AUTHORISED,
			brandingThemeID,
			lineItems: [{ description: 'Lead 7', quantity: 1, unitAmount: 5, accountCode: '200', taxType: 'OUTPUT2' }],
		});
		const { body } = await themed.accountingApi.createInvoices('', { invoices: [invoice(themeId)] });
		const created = body.invoices![0];
		expect(created.brandingThemeID).toBe(themeId);
		expect(sb.org(THEMED.clientId).invoice(created.invoiceID!)!.BrandingThemeID).toBe(themeId);
		// An update that does not name the theme keeps it.
		const updated = await themed.accountingApi.updateInvoice('', created.invoiceID!, { invoices: [{ reference: 'renamed' }] });
		expect(updated.body.invoices![0]).toMatchObject({ reference: 'renamed', brandingThemeID: themeId });

		const unknown = '5b3e4f5c-0000-4000-8000-000000000000';
		const err = await rejected(themed.accountingApi.createInvoices('', { invoices: [invoice(unknown)] }));
		expect(err.statusCode).toBe(400);
		expect((err.body as ValidationBody).Elements[0].ValidationErrors).toEqual([{ Message: `BrandingThemeID '${unknown}' is not a branding theme of this organisation.` }]);
		expect(sb.org(THEMED.clientId).invoices()).toHaveLength(1);
	});
});

describe('GET /Invoices/{id}/OnlineInvoice', () => {
	it('gives an approved sales invoice a stable, unguessable URL on the sandbox, through the SDK', async () => {
		const inv = seedInvoice();
		const id = String(inv.InvoiceID);
		const first = await xero.accountingApi.getOnlineInvoice('', id);
		const url = first.body.onlineInvoices![0].onlineInvoiceUrl!;
		expect(url).toMatch(new RegExp(`^${sb.url}/in/[A-Za-z0-9]{40}$`));
		const again = await xero.accountingApi.getOnlineInvoice('', id);
		expect(again.body.onlineInvoices).toEqual([{ onlineInvoiceUrl: url }]);
		expect(sb.onlineInvoiceUrl(id)).toBe(url);

		const other = seedInvoice(sb.org(), { Reference: 'second' });
		const otherUrl = (await xero.accountingApi.getOnlineInvoice('', String(other.InvoiceID))).body.onlineInvoices![0].onlineInvoiceUrl;
		expect(otherUrl).not.toBe(url);
	});

	it.each([
		['DRAFT', 'An online invoice URL cannot be generated for a draft invoice.'],
		['DELETED', 'An online invoice URL cannot be generated for a deleted invoice.'],
	])('refuses a %s invoice with 400 ValidationException naming why', async (status, message) => {
		const inv = seedInvoice(sb.org(), { Status: 'DRAFT' });
		const id = String(inv.InvoiceID);
		if (status === 'DELETED') await xero.accountingApi.updateInvoice('', id, { invoices: [{ status: Invoice.StatusEnum.DELETED }] });
		const err = await rejected(xero.accountingApi.getOnlineInvoice('', id));
		expect(err.statusCode).toBe(400);
		const body = err.body as ValidationBody;
		expect(body).toMatchObject({ ErrorNumber: 10, Type: 'ValidationException', Message: 'A validation exception occurred' });
		expect(body.Elements).toHaveLength(1);
		expect(body.Elements[0].InvoiceID).toBe(id);
		expect(body.Elements[0].ValidationErrors).toEqual([{ Message: message }]);
		expect(sb.onlineInvoiceUrl(id)).toBeUndefined();
	});

	it('refuses a bill (ACCPAY): online invoices are for sales invoices only', async () => {
		const bill = seedInvoice(sb.org(), {
			Type: 'ACCPAY',
			LineItems: [{ Description: 'Advertising', Quantity: 1, UnitAmount: 30, AccountCode: '400', TaxType: 'INPUT2' }],
		});
		const err = await rejected(xero.accountingApi.getOnlineInvoice('', String(bill.InvoiceID)));
		expect(err.statusCode).toBe(400);
		expect((err.body as ValidationBody).Elements[0].ValidationErrors).toEqual([{ Message: 'Online invoice URLs are only available for sales invoices (ACCREC).' }]);
	});

	it('refuses every invoice of an organisation that does not allow online invoices', async () => {
		const inv = seedInvoice(sb.org(PLAIN.clientId));
		const err = await rejected(plain.accountingApi.getOnlineInvoice('', String(inv.InvoiceID)));
		expect(err.statusCode).toBe(400);
		expect((err.body as ValidationBody).Elements[0].ValidationErrors).toEqual([
			{ Message: 'Online invoices are not enabled for this organisation, so no online invoice URL can be given.' },
		]);
	});

	it('answers 404 for an unknown invoice, as GET /Invoices/{id} does', async () => {
		const err = await rejected(xero.accountingApi.getOnlineInvoice('', '6f0e2a3b-1111-4111-8111-111111111111'));
		expect(err.statusCode).toBe(404);
	});

	it('serves a page showing the invoice as it is now: amounts, contact (escaped) and status, VOIDED after a void', async () => {
		const inv = seedInvoice();
		const id = String(inv.InvoiceID);
		const url = (await xero.accountingApi.getOnlineInvoice('', id)).body.onlineInvoices![0].onlineInvoiceUrl!;
		const callsBefore = sb.callCount();
		const open = async () => {
			const res = await fetch(url);
			expect(res.status).toBe(200);
			expect(res.headers.get('content-type')).toContain('text/html');
			return res.text();
		};
		const field = (page: string, name: string) => new RegExp(`<dd id="${name}">([^<]*)</dd>`).exec(page)?.[1];

		const before = await open();
		expect(field(before, 'invoice-number')).toBe(inv.InvoiceNumber);
		expect(field(before, 'contact')).toBe('Acme &lt;Widgets&gt; &amp; Co');
		expect(field(before, 'total')).toBe(`GBP ${Number(inv.Total).toFixed(2)}`);
		expect(field(before, 'amount-due')).toBe(`GBP ${Number(inv.AmountDue).toFixed(2)}`);
		expect(field(before, 'status')).toBe('AUTHORISED');
		expect(before).toContain(`src="${sb.logoUrl()}"`);

		sb.bookkeeper.void(id);
		const after = await open();
		expect(field(after, 'status')).toBe('VOIDED');

		// Opening the page is not an API call; each opening is counted per invoice.
		expect(sb.callCount()).toBe(callsBefore);
		expect(sb.onlineInvoiceViews()).toEqual({ [id]: 2 });
		// A voided invoice keeps its link.
		expect((await xero.accountingApi.getOnlineInvoice('', id)).body.onlineInvoices![0].onlineInvoiceUrl).toBe(url);
	});

	it('shows what is still due after a part payment, and 404 for a token it never gave', async () => {
		const inv = seedInvoice();
		const id = String(inv.InvoiceID);
		const url = (await xero.accountingApi.getOnlineInvoice('', id)).body.onlineInvoices![0].onlineInvoiceUrl!;
		sb.bookkeeper.partPay(id, 1000);
		const page = await (await fetch(url)).text();
		expect(page).toContain(`<dd id="amount-due">GBP ${(Number(inv.Total) - 10).toFixed(2)}</dd>`);
		expect(page).toContain('<dd id="amount-paid">GBP 10.00</dd>');
		expect(page).toContain('<dd id="status">AUTHORISED</dd>');

		const guessed = await fetch(`${sb.url}/in/${'A'.repeat(40)}`);
		expect(guessed.status).toBe(404);
		expect(await guessed.text()).toContain('could not be found');
		expect((await fetch(`${sb.url}/in/%E0%A4%A`)).status).toBe(404);
		expect(sb.onlineInvoiceViews()).toEqual({ [id]: 1 });
	});

	it('is an API call like any other: logged under its route, fault-injectable and rate limited', async () => {
		const id = String(seedInvoice().InvoiceID);
		await xero.accountingApi.getOnlineInvoice('', id);
		await rejected(xero.accountingApi.getOnlineInvoice('', '6f0e2a3b-1111-4111-8111-111111111111'));
		expect(sb.callsByRoute()['GET /Invoices/{id}/OnlineInvoice']).toBe(2);
		expect(sb.calls({ route: 'GET /Invoices/{id}/OnlineInvoice' }).map((c) => c.status)).toEqual([200, 404]);

		sb.failNext(1, { kind: 'error', status: 503, routes: /OnlineInvoice/ });
		expect((await rejected(xero.accountingApi.getOnlineInvoice('', id))).statusCode).toBe(503);
		expect(sb.calls({ route: 'GET /Invoices/{id}/OnlineInvoice', status: 503 })[0].fault).toBe('error');

		sb.setLimits({ perMinute: 3 });
		try {
			const limited = await rejected(xero.accountingApi.getOnlineInvoice('', id));
			expect(limited.statusCode).toBe(429);
			expect(sb.calls({ route: 'GET /Invoices/{id}/OnlineInvoice', status: 429 })[0].rateLimitProblem).toBe('minute');
		} finally {
			sb.setLimits(XERO_LIMITS);
		}
	});
});
