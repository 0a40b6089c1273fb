// `npx tsx scripts/render-sample-invoice.ts`: renders a sample invoice as the Xero Billing node's
// Get PDF "Rendered Here" does, for the README: docs/images/rendered-invoice.pdf, and the first
// page as docs/images/rendered-invoice.png (poppler's pdftoppm, which Debian's poppler-utils
// installs at /usr/bin). The organisation is the sandbox's (Sandbox Billing Ltd, its addresses,
// phone, VAT number and its default branding theme's logo), read through the transport's own
// mapping of Xero's organisation, so no network is needed. The bytes are the same on every run.
// It then times the renderer on a 5-line invoice (after warm-up) and prints the figures.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { Organisation } from 'xero-node';
import { DEFAULT_ADDRESSES, DEFAULT_PHONES, DEFAULT_UK_VAT_NUMBER } from '../sandbox/xero/model/organisation';
import { brandingLogoPng } from '../sandbox/xero/png';
import { organisationAddress, type XeroInvoice } from '../nodes/XeroBilling/transport';
import { toOrganisation } from '../nodes/XeroBilling/transport/model';
import { DEFAULT_LAYOUT, renderInvoicePdf, type InvoiceOrganisation } from '../nodes/XeroBilling/pdf';

const OUT = path.join(__dirname, '..', 'docs', 'images');
const PDFTOPPM = '/usr/bin/pdftoppm';

/** The sandbox organisation as GET /Organisation returns it, through the transport's mapping. */
function sandboxOrganisation(): InvoiceOrganisation {
	const lower = (o: object) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k[0].toLowerCase() + k.slice(1), v]));
	const org = toOrganisation({
		name: 'Sandbox Billing Ltd',
		legalName: 'Sandbox Billing Ltd',
		taxNumber: DEFAULT_UK_VAT_NUMBER,
		addresses: DEFAULT_ADDRESSES.map(lower),
		phones: DEFAULT_PHONES.map(lower),
	} as Organisation);
	return { name: org.name, legalName: org.legalName, addressLines: organisationAddress(org), phone: org.phones[0]?.number, taxNumber: org.taxNumber, logo: brandingLogoPng(0) };
}

/** A client's invoice for a billing period: one line per lead, VAT at 20%. */
function sampleInvoice(leads: number): XeroInvoice {
	const lines = Array.from({ length: leads }, (_, n) => {
		const units = 1 + (n % 3);
		const unitAmount = [42.5, 18, 64.25][n % 3];
		const lineAmount = Math.round(units * unitAmount * 100) / 100;
		return {
			description: `${['Solar panel survey', 'Heat pump enquiry', 'Battery storage quote'][n % 3]}, ${['Salford', 'Stockport', 'Bolton', 'Wigan'][n % 4]} [lead L-2611-${String(101 + n)}]`,
			quantity: units,
			unitAmount,
			lineAmount,
			taxType: 'OUTPUT2',
			taxAmount: Math.round(lineAmount * 20) / 100,
		};
	});
	const subTotal = lines.reduce((sum, l) => sum + Math.round(l.lineAmount * 100), 0) / 100;
	const totalTax = lines.reduce((sum, l) => sum + Math.round(l.taxAmount * 100), 0) / 100;
	const total = Math.round((subTotal + totalTax) * 100) / 100;
	return {
		invoiceId: '5b0d2f6e-8c1a-4e9b-a2d7-3f6c9e1b4a70',
		invoiceNumber: 'INV-0418',
		reference: 'bk-2026-11-C1042',
		type: 'ACCREC',
		status: 'AUTHORISED',
		contactId: 'c3f1a2b4-5d6e-4f70-8a9b-0c1d2e3f4a5b',
		contactName: 'Northern Renewables Ltd',
		contactEmail: 'accounts@northern-renewables.test',
		contactAddress: ['Attn: Accounts Payable', '88 Deansgate', 'Manchester M3 2BW', 'United Kingdom'],
		currency: 'GBP',
		subTotal,
		totalTax,
		total,
		amountDue: total,
		amountPaid: 0,
		amountCredited: 0,
		sentToContact: false,
		date: '2026-11-30',
		dueDate: '2026-12-14',
		lineItems: lines,
		payments: [],
	};
}

async function main(): Promise<void> {
	const organisation = sandboxOrganisation();
	const layout = { ...DEFAULT_LAYOUT, footer: 'Pay by bank transfer to Sandbox Billing Ltd, sort code 12-34-56, account 12345678, quoting INV-0418.\nThank you for your business.' };
	const pdf = await renderInvoicePdf(sampleInvoice(9), organisation, layout);
	fs.mkdirSync(OUT, { recursive: true });
	const pdfFile = path.join(OUT, 'rendered-invoice.pdf');
	fs.writeFileSync(pdfFile, pdf);
	if (!fs.existsSync(PDFTOPPM)) throw new Error(`${PDFTOPPM} is missing: install Debian's poppler-utils to write the PNG`);
	execFileSync(PDFTOPPM, ['-png', '-r', '90', '-f', '1', '-l', '1', '-singlefile', pdfFile, path.join(OUT, 'rendered-invoice')]);
	console.log(`Wrote ${path.relative(process.cwd(), pdfFile)} (${pdf.length} bytes) and rendered-invoice.png`);

	// Speed: a 5-line invoice, after warm-up (the JIT and pdfkit's font data).
	const five = sampleInvoice(5);
	for (let k = 0; k < 50; k++) await renderInvoicePdf(five, organisation, layout);
	const times: number[] = [];
	for (let k = 0; k < 200; k++) {
		const start = process.hrtime.bigint();
		await renderInvoicePdf(five, organisation, layout);
		times.push(Number(process.hrtime.bigint() - start) / 1e6);
	}
	times.sort((a, b) => a - b);
	const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(2);
	console.log(`5-line invoice with logo, 200 renders after warm-up: median ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${at(1)} ms`);
	const noLogo = { ...organisation, logo: undefined };
	const plain: number[] = [];
	for (let k = 0; k < 200; k++) {
		const start = process.hrtime.bigint();
		await renderInvoicePdf(five, noLogo, layout);
		plain.push(Number(process.hrtime.bigint() - start) / 1e6);
	}
	plain.sort((a, b) => a - b);
	console.log(`5-line invoice without logo: median ${plain[100].toFixed(2)} ms`);
}

main().catch((error: Error) => {
	console.error(error.message);
	process.exit(1);
});
