// Find unbilled leads: leads, not billing periods, are the unit of "billed". Every line Create
// Invoices makes names its lead (helpers/leads.ts), so one listing of the clients' invoices dated
// from the period's start (GET /Invoices?ContactIDs=…&page=N, line items included; every invoice
// that can bill a lead of the period is dated on or after its start) tells which leads are billed:
//  - none of the item's leads billed, no invoice for its key: the item goes on as it is ("new");
//  - some billed elsewhere (an overlapping period), none for its key: it goes on with the rest;
//  - its key's invoice exists and leads are missing from every invoice (a late delivery, a
//    corrected record): the missing leads go on under a supplementary billing key derived from the
//    key and those leads, so a rerun finds the same key and never bills them twice (or, by option,
//    the item is parked for review with the difference);
//  - every lead billed: "billed", nothing goes on; unless the invoice of its key (or of its
//    supplementary key) was never emailed ("unsent": a retry after the stage stopped between
//    creating and publishing), which goes on under that invoice's key and leads.
// A lead already billed in another currency or for another amount is never billed again nor
// averaged over: the whole item goes to output 2 (billedDifferently) for a person to decide.
import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { itemParameter } from '../../../shared/itemParameter';
import { hashedKey, validateBillingKey } from '../../../shared/billingKey';
import { formatMinorUnits, normaliseCurrency } from '../../../shared/currency';
import { choiceProperty, forOperation } from '../../../shared/descriptions';
import { FieldError } from '../../../shared/errors';
import { parseDay, readPath } from '../../../shared/itemFields';
import { forEachBatch } from '../../../shared/operation';
import { choiceParameter, textParameter } from '../../../shared/parameters';
import { packList, salesInvoicesDatedFrom, WHERE_MAX_SENT_CHARS, type XeroInvoice } from '../../transport';
import type { XeroContext } from '../../helpers/client';
import { refusal } from '../../helpers/errors';
import { minor } from '../../helpers/invoice';
import { leadOf } from '../../helpers/leads';
import { xeroIdField } from '../../helpers/xeroIds';
import { callOptions, fieldProperty } from '../common.descriptions';

export const description: INodeProperties[] = forOperation('invoice', 'findUnbilled', [
	{
		displayName:
			'Compares each invoice request with the leads its client is already billed for in Xero and passes on only the leads not billed yet',
		name: 'findUnbilledNotice',
		type: 'notice',
		default: '',
	},
	fieldProperty('billingKeyField', 'Billing Key Field', 'billingKey', 'Input field with the billing key of the request'),
	fieldProperty('contactIdField', 'Contact ID Field', 'xeroContactId', 'Input field with the Xero ContactID (as set by Ensure Contacts)'),
	fieldProperty('currencyField', 'Currency Field', 'currency', 'Input field with the ISO 4217 currency code'),
	fieldProperty('linesField', 'Line Items Field', 'lines', 'Input field with the list of lines; each line has a leadId and lineAmountMinor (as Invoice Preparation makes them)'),
	{
		displayName: 'Billed From',
		name: 'datedFrom',
		type: 'string',
		default: "={{ ($json.periodStart ?? '').slice(0, 10) }}",
		required: true,
		placeholder: '2026-11-16',
		description: "Day (YYYY-MM-DD) from which invoices can bill these leads: the billing period's start. Invoices dated earlier are not read.",
	},
	choiceProperty('Late Leads', 'lateLeads', 'supplementary', [
		{
			name: 'Bill on a Supplementary Invoice',
			value: 'supplementary',
			description: "Leads missing from the key's invoice go on under a billing key derived from it (SP-…)",
		},
		{
			name: 'Park for Review',
			value: 'park',
			description: 'The request goes to output 2 (unbilledLeads) with the leads not billed yet',
		},
	], "What happens to leads that arrive after their billing key's invoice exists (late deliveries, corrected records)"),
	callOptions(),
]);

interface Line {
	leadId: string;
	lineAmountMinor: number;
}

interface Request {
	item: number;
	key: string;
	keyPath: string;
	contactId: string;
	currency: string;
	day: string;
	lines: Line[];
	raw: IDataObject[];
}

interface Billed {
	invoice: XeroInvoice;
	amountMinor: number | null;
}

/** Lead ids shown in a message: the first few, then a count. */
function some(ids: string[], max = 10): string {
	return ids.length <= max ? ids.join(', ') : `${ids.slice(0, max).join(', ')} and ${ids.length - max} more`;
}

function readRequest(json: IDataObject, paths: { key: string; contact: string; currency: string; lines: string }, day: string, item: number): Request {
	const key = validateBillingKey(readPath(json, paths.key), paths.key);
	const contactId = xeroIdField(json, paths.contact, 'Xero contact ID', 'ContactID').toLowerCase();
	const currency = normaliseCurrency(readPath(json, paths.currency), paths.currency);
	const raw = readPath(json, paths.lines);
	if (!Array.isArray(raw) || raw.length === 0) throw new FieldError(paths.lines, `Line items must be a non-empty list (field "${paths.lines}")`);
	const lines = raw.map((l, n): Line => {
		const where = `${paths.lines}[${n}]`;
		const line = (l ?? {}) as IDataObject;
		const leadId = typeof line.leadId === 'string' || typeof line.leadId === 'number' ? String(line.leadId) : '';
		if (!leadId) throw new FieldError(`${where}.leadId`, `Line ${n} names no lead (field "${where}.leadId"): leads are how reruns know what is billed`);
		const amount = line.lineAmountMinor;
		if (typeof amount !== 'number' || !Number.isSafeInteger(amount)) {
			throw new FieldError(`${where}.lineAmountMinor`, `Line ${n} (lead ${leadId}) has no whole lineAmountMinor (field "${where}.lineAmountMinor")`);
		}
		return { leadId, lineAmountMinor: amount };
	});
	if (day === '') throw new FieldError('datedFrom', 'Billed From is empty (the request has no periodStart?): the day invoices of these leads can be dated from is needed');
	if (parseDay(day) !== day) throw new FieldError('datedFrom', `Billed From "${day}" is not a date in YYYY-MM-DD form`);
	return { item, key, keyPath: paths.key, contactId, currency, day, lines, raw: raw as IDataObject[] };
}

export async function execute(ctx: XeroContext): Promise<void> {
	const { fns, items, results } = ctx;
	const { transport } = ctx.client;
	const lateLeads = choiceParameter(fns, 'lateLeads', 0, ['supplementary', 'park'] as const, 'supplementary');

	const requests: Request[] = [];
	items.forEach((item, i) => {
		try {
			const paths = {
				key: textParameter(fns, 'billingKeyField', i, 'billingKey'),
				contact: textParameter(fns, 'contactIdField', i, 'xeroContactId'),
				currency: textParameter(fns, 'currencyField', i, 'currency'),
				lines: textParameter(fns, 'linesField', i, 'lines'),
			};
			requests.push(readRequest(item.json, paths, String(itemParameter(fns, 'datedFrom', i, '') ?? '').trim(), i));
		} catch (error) {
			results.error(i, error);
		}
	});

	// One listing per day and group of contacts (ContactIDs as many as fit the query string).
	const byDay = new Map<string, Request[]>();
	for (const r of requests) byDay.set(r.day, [...(byDay.get(r.day) ?? []), r]);
	const calls: Array<{ day: string; contactIds: string[] }> = [];
	for (const [day, list] of byDay) {
		const where = salesInvoicesDatedFrom(day);
		const { groups } = packList(list.map((r) => r.contactId), 'ContactIDs', { maxChars: WHERE_MAX_SENT_CHARS - encodeURIComponent(where).length - 10 });
		for (const contactIds of groups) calls.push({ day, contactIds });
	}
	const requestsOf = (call: { day: string; contactIds: string[] }) =>
		byDay.get(call.day)!.filter((r) => call.contactIds.includes(r.contactId));

	await forEachBatch(ctx, calls.map((c) => [c]), (c) => requestsOf(c).map((r) => r.item), async ([call], b) => {
		transport.checkDayBudget(calls.length - b, `reading what ${requests.length} request(s) already billed`);
		const invoices = await transport.findInvoices({ where: salesInvoicesDatedFrom(call.day), contactIds: call.contactIds, withLineItems: true });
		// A deleted draft bills nothing; a voided invoice stays billed (a person decided about it).
		const live = invoices.filter((inv) => inv.status !== 'DELETED');
		const billed = new Map<string, Billed[]>();
		const keys = new Map<string, XeroInvoice>();
		for (const inv of live) {
			keys.set(inv.invoiceNumber, inv);
			if (inv.reference) keys.set(inv.reference, inv);
			for (const line of inv.lineItems ?? []) {
				const lead = leadOf(line.description);
				if (lead === null) continue;
				const amountMinor = line.lineAmount === undefined ? null : minor(line.lineAmount, inv.currency);
				billed.set(`${inv.contactId.toLowerCase()}\n${lead}`, [...(billed.get(`${inv.contactId.toLowerCase()}\n${lead}`) ?? []), { invoice: inv, amountMinor }]);
			}
		}
		for (const r of requestsOf(call)) decide(r, billed, keys);
	});

	/** An approved, never-emailed invoice of this request's key (or of its supplementary key for the leads on it), with the request's lines on it. */
	function unsentInvoiceOf(r: Request, billed: Map<string, Billed[]>): { invoice: XeroInvoice; lines: number[] } | undefined {
		const byRef = new Map<string, { invoice: XeroInvoice; lines: number[] }>();
		r.lines.forEach((line, n) => {
			for (const { invoice } of billed.get(`${r.contactId}\n${line.leadId}`) ?? []) {
				if (invoice.status !== 'AUTHORISED' || invoice.sentToContact || !invoice.reference) continue;
				const entry = byRef.get(invoice.reference) ?? { invoice, lines: [] };
				entry.lines.push(n);
				byRef.set(invoice.reference, entry);
			}
		});
		for (const [ref, entry] of byRef) {
			if (ref === r.key || ref === hashedKey('SP', [r.key, ...entry.lines.map((n) => r.lines[n].leadId).sort()])) return entry;
		}
		return undefined;
	}

	function decide(r: Request, billed: Map<string, Billed[]>, keys: Map<string, XeroInvoice>): void {
		const json = items[r.item].json;
		const unbilled: number[] = [];
		const differently: string[] = [];
		const onInvoices = new Set<string>();
		r.lines.forEach((line, n) => {
			const found = billed.get(`${r.contactId}\n${line.leadId}`);
			if (!found) {
				unbilled.push(n);
				return;
			}
			for (const f of found) {
				onInvoices.add(f.invoice.invoiceNumber || f.invoice.invoiceId);
				if (f.invoice.currency !== r.currency || f.amountMinor !== line.lineAmountMinor) {
					const was = f.amountMinor === null ? `${f.invoice.currency}` : `${formatMinorUnits(f.amountMinor, f.invoice.currency)} ${f.invoice.currency}`;
					differently.push(`${line.leadId} (on invoice ${f.invoice.invoiceNumber || f.invoice.invoiceId} as ${was}, now ${formatMinorUnits(line.lineAmountMinor, r.currency)} ${r.currency})`);
				}
			}
		});
		const billedCount = r.lines.length - unbilled.length;
		const facts = { leads: r.lines.length, leadsBilledBefore: billedCount, billedOn: [...onInvoices].sort() };
		if (differently.length) {
			results.failure(
				r.item,
				refusal(
					'billedDifferently',
					`Billing key ${r.key}: lead(s) ${some(differently, 5)} are already billed differently; nothing more is billed for this request`,
					'Correct the CRM, or credit the invoice line in Xero and rerun the period: a lead is never billed twice.',
				),
				{ ...json, billing: { status: 'billedDifferently', ...facts } },
			);
			return;
		}
		if (unbilled.length === 0) {
			const unsent = unsentInvoiceOf(r, billed);
			if (unsent) {
				// This key's invoice (its own, or the supplementary one made from it) bills the leads but
				// was never emailed: an earlier execution stopped between Create Invoices and the email
				// stage (a crash, a broker node lost while publishing) and this is its retry. It goes on
				// with that invoice's key and leads, as on the first run: Create Invoices' duplicate
				// check returns that invoice, never a second one, and the client is still emailed and
				// charged instead of being dropped here as billed.
				const rest = unsent.lines.map((n) => r.raw[n]);
				const totalMinor = unsent.lines.reduce((sum, n) => sum + r.lines[n].lineAmountMinor, 0);
				results.success(r.item, {
					...json,
					[r.keyPath.includes('.') ? 'billingKey' : r.keyPath]: unsent.invoice.reference,
					lines: rest,
					leadCount: rest.length,
					totalMinor,
					total: formatMinorUnits(totalMinor, r.currency),
					billing: { status: 'unsent', invoiceNumber: unsent.invoice.invoiceNumber, ...facts },
				});
				return;
			}
			results.success(r.item, { ...json, billing: { status: 'billed', ...facts } });
			return;
		}
		const rest = unbilled.map((n) => r.raw[n]);
		const totalMinor = unbilled.reduce((sum, n) => sum + r.lines[n].lineAmountMinor, 0);
		const trimmed: IDataObject = { ...json, lines: rest, leadCount: rest.length, totalMinor, total: formatMinorUnits(totalMinor, r.currency) };
		const existing = keys.get(r.key);
		if (!existing) {
			results.success(r.item, { ...trimmed, billing: { status: 'new', ...facts } });
			return;
		}
		const missing = unbilled.map((n) => r.lines[n].leadId);
		if (lateLeads === 'park') {
			results.failure(
				r.item,
				refusal('unbilledLeads', `Billing key ${r.key}: invoice ${existing.invoiceNumber} exists, and lead(s) ${some(missing)} are on no invoice yet`, 'Replay this message with Late Leads set to Bill on a Supplementary Invoice, or bill the leads by hand.'),
				{ ...trimmed, billing: { status: 'unbilledLeads', ...facts, unbilledLeads: missing } },
			);
			return;
		}
		// The same late leads always give the same key: a rerun finds its invoice and stops there.
		const supplementaryKey = hashedKey('SP', [r.key, ...[...missing].sort()]);
		results.success(r.item, { ...trimmed, [r.keyPath.includes('.') ? 'billingKey' : r.keyPath]: supplementaryKey, billing: { status: 'supplementary', supplementaryTo: r.key, invoiceOfKey: existing.invoiceNumber, ...facts } });
	}
}
