// The invoice PDF the package renders itself: the renderer on its own (read back with poppler's
// pdftotext, pdfinfo, pdfimages and pdftoppm, as a mail client's viewer would show it), the
// organisation details and logos it is given, and the Xero Billing node's Get PDF "Rendered Here"
// and Get Online Invoice Link operations against the Xero sandbox through the real xero-node SDK.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { inflateSync } from 'zlib';
import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';
import { startXeroSandbox, type XeroSandbox } from '../../sandbox/xero';
import { brandingLogoPng, crc32, encodePng } from '../../sandbox/xero/png';
import { FieldError } from '../../nodes/shared/errors';
import { XeroBilling } from '../../nodes/XeroBilling/XeroBilling.node';
import { downloadLogo, forgetXeroOrganisations, LogoError, type XeroInvoice, type XeroTransport } from '../../nodes/XeroBilling/transport';
import { DETAILS_MAX_RUNS, DETAILS_TTL_MS, forgetOrganisationDetails, xeroIssuer } from '../../nodes/XeroBilling/helpers/organisationDetails';
import { DEFAULT_LAYOUT, logoProblem, renderInvoicePdf, resolveLayout, winAnsiText, type InvoiceLayout, type InvoiceOrganisation } from '../../nodes/XeroBilling/pdf';
import { description as getPdfDescription } from '../../nodes/XeroBilling/actions/invoice/getPdf.operation';
import { runNode } from '../helpers/run-node';

// ------------------------------------------------------------------ reading PDFs back (poppler-utils)

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rendered-pdf-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let files = 0;

function saved(pdf: Buffer): string {
	const file = path.join(tmp, `doc${files++}.pdf`);
	fs.writeFileSync(file, pdf);
	return file;
}

/** The text as pdftotext lays it out; `page` limits it to one page. */
function pdfText(pdf: Buffer, page?: number): string {
	const range = page === undefined ? [] : ['-f', String(page), '-l', String(page)];
	return execFileSync('/usr/bin/pdftotext', ['-layout', ...range, saved(pdf), '-'], { encoding: 'utf8' });
}

function pdfInfo(pdf: Buffer): Record<string, string> {
	const out = execFileSync('/usr/bin/pdfinfo', [saved(pdf)], { encoding: 'utf8' });
	return Object.fromEntries(out.split('\n').filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
}

/** The images pdfimages finds (one line each after its two header lines). */
function imageCount(pdf: Buffer): number {
	return execFileSync('/usr/bin/pdfimages', ['-list', saved(pdf)], { encoding: 'utf8' }).trim().split('\n').length - 2;
}

/** Page `page` as pdftoppm renders it to PNG at 60 dpi. */
function pagePng(pdf: Buffer, page = 1): Buffer {
	const out = path.join(tmp, `page${files++}`);
	execFileSync('/usr/bin/pdftoppm', ['-png', '-r', '60', '-f', String(page), '-l', String(page), '-singlefile', saved(pdf), out]);
	return fs.readFileSync(`${out}.png`);
}

/** Decodes an 8-bit RGB or RGBA non-interlaced PNG (what pdftoppm writes) into its pixels. */
function decodePng(png: Buffer): { width: number; height: number; rgb: (x: number, y: number) => [number, number, number] } {
	let at = 8;
	let width = 0;
	let height = 0;
	let channels = 3;
	const idat: Buffer[] = [];
	while (at < png.length) {
		const length = png.readUInt32BE(at);
		const type = png.toString('latin1', at + 4, at + 8);
		const body = png.subarray(at + 8, at + 8 + length);
		if (type === 'IHDR') {
			width = body.readUInt32BE(0);
			height = body.readUInt32BE(4);
			expect(body[8]).toBe(8);
			channels = body[9] === 6 ? 4 : body[9] === 2 ? 3 : 0;
			expect(channels).toBeGreaterThan(0);
		}
		if (type === 'IDAT') idat.push(body);
		at += 12 + length;
	}
	const raw = inflateSync(Buffer.concat(idat));
	const stride = width * channels;
	const pixels = Buffer.alloc(height * stride);
	for (let y = 0; y < height; y++) {
		const filter = raw[y * (stride + 1)];
		for (let i = 0; i < stride; i++) {
			const x = raw[y * (stride + 1) + 1 + i];
			const a = i >= channels ? pixels[y * stride + i - channels] : 0;
			const b = y > 0 ? pixels[(y - 1) * stride + i] : 0;
			const c = y > 0 && i >= channels ? pixels[(y - 1) * stride + i - channels] : 0;
			const p = a + b - c;
			const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
			const predictor = [0, a, b, (a + b) >> 1, paeth][filter];
			pixels[y * stride + i] = (x + predictor) & 0xff;
		}
	}
	return { width, height, rgb: (x, y) => [pixels[y * stride + x * channels], pixels[y * stride + x * channels + 1], pixels[y * stride + x * channels + 2]] };
}

/** Pixels of page 1 at 60 dpi matching `test`. */
function countPixels(pdf: Buffer, test: (r: number, g: number, b: number) => boolean): { matching: number; total: number } {
	const img = decodePng(pagePng(pdf));
	let matching = 0;
	for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) if (test(...img.rgb(x, y))) matching++;
	return { matching, total: img.width * img.height };
}

/** The first font file of this machine that has Latin Extended, Greek and Cyrillic letters. */
function unicodeFont(): string {
	const candidates = [
		'/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
		'/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
		path.join(__dirname, '../../node_modules/pdfjs-dist/standard_fonts/LiberationSans-Regular.ttf'),
	];
	const found = candidates.find((f) => fs.existsSync(f));
	if (!found) throw new Error(`No Unicode TrueType font found for the Font File test (looked at ${candidates.join(', ')})`);
	return found;
}

// ------------------------------------------------------------------ the renderer on its own

const organisation: InvoiceOrganisation = {
	name: 'Sandbox Billing Ltd',
	addressLines: ['Unit 4, Riverside Works', '12 Canal Street', 'Manchester M1 3HE'],
	phone: '+44 161 496 0123',
	taxNumber: 'GB999999973',
};

function invoice(extra: Partial<XeroInvoice> = {}): XeroInvoice {
	return {
		invoiceId: '7c2a1d4e-9a55-4f0e-8f3e-2b8d0c6e9a01',
		invoiceNumber: 'INV-0042',
		reference: 'bk-2024-01-C1',
		type: 'ACCREC',
		status: 'AUTHORISED',
		contactId: '0d5a5a0e-3f1c-4b7e-9a6d-1c2b3a4d5e6f',
		contactName: 'Acme (UK) Ltd',
		contactEmail: 'billing@acme.test',
		contactAddress: ['1 High Street', 'London EC1A 1BB'],
		currency: 'GBP',
		subTotal: 25.2,
		totalTax: 5.04,
		total: 30.24,
		amountDue: 30.24,
		amountPaid: 0,
		amountCredited: 0,
		sentToContact: false,
		date: '2024-01-31',
		dueDate: '2024-02-14',
		lineItems: [
			{ description: 'Lead 1001 - solar panels [lead 1001]', quantity: 2, unitAmount: 10.5, lineAmount: 21, taxType: 'OUTPUT2', taxAmount: 4.2 },
			{ description: 'Lead 1002 - heat pump [lead 1002]', quantity: 1, unitAmount: 4.2, lineAmount: 4.2, taxType: 'OUTPUT2', taxAmount: 0.84 },
		],
		payments: [],
		...extra,
	};
}

const render = (inv: XeroInvoice, layout: Partial<InvoiceLayout> = {}, org: InvoiceOrganisation = organisation) => renderInvoicePdf(inv, org, { ...DEFAULT_LAYOUT, ...layout });

/** One line of pdftotext -layout output squeezed to single spaces. */
const squeezed = (text: string) => text.replace(/[ \t]+/g, ' ');

describe('renderInvoicePdf', () => {
	it('shows the organisation, number, reference, dates, the contact, every line and the totals', async () => {
		const text = squeezed(pdfText(await render(invoice(), { footer: 'Pay by bank transfer to 12-34-56 12345678.\nThank you for your business.' })));
		for (const expected of [
			'Sandbox Billing Ltd',
			'12 Canal Street',
			'Manchester M1 3HE',
			'+44 161 496 0123',
			'Tax number: GB999999973',
			'TAX INVOICE',
			'Invoice number INV-0042',
			'Reference bk-2024-01-C1',
			'Issue date 31 Jan 2024',
			'Due date 14 Feb 2024',
			'BILL TO',
			'Acme (UK) Ltd',
			'billing@acme.test',
			'London EC1A 1BB',
			'Description Quantity Unit price Tax Amount GBP',
			'Lead 1001 - solar panels [lead 1001] 2 10.50 OUTPUT2 21.00',
			'Lead 1002 - heat pump [lead 1002] 1 4.20 OUTPUT2 4.20',
			'Subtotal 25.20',
			'Total tax 5.04',
			'TOTAL GBP 30.24',
			'Less amount paid 0.00',
			'AMOUNT DUE GBP 30.24',
			'Pay by bank transfer to 12-34-56 12345678.',
			'Thank you for your business.',
			'TAX INVOICE INV-0042 Page 1 of 1',
		]) {
			expect(text).toContain(expected);
		}
	});

	it('formats amounts exactly for the invoice currency: JPY without decimals, BHD with three, thousands grouped', async () => {
		const jpy = squeezed(
			pdfText(
				await render(
					invoice({
						currency: 'JPY',
						lineItems: [{ description: 'Lead 7 [lead 7]', quantity: 3, unitAmount: 1200, lineAmount: 3600, taxType: 'OUTPUT', taxAmount: 360 }],
						subTotal: 3600,
						totalTax: 360,
						total: 3960,
						amountPaid: 1000,
						amountDue: 2960,
					}),
				),
			),
		);
		expect(jpy).toContain('Lead 7 [lead 7] 3 1,200 OUTPUT 3,600');
		expect(jpy).toContain('TOTAL JPY 3,960');
		expect(jpy).toContain('Less amount paid 1,000');
		expect(jpy).toContain('AMOUNT DUE JPY 2,960');
		expect(jpy).not.toMatch(/\d\.\d/);

		const bhd = squeezed(
			pdfText(
				await render(
					invoice({
						currency: 'BHD',
						lineItems: [{ description: 'Lead 8', quantity: 2, unitAmount: 1.235, lineAmount: 2.47, taxType: 'OUTPUT', taxAmount: 0.247 }],
						subTotal: 2.47,
						totalTax: 0.247,
						total: 2.717,
						amountDue: 2.717,
					}),
				),
			),
		);
		expect(bhd).toContain('Lead 8 2 1.235 OUTPUT 2.470');
		expect(bhd).toContain('Total tax 0.247');
		expect(bhd).toContain('AMOUNT DUE BHD 2.717');

		// A GBP unit price Xero keeps at 4 decimals (unitdp=4) is shown as Xero holds it.
		const fine = squeezed(
			pdfText(await render(invoice({ lineItems: [{ description: 'Lead 9', quantity: 100, unitAmount: 1.2345, lineAmount: 123.45, taxType: 'NONE' }], subTotal: 123.45, totalTax: 0, total: 123.45, amountDue: 123.45 }))),
		);
		expect(fine).toContain('Lead 9 100 1.2345 NONE 123.45');
		expect(fine).toContain('AMOUNT DUE GBP 123.45');
	});

	it('refuses an amount Xero does not state exactly in the currency instead of rounding it', async () => {
		await expect(render(invoice({ currency: 'JPY', total: 3960.5, subTotal: 3600, totalTax: 360, amountDue: 0, lineItems: [] }))).rejects.toMatchObject({
			code: 'unreadableAmount',
			retryable: false,
			message: "Xero's Total 3960.5 on invoice INV-0042 is not an exact amount of JPY",
		});
	});

	it('pages a 600-line invoice: the table header on every page, every line once, the totals at the end', async () => {
		const lines = Array.from({ length: 600 }, (_, n) => ({ description: `Lead L${n} solar survey [lead L${n}]`, quantity: 1, unitAmount: 21, lineAmount: 21, taxType: 'OUTPUT2' }));
		const pdf = await render(invoice({ lineItems: lines, subTotal: 12600, totalTax: 2520, total: 15120, amountDue: 15120 }));
		const pages = Number(pdfInfo(pdf).Pages);
		expect(pages).toBeGreaterThan(10);
		const page2 = squeezed(pdfText(pdf, 2));
		expect(page2).toContain('TAX INVOICE INV-0042 (continued)');
		expect(page2).toContain('Description Quantity Unit price Tax Amount GBP');
		expect(page2).toContain(`Page 2 of ${pages}`);
		// Every page but the last (which may hold only the totals) starts its lines with the header.
		for (let page = 1; page < pages; page++) expect(squeezed(pdfText(pdf, page))).toContain('Description Quantity Unit price Tax Amount GBP');
		const all = squeezed(pdfText(pdf));
		const shown = [...all.matchAll(/Lead L(\d+) solar survey \[lead L\d+\] 1 21\.00 OUTPUT2 21\.00/g)].map((m) => Number(m[1]));
		expect(shown).toEqual(lines.map((_, n) => n));
		const last = squeezed(pdfText(pdf, pages));
		expect(last).toContain('Subtotal 12,600.00');
		expect(last).toContain('AMOUNT DUE GBP 15,120.00');
	});

	it('draws a page a reader sees: non-blank, in the accent colour, with the logo when shown', async () => {
		const blueish = (r: number, _g: number, b: number) => b > 100 && r < 80 && b - r > 60;
		const reddish = (r: number, g: number, b: number) => r > 170 && g < 70 && b < 70;
		const plain = await render(invoice());
		const ink = countPixels(plain, (r, g, b) => r + g + b < 600);
		expect(ink.matching / ink.total).toBeGreaterThan(0.01);
		expect(countPixels(plain, blueish).matching).toBeGreaterThan(100);
		expect(countPixels(plain, reddish).matching).toBe(0);
		const red = await render(invoice(), { accentColor: '#C00000' });
		expect(countPixels(red, reddish).matching).toBeGreaterThan(100);

		const withLogo = { ...organisation, logo: brandingLogoPng(0) };
		expect(imageCount(await render(invoice(), {}, withLogo))).toBe(1);
		expect(imageCount(await render(invoice(), { showLogo: false }, withLogo))).toBe(0);
		expect(imageCount(plain)).toBe(0);
	});

	it('prints text Helvetica cannot show as its plain letters or a visible "?", never dropping it', async () => {
		expect(winAnsiText('Łódź Café Ørsted 株式会社 ﬁne – “quoted” €5 Ωmega\tend')).toBe('?ódz Café Ørsted ???? fine – “quoted” €5 ?mega end');
		const text = pdfText(
			await render(invoice({ contactName: 'Łódź Café Ørsted 株式会社', lineItems: [{ description: 'Ωmega – “quoted” €5 ﬁne', quantity: 1, unitAmount: 1, lineAmount: 1 }], subTotal: 1, totalTax: 0, total: 1, amountDue: 1 })),
		);
		expect(text).toContain('?ódz Café Ørsted ????');
		expect(text).toContain('?mega – “quoted” €5 fine');
	});

	it('with a font file, renders any Unicode text as it is', async () => {
		const layout = await resolveLayout({ fontFile: unicodeFont() });
		const pdf = await renderInvoicePdf(invoice({ contactName: 'Łódź Café Ørsted', lineItems: [{ description: 'Ωmega Москва', quantity: 1, unitAmount: 1, lineAmount: 1 }], subTotal: 1, totalTax: 0, total: 1, amountDue: 1 }), organisation, layout);
		const text = pdfText(pdf);
		expect(text).toContain('Łódź Café Ørsted');
		expect(text).toContain('Ωmega Москва');
		expect(execFileSync('/usr/bin/pdffonts', [saved(pdf)], { encoding: 'utf8' })).toMatch(/TrueType|CID/);
	});

	it('gives the same bytes for the same input, dated by the invoice', async () => {
		const a = await render(invoice());
		const b = await render(invoice());
		expect(a.equals(b)).toBe(true);
		expect(a.toString('latin1')).toContain('D:20240131000000Z');
		const later = await render(invoice({ date: '2024-02-01' }));
		expect(later.equals(a)).toBe(false);
		expect(pdfInfo(a).Title).toBe('Invoice INV-0042');
	});

	it('prints on Letter paper when asked', async () => {
		expect(pdfInfo(await render(invoice(), { paperSize: 'LETTER' }))['Page size']).toMatch(/^612 x 792 pts/);
		expect(pdfInfo(await render(invoice()))['Page size']).toMatch(/^595\.28 x 841\.89 pts/);
	});
});

describe('layout settings', () => {
	const field = async (p: Promise<unknown>) => {
		const error = await p.then(
			() => undefined,
			(e: unknown) => e,
		);
		expect(error).toBeInstanceOf(FieldError);
		return { field: (error as FieldError).field, message: (error as FieldError).message };
	};

	it('refuses a bad value with the setting named, never falling back silently', async () => {
		expect(await field(resolveLayout({ paperSize: 'A5' }))).toEqual({ field: 'layout.paperSize', message: 'Layout option "paperSize" must be A4 or LETTER, got "A5"' });
		expect(await field(resolveLayout({ accentColor: 'red' }))).toEqual({ field: 'layout.accentColor', message: 'Layout option "accentColor" must be a colour as #RRGGBB (e.g. #1F4E79), got "red"' });
		expect(await field(resolveLayout({ title: '   ' }))).toEqual({ field: 'layout.title', message: 'Layout option "title" is empty: leave it out for the default' });
		expect(await field(resolveLayout({ title: 'TAX\nINVOICE' }))).toEqual({ field: 'layout.title', message: 'Layout option "title" contains line breaks or control characters' });
		expect(await field(resolveLayout({ footer: 'a\nb\nc\nd\ne' }))).toEqual({ field: 'layout.footer', message: 'Layout option "footer" has more than 4 lines' });
		expect(await field(resolveLayout({ showLogo: 'yes' }))).toEqual({ field: 'layout.showLogo', message: 'Layout option "showLogo" must be true or false, got "yes"' });
		expect(await field(resolveLayout({ fontFile: 'fonts/Inter.ttf' }))).toEqual({ field: 'layout.fontFile', message: 'Layout option "fontFile" "fonts/Inter.ttf" must be an absolute path on the n8n server' });
		const notAFont = path.join(tmp, 'not-a-font.ttf');
		fs.writeFileSync(notAFont, '{"a":1}');
		expect(await field(resolveLayout({ fontFile: notAFont }))).toEqual({ field: 'layout.fontFile', message: `Layout option "fontFile" ${notAFont} is not a TrueType or OpenType font (.ttf, .otf)` });
		expect((await field(resolveLayout({ fontFile: path.join(tmp, 'missing.ttf') }))).message).toMatch(/^Layout option "fontFile" .*missing\.ttf cannot be read: ENOENT: no such file or directory/);
	});

	it('takes a template file, whose values the node parameters override', async () => {
		const file = path.join(tmp, 'layout.json');
		fs.writeFileSync(file, JSON.stringify({ paperSize: 'letter', accentColor: '#c00000', title: 'INVOICE', footer: 'From the file', organisationAddress: ['PO Box 7', 'Leeds'] }));
		expect(await resolveLayout({ layoutFile: file, title: 'TAX INVOICE (COPY)' })).toEqual({
			paperSize: 'LETTER',
			accentColor: '#C00000',
			title: 'TAX INVOICE (COPY)',
			footer: 'From the file',
			showLogo: true,
			organisationAddress: ['PO Box 7', 'Leeds'],
		});
		expect(await resolveLayout({})).toEqual(DEFAULT_LAYOUT);
	});

	it('refuses a template file with an unknown key, a bad value or no JSON, naming the file', async () => {
		const file = path.join(tmp, 'bad-layout.json');
		fs.writeFileSync(file, JSON.stringify({ title: 'INVOICE', colour: '#000000' }));
		expect(await field(resolveLayout({ layoutFile: file }))).toEqual({
			field: 'layout.layoutFile',
			message: `"colour" in the layout file ${file} is not a layout setting: use paperSize, accentColor, title, footer, showLogo, fontFile, organisationName, organisationAddress`,
		});
		fs.writeFileSync(file, JSON.stringify({ paperSize: 'A3' }));
		expect(await field(resolveLayout({ layoutFile: file }))).toEqual({ field: 'layout.layoutFile', message: `"paperSize" in the layout file ${file} must be A4 or LETTER, got "A3"` });
		fs.writeFileSync(file, '{ title: INVOICE }');
		expect((await field(resolveLayout({ layoutFile: file }))).message).toMatch(new RegExp(`^Layout file ${file} is not valid JSON: `));
		fs.writeFileSync(file, '["INVOICE"]');
		expect((await field(resolveLayout({ layoutFile: file }))).message).toBe(
			`Layout file ${file} must hold a JSON object with layout settings (paperSize, accentColor, title, footer, showLogo, fontFile, organisationName, organisationAddress)`,
		);
	});

	it('the node offers the same defaults the renderer uses', () => {
		const layout = getPdfDescription.find((p) => p.name === 'layout')!;
		const defaults = Object.fromEntries((layout.options as Array<{ name: string; default: unknown }>).map((o) => [o.name, o.default]));
		expect(defaults).toMatchObject({ paperSize: DEFAULT_LAYOUT.paperSize, accentColor: DEFAULT_LAYOUT.accentColor, title: DEFAULT_LAYOUT.title, showLogo: DEFAULT_LAYOUT.showLogo });
	});
});

// ------------------------------------------------------------------ logos

describe('logos', () => {
	it('refuses what is not a usable PNG or JPEG before pdfkit sees it', () => {
		const good = brandingLogoPng(0);
		expect(logoProblem(good)).toBeUndefined();
		expect(logoProblem(Buffer.from('<html>Not found</html>'))).toBe('it is not a PNG or JPEG image');
		expect(logoProblem(good.subarray(0, 60))).toBe('its data is cut short');
		// A PNG that says it has transparency but whose pixels do not match: pdfkit would decode
		// it in a callback and throw where no one can catch it.
		const alpha = Buffer.from(good);
		alpha[8 + 8 + 9] = 6;
		alpha.writeUInt32BE(crc32(alpha.subarray(12, 12 + 4 + 13)), 8 + 8 + 13);
		expect(logoProblem(alpha)).toBe('its pixel data is cut short');
		const huge = encodePng(4000, 3000, () => [255, 255, 255]);
		expect(logoProblem(huge)).toBe('it is 4000 × 3000 pixels (at most 10000000 pixels)');
	});

	describe('download', () => {
		let server: http.Server;
		let base: string;
		const png = brandingLogoPng(1);
		beforeAll(async () => {
			server = http.createServer((req, res) => {
				if (req.url === '/logo.png') return void res.writeHead(200, { 'Content-Type': 'image/png' }).end(png);
				if (req.url === '/missing.png') return void res.writeHead(404).end('no');
				if (req.url === '/page.png') return void res.writeHead(200, { 'Content-Type': 'image/png' }).end('<html>a login page</html>');
				if (req.url === '/big.png') {
					// No Content-Length: the size is only known by counting.
					res.writeHead(200, { 'Content-Type': 'image/png' });
					res.write(png);
					for (let k = 0; k < 20; k++) res.write(Buffer.alloc(64 * 1024));
					return void res.end();
				}
				if (req.url === '/slow.png') return void setTimeout(() => res.writeHead(200).end(png), 2000);
				res.writeHead(500).end();
			});
			await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
			base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
		});
		afterAll(async () => {
			server.closeAllConnections();
			await new Promise((resolve) => server.close(resolve));
		});

		it('gets a PNG, and refuses a missing, oversized, non-image or slow one with the reason', async () => {
			await expect(downloadLogo(`${base}/logo.png`, { timeoutMs: 1000 })).resolves.toEqual(png);
			const refused = (url: string) => downloadLogo(url, { timeoutMs: 300 }).then(() => 'downloaded', (e: Error) => (e instanceof LogoError ? e.message : `not a LogoError: ${e.message}`));
			expect(await refused(`${base}/missing.png`)).toBe(`the logo at ${base}/missing.png answered 404`);
			expect(await refused(`${base}/big.png`)).toBe(`the logo at ${base}/big.png is larger than 1048576 bytes`);
			expect(await refused(`${base}/page.png`)).toBe(`the logo at ${base}/page.png is not a PNG or JPEG image`);
			expect(await refused(`${base}/slow.png`)).toBe(`the logo at ${base}/slow.png did not arrive within 300 ms`);
			expect(await refused('ftp://example.test/logo.png')).toBe('the logo URL "ftp://example.test/logo.png" is not an http(s) URL');
		});

		/** A transport that answers the organisation and theme reads itself and counts them. */
		function stubTransport(logoUrl: string | undefined) {
			const calls = { organisation: 0, themes: 0 };
			const transport = {
				organisationKey: `stub\n${logoUrl}`,
				policy: { timeoutMs: 300 },
				checkDayBudget: () => undefined,
				getOrganisation: async () => {
					calls.organisation++;
					return { organisationId: 'o1', name: 'Stub Trading Ltd', legalName: 'Stub Trading Limited', addresses: [{ type: 'POBOX', lines: ['PO Box 1', 'York'] }], phones: [] };
				},
				getBrandingThemes: async () => {
					calls.themes++;
					return [{ brandingThemeId: 't1', name: 'Standard', sortOrder: 0, ...(logoUrl ? { logoUrl } : {}) }];
				},
			} as unknown as XeroTransport;
			return { transport, calls };
		}

		beforeEach(() => forgetOrganisationDetails());

		it('an organisation logo that cannot be had leaves the invoice without it, and the item says why', async () => {
			for (const [url, why] of [
				[`${base}/missing.png`, 'answered 404'],
				[`${base}/page.png`, 'is not a PNG or JPEG image'],
				[`${base}/slow.png`, 'did not arrive within 300 ms'],
			]) {
				const { transport } = stubTransport(url);
				const issuer = xeroIssuer(transport, { showLogo: true });
				const { organisation: org, warnings } = await issuer.forInvoice(invoice(), 'run-1');
				expect(org).toEqual({ name: 'Stub Trading Ltd', legalName: 'Stub Trading Limited', addressLines: ['PO Box 1', 'York'] });
				expect(warnings).toEqual([`Logo not shown: the logo at ${url} ${why}`]);
				// The invoice itself still renders.
				expect(pdfText(await renderInvoicePdf(invoice(), org, DEFAULT_LAYOUT))).toContain('Stub Trading Ltd');
			}
		});

		it("reads the organisation, its themes and the logo once per run, for an hour, for a bounded number of runs", async () => {
			const { transport, calls } = stubTransport(`${base}/logo.png`);
			const issuer = xeroIssuer(transport, { showLogo: true });
			for (let k = 0; k < 3; k++) {
				const { organisation: org, warnings } = await issuer.forInvoice(invoice(), 'run-1');
				expect(org.logo).toEqual(png);
				expect(warnings).toEqual([]);
			}
			// A later execution of the same run: still cached.
			await xeroIssuer(transport, { showLogo: true }).forInvoice(invoice(), 'run-1');
			expect(calls).toEqual({ organisation: 1, themes: 1 });

			const now = Date.now();
			const clock = jest.spyOn(Date, 'now').mockReturnValue(now + DETAILS_TTL_MS + 1);
			try {
				await xeroIssuer(transport, { showLogo: true }).forInvoice(invoice(), 'run-1');
				expect(calls).toEqual({ organisation: 2, themes: 2 });
			} finally {
				clock.mockRestore();
			}

			for (let run = 0; run <= DETAILS_MAX_RUNS; run++) await xeroIssuer(transport, { showLogo: true }).forInvoice(invoice(), `bulk-${run}`);
			expect(calls.organisation).toBe(2 + DETAILS_MAX_RUNS + 1);
			// The newest runs are kept; the oldest were dropped and are read again.
			await xeroIssuer(transport, { showLogo: true }).forInvoice(invoice(), `bulk-${DETAILS_MAX_RUNS}`);
			expect(calls.organisation).toBe(2 + DETAILS_MAX_RUNS + 1);
			await xeroIssuer(transport, { showLogo: true }).forInvoice(invoice(), 'run-1');
			expect(calls.organisation).toBe(2 + DETAILS_MAX_RUNS + 2);
		});

		it('without logos, the branding themes are not read', async () => {
			const { transport, calls } = stubTransport(`${base}/logo.png`);
			const { organisation: org } = await xeroIssuer(transport, { showLogo: false }).forInvoice(invoice(), 'run-9');
			expect(org.logo).toBeUndefined();
			expect(calls).toEqual({ organisation: 1, themes: 0 });
		});
	});
});

// ------------------------------------------------------------------ the node against the sandbox

describe('Xero Billing node: Get PDF rendered here, Get Online Invoice Link', () => {
	let sb: XeroSandbox;
	const node = new XeroBilling();
	const fast = { retryDelayMs: 20, timeoutMs: 2000 };

	beforeAll(async () => {
		sb = await startXeroSandbox({ clientId: 'RENDERCLIENT', clientSecret: 'render-secret' });
	});
	afterAll(async () => {
		await sb.close();
	});
	beforeEach(() => {
		sb.reset();
		sb.setLimits({ concurrent: 5, perMinute: 60, perDay: 5000, minuteMs: 60_000 });
		forgetXeroOrganisations();
		forgetOrganisationDetails();
	});

	const credentials = () => ({
		xeroCustomConnectionApi: { clientId: sb.clientId, clientSecret: sb.clientSecret, endpoints: 'custom', tokenUrl: sb.tokenUrl, apiBaseUrl: sb.apiBaseUrl },
	});
	const run = (parameters: INodeParameters, items: IDataObject[], opts: { continueOnFail?: boolean } = {}) =>
		runNode(node, { parameters, items: items.map((json) => ({ json })), credentials: credentials(), continueOnFail: opts.continueOnFail });
	const rendered = (extra: IDataObject = {}): INodeParameters => ({ resource: 'invoice', operation: 'getPdf', pdfSource: 'rendered', binaryPropertyName: 'pdf', options: fast, ...extra });
	const pdfOf = (item: INodeExecutionData) => Buffer.from(item.binary!.pdf.data, 'base64');
	const error = (item: INodeExecutionData) => item.json.error as { message: string; code?: string; retryable?: boolean };

	/** `count` approved invoices made by the node's own Create, as stage 3 receives them (with the run id). */
	async function invoices(count: number, billingRunId = 'run-2024-01'): Promise<IDataObject[]> {
		const contacts = Array.from({ length: count }, (_, n) => sb.seedContact({ Name: `Client ${n} Ltd`, ContactNumber: `C${n}`, EmailAddress: `billing${n}@client.test` }).ContactID as string);
		const requests = contacts.map((id, n) => ({
			billingKey: `bk-2024-01-C${n}`,
			clientName: `Client ${n} Ltd`,
			currency: 'GBP',
			xeroContactId: id,
			lines: [
				{ leadId: `L${n}a`, description: `Lead L${n}a`, quantity: 1, unitAmountMinor: 1050 },
				{ leadId: `L${n}b`, description: `Lead L${n}b`, quantity: 2, unitAmountMinor: 425 },
			],
		}));
		const [ok, failed] = await run({ resource: 'invoice', operation: 'create', accountCode: '200', taxType: 'OUTPUT2', dueInDays: 14, options: fast }, requests);
		expect(failed).toEqual([]);
		return ok.map((item) => ({ ...item.json, billingRunId }));
	}

	it("renders 60 invoices with 4 Xero calls: 2 reads (50 + 10), the organisation and its branding themes; the logo once", async () => {
		const input = await invoices(60);
		const before = sb.calls().length;
		const [ok, failed] = await run(rendered(), input);
		expect(failed).toEqual([]);
		expect(ok).toHaveLength(60);
		const calls = sb.calls().slice(before);
		expect(calls.map((c) => c.route).sort()).toEqual(['GET /BrandingThemes', 'GET /Invoices', 'GET /Invoices', 'GET /Organisation']);
		expect(calls.filter((c) => c.route === 'GET /Invoices').map((c) => c.query.IDs.split(',').length)).toEqual([50, 10]);
		expect(sb.logoDownloads()).toBe(1);
		// The node's usage counter saw every call: each item carries its share of the 4.
		const shares = ok.map((item) => (item.json.usage as IDataObject).xeroCalls as number);
		expect(Math.round(shares.reduce((a, b) => a + b, 0))).toBe(4);

		expect(ok.map((item) => item.pairedItem)).toEqual(input.map((_, i) => ({ item: i })));
		const first = ok[0];
		expect(first.binary!.pdf).toMatchObject({ mimeType: 'application/pdf', fileName: 'Invoice INV-0001.pdf' });
		expect(first.json.pdfWarnings).toBeUndefined();
		const text = squeezed(pdfText(pdfOf(first)));
		for (const expected of ['Sandbox Billing Ltd', 'Accounts Receivable', '12 Canal Street', 'Manchester, Greater Manchester M1 3HE', '+44 0161 496 0123', 'Tax number: GB999999973', 'Invoice number INV-0001', 'Reference bk-2024-01-C0', 'Client 0 Ltd', 'Lead L0a [lead L0a] 1 10.50 OUTPUT2 10.50', 'Lead L0b [lead L0b] 2 4.25 OUTPUT2 8.50', 'Subtotal 19.00', 'Total tax 3.80', 'AMOUNT DUE GBP 22.80']) {
			expect(text).toContain(expected);
		}
		expect(imageCount(pdfOf(first))).toBe(1);
		expect(squeezed(pdfText(pdfOf(ok[59])))).toContain('Invoice number INV-0060');
	});

	it('a second batch of the same run costs only its read; another run reads the organisation again', async () => {
		const input = await invoices(70);
		await run(rendered(), input.slice(0, 60));
		const before = sb.calls().length;
		const [ok] = await run(rendered(), input.slice(60));
		expect(ok).toHaveLength(10);
		expect(sb.calls().slice(before).map((c) => c.route)).toEqual(['GET /Invoices']);
		expect(sb.logoDownloads()).toBe(1);

		const next = sb.calls().length;
		await run(rendered(), input.slice(60).map((j) => ({ ...j, billingRunId: 'run-2024-02' })));
		expect(sb.calls().slice(next).map((c) => c.route).sort()).toEqual(['GET /BrandingThemes', 'GET /Invoices', 'GET /Organisation']);
	});

	it('a voided, deleted or draft invoice goes to the failure output, not retryable, naming number and billing key', async () => {
		const input = await invoices(3);
		const voided = input[1].xeroInvoice as IDataObject;
		sb.bookkeeper.void(voided.invoiceId as string);
		const [draft] = sb.seedInvoices([
			{ Type: 'ACCREC', Contact: { Name: 'Client D Ltd' }, Date: '2024-01-31', DueDate: '2024-02-14', Status: 'DRAFT', Reference: 'bk-2024-01-CD', LineItems: [{ Description: 'Lead D', Quantity: 1, UnitAmount: 5, AccountCode: '200', TaxType: 'OUTPUT2' }] },
		]);
		const [deleted] = sb.seedInvoices([
			{ Type: 'ACCREC', Contact: { Name: 'Client E Ltd' }, Date: '2024-01-31', DueDate: '2024-02-14', Status: 'DRAFT', LineItems: [{ Description: 'Lead E', Quantity: 1, UnitAmount: 5, AccountCode: '200', TaxType: 'OUTPUT2' }] },
		]);
		sb.seedInvoices([{ InvoiceID: deleted.InvoiceID, Status: 'DELETED' }]);
		const draftItem = { billingKey: 'bk-2024-01-CD', billingRunId: 'run-2024-01', xeroInvoice: { invoiceId: draft.InvoiceID, invoiceNumber: draft.InvoiceNumber } };
		// No billing key on the item: the invoice's Reference (here none) is named instead.
		const deletedItem = { billingRunId: 'run-2024-01', xeroInvoice: { invoiceId: deleted.InvoiceID } };
		const [ok, failed] = await run(rendered(), [...input, draftItem, deletedItem]);
		expect(ok.map((item) => item.json.billingKey)).toEqual(['bk-2024-01-C0', 'bk-2024-01-C2']);
		expect(failed.map((item) => [item.pairedItem, item.json.billingKey, error(item)])).toEqual([
			[
				{ item: 1 },
				'bk-2024-01-C1',
				{ message: 'Invoice INV-0002 (billing key bk-2024-01-C1) is VOIDED in Xero: no PDF was rendered and it was not emailed', code: 'notSendable', retryable: false },
			],
			[
				{ item: 3 },
				'bk-2024-01-CD',
				{ message: `Invoice ${String(draft.InvoiceNumber)} (billing key bk-2024-01-CD) is DRAFT in Xero: no PDF was rendered and it was not emailed`, code: 'notSendable', retryable: false },
			],
			[
				{ item: 4 },
				undefined,
				{ message: `Invoice ${String(deleted.InvoiceNumber)} (billing key unknown) is DELETED in Xero: no PDF was rendered and it was not emailed`, code: 'notSendable', retryable: false },
			],
		]);
		expect(failed.every((item) => item.binary === undefined)).toBe(true);
	});

	it('when Xero cannot give the organisation, the items fail retryably, the read tried once for all of them', async () => {
		const input = await invoices(5);
		sb.failNext(2, { kind: 'error', status: 503, phase: 'before', routes: /^GET \/Organisation$/ });
		const [ok, failed] = await run(rendered({ options: { ...fast, maxRetries: 1 } }), input, { continueOnFail: true });
		expect(ok).toEqual([]);
		expect(failed).toHaveLength(5);
		for (const item of failed) expect(error(item)).toMatchObject({ code: 'server', retryable: true });
		expect(sb.calls({ route: 'GET /Organisation' })).toHaveLength(2);
		// The next execution tries again and renders.
		const [again] = await run(rendered(), input);
		expect(again).toHaveLength(5);
	});

	it('with Organisation Details from settings: no organisation call, the logo file printed; a bad logo file only warns', async () => {
		const input = await invoices(2);
		const logoFile = path.join(tmp, 'logo.png');
		fs.writeFileSync(logoFile, brandingLogoPng(2));
		const settings = { organisationDetails: 'fromSettings', organisationName: 'Settings Trading Ltd', organisationAddress: '9 Dock Road\nLiverpool L3 4AA', organisationTaxNumber: 'GB123456789', logoFile };
		const before = sb.calls().length;
		const [ok] = await run(rendered({ ...settings, layout: { title: 'INVOICE', footer: 'Sort code 12-34-56' } }), input);
		expect(sb.calls().slice(before).map((c) => c.route)).toEqual(['GET /Invoices']);
		const text = squeezed(pdfText(pdfOf(ok[0])));
		for (const expected of ['Settings Trading Ltd', '9 Dock Road', 'Liverpool L3 4AA', 'Tax number: GB123456789', 'INVOICE INV-0001', 'Sort code 12-34-56']) expect(text).toContain(expected);
		expect(text).not.toContain('Sandbox Billing Ltd');
		expect(imageCount(pdfOf(ok[0]))).toBe(1);

		const notAnImage = path.join(tmp, 'logo.txt');
		fs.writeFileSync(notAnImage, 'not an image');
		const [warned, failed] = await run(rendered({ ...settings, logoFile: notAnImage }), input);
		expect(failed).toEqual([]);
		expect(warned[0].json.pdfWarnings).toEqual([`Logo not shown: the logo file ${notAnImage} cannot be used (it is not a PNG or JPEG image)`]);
		expect(imageCount(pdfOf(warned[0]))).toBe(0);

		await expect(run(rendered({ ...settings, organisationName: '' }), input)).rejects.toThrow('Parameter "Organisation Name" is required');
		// An expression that comes out empty is caught by the node itself.
		await expect(run(rendered({ ...settings, organisationName: '={{ $json.nothing }}' }), input)).rejects.toThrow('Organisation Name (organisationName) is required when Organisation Details is "From Settings"');
	});

	it('a bad layout stops the node before any Xero call, naming the setting', async () => {
		const input = await invoices(1);
		const before = sb.calls().length;
		await expect(run(rendered({ layout: { accentColor: 'blue' } }), input)).rejects.toThrow('Layout option "accentColor" must be a colour as #RRGGBB (e.g. #1F4E79), got "blue"');
		expect(sb.calls().length).toBe(before);
	});

	it("Xero's own PDF stays one call per invoice", async () => {
		const input = await invoices(3);
		const before = sb.calls().length;
		const [ok] = await run({ resource: 'invoice', operation: 'getPdf', binaryPropertyName: 'pdf', options: fast }, input);
		expect(ok).toHaveLength(3);
		expect(sb.calls().slice(before).map((c) => c.route)).toEqual(['GET /Invoices/{id}', 'GET /Invoices/{id}', 'GET /Invoices/{id}']);
	});

	it('Get Online Invoice Link returns the online invoice URL, one call each, and refuses a draft with Xero\'s message', async () => {
		const input = await invoices(2);
		const [draft] = sb.seedInvoices([{ Type: 'ACCREC', Contact: { Name: 'Client D Ltd' }, Date: '2024-01-31', DueDate: '2024-02-14', Status: 'DRAFT', LineItems: [{ Description: 'Lead D', Quantity: 1, UnitAmount: 5, AccountCode: '200' }] }]);
		const before = sb.calls().length;
		const [ok, failed] = await run({ resource: 'invoice', operation: 'getOnlineInvoice', options: fast }, [...input, { xeroInvoice: { invoiceId: draft.InvoiceID } }]);
		expect(sb.calls().slice(before).map((c) => c.route)).toEqual(Array(3).fill('GET /Invoices/{id}/OnlineInvoice'));
		expect(ok).toHaveLength(2);
		for (const item of ok) {
			const id = (item.json.xeroInvoice as IDataObject).invoiceId as string;
			expect(item.json.onlineInvoiceUrl).toBe(sb.onlineInvoiceUrl(id));
			expect(item.json.onlineInvoiceUrl).toMatch(/\/in\/[A-Za-z0-9]{40}$/);
		}
		const page = await fetch(String(ok[0].json.onlineInvoiceUrl));
		expect(page.status).toBe(200);
		expect(await page.text()).toContain('INV-0001');
		expect(failed).toHaveLength(1);
		expect(error(failed[0])).toEqual({
			message: `Xero gives no online invoice link for invoice ${String(draft.InvoiceID)}: An online invoice URL cannot be generated for a draft invoice.`,
			code: 'validation',
			retryable: false,
		});
		expect(failed[0].json.xeroErrors).toEqual(['An online invoice URL cannot be generated for a draft invoice.']);

		const [named] = await run({ resource: 'invoice', operation: 'getOnlineInvoice', outputField: 'link', options: fast }, input.slice(0, 1));
		expect(named[0].json.link).toBe(sb.onlineInvoiceUrl((input[0].xeroInvoice as IDataObject).invoiceId as string));
	});
});
