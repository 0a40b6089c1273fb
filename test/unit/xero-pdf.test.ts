import { renderInvoicePdf, type PdfInvoice } from '../../sandbox/xero/pdf';

/** Checks the file structure a PDF reader relies on: header, objects at the xref offsets, trailer. */
function checkPdfStructure(pdf: Buffer): { objects: number; text: string } {
	const s = pdf.toString('latin1');
	expect(s.startsWith('%PDF-1.4\n')).toBe(true);
	expect(s.endsWith('%%EOF\n')).toBe(true);
	const startxref = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(s)![1]);
	expect(s.slice(startxref, startxref + 5)).toBe('xref\n');
	const header = /^xref\n0 (\d+)\n/.exec(s.slice(startxref))!;
	const count = Number(header[1]);
	const entries = s.slice(startxref + header[0].length).split('\n').slice(0, count);
	expect(entries[0]).toBe('0000000000 65535 f ');
	for (let id = 1; id < count; id++) {
		const m = /^(\d{10}) 00000 n $/.exec(entries[id])!;
		expect(m).not.toBeNull();
		// Every xref entry is exactly 20 bytes and points at "<id> 0 obj".
		expect(entries[id].length + 1).toBe(20);
		expect(s.slice(Number(m[1]), Number(m[1]) + `${id} 0 obj`.length)).toBe(`${id} 0 obj`);
	}
	expect(s).toMatch(new RegExp(`trailer\\n<< /Size ${count} /Root 1 0 R`));
	// Stream lengths match their content.
	const streams = [...s.matchAll(/<< \/Length (\d+) >>\nstream\n/g)];
	expect(streams.length).toBeGreaterThan(0);
	let text = '';
	for (const m of streams) {
		const start = m.index! + m[0].length;
		const len = Number(m[1]);
		expect(s.slice(start + len, start + len + 10)).toBe('\nendstream');
		const content = s.slice(start, start + len);
		for (const t of content.matchAll(/\(((?:\\.|[^\\)])*)\) Tj/g)) text += t[1].replace(/\\([()\\])/g, '$1') + '\n';
	}
	return { objects: count, text };
}

const base: PdfInvoice = {
	organisationName: 'Sandbox Billing Ltd',
	title: 'TAX INVOICE',
	invoiceNumber: 'INV-0042',
	reference: 'bk-2024-01-C1',
	date: '31 Jan 2024',
	dueDate: '14 Feb 2024',
	status: 'AUTHORISED',
	contactName: 'Acme (UK) Ltd',
	contactEmail: 'billing@acme.test',
	currencyCode: 'GBP',
	lines: [
		{ description: 'Lead 1001 - solar panels', quantity: '2', unitAmount: '10.50', taxType: '20% (VAT on Income)', lineAmount: '21.00' },
		{ description: 'Lead 1002 - heat pump (priority)', quantity: '1', unitAmount: '4.20', taxType: '20% (VAT on Income)', lineAmount: '4.20' },
	],
	subTotal: '25.20',
	totalTax: '5.04',
	total: '30.24',
	amountPaid: '0.00',
	amountDue: '30.24',
};

describe('invoice PDF writer', () => {
	it('writes a structurally valid PDF showing number, contact, lines and totals', () => {
		const pdf = renderInvoicePdf(base);
		const { text } = checkPdfStructure(pdf);
		for (const expected of ['TAX INVOICE', 'INV-0042', 'bk-2024-01-C1', 'Acme (UK) Ltd', 'billing@acme.test', 'Lead 1001 - solar panels', 'Lead 1002 - heat pump (priority)', '21.00', '4.20', '25.20', '5.04', '30.24', 'TOTAL GBP', 'AMOUNT DUE GBP', '14 Feb 2024']) {
			expect(text).toContain(expected);
		}
	});

	it('escapes PDF delimiters and encodes non-ASCII text in WinAnsi', () => {
		const pdf = renderInvoicePdf({ ...base, contactName: 'Café (Zürich) \\ Co', currencyCode: 'EUR', lines: [{ ...base.lines[0], description: 'Price in € — ok' }] });
		const s = pdf.toString('latin1');
		expect(s).toContain('(Caf\\351 \\(Z\\374rich\\) \\\\ Co) Tj');
		expect(s).toContain('(Price in \\200 ? ok) Tj');
		checkPdfStructure(pdf);
	});

	it('continues long invoices on further pages', () => {
		const lines = Array.from({ length: 120 }, (_, i) => ({ ...base.lines[0], description: `Lead ${i} with a rather long description that needs wrapping onto a second line of the table` }));
		const pdf = renderInvoicePdf({ ...base, lines });
		const { text } = checkPdfStructure(pdf);
		const pages = /\/Type \/Pages \/Kids \[[^\]]*\] \/Count (\d+)/.exec(pdf.toString('latin1'))!;
		expect(Number(pages[1])).toBeGreaterThan(2);
		expect(text).toContain('Lead 119 with a rather long description');
		expect(text).toContain('continued on next page');
	});
});
