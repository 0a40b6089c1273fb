// Get online invoice link: one GET /Invoices/{id}/OnlineInvoice per item (Xero has no batch form),
// run side by side; the organisation's limiter keeps it within Xero's 5 concurrent calls. Xero
// refuses the link for a draft or deleted invoice, or when the organisation does not allow online
// invoices (400 ValidationException): that item goes to output 2 with Xero's message.
import type { INodeProperties } from 'n8n-workflow';
import { forOperation } from '../../../shared/descriptions';
import { requiredTextParameter, textParameter } from '../../../shared/parameters';
import { XeroApiError } from '../../transport';
import type { XeroContext } from '../../helpers/client';
import { refusal } from '../../helpers/errors';
import { xeroIdField } from '../../helpers/xeroIds';
import { callOptions, fieldProperty } from '../common.descriptions';

export const description: INodeProperties[] = forOperation('invoice', 'getOnlineInvoice', [
	fieldProperty('invoiceIdField', 'Invoice ID Field', 'xeroInvoice.invoiceId', 'Input field with the Xero InvoiceID'),
	{
		displayName: 'Put Link in Field',
		name: 'outputField',
		type: 'string',
		default: 'onlineInvoiceUrl',
		required: true,
		description: 'Output field the online invoice URL is written to. Costs one Xero call per invoice.',
	},
	callOptions({ batch: false }),
]);

export async function execute(ctx: XeroContext): Promise<void> {
	const { fns, items, results } = ctx;
	const { transport } = ctx.client;
	const wanted: Array<{ i: number; id: string; field: string }> = [];
	items.forEach((item, i) => {
		try {
			const path = textParameter(fns, 'invoiceIdField', i, 'xeroInvoice.invoiceId');
			wanted.push({ i, id: xeroIdField(item.json, path, 'Xero invoice ID', 'InvoiceID'), field: requiredTextParameter(fns, 'outputField', i, 'Put Link in Field') });
		} catch (error) {
			results.error(i, error);
		}
	});
	if (wanted.length === 0) return;
	transport.checkDayBudget(wanted.length, `reading ${wanted.length} online invoice link(s)`);

	const settled = await Promise.allSettled(wanted.map((w) => transport.getOnlineInvoiceUrl(w.id)));
	settled.forEach((s, k) => {
		const w = wanted[k];
		if (s.status === 'fulfilled') results.success(w.i, { ...items[w.i].json, [w.field]: s.value });
		else if (s.reason instanceof XeroApiError && s.reason.kind === 'notFound') results.failure(w.i, refusal('notFound', `Xero has no invoice ${w.id}`));
		else if (s.reason instanceof XeroApiError && s.reason.kind === 'validation') {
			const xeroErrors = s.reason.messages.length ? s.reason.messages : [s.reason.message];
			results.failure(w.i, refusal('validation', `Xero gives no online invoice link for invoice ${w.id}: ${xeroErrors.join('; ')}`), { ...items[w.i].json, xeroErrors });
		} else results.error(w.i, s.reason);
	});
}
