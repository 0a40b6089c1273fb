// The invoice PDF rendered by the package from the invoice Xero returned (pdfkit), so emailing an
// invoice costs no Xero PDF call. It shows Xero's own values: amounts exactly as Xero holds them in
// the invoice currency (an amount that is not exact is refused, never rounded), Xero's line
// descriptions, quantities, unit prices and tax types. The same input gives the same bytes: the
// document dates are the invoice date and pdfkit's file id is a hash of the document info.
import { pdfDocumentClass } from './pdfkit';
import { formatMinorUnits } from '../../shared/currency';
import type { XeroInvoice, XeroLineItem } from '../transport';
import { exactMinor, minor } from '../helpers/invoice';
import { DEFAULT_LAYOUT, fontData, type InvoiceLayout } from './layout';
import { unicodeText, winAnsiText } from './text';

/** Who issues the invoice, as printed at the top. */
export interface InvoiceOrganisation {
	name: string;
	legalName?: string;
	addressLines: string[];
	phone?: string;
	taxNumber?: string;
	/** PNG or JPEG bytes; printed when the layout shows logos. */
	logo?: Buffer;
}

const MARGIN_X = 50;
const MARGIN_TOP = 45;
const GREY = '#555555';
const RULE = '#D0D0D0';
const INK = '#111111';
/** Quantity, unit price, tax and amount columns; the description takes the rest. */
const NUMBER_COLUMNS = [52, 76, 70, 84];
const CELL_PAD = 4;

/** Digits grouped by thousands, the decimals as they are: "1234567.50" → "1,234,567.50". */
function grouped(plain: string): string {
	const [whole, fraction] = plain.split('.');
	const withCommas = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
	return fraction === undefined ? withCommas : `${withCommas}.${fraction}`;
}

/** "2024-01-31" → "31 Jan 2024"; '' when Xero gave no date. */
function printedDay(day: string | undefined): string {
	if (!day) return '';
	const t = Date.parse(`${day}T00:00:00Z`);
	return Number.isNaN(t) ? day : new Date(t).toUTCString().slice(5, 16);
}

/** Xero keeps unit prices to 4 decimals (unitdp=4): shown as Xero holds them, never rounded to the currency. */
function unitPrice(line: XeroLineItem, inv: XeroInvoice): string {
	const m = minor(line.unitAmount, inv.currency);
	if (m !== null) return grouped(formatMinorUnits(m, inv.currency));
	return grouped(line.unitAmount.toFixed(4).replace(/0+$/, '').replace(/\.$/, ''));
}

function quantity(q: number): string {
	return String(Number(q.toFixed(4)));
}

/** The invoice as a PDF: organisation, title, bill-to, lines (paged, header repeated), totals, footer. */
export async function renderInvoicePdf(invoice: XeroInvoice, organisation: InvoiceOrganisation, layout: InvoiceLayout = DEFAULT_LAYOUT): Promise<Buffer> {
	const cur = invoice.currency;
	const money = (amount: number, what: string) => grouped(formatMinorUnits(exactMinor(amount, invoice, what), cur));
	// Every amount is formatted before drawing starts: one Xero cannot state exactly fails the invoice.
	const lines = (invoice.lineItems ?? []).map((l, n) => ({
		description: l.description,
		quantity: quantity(l.quantity),
		unitPrice: unitPrice(l, invoice),
		tax: l.taxType ?? '',
		amount: money(l.lineAmount ?? 0, `LineAmount of line ${n + 1}`),
	}));
	const totals = {
		subTotal: money(invoice.subTotal, 'SubTotal'),
		totalTax: money(invoice.totalTax, 'TotalTax'),
		total: money(invoice.total, 'Total'),
		amountPaid: money(invoice.amountPaid, 'AmountPaid'),
		amountCredited: invoice.amountCredited ? money(invoice.amountCredited, 'AmountCredited') : '',
		amountDue: money(invoice.amountDue, 'AmountDue'),
	};

	const created = invoice.date && !Number.isNaN(Date.parse(`${invoice.date}T00:00:00Z`)) ? new Date(`${invoice.date}T00:00:00Z`) : new Date(0);
	const orgName = layout.organisationName ?? organisation.name;
	const doc = new (pdfDocumentClass())({
		size: layout.paperSize,
		margins: { top: MARGIN_TOP, bottom: MARGIN_TOP, left: MARGIN_X, right: MARGIN_X },
		bufferPages: true,
		info: {
			Title: `Invoice ${invoice.invoiceNumber}`,
			Author: orgName,
			Producer: 'n8n-nodes-billing-pipeline',
			Creator: 'n8n-nodes-billing-pipeline',
			CreationDate: created,
			ModDate: created,
		},
	});
	const chunks: Buffer[] = [];
	const done = new Promise<Buffer>((resolve, reject) => {
		doc.on('data', (chunk: Buffer) => chunks.push(chunk));
		doc.on('end', () => resolve(Buffer.concat(chunks)));
		doc.on('error', reject);
	});

	// Fonts by their own names: pdfkit 0.20 does not keep an alias (registerFont) for a font it has
	// loaded already (Helvetica is loaded by default), so every use of it parsed the font again:
	// measured 22 ms instead of 4 for a 5-line invoice.
	const fonts = { body: 'Helvetica', bold: 'Helvetica-Bold' };
	if (layout.fontFile) {
		doc.registerFont('Custom', await fontData(layout.fontFile));
		fonts.body = fonts.bold = 'Custom';
	}
	// Line breaks are kept (Xero descriptions may have several lines); each line is made printable.
	const cleanLine = layout.fontFile ? unicodeText : winAnsiText;
	const clean = (value: string) => value.split(/\r\n|\r|\n/).map(cleanLine).join('\n');
	const pageWidth = doc.page.width;
	const pageHeight = doc.page.height;
	const left = MARGIN_X;
	const right = pageWidth - MARGIN_X;
	const width = right - left;

	type Style = { font?: 'body' | 'bold'; size?: number; color?: string; align?: 'left' | 'right' | 'center' };
	/** Text in a box `w` wide and at most `maxLines` lines tall (cut with an ellipsis): never runs onto a new page. */
	const put = (value: string, x: number, y: number, w: number, style: Style = {}, maxLines = 1): number => {
		doc.font(fonts[style.font ?? 'body']).fontSize(style.size ?? 9).fillColor(style.color ?? INK);
		const str = clean(value);
		const lineHeight = doc.currentLineHeight(true);
		const height = Math.min(doc.heightOfString(str, { width: w }), lineHeight * maxLines);
		doc.text(str, x, y, { width: w, height: height + 0.5, ellipsis: true, align: style.align ?? 'left', lineGap: 0 });
		return Math.max(height, lineHeight);
	};

	// Footer: its own lines and the page line below them, on every page (drawn at the end).
	doc.font(fonts.body).fontSize(8);
	const footerHeight = layout.footer ? doc.heightOfString(clean(layout.footer), { width }) + 6 : 0;
	const pageLineY = pageHeight - 32;
	const contentBottom = pageLineY - footerHeight - 14;

	// ---------------------------------------------------------------- header: logo and organisation
	let y = MARGIN_TOP;
	let logoBottom = y;
	if (layout.showLogo && organisation.logo) {
		doc.image(organisation.logo, left, y, { fit: [180, 64] });
		logoBottom = y + 64;
	}
	const orgWidth = width - 200;
	let oy = y;
	oy += put(orgName, right - orgWidth, oy, orgWidth, { font: 'bold', size: 13, align: 'right' }, 2) + 2;
	if (organisation.legalName && organisation.legalName !== orgName && !layout.organisationName) {
		oy += put(organisation.legalName, right - orgWidth, oy, orgWidth, { size: 8.5, color: GREY, align: 'right' });
	}
	for (const line of layout.organisationAddress ?? organisation.addressLines) oy += put(line, right - orgWidth, oy, orgWidth, { size: 9, color: GREY, align: 'right' });
	if (organisation.phone) oy += put(organisation.phone, right - orgWidth, oy, orgWidth, { size: 9, color: GREY, align: 'right' });
	if (organisation.taxNumber) oy += put(`Tax number: ${organisation.taxNumber}`, right - orgWidth, oy, orgWidth, { size: 9, color: GREY, align: 'right' });
	y = Math.max(logoBottom, oy) + 22;

	// ---------------------------------------------------------------- title, bill to, invoice details
	y += put(layout.title, left, y, width, { font: 'bold', size: 20, color: layout.accentColor }) + 14;
	const detailsWidth = 210;
	const billWidth = width - detailsWidth - 20;
	let by = y;
	by += put('BILL TO', left, by, billWidth, { font: 'bold', size: 8, color: layout.accentColor }) + 3;
	by += put(invoice.contactName ?? '', left, by, billWidth, { font: 'bold', size: 10.5 }, 2) + 1;
	if (invoice.contactEmail) by += put(invoice.contactEmail, left, by, billWidth, { size: 9, color: GREY });
	for (const line of invoice.contactAddress ?? []) by += put(line, left, by, billWidth, { size: 9, color: GREY });
	let dy = y;
	const details: Array<[string, string]> = [
		['Invoice number', invoice.invoiceNumber],
		['Reference', invoice.reference],
		['Issue date', printedDay(invoice.date)],
		['Due date', printedDay(invoice.dueDate)],
		['Currency', cur],
	];
	for (const [label, value] of details) {
		if (!value) continue;
		put(label, right - detailsWidth, dy, 90, { font: 'bold', size: 8.5, color: GREY });
		dy += put(value, right - detailsWidth + 90, dy, detailsWidth - 90, { size: 9, align: 'right' }, 2) + 3;
	}
	y = Math.max(by, dy) + 22;

	// ---------------------------------------------------------------- lines, paged
	const descWidth = width - NUMBER_COLUMNS.reduce((a, b) => a + b, 0);
	const columnX = [left, left + descWidth];
	for (const w of NUMBER_COLUMNS.slice(0, -1)) columnX.push(columnX[columnX.length - 1] + w);
	const widths = [descWidth, ...NUMBER_COLUMNS];
	const tableHeader = () => {
		doc.rect(left, y, width, 18).fill(layout.accentColor);
		const heads = ['Description', 'Quantity', 'Unit price', 'Tax', `Amount ${cur}`];
		heads.forEach((h, c) => put(h, columnX[c] + CELL_PAD, y + 5, widths[c] - 2 * CELL_PAD, { font: 'bold', size: 8.5, color: '#FFFFFF', align: c === 0 ? 'left' : 'right' }));
		y += 18;
	};
	const continued = () => {
		doc.addPage();
		y = MARGIN_TOP;
		y += put(`${layout.title} ${invoice.invoiceNumber} (continued)`, left, y, width, { size: 9, color: GREY }) + 10;
	};
	// A description longer than a whole page is cut with an ellipsis (Xero allows 4000 characters).
	const maxRowHeight = contentBottom - MARGIN_TOP - 60;
	tableHeader();
	doc.font(fonts.body).fontSize(9);
	const lineHeight = doc.currentLineHeight(true);
	for (const line of lines) {
		doc.font(fonts.body).fontSize(9);
		const description = clean(line.description);
		const textHeight = Math.min(doc.heightOfString(description, { width: descWidth - 2 * CELL_PAD }), maxRowHeight);
		const rowHeight = Math.max(textHeight, lineHeight) + 2 * CELL_PAD;
		if (y + rowHeight > contentBottom) {
			continued();
			tableHeader();
			doc.font(fonts.body).fontSize(9);
		}
		doc.fillColor(INK).text(description, left + CELL_PAD, y + CELL_PAD, { width: descWidth - 2 * CELL_PAD, height: textHeight + 0.5, ellipsis: true, lineGap: 0 });
		const cells = [line.quantity, line.unitPrice, line.tax, line.amount];
		cells.forEach((value, c) => put(value, columnX[c + 1] + CELL_PAD, y + CELL_PAD, widths[c + 1] - 2 * CELL_PAD, { align: 'right' }));
		y += rowHeight;
		doc.moveTo(left, y).lineTo(right, y).lineWidth(0.5).strokeColor(RULE).stroke();
	}

	// ---------------------------------------------------------------- totals
	const rows: Array<{ label: string; value: string; strong?: boolean; rule?: boolean; accent?: boolean }> = [
		{ label: 'Subtotal', value: totals.subTotal },
		{ label: invoice.lineAmountTypes === 'Inclusive' ? 'Includes tax' : 'Total tax', value: totals.totalTax },
		{ label: `TOTAL ${cur}`, value: totals.total, strong: true, rule: true },
		{ label: 'Less amount paid', value: totals.amountPaid },
		...(totals.amountCredited ? [{ label: 'Less amount credited', value: totals.amountCredited }] : []),
		{ label: `AMOUNT DUE ${cur}`, value: totals.amountDue, strong: true, rule: true, accent: true },
	];
	const totalsHeight = rows.length * 18 + 30;
	y += 12;
	if (y + totalsHeight > contentBottom) continued();
	const labelX = right - 260;
	for (const row of rows) {
		if (row.rule) {
			doc.moveTo(labelX, y).lineTo(right, y).lineWidth(0.75).strokeColor(INK).stroke();
			y += 5;
		}
		const style: Style = row.strong ? { font: 'bold', size: 10.5 } : { size: 9.5 };
		put(row.label, labelX, y, 150, style);
		put(row.value, right - 110, y, 110, { ...style, align: 'right', color: row.accent ? layout.accentColor : INK });
		y += 18;
	}

	// ---------------------------------------------------------------- footer on every page
	const range = doc.bufferedPageRange();
	for (let p = range.start; p < range.start + range.count; p++) {
		doc.switchToPage(p);
		if (layout.footer) put(layout.footer, left, pageLineY - footerHeight, width, { size: 8, color: GREY, align: 'center' }, 4);
		put(`${layout.title} ${invoice.invoiceNumber}`, left, pageLineY, width / 2, { size: 8, color: GREY });
		put(`Page ${p + 1} of ${range.count}`, left + width / 2, pageLineY, width / 2, { size: 8, color: GREY, align: 'right' });
	}
	doc.end();
	return await done;
}
