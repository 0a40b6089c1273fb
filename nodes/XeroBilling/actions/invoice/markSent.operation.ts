// Mark as sent: sets SentToContact on approved invoices, one POST /Invoices per batch (with an
// idempotency key from the batch). Setting it twice is harmless, so no lookup is needed. Xero
// refuses it on an invoice voided or deleted meanwhile (a bookkeeper, between a batch and its
// redelivery): those are read back (one call for the batch's refusals) and passed on unmarked, so
// the debit stage sees the void and tells the client, instead of retrying a mark Xero never takes.
import type { INodeProperties } from 'n8n-workflow';
import { chunk } from '../../../shared/concurrency';
import { forOperation } from '../../../shared/descriptions';
import { textParameter } from '../../../shared/parameters';
import type { InvoiceWrite, XeroInvoice } from '../../transport';
import { forEachBatch } from '../../../shared/operation';
import type { XeroContext } from '../../helpers/client';
import { refusal } from '../../helpers/errors';
import { batchKey, keyScope } from '../../helpers/idempotency';
import { invoiceJson } from '../../helpers/invoice';
import { xeroIdField } from '../../helpers/xeroIds';
import { callOptions, fieldProperty } from '../common.descriptions';

/** Xero takes no change on these; the invoice stays what a person made it. */
const CLOSED = new Set(['VOIDED', 'DELETED']);

export const description: INodeProperties[] = forOperation('invoice', 'markSent', [
	fieldProperty('invoiceIdField', 'Invoice ID Field', 'xeroInvoice.invoiceId', 'Input field with the Xero InvoiceID (as set by Create Invoices)'),
	callOptions(),
]);

export async function execute(ctx: XeroContext): Promise<void> {
	const { fns, items, results } = ctx;
	const { transport, batchSize } = ctx.client;
	const byId = new Map<string, number[]>();
	items.forEach((item, i) => {
		try {
			const path = textParameter(fns, 'invoiceIdField', i, 'xeroInvoice.invoiceId');
			const id = xeroIdField(item.json, path, 'Xero invoice ID', 'InvoiceID').toLowerCase();
			byId.set(id, [...(byId.get(id) ?? []), i]);
		} catch (error) {
			results.error(i, error);
		}
	});

	const batches = chunk([...byId.keys()], batchSize);
	await forEachBatch(ctx, batches, (id) => byId.get(id)!, async (ids, b) => {
		transport.checkDayBudget(batches.length - b, `marking ${byId.size} invoice(s) as sent`);
		const writes: InvoiceWrite[] = ids.map((invoiceId) => ({ invoiceId, sentToContact: true }));
		const answers = await transport.updateInvoices(writes, batchKey('sent', writes, keyScope(ctx, ids.flatMap((id) => byId.get(id)!))));
		const refused = ids.filter((_, k) => !answers[k].ok);
		const closed = new Map<string, XeroInvoice>();
		if (refused.length) {
			for (const inv of await transport.findInvoices({ ids: refused })) {
				if (CLOSED.has(inv.status)) closed.set(inv.invoiceId.toLowerCase(), inv);
			}
		}
		answers.forEach((r, k) => {
			const inv = closed.get(ids[k]);
			for (const i of byId.get(ids[k])!) {
				if (r.ok) results.success(i, { ...items[i].json, xeroInvoice: invoiceJson(r.value) });
				else if (inv) {
					results.success(i, {
						...items[i].json,
						xeroInvoice: invoiceJson(inv, undefined, { lines: false }),
						sentToContact: { marked: false, reason: `Invoice ${inv.invoiceNumber || inv.invoiceId} is ${inv.status} in Xero: not marked as sent` },
					});
				} else results.failure(i, refusal('validation', `Xero refused to mark invoice ${ids[k]} as sent: ${r.errors.join('; ')}`), { ...items[i].json, xeroErrors: r.errors });
			}
		});
	});
}
