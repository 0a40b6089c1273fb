// /Invoices: list (filters, paging; line items only when paging), get one as JSON or as a PDF
// (Accept: application/pdf), create/update in batches, update one by id, email one, and give its
// online invoice link.
import { amountDueCents, emailInvoice, findInvoice, listInvoices, saveInvoices, type InvoiceRec } from '../model/invoices';
import { onlineInvoice as onlineInvoiceOf } from '../model/onlineInvoices';
import type { Organisation } from '../model/organisation';
import type { InvoiceListQuery } from '../model/query';
import { renderInvoicePdf } from '../pdf';
import { empty, json, notFound, type Reply } from '../reply';
import { onlineInvoiceUrl } from '../wire/branding';
import { batchReply, itemsOf } from '../wire/envelope';
import { invoiceInput, invoiceJson } from '../wire/invoices';
import { centsText as money, toScaled } from '../model/values';
import { listReply, saveReply, type ApiContext } from './context';
import { listQuery, paginate, qpList } from './query';

/**
 * Without unitdp=4 Xero shows UnitAmount at 2 decimals, on reads too; LineAmount and totals are
 * 2-decimal anyway (https://developer.xero.com/documentation/guides/how-to-guides/rounding-in-xero).
 */
function shownUnits(ctx: ApiContext, inv: Record<string, unknown>): Record<string, unknown> {
	if (ctx.unitdp === 4 || !Array.isArray(inv.LineItems)) return inv;
	const lines = inv.LineItems as Array<Record<string, unknown>>;
	return { ...inv, LineItems: lines.map((l) => (typeof l.UnitAmount === 'number' ? { ...l, UnitAmount: Number(toScaled(l.UnitAmount, 2)) / 100 } : l)) };
}

const wire = (ctx: ApiContext) =>
	({ kind: 'invoice', errorFlag: 'HasErrors', toJson: (inv: InvoiceRec) => invoiceJson(ctx.org, inv) }) as const;

export function list(ctx: ApiContext): Reply {
	const lq: InvoiceListQuery = {
		...listQuery(ctx.query, ctx.ifModifiedSince),
		invoiceNumbers: qpList(ctx.query, 'InvoiceNumbers'),
		contactIds: qpList(ctx.query, 'ContactIDs'),
		statuses: qpList(ctx.query, 'Statuses'),
	};
	const { rows, extra } = paginate(listInvoices(ctx.org, lq), lq);
	// Xero only includes line items when paging (or fetching one invoice).
	const lineItems = lq.page !== undefined && !lq.summaryOnly;
	return listReply(ctx, 'Invoices', rows.map((i) => shownUnits(ctx, invoiceJson(ctx.org, i, { lineItems }))), extra);
}

export function get(ctx: ApiContext, params: Record<string, string>): Reply {
	const inv = findInvoice(ctx.org, params.id);
	if (!inv) return notFound();
	if (String(ctx.headers.accept ?? '').includes('application/pdf')) return pdfReply(ctx.org, inv);
	return listReply(ctx, 'Invoices', [shownUnits(ctx, invoiceJson(ctx.org, inv))]);
}

/** Day as printed on the PDF, e.g. "11 Mar 2019". */
const pdfDay = (ms?: number) => (ms === undefined ? '' : new Date(ms).toUTCString().slice(5, 16));

function pdfReply(org: Organisation, inv: InvoiceRec): Reply {
	const contact = org.contacts.get(inv.ContactID);
	const pdf = renderInvoicePdf({
		organisationName: org.name,
		title: inv.Type === 'ACCREC' ? 'TAX INVOICE' : 'BILL',
		invoiceNumber: inv.InvoiceNumber,
		reference: inv.Reference,
		date: pdfDay(inv.Date),
		dueDate: pdfDay(inv.DueDate),
		status: inv.Status,
		contactName: contact?.Name ?? '',
		contactEmail: contact?.EmailAddress,
		currencyCode: inv.CurrencyCode,
		lines: inv.LineItems.map((l) => ({
			description: l.Description,
			quantity: String(l.Quantity),
			unitAmount: l.UnitAmount.toFixed(2),
			taxType: org.taxRate(l.TaxType)?.Name ?? l.TaxType,
			lineAmount: money(l.LineAmountCents),
		})),
		subTotal: money(inv.SubTotalCents),
		totalTax: money(inv.TotalTaxCents),
		total: money(inv.TotalCents),
		amountPaid: money(inv.AmountPaidCents),
		amountDue: money(amountDueCents(inv)),
	});
	return {
		status: 200,
		headers: { 'Content-Type': 'application/pdf', 'Content-Disposition': `inline; filename="Invoice ${inv.InvoiceNumber}.pdf"` },
		body: pdf,
	};
}

export function save(ctx: ApiContext): Reply {
	const items = itemsOf(ctx.body, 'Invoices');
	return saveReply(ctx, 'Invoices', items, saveInvoices(ctx.org, items.map(invoiceInput), { unitdp: ctx.unitdp }), wire(ctx));
}

export function update(ctx: ApiContext, params: Record<string, string>): Reply {
	if (!findInvoice(ctx.org, params.id)) return notFound();
	const items = itemsOf(ctx.body, 'Invoices').slice(0, 1);
	return saveReply(ctx, 'Invoices', items, saveInvoices(ctx.org, items.map(invoiceInput), { unitdp: ctx.unitdp, pathId: params.id }), wire(ctx));
}

export function email(ctx: ApiContext, params: Record<string, string>): Reply {
	const r = emailInvoice(ctx.org, params.id);
	if ('error' in r) return json(400, { ErrorNumber: 10, Type: 'ValidationException', Message: r.error, Elements: [] });
	return r.status === 404 ? notFound() : empty(204);
}

/** GET /Invoices/{id}/OnlineInvoice: the link, or a refusal in the 400 form Xero gives invoices. */
export function onlineInvoice(ctx: ApiContext, params: Record<string, string>): Reply {
	const r = onlineInvoiceOf(ctx.org, params.id);
	if (r.status === 404) return notFound();
	if (r.status === 400) {
		return batchReply(ctx.providerName, 'Invoices', [{ ok: false, element: invoiceJson(ctx.org, r.inv), errors: [r.error] }], true, 'HasErrors');
	}
	return listReply(ctx, 'OnlineInvoices', [{ OnlineInvoiceUrl: onlineInvoiceUrl(ctx.publicUrl, r.token) }]);
}
