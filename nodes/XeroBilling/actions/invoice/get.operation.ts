// Get invoices by billing key (as the invoice Reference, or as the invoice number when Create
// Invoices made it so) or by Xero InvoiceID, one GET per batch (a batch of billing keys is cut
// short when it would pass Xero's ~2 KB query-string limit: about 37 keys as a where clause on
// Reference, 50 as InvoiceNumbers; 50 InvoiceIDs always fit). Items whose invoice Xero does not
// have go to the second output. With Only Invoices Dated From, the node instead lists the sales
// invoices dated from that day, 1000 a call (summaries), and matches the keys against them: one
// call for a billing run whose period has no invoices yet, however many keys.
// By Invoice ID (the debit stage's read-back before charging), every invoice found comes with
// `chargeable`, the verdict on what may be charged on it now (helpers/chargeable.ts), and an item
// whose own currency is not the invoice's goes to output 2 as `currencyMismatch`, never charged.
import type { INodeProperties } from 'n8n-workflow';
import { validateBillingKey } from '../../../shared/billingKey';
import { chunk } from '../../../shared/concurrency';
import { choiceProperty, forOperation } from '../../../shared/descriptions';
import { FieldError } from '../../../shared/errors';
import { parseDay, readPath } from '../../../shared/itemFields';
import { normaliseCurrency } from '../../../shared/currency';
import { booleanParameter, choiceParameter, textParameter } from '../../../shared/parameters';
import { listCommaError, packList, packReferences, salesInvoicesDatedFrom, WHERE_MAX_SENT_CHARS, type XeroInvoice } from '../../transport';
import { forEachBatch } from '../../../shared/operation';
import type { XeroContext } from '../../helpers/client';
import { refusal } from '../../helpers/errors';
import { chargeableOf } from '../../helpers/chargeable';
import { invoiceJson, preferLive } from '../../helpers/invoice';
import { xeroIdField } from '../../helpers/xeroIds';
import { callOptions, fieldProperty } from '../common.descriptions';

export const description: INodeProperties[] = forOperation('invoice', 'get', [
	choiceProperty('Find By', 'findBy', 'billingKey', [
		{ name: 'Billing Key (Invoice Reference)', value: 'billingKey', description: 'Every invoice Create Invoices made carries its billing key as Reference' },
		{
			name: 'Billing Key (Invoice Number)',
			value: 'billingKeyNumber',
			description: 'For invoices created with Duplicate Check "Billing Key Is the Invoice Number": fewer calls',
		},
		{ name: 'Invoice ID', value: 'invoiceId' },
	], 'Look invoices up by billing key or by Xero invoice ID'),
	fieldProperty('billingKeyField', 'Billing Key Field', 'billingKey', 'Input field with the billing key', true, { findBy: ['billingKey', 'billingKeyNumber'] }),
	{
		displayName: 'Only Invoices Dated From',
		name: 'datedFrom',
		type: 'string',
		default: '',
		placeholder: '2026-11-16',
		description:
			'Day (YYYY-MM-DD) on or after which every invoice of these billing keys is dated, e.g. the billing period\'s start. When set, the node lists those invoices 1000 a call instead of looking keys up 50 a call; found invoices come without line items.',
		displayOptions: { show: { findBy: ['billingKey', 'billingKeyNumber'] } },
	},
	{
		displayName: 'Include Line Items',
		name: 'includeLineItems',
		type: 'boolean',
		default: true,
		description: "Whether found invoices carry Xero's line items (lineItems). Turn off when the items travel on as queue messages, to keep them small.",
	},
	fieldProperty('invoiceIdField', 'Invoice ID Field', 'xeroInvoice.invoiceId', 'Input field with the Xero InvoiceID', true, { findBy: ['invoiceId'] }),
	fieldProperty(
		'currencyField',
		'Currency Field',
		'currency',
		'Input field with the currency the item will be charged in; an invoice in another currency goes to output 2 (currencyMismatch). Empty, or the field missing from the item: not checked.',
		false,
		{ findBy: ['invoiceId'] },
	),
	callOptions(),
]);

export async function execute(ctx: XeroContext): Promise<void> {
	const { fns, items, results } = ctx;
	const { transport, batchSize } = ctx.client;
	const findBy = choiceParameter(fns, 'findBy', 0, ['billingKey', 'billingKeyNumber', 'invoiceId'] as const, 'billingKey');
	const byValue = new Map<string, number[]>();
	items.forEach((item, i) => {
		try {
			let value: string;
			if (findBy === 'invoiceId') {
				const path = textParameter(fns, 'invoiceIdField', i, 'xeroInvoice.invoiceId');
				value = xeroIdField(item.json, path, 'Xero invoice ID', 'InvoiceID').toLowerCase();
			} else {
				const path = textParameter(fns, 'billingKeyField', i, 'billingKey');
				value = validateBillingKey(readPath(item.json, path), path);
			}
			byValue.set(value, [...(byValue.get(value) ?? []), i]);
		} catch (error) {
			results.error(i, error);
		}
	});

	// Billing keys are short by definition; this only guards the URL limit should that change.
	const tooLongKey = (v: string, as: string) => {
		for (const i of byValue.get(v)!) {
			const field = textParameter(fns, 'billingKeyField', i, 'billingKey');
			results.error(i, new FieldError(field, `Billing key "${v}" is too long to look up in Xero as ${as} (over ${WHERE_MAX_SENT_CHARS} characters once URL-encoded)`));
		}
	};
	const datedFrom = findBy === 'invoiceId' ? '' : textParameter(fns, 'datedFrom', 0);
	if (datedFrom && byValue.size > 0) {
		await listDatedFrom(datedFrom);
		return;
	}

	let batches: Array<{ values: string[]; where?: string; numbers?: boolean }>;
	if (findBy === 'invoiceId') batches = chunk([...byValue.keys()], batchSize).map((values) => ({ values }));
	else if (findBy === 'billingKeyNumber') {
		const { groups, tooLong, withComma } = packList([...byValue.keys()], 'InvoiceNumbers', { maxEntries: batchSize });
		for (const v of tooLong) tooLongKey(v, 'an invoice number');
		for (const v of withComma) for (const i of byValue.get(v)!) results.error(i, listCommaError(v, 'InvoiceNumbers', textParameter(fns, 'billingKeyField', i, 'billingKey')));
		batches = groups.map((values) => ({ values, numbers: true }));
	} else {
		const { groups, tooLong } = packReferences([...byValue.keys()], (v) => v, batchSize);
		for (const v of tooLong) tooLongKey(v, 'a Reference');
		batches = groups.map((g) => ({ values: g.entries, where: g.where }));
	}
	await forEachBatch(
		ctx,
		batches.map((q) => q.values),
		(v) => byValue.get(v)!,
		async (values, b) => {
			const { where, numbers } = batches[b];
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
		},
	);

	// Each item gets the invoice found for its value (a live one before a voided one), or goes to output 2.
	function settle(values: Iterable<string>, match: Map<string, XeroInvoice[]>, missing: (value: string) => string): void {
		for (const v of values) {
			const list = match.get(v);
			for (const i of byValue.get(v)!) {
				if (!list) {
					results.failure(i, refusal('notFound', missing(v)));
					continue;
				}
				const { invoice, extra } = preferLive(list);
				try {
					const json = { ...items[i].json, xeroInvoice: invoiceJson(invoice, extra, { lines: booleanParameter(fns, 'includeLineItems', i, true) }) };
					if (findBy !== 'invoiceId') {
						results.success(i, json);
						continue;
					}
					const mismatch = currencyMismatch(i, invoice);
					if (mismatch) results.failure(i, refusal('currencyMismatch', mismatch), json);
					else results.success(i, { ...json, chargeable: chargeableOf(invoice) });
				} catch (error) {
					results.error(i, error);
				}
			}
		}
	}

	/** Why the item may not be charged on this invoice for its currency, if so. */
	function currencyMismatch(i: number, invoice: XeroInvoice): string | undefined {
		const path = textParameter(fns, 'currencyField', i, 'currency');
		const raw = path ? readPath(items[i].json, path) : undefined;
		if (raw === undefined || raw === null || raw === '') return undefined;
		const own = normaliseCurrency(raw, path);
		if (own === invoice.currency) return undefined;
		return `Invoice ${invoice.invoiceNumber || invoice.invoiceId} is in ${invoice.currency || 'no currency'} but the item's currency (field "${path}") is ${own}: nothing may be charged on it`;
	}

	async function listDatedFrom(day: string): Promise<void> {
		if (parseDay(day) !== day) throw new FieldError('datedFrom', `Only Invoices Dated From "${day}" is not a date in YYYY-MM-DD form`);
		await forEachBatch(ctx, [[...byValue.keys()]], (v) => byValue.get(v)!, async () => {
			transport.checkDayBudget(1, `listing invoices dated from ${day}`);
			const match = new Map<string, XeroInvoice[]>();
			for (const inv of await transport.listInvoiceSummaries(salesInvoicesDatedFrom(day))) {
				const k = findBy === 'billingKeyNumber' ? inv.invoiceNumber : inv.reference;
				if (byValue.has(k)) match.set(k, [...(match.get(k) ?? []), inv]);
			}
			settle(byValue.keys(), match, (v) => `Xero has no sales invoice ${findBy === 'billingKeyNumber' ? `numbered "${v}"` : `with Reference "${v}"`} dated from ${day}`);
		});
	}
}
