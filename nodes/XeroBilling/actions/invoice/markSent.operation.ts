// Mark as sent: sets SentToContact on approved invoices, one POST /Invoices per batch (with an
// idempotency key from the batch). Setting it twice is harmless, so no lookup is needed.
import type { INodeProperties } from 'n8n-workflow';
import { XeroApiError, type InvoiceWrite } from '../../transport';
import { apiError, batchKey, chunk, fieldParam, GUID, inputError, Results, textField, type OperationContext } from '../../helpers/context';
import { invoiceJson } from '../../helpers/invoice';
import { callOptions, fieldProperty } from '../common.descriptions';

const show = { resource: ['invoice'], operation: ['markSent'] };

export const description: INodeProperties[] = [
	fieldProperty(show, 'invoiceIdField', 'Invoice ID Field', 'xeroInvoice.invoiceId', 'Input field with the Xero InvoiceID (as set by Create Invoices)'),
	callOptions(show),
];

export async function execute(ctx: OperationContext): Promise<Results> {
	const { fns, items, transport } = ctx;
	const node = fns.getNode();
	const results = new Results(ctx);
	const byId = new Map<string, number[]>();
	items.forEach((item, i) => {
		try {
			const path = fieldParam(fns, 'invoiceIdField', i, 'xeroInvoice.invoiceId');
			const id = textField(node, item.json, path, i, 'Xero invoice ID').toLowerCase();
			if (!GUID.test(id)) throw inputError(node, i, path, `Xero invoice ID "${id}" is not a Xero InvoiceID (a GUID) (field "${path}")`);
			byId.set(id, [...(byId.get(id) ?? []), i]);
		} catch (error) {
			results.error(i, error as Error);
		}
	});

	const batches = chunk([...byId.keys()], ctx.batchSize);
	for (let b = 0; b < batches.length; b++) {
		const ids = batches[b];
		const itemIndexes = ids.flatMap((id) => byId.get(id)!);
		try {
			transport.checkDayBudget(batches.length - b, `marking ${byId.size} invoice(s) as sent`);
			const writes: InvoiceWrite[] = ids.map((invoiceId) => ({ invoiceId, sentToContact: true }));
			const answers = await transport.updateInvoices(writes, batchKey('sent', writes));
			answers.forEach((r, k) => {
				for (const i of byId.get(ids[k])!) {
					if (r.ok) results.success(i, { ...items[i].json, xeroInvoice: invoiceJson(r.value) });
					else results.rejected(i, { ...items[i].json, error: `Xero refused to mark invoice ${ids[k]} as sent: ${r.errors.join('; ')}`, xeroErrors: r.errors });
				}
			});
		} catch (error) {
			if (!(error instanceof XeroApiError)) throw error;
			results.errorAll(itemIndexes, apiError(node, error, itemIndexes[0]));
		}
	}
	return results;
}
