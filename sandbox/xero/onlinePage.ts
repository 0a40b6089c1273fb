// The online invoice page (the sandbox's in.xero.com): a small HTML page showing the invoice as it
// is now, so a link emailed before a payment or a void shows the new state. Every value is escaped:
// contact names and references come from the CRM.
import { amountDueCents, type InvoiceRec } from './model/invoices';
import type { Organisation } from './model/organisation';
import { centsText } from './model/values';
import { logoUrl } from './wire/branding';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]);

type Row = [id: string, label: string, value: string];

const day = (ms?: number) => (ms === undefined ? '' : new Date(ms).toUTCString().slice(5, 16));

function page(title: string, body: string): string {
	return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n<body>\n${body}\n</body></html>\n`;
}

/** The page for an invoice; each value sits in an element with its own id (status, amount-due, ...). */
export function onlineInvoiceHtml(org: Organisation, inv: InvoiceRec, publicUrl: string): string {
	const theme = org.brandingTheme(inv.BrandingThemeID) ?? org.brandingThemes[0];
	const logo = theme && logoUrl(publicUrl, theme);
	const money = (cents: number) => `${inv.CurrencyCode} ${centsText(cents)}`;
	const rows: Row[] = [
		['invoice-number', 'Invoice number', inv.InvoiceNumber],
		['contact', 'To', org.contacts.get(inv.ContactID)?.Name ?? ''],
		['reference', 'Reference', inv.Reference],
		['date', 'Issue date', day(inv.Date)],
		['due-date', 'Due date', day(inv.DueDate)],
		['total', 'Total', money(inv.TotalCents)],
		['amount-paid', 'Amount paid', money(inv.AmountPaidCents)],
		...(inv.AmountCreditedCents ? [['amount-credited', 'Credited', money(inv.AmountCreditedCents)] satisfies Row] : []),
		['amount-due', 'Amount due', money(amountDueCents(inv))],
		['status', 'Status', inv.Status],
	];
	const list = rows.map(([id, label, value]) => `<dt>${label}</dt><dd id="${id}">${escapeHtml(value)}</dd>`).join('\n');
	return page(
		`Invoice ${inv.InvoiceNumber} from ${org.name}`,
		[
			...(logo ? [`<img id="logo" src="${escapeHtml(logo)}" alt="${escapeHtml(org.name)}" width="240" height="80">`] : []),
			`<h1 id="organisation">${escapeHtml(org.name)}</h1>`,
			`<h2>${inv.Type === 'ACCREC' ? 'Tax invoice' : 'Bill'}</h2>`,
			`<dl>\n${list}\n</dl>`,
		].join('\n'),
	);
}

export const onlineInvoiceMissingHtml = (): string =>
	page('Invoice not found', '<h1>This invoice could not be found</h1>\n<p>The link may be wrong, or the invoice is no longer available.</p>');
