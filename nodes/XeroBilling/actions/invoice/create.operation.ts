// Create invoices, never twice. The billing key is the invoice Reference, and with Duplicate Check
// "Billing Key Is the Invoice Number" the invoice number too. Either way a rerun, a redelivered
// batch or a crash after Xero saved but before we heard back returns the existing invoice:
//  - Look Up Billing Keys First: GET /Invoices where Reference=="k1" OR … for every key, as many per
//    call as Xero's ~2 KB query-string limit allows (see packReferences; about 37 keys), then create the
//    keys not found;
//  - Billing Key Is the Invoice Number: create straight away; Xero refuses a number it already has
//    ("Invoice # must be unique."), and only those are then fetched by InvoiceNumbers. No lookup in
//    the usual case, and no window between a lookup and a create for a second n8n to slip into.
// Creates are ONE PUT /Invoices (summarizeErrors=false) per 50, with an Idempotency-Key derived from
// the batch content, so our own retries of that call (5xx, timeout) are applied at most once.
// Created and existing invoices go to output 1 only when they bill exactly what the item bills
// (helpers/verify.ts: currency, each lead's line amount, the sum, a total the currency can hold);
// those that differ, and those Xero refused, go to output 2, never on to be emailed or charged.
import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { validateBillingKey } from '../../../shared/billingKey';
import { chunk } from '../../../shared/concurrency';
import { normaliseCurrency } from '../../../shared/currency';
import { choiceProperty, forOperation } from '../../../shared/descriptions';
import { FieldError } from '../../../shared/errors';
import { addDays, dayField, readPath, todayUtc } from '../../../shared/itemFields';
import { choiceParameter, numberParameter, requiredTextParameter, textParameter } from '../../../shared/parameters';
import { listCommaError, packList, packReferences, WHERE_MAX_SENT_CHARS, XeroApiError, type InvoiceWrite, type XeroInvoice } from '../../transport';
import { forEachBatch } from '../../../shared/operation';
import type { XeroContext } from '../../helpers/client';
import { refusal } from '../../helpers/errors';
import { batchKey, keyScope } from '../../helpers/idempotency';
import { invoiceJson, preferLive, readLines } from '../../helpers/invoice';
import { verifyInvoice, type Billed } from '../../helpers/verify';
import { xeroIdField } from '../../helpers/xeroIds';
import { callOptions, fieldProperty } from '../common.descriptions';

/** Xero's answer to a second invoice with a number it already has. */
const NUMBER_TAKEN = /invoice # must be unique/i;

export const description: INodeProperties[] = forOperation('invoice', 'create', [
	{
		displayName:
			'An invoice that already exists for a billing key is returned instead of being created again, so re-running is safe',
		name: 'createNotice',
		type: 'notice',
		default: '',
	},
	choiceProperty('Duplicate Check', 'duplicateCheck', 'lookUp', [
		{
			name: 'Look Up Billing Keys First',
			value: 'lookUp',
			description: "Finds each billing key as invoice Reference before creating; Xero numbers invoices from its own sequence. About one more call per 37 invoices.",
		},
		{
			name: 'Billing Key Is the Invoice Number',
			value: 'invoiceNumber',
			description:
				'The billing key becomes the invoice number, which Xero never gives two invoices: no lookup unless Xero refuses a number. Switch only when no invoice of the period was created the other way.',
		},
	], 'How the node recognises an invoice that already exists for a billing key'),
	fieldProperty('billingKeyField', 'Billing Key Field', 'billingKey', 'Input field with the unique billing key, stored as the invoice Reference'),
	fieldProperty('contactIdField', 'Contact ID Field', 'xeroContactId', 'Input field with the Xero ContactID (as set by Ensure Contacts)'),
	fieldProperty('currencyField', 'Currency Field', 'currency', 'Input field with the ISO 4217 currency code'),
	fieldProperty(
		'linesField',
		'Line Items Field',
		'lines',
		'Input field with the list of lines. Each line: description, quantity, and unitAmountMinor (integer minor units) or unitAmount (e.g. "10.50"); optional leadId (added to the description as " [lead <id>]"), lineAmountMinor (checked), accountCode and taxType. A line amount (quantity × unit price) must have at most 2 decimals, as Xero keeps it.',
	),
	fieldProperty('dateField', 'Invoice Date Field', '', 'Input field with the invoice date (YYYY-MM-DD); empty or missing means today (UTC)', false),
	fieldProperty('dueDateField', 'Due Date Field', '', 'Input field with the due date (YYYY-MM-DD); empty or missing means invoice date plus Due In Days', false),
	{
		displayName: 'Due In Days',
		name: 'dueInDays',
		type: 'number',
		default: 14,
		typeOptions: { minValue: 0 },
		description: 'Days from the invoice date to the due date when the item has no due date',
	},
	{
		displayName: 'Account Code',
		name: 'accountCode',
		type: 'string',
		default: '200',
		required: true,
		description: 'Revenue account code for lines that do not name their own',
	},
	{
		displayName: 'Tax Type',
		name: 'taxType',
		type: 'string',
		default: '',
		placeholder: 'OUTPUT2',
		description: "Xero tax type for lines that do not name their own; empty uses the account's default tax",
	},
	choiceProperty('Line Amount Types', 'lineAmountTypes', 'Exclusive', [
		{ name: 'Tax Exclusive', value: 'Exclusive' },
		{ name: 'Tax Inclusive', value: 'Inclusive' },
		{ name: 'No Tax', value: 'NoTax' },
	], "Whether line amounts exclude tax, include tax, or carry no tax (Xero's LineAmountTypes). Xero rounds tax to 2 decimals whatever the currency: for currencies without minor units (JPY, KRW, ISK, …) with tax, use Tax Inclusive (the total is then the sum of the lines) or No Tax; a tax-exclusive total such as 7221.60 JPY cannot be charged and the item fails as xeroTotalNotExact."),
	choiceProperty('Status', 'status', 'AUTHORISED', [
		{ name: 'Approved (AUTHORISED)', value: 'AUTHORISED' },
		{ name: 'Awaiting Approval (SUBMITTED)', value: 'SUBMITTED' },
		{ name: 'Draft', value: 'DRAFT' },
	], 'Xero status the invoice is created in: AUTHORISED invoices can be emailed and paid; DRAFT ones cannot'),
	callOptions(),
]);

interface Draft {
	key: string;
	keyPath: string;
	write: InvoiceWrite;
	items: number[];
	/** What each of `items` bills, in the same order: every item is checked against the invoice. */
	billed: Billed[];
}

/** A bad line names its billing key too: the record ops must find. */
function withKey<T>(key: string, read: () => T): T {
	try {
		return read();
	} catch (error) {
		/* eslint-disable @n8n/community-nodes/require-node-api-error -- below the router: toNodeError makes it a NodeApiError/NodeOperationError once */
		if (error instanceof FieldError) throw new FieldError(error.field, `${error.message} (billing key ${key})`, error.description);
		throw error;
		/* eslint-enable @n8n/community-nodes/require-node-api-error */
	}
}

function created(json: IDataObject, inv: XeroInvoice, wasCreated: boolean, extra: IDataObject = {}): IDataObject {
	return { ...json, xeroInvoice: invoiceJson(inv, { created: wasCreated, ...extra }) };
}

export async function execute(ctx: XeroContext): Promise<void> {
	const { fns, items, results } = ctx;
	const { transport, batchSize } = ctx.client;
	const status = choiceParameter(fns, 'status', 0, ['AUTHORISED', 'SUBMITTED', 'DRAFT'] as const, 'AUTHORISED');
	const keyIsNumber = choiceParameter(fns, 'duplicateCheck', 0, ['lookUp', 'invoiceNumber'] as const, 'lookUp') === 'invoiceNumber';
	const lineAmountTypes = choiceParameter(fns, 'lineAmountTypes', 0, ['Exclusive', 'Inclusive', 'NoTax'] as const, 'Exclusive');

	// 1. Read and check every item before anything is sent. Items sharing a billing key are one invoice.
	const drafts = new Map<string, Draft>();
	items.forEach((item, i) => {
		try {
			const json = item.json;
			const keyPath = textParameter(fns, 'billingKeyField', i, 'billingKey');
			const contactPath = textParameter(fns, 'contactIdField', i, 'xeroContactId');
			const currencyPath = textParameter(fns, 'currencyField', i, 'currency');
			const linesPath = textParameter(fns, 'linesField', i, 'lines');
			const key = validateBillingKey(readPath(json, keyPath), keyPath);
			const contactId = xeroIdField(json, contactPath, 'Xero contact ID', 'ContactID');
			const currency = normaliseCurrency(readPath(json, currencyPath), currencyPath);
			const accountCode = requiredTextParameter(fns, 'accountCode', i, 'Account Code');
			const taxType = textParameter(fns, 'taxType', i);
			const { lineItems, expected } = withKey(key, () => readLines(readPath(json, linesPath), linesPath, currency, { accountCode, taxType }));
			const billed: Billed = { key, currency, lineAmountTypes, lines: expected };
			// A zero invoice can never be charged; refuse it before it exists in Xero.
			if (lineItems.every((l) => Number(l.unitAmount) === 0)) throw new FieldError(linesPath, `Invoice total is zero: nothing to bill (field "${linesPath}")`);
			const date = dayField(json, textParameter(fns, 'dateField', i), 'Invoice date') ?? todayUtc();
			const dueDays = numberParameter(fns, 'dueInDays', i, { default: 14, min: 0, integer: true, label: 'Due In Days' });
			const dueDate = dayField(json, textParameter(fns, 'dueDateField', i), 'Due date') ?? addDays(date, dueDays);
			if (dueDate < date) throw new FieldError('dueDate', `Due date ${dueDate} is before the invoice date ${date}`);

			const existing = drafts.get(key);
			if (existing) {
				existing.items.push(i);
				existing.billed.push(billed);
				return;
			}
			drafts.set(key, {
				key,
				keyPath,
				items: [i],
				billed: [billed],
				write: { type: 'ACCREC', contactId, reference: key, ...(keyIsNumber ? { invoiceNumber: key } : {}), date, dueDate, status, currency, lineAmountTypes, lineItems },
			});
		} catch (error) {
			results.error(i, error);
		}
	});

	// Only an invoice that bills exactly what the item bills goes on to be emailed and charged.
	const deliver = (d: Draft, invoice: XeroInvoice, wasCreated: boolean, extra: IDataObject) => {
		d.items.forEach((i, n) => {
			const differs = verifyInvoice(d.billed[n], invoice, !wasCreated || n > 0);
			if (differs) {
				results.failure(i, differs, { ...items[i].json, billingKey: d.key, xeroInvoiceId: invoice.invoiceId, xeroInvoiceNumber: invoice.invoiceNumber });
				return;
			}
			results.success(i, created(items[i].json, invoice, wasCreated && n === 0, { ...extra, ...(n > 0 ? { duplicateOfItem: d.items[0] } : {}) }));
		});
	};
	const returnExisting = (d: Draft, found: XeroInvoice[]) => {
		const { invoice, extra } = preferLive(found);
		deliver(d, invoice, false, extra);
	};
	// Billing keys are short by definition; this only guards the URL limit should that change.
	const tooLongKey = (d: Draft, as: string) => {
		for (const i of d.items) results.error(i, new FieldError(d.keyPath, `Billing key "${d.key}" is too long to look up in Xero ${as} (over ${WHERE_MAX_SENT_CHARS} characters once URL-encoded)`));
	};
	const draftItems = (d: Draft) => d.items;
	if (keyIsNumber) {
		await createAll([...drafts.values()]);
		return;
	}

	const { groups, tooLong } = packReferences([...drafts.values()], (d) => d.key, batchSize);
	for (const d of tooLong) tooLongKey(d, 'as a Reference');
	// 2. Lookups for every key first, as few as the URL limit allows, so the creates can then fill
	// whole calls of up to 50 (a batch of 50 keys needs two lookups, but only one create).
	const toCreate: Draft[] = [];
	const createCalls = () => Math.ceil(drafts.size / batchSize);
	await forEachBatch(ctx, groups.map((g) => g.entries), draftItems, async (batch, b) => {
		// Refuse now rather than stop half way when the day budget cannot cover the rest.
		transport.checkDayBudget(groups.length - b + createCalls(), `creating ${drafts.size} invoice(s)`);
		const found = new Map<string, XeroInvoice[]>();
		// With line items (paged), so an invoice found for a key can be checked against the item.
		for (const inv of await transport.findInvoices({ where: groups[b].where, withLineItems: true })) {
			const list = found.get(inv.reference) ?? [];
			list.push(inv);
			found.set(inv.reference, list);
		}
		for (const d of batch) {
			const list = found.get(d.key);
			if (list) returnExisting(d, list);
			else toCreate.push(d);
		}
	});

	// 3. One create call per 50 of the rest.
	await createAll(toCreate);

	// The key makes our retries of a call safe. With the billing key as invoice number, the drafts
	// whose number Xero already has are collected and fetched together afterwards.
	async function createAll(toCreate: Draft[]): Promise<void> {
		const creates = chunk(toCreate, batchSize);
		const taken: Draft[] = [];
		await forEachBatch(ctx, creates, draftItems, async (batch, c) => {
			transport.checkDayBudget(creates.length - c, `creating ${toCreate.length} invoice(s)`);
			const writes = batch.map((d) => d.write);
			const answers = await transport.createInvoices(writes, batchKey('invoices', writes, keyScope(ctx, batch.flatMap(draftItems))));
			answers.forEach((r, k) => {
				const d = batch[k];
				if (r.ok && r.value.reference !== d.key) {
					throw new XeroApiError(`Creating invoices: Xero answered out of order (reference "${r.value.reference}" for billing key "${d.key}")`, 'other', 200);
				}
				if (!r.ok && keyIsNumber && r.errors.some((e) => NUMBER_TAKEN.test(e))) {
					taken.push(d);
					return;
				}
				if (r.ok) {
					deliver(d, r.value, true, r.warnings.length ? { warnings: r.warnings } : {});
					return;
				}
				d.items.forEach((i) => results.failure(i, refusal('validation', `Xero refused invoice ${d.key}: ${r.errors.join('; ')}`), { ...items[i].json, xeroErrors: r.errors, billingKey: d.key }));
			});
		});
		if (taken.length) await fetchTaken(taken);
	}

	// Xero has these numbers already: return the invoice when it is this client's (an earlier run
	// created it); refuse when the number belongs to another contact's invoice (made by hand).
	async function fetchTaken(taken: Draft[]): Promise<void> {
		const byKey = new Map(taken.map((d) => [d.key, d]));
		const { groups, tooLong, withComma } = packList([...byKey.keys()], 'InvoiceNumbers', { maxEntries: batchSize });
		for (const key of tooLong) tooLongKey(byKey.get(key)!, 'as an invoice number');
		for (const key of withComma) for (const i of byKey.get(key)!.items) results.error(i, listCommaError(key, 'InvoiceNumbers', byKey.get(key)!.keyPath));
		await forEachBatch(ctx, groups, (key) => byKey.get(key)!.items, async (numbers) => {
			const found = new Map<string, XeroInvoice[]>();
			for (const inv of await transport.findInvoices({ invoiceNumbers: numbers, withLineItems: true })) {
				if (inv.type && inv.type !== 'ACCREC') continue;
				found.set(inv.invoiceNumber, [...(found.get(inv.invoiceNumber) ?? []), inv]);
			}
			for (const key of numbers) {
				const d = byKey.get(key)!;
				const list = found.get(key);
				if (!list) {
					// Xero refused the number yet does not return it (deleted, or not visible yet): try later.
					results.errorAll(d.items, new XeroApiError(`Xero refused invoice number ${key} as already used, but has no sales invoice with that number to return`, 'server', 409));
					continue;
				}
				const mine = list.filter((x) => x.contactId.toLowerCase() === String(d.write.contactId).toLowerCase());
				if (mine.length) {
					returnExisting(d, mine);
					continue;
				}
				const other = list[0];
				const message = `Invoice number ${key} is already used in Xero by invoice ${other.invoiceId} for another contact${other.contactName ? ` (${other.contactName})` : ''}`;
				d.items.forEach((i) => results.failure(i, refusal('validation', message), { ...items[i].json, xeroErrors: [message], billingKey: key }));
			}
		});
	}
}
