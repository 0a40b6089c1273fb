// Get invoice PDF: one GET /Invoices/{id} (Accept: application/pdf) per item, run side by side;
// the organisation's limiter keeps it within Xero's 5 concurrent calls.
import type { INodeProperties } from 'n8n-workflow';
import { XeroApiError } from '../../transport';
import { apiError, fieldParam, GUID, inputError, readPath, Results, textField, type OperationContext } from '../../helpers/context';
import { callOptions, fieldProperty } from '../common.descriptions';

const show = { resource: ['invoice'], operation: ['getPdf'] };

export const description: INodeProperties[] = [
	fieldProperty(show, 'invoiceIdField', 'Invoice ID Field', 'xeroInvoice.invoiceId', 'Input field with the Xero InvoiceID'),
	{
		displayName: 'Put Output File in Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		description: 'Name of the binary property the PDF is written to',
		displayOptions: { show },
	},
	fieldProperty(show, 'invoiceNumberField', 'Invoice Number Field', 'xeroInvoice.invoiceNumber', 'Input field with the invoice number, used for the file name when present', false),
	callOptions(show, { batch: false }),
];

export async function execute(ctx: OperationContext): Promise<Results> {
	const { fns, items, transport } = ctx;
	const node = fns.getNode();
	const results = new Results(ctx);
	const wanted: Array<{ i: number; id: string; fileName: string; property: string }> = [];
	items.forEach((item, i) => {
		try {
			const path = fieldParam(fns, 'invoiceIdField', i, 'xeroInvoice.invoiceId');
			const id = textField(node, item.json, path, i, 'Xero invoice ID');
			if (!GUID.test(id)) throw inputError(node, i, path, `Xero invoice ID "${id}" is not a Xero InvoiceID (a GUID) (field "${path}")`);
			const property = (fns.getNodeParameter('binaryPropertyName', i, 'data') as string).trim();
			if (!property) throw inputError(node, i, 'binaryPropertyName', 'Put Output File in Field is empty');
			const numberPath = (fns.getNodeParameter('invoiceNumberField', i, 'xeroInvoice.invoiceNumber') as string).trim();
			const number = numberPath ? readPath(item.json, numberPath) : undefined;
			const safe = String(typeof number === 'string' && number ? number : id).replace(/[^A-Za-z0-9._-]+/g, '_');
			wanted.push({ i, id, fileName: `Invoice ${safe}.pdf`, property });
		} catch (error) {
			results.error(i, error as Error);
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
			results.rejected(w.i, { ...items[w.i].json, error: `Xero has no invoice ${w.id}` });
		} else if (s.reason instanceof XeroApiError) {
			results.error(w.i, apiError(node, s.reason, w.i));
		} else {
			throw s.reason;
		}
	}
	return results;
}
