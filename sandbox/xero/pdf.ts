// A hand-built PDF 1.4 writer for invoice documents: standard Helvetica (no embedded fonts),
// WinAnsi text, uncompressed content streams and an exact xref table, so any PDF reader opens it
// and tests can find the text in the bytes. Deliberately dependency-free.

export interface PdfInvoiceLine {
	description: string;
	quantity: string;
	unitAmount: string;
	taxType: string;
	lineAmount: string;
}

export interface PdfInvoice {
	organisationName: string;
	title: string; // "TAX INVOICE"
	invoiceNumber: string;
	reference: string;
	date: string;
	dueDate: string;
	status: string;
	contactName: string;
	contactEmail?: string;
	currencyCode: string;
	lines: PdfInvoiceLine[];
	subTotal: string;
	totalTax: string;
	total: string;
	amountPaid: string;
	amountDue: string;
}

const PAGE_W = 595; // A4 in points
const PAGE_H = 842;
const MARGIN = 50;

// Helvetica advance widths (per 1000 em) for the characters amounts are made of; other
// characters use an average, which is only used to right-align short strings.
const WIDTHS: Record<string, number> = {
	'0': 556, '1': 556, '2': 556, '3': 556, '4': 556, '5': 556, '6': 556, '7': 556, '8': 556, '9': 556,
	'.': 278, ',': 278, '-': 333, ' ': 278, '%': 889,
};

function textWidth(s: string, size: number): number {
	let w = 0;
	for (const ch of s) w += WIDTHS[ch] ?? (ch === ch.toUpperCase() ? 667 : 556);
	return (w * size) / 1000;
}

/** Encodes a string as a PDF literal in WinAnsiEncoding, escaping what PDF requires. */
function pdfString(s: string): string {
	let out = '(';
	for (const ch of s) {
		const code = ch.codePointAt(0)!;
		let byte: number;
		if (ch === '€') byte = 0x80;
		else if (code >= 0x20 && code < 0x7f) byte = code;
		else if (code >= 0xa0 && code <= 0xff) byte = code;
		else byte = 0x3f; // '?': not representable in WinAnsi
		if (byte === 0x28 || byte === 0x29 || byte === 0x5c) out += '\\' + String.fromCharCode(byte);
		else if (byte < 0x20 || byte > 0x7e) out += '\\' + byte.toString(8).padStart(3, '0');
		else out += String.fromCharCode(byte);
	}
	return out + ')';
}

/** Splits text into lines of at most `max` characters, on spaces where possible. */
function wrap(text: string, max: number): string[] {
	const words = text.replace(/\s+/g, ' ').trim().split(' ');
	const lines: string[] = [];
	let cur = '';
	for (let word of words) {
		while (word.length > max) {
			if (cur) {
				lines.push(cur);
				cur = '';
			}
			lines.push(word.slice(0, max));
			word = word.slice(max);
		}
		if (!cur) cur = word;
		else if (cur.length + 1 + word.length <= max) cur += ' ' + word;
		else {
			lines.push(cur);
			cur = word;
		}
	}
	if (cur) lines.push(cur);
	return lines.length ? lines : [''];
}

class PageWriter {
	readonly pages: string[] = [];
	private ops: string[] = [];
	y = PAGE_H - MARGIN;

	text(x: number, y: number, s: string, size = 10, bold = false): void {
		this.ops.push(`BT /${bold ? 'F2' : 'F1'} ${size} Tf 1 0 0 1 ${x.toFixed(2)} ${y.toFixed(2)} Tm ${pdfString(s)} Tj ET`);
	}
	right(xRight: number, y: number, s: string, size = 10, bold = false): void {
		this.text(xRight - textWidth(s, size), y, s, size, bold);
	}
	rule(y: number): void {
		this.ops.push(`0.6 w ${MARGIN} ${y.toFixed(2)} m ${PAGE_W - MARGIN} ${y.toFixed(2)} l S`);
	}
	newPage(): void {
		this.pages.push(this.ops.join('\n'));
		this.ops = [];
		this.y = PAGE_H - MARGIN;
	}
	finish(): string[] {
		this.pages.push(this.ops.join('\n'));
		return this.pages;
	}
}

function layout(inv: PdfInvoice): string[] {
	const w = new PageWriter();
	const colQty = 340;
	const colUnit = 410;
	const colTax = 460;
	const colAmount = PAGE_W - MARGIN;

	w.text(MARGIN, w.y - 10, inv.title, 20, true);
	w.right(colAmount, w.y - 10, inv.organisationName, 11, true);
	w.y -= 50;
	w.text(MARGIN, w.y, inv.contactName, 11, true);
	if (inv.contactEmail) w.text(MARGIN, w.y - 14, inv.contactEmail, 10);
	const meta: Array<[string, string]> = [
		['Invoice Number', inv.invoiceNumber],
		['Reference', inv.reference],
		['Invoice Date', inv.date],
		['Due Date', inv.dueDate],
		['Status', inv.status],
	];
	meta.forEach(([label, value], i) => {
		w.text(330, w.y - i * 14, label, 9, true);
		w.text(420, w.y - i * 14, value, 9);
	});
	w.y -= meta.length * 14 + 20;

	const header = (): void => {
		w.text(MARGIN, w.y, 'Description', 9, true);
		w.right(colQty + 40, w.y, 'Quantity', 9, true);
		w.right(colUnit + 40, w.y, 'Unit Price', 9, true);
		w.text(colTax, w.y, 'Tax', 9, true);
		w.right(colAmount, w.y, `Amount ${inv.currencyCode}`, 9, true);
		w.rule(w.y - 5);
		w.y -= 20;
	};
	header();

	for (const line of inv.lines) {
		const descLines = wrap(line.description, 55);
		if (w.y - descLines.length * 12 < MARGIN + 90) {
			w.text(MARGIN, MARGIN, `${inv.invoiceNumber} - continued on next page`, 8);
			w.newPage();
			header();
		}
		w.right(colQty + 40, w.y, line.quantity, 9);
		w.right(colUnit + 40, w.y, line.unitAmount, 9);
		w.text(colTax, w.y, line.taxType, 9);
		w.right(colAmount, w.y, line.lineAmount, 9);
		for (const d of descLines) {
			w.text(MARGIN, w.y, d, 9);
			w.y -= 12;
		}
		w.y -= 4;
	}

	if (w.y < MARGIN + 90) w.newPage();
	w.rule(w.y + 6);
	w.y -= 10;
	const totals: Array<[string, string, boolean]> = [
		['Subtotal', inv.subTotal, false],
		['Total Tax', inv.totalTax, false],
		[`TOTAL ${inv.currencyCode}`, inv.total, true],
	];
	if (inv.amountPaid !== '0.00') totals.push(['Less Amount Paid', inv.amountPaid, false]);
	totals.push([`AMOUNT DUE ${inv.currencyCode}`, inv.amountDue, true]);
	for (const [label, value, bold] of totals) {
		w.right(colUnit + 40 + 60, w.y, label, 10, bold);
		w.right(colAmount, w.y, value, 10, bold);
		w.y -= 16;
	}
	return w.finish();
}

/** Renders the invoice as a complete PDF file. */
export function renderInvoicePdf(inv: PdfInvoice, createdAt = new Date()): Buffer {
	const pageContents = layout(inv);
	// Object numbers: 1 catalog, 2 pages, 3 font, 4 bold font, 5 info, then page+content pairs.
	const objects: string[] = [];
	const pageIds = pageContents.map((_, i) => 6 + i * 2);
	objects[1] = '<< /Type /Catalog /Pages 2 0 R >>';
	objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pageIds.length} >>`;
	objects[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>';
	objects[4] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>';
	const d = createdAt.toISOString().replace(/[-:T]/g, '').slice(0, 14);
	objects[5] = `<< /Title ${pdfString(`Invoice ${inv.invoiceNumber}`)} /Producer (Xero sandbox) /CreationDate (D:${d}Z) >>`;
	pageContents.forEach((content, i) => {
		const pageId = pageIds[i];
		const bytes = Buffer.byteLength(content, 'latin1');
		objects[pageId] =
			`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${PAGE_W} ${PAGE_H}] ` +
			`/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents ${pageId + 1} 0 R >>`;
		objects[pageId + 1] = `<< /Length ${bytes} >>\nstream\n${content}\nendstream`;
	});

	// Offsets are byte positions, so build in latin1 (every char is one byte).
	let out = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
	const offsets: number[] = [];
	for (let id = 1; id < objects.length; id++) {
		offsets[id] = Buffer.byteLength(out, 'latin1');
		out += `${id} 0 obj\n${objects[id]}\nendobj\n`;
	}
	const xrefAt = Buffer.byteLength(out, 'latin1');
	out += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
	for (let id = 1; id < objects.length; id++) out += `${String(offsets[id]).padStart(10, '0')} 00000 n \n`;
	out += `trailer\n<< /Size ${objects.length} /Root 1 0 R /Info 5 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`;
	return Buffer.from(out, 'latin1');
}
