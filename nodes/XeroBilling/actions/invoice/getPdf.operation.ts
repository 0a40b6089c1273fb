// Get invoice PDF: one GET /Invoices/{id} (Accept: application/pdf) per item, run side by side;
// the organisation's limiter keeps it within Xero's 5 concurrent calls.
import type { INodeProperties } from 'n8n-workflow';
import { forOperation } from '../../../shared/descriptions';
import { readPath } from '../../../shared/itemFields';
import { requiredTextParameter, textParameter } from '../../../shared/parameters';
import { XeroApiError } from '../../transport';
import type { XeroContext } from '../../helpers/client';
import { refusal } from '../../helpers/errors';
import { xeroIdField } from '../../helpers/xeroIds';
import { callOptions, fieldProperty } from '../common.descriptions';

export const description: INodeProperties[] = forOperation('invoice', 'getPdf', [
	fieldProperty('invoiceIdField', 'Invoice ID Field', 'xeroInvoice.invoiceId', 'Input field with the Xero InvoiceID'),
	{
		displayName: 'Put Output File in Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		description: 'Name of the binary property the PDF is written to',
	},
	fieldProperty('invoiceNumberField', 'Invoice Number Field', 'xeroInvoice.invoiceNumber', 'Input field with the invoice number, used for the file name when present', false),
	callOptions({ batch: false }),
]);

export async function execute(ctx: XeroContext): Promise<void> {
	const { fns, items, results } = ctx;
	const { transport } = ctx.client;
	const wanted: Array<{ i: number; id: string; fileName: string; property: string }> = [];
	items.forEach((item, i) => {
		try {
			const path = textParameter(fns, 'invoiceIdField', i, 'xeroInvoice.invoiceId');
			const id = xeroIdField(item.json, path, 'Xero invoice ID', 'InvoiceID');
			const property = requiredTextParameter(fns, 'binaryPropertyName', i, 'Put Output File in Field');
			// Empty means "name the file by the invoice ID": not replaced by the default path.
			const numberPath = String(fns.getNodeParameter('invoiceNumberField', i, 'xeroInvoice.invoiceNumber') ?? '').trim();
			const number = numberPath ? readPath(item.json, numberPath) : undefined;
			const safe = String(typeof number === 'string' && number ? number : id).replace(/[^A-Za-z0-9._-]+/g, '_');
			wanted.push({ i, id, fileName: `Invoice ${safe}.pdf`, property });
		} catch (error) {
			results.error(i, error);
		}
	});
	transport.checkDayBudget(wanted.length, `downloading ${wanted.length} invoice PDF(s)`);

	const settled = await Promise.allSettled(wanted.map((w) => transport.getInvoicePdf(w.id)));
	for (let k = 0; k < wanted.length; k++) {
		const w = wanted[k];
		const s = settled[k];
		if (s.status === 'fulfilled') {
			const binary = await fns.helpers.prepareBinaryData(s.value, w.fileName, 'application/pdf');
			results.success(w.i, { ...items[w.i].json }, { [w.property]: binary });
		} else if (s.reason instanceof XeroApiError && s.reason.kind === 'notFound') {
			results.failure(w.i, refusal('notFound', `Xero has no invoice ${w.id}`));
		} else {
			results.error(w.i, s.reason);
		}
	}
}
