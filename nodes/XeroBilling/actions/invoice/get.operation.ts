// Get invoices by billing key (as the invoice Reference, or as the invoice number when Create
// Invoices made it so) or by Xero InvoiceID, one GET per batch (a batch of billing keys is cut
// short when it would pass Xero's ~2 KB query-string limit: about 37 keys as a where clause on
// Reference, 50 as InvoiceNumbers; 50 InvoiceIDs always fit). Items whose invoice Xero does not
// have go to the second output. With Only Invoices Dated From, the node instead lists the sales
// invoices dated from that day, 1000 a call (summaries), and matches the keys against them: one
// call for a billing run whose period has no invoices yet, however many keys.
import type { INodeProperties } from 'n8n-workflow';
import { packList, packWhere, WHERE_MAX_SENT_CHARS, whereString, XeroApiError, type XeroInvoice } from '../../transport';
import { apiError, chunk, fieldParam, GUID, inputError, Results, textField, type OperationContext } from '../../helpers/context';
import { invoiceJson, preferLive } from '../../helpers/invoice';
import { callOptions, fieldProperty } from '../common.descriptions';

const show = { resource: ['invoice'], operation: ['get'] };

export const description: INodeProperties[] = [
	{
		displayName: 'Find By',
		name: 'findBy',
		type: 'options',
		default: 'billingKey',
		description: 'Look invoices up by billing key or by Xero invoice ID',
		options: [
			{ name: 'Billing Key (Invoice Reference)', value: 'billingKey', description: 'Every invoice Create Invoices made carries its billing key as Reference' },
			{
				name: 'Billing Key (Invoice Number)',
				value: 'billingKeyNumber',
				description: 'For invoices created with Duplicate Check "Billing Key Is the Invoice Number": fewer calls',
			},
			{ name: 'Invoice ID', value: 'invoiceId' },
		],
		displayOptions: { show },
	},
	fieldProperty({ ...show, findBy: ['billingKey', 'billingKeyNumber'] }, 'billingKeyField', 'Billing Key Field', 'billingKey', 'Input field with the billing key'),
	{
		displayName: 'Only Invoices Dated From',
		name: 'datedFrom',
		type: 'string',
		default: '',
		placeholder: '2026-11-16',
		description:
			'Day (YYYY-MM-DD) on or after which every invoice of these billing keys is dated, e.g. the billing period\'s start. When set, the node lists those invoices 1000 a call instead of looking keys up 50 a call; found invoices come without line items.',
		displayOptions: { show: { ...show, findBy: ['billingKey', 'billingKeyNumber'] } },
	},
	fieldProperty({ ...show, findBy: ['invoiceId'] }, 'invoiceIdField', 'Invoice ID Field', 'xeroInvoice.invoiceId', 'Input field with the Xero InvoiceID'),
	callOptions(show),
];

export async function execute(ctx: OperationContext): Promise<Results> {
	const { fns, items, transport } = ctx;
	const node = fns.getNode();
	const results = new Results(ctx);
	const findBy = fns.getNodeParameter('findBy', 0, 'billingKey') as 'billingKey' | 'billingKeyNumber' | 'invoiceId';
	const byValue = new Map<string, number[]>();
	items.forEach((item, i) => {
		try {
			let value: string;
			if (findBy === 'invoiceId') {
				const path = fieldParam(fns, 'invoiceIdField', i, 'xeroInvoice.invoiceId');
				value = textField(node, item.json, path, i, 'Xero invoice ID').toLowerCase();
				if (!GUID.test(value)) throw inputError(node, i, path, `Xero invoice ID "${value}" is not a Xero InvoiceID (a GUID) (field "${path}")`);
			} else {
				value = textField(node, item.json, fieldParam(fns, 'billingKeyField', i, 'billingKey'), i, 'Billing key', { max: 255 });
			}
			byValue.set(value, [...(byValue.get(value) ?? []), i]);
		} catch (error) {
			results.error(i, error as Error);
		}
	});

	const tooLongKey = (v: string, as: string) => {
		const [first, ...rest] = byValue.get(v)!;
		const field = fieldParam(fns, 'billingKeyField', first, 'billingKey');
		const error = inputError(node, first, field, `Billing key "${v}" is too long to look up in Xero as ${as} (over ${WHERE_MAX_SENT_CHARS} characters once URL-encoded)`);
		for (const i of [first, ...rest]) results.error(i, error);
	};
	const datedFrom = findBy === 'invoiceId' ? '' : String(fns.getNodeParameter('datedFrom', 0, '') ?? '').trim();
	if (datedFrom && byValue.size > 0) {
		await listDatedFrom(datedFrom);
		return results;
	}

	let batches: Array<{ values: string[]; where?: string; numbers?: boolean }>;
	if (findBy === 'invoiceId') batches = chunk([...byValue.keys()], ctx.batchSize).map((values) => ({ values }));
	else if (findBy === 'billingKeyNumber') {
		const { groups, tooLong } = packList([...byValue.keys()], 'InvoiceNumbers', { maxEntries: ctx.batchSize });
		for (const v of tooLong) tooLongKey(v, 'an invoice number');
		batches = groups.map((values) => ({ values, numbers: true }));
	} else {
		const { groups, tooLong } = packWhere([...byValue.keys()], (v) => [`Reference==${whereString(v)}`], {
			wrap: (refs) => `Type=="ACCREC" AND (${refs})`,
			maxEntries: ctx.batchSize,
		});
		for (const v of tooLong) tooLongKey(v, 'a Reference');
		batches = groups.map((g) => ({ values: g.entries, where: g.where }));
	}
	for (let b = 0; b < batches.length; b++) {
		const { values, where, numbers } = batches[b];
		const itemIndexes = values.flatMap((v) => byValue.get(v)!);
		try {
			transport.checkDayBudget(batches.length - b, `looking up ${byValue.size} invoice(s)`);
			const invoices = numbers
				? await transport.findInvoices({ invoiceNumbers: values, withLineItems: true })
				: where === undefined
					? await transport.findInvoices({ ids: values, withLineItems: true })
					: await transport.findInvoices({ where, withLineItems: true });
			const match = new Map<string, XeroInvoice[]>();
			for (const inv of invoices) {
				if (numbers && inv.type !== 'ACCREC') continue;
				const k = findBy === 'invoiceId' ? inv.invoiceId.toLowerCase() : numbers ? inv.invoiceNumber : inv.reference;
				match.set(k, [...(match.get(k) ?? []), inv]);
			}
			settle(values, match, (v) =>
				`Xero has no ${findBy === 'invoiceId' ? `invoice ${v}` : numbers ? `sales invoice numbered "${v}"` : `sales invoice with Reference "${v}"`}`,
			);
		} catch (error) {
			if (!(error instanceof XeroApiError)) throw error;
			results.errorAll(itemIndexes, apiError(node, error, itemIndexes[0]));
		}
	}
	return results;

	// Each item gets the invoice found for its value (a live one before a voided one), or goes to output 2.
	function settle(values: Iterable<string>, match: Map<string, XeroInvoice[]>, missing: (value: string) => string): void {
		for (const v of values) {
			const list = match.get(v);
			for (const i of byValue.get(v)!) {
				if (!list) {
					results.rejected(i, { ...items[i].json, error: missing(v) });
					continue;
				}
				const { invoice, extra } = preferLive(list);
				results.success(i, { ...items[i].json, xeroInvoice: invoiceJson(invoice, extra) });
			}
		}
	}

	async function listDatedFrom(day: string): Promise<void> {
		const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
		if (!m || new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day) {
			throw inputError(node, 0, 'datedFrom', `Only Invoices Dated From "${day}" is not a date in YYYY-MM-DD form`);
		}
		const all = [...byValue.values()].flat();
		try {
			transport.checkDayBudget(1, `listing invoices dated from ${day}`);
			const where = `Type=="ACCREC" AND Date>=DateTime(${Number(m[1])},${Number(m[2])},${Number(m[3])})`;
			const match = new Map<string, XeroInvoice[]>();
			for (const inv of await transport.listInvoiceSummaries(where)) {
				const k = findBy === 'billingKeyNumber' ? inv.invoiceNumber : inv.reference;
				if (byValue.has(k)) match.set(k, [...(match.get(k) ?? []), inv]);
			}
			settle(byValue.keys(), match, (v) => `Xero has no sales invoice ${findBy === 'billingKeyNumber' ? `numbered "${v}"` : `with Reference "${v}"`} dated from ${day}`);
		} catch (error) {
			if (!(error instanceof XeroApiError)) throw error;
			results.errorAll(all, apiError(node, error, all[0]));
		}
	}
}
