import type { IDataObject, INodeProperties } from 'n8n-workflow';
import type { OperationContext } from '../../../shared/operation';
import { rejectedRowKey } from '../../../shared/billingKey';
import { AMOUNT_UNIT_OPTIONS, choiceProperty, optionsCollection } from '../../../shared/descriptions';
import { inTimeZone } from '../../../shared/itemFields';
import { choiceParameter, numberParameter } from '../../../shared/parameters';
import { DEFAULT_FIELDS, type FieldMap, prepareInvoices } from '../../helpers/prepare';

// The default is DEFAULT_FIELDS[name], which the lint rule cannot see through.
// eslint-disable-next-line n8n-nodes-base/node-param-default-missing
const fieldOption = (name: keyof FieldMap, displayName: string, description: string): INodeProperties => ({
	displayName,
	name,
	type: 'string',
	default: DEFAULT_FIELDS[name],
	description,
});

export const description: INodeProperties[] = [
	{
		displayName: 'Period Start',
		name: 'periodStart',
		type: 'dateTime',
		default: '',
		required: true,
		description:
			'First moment of the billing period (inclusive), as an ISO 8601 time with a zone (2026-11-16T00:00:00Z or +01:00); a bare day 2026-11-16 means UTC midnight. A time without a zone is refused. Leads delivered before it are rejected.',
	},
	{
		displayName: 'Period End',
		name: 'periodEnd',
		type: 'dateTime',
		default: '',
		required: true,
		description:
			'End of the billing period (exclusive), as an ISO 8601 time with a zone; a bare day means UTC midnight. A time without a zone is refused. Same period, same billing keys: reruns never bill twice.',
	},
	choiceProperty('Prices Are In', 'priceIn', 'major', AMOUNT_UNIT_OPTIONS, 'How the CRM expresses lead prices; minor units use the currency’s ISO 4217 decimals'),
	optionsCollection(
		[
			fieldOption('billingEmail', 'Billing Email Field', 'Field holding the client’s billing email address'),
			fieldOption('cardReference', 'Card Reference Field', 'Field holding the stored-card parent transaction reference (empty when no card is on file)'),
			fieldOption('clientId', 'Client ID Field', 'Field holding the CRM client ID'),
			fieldOption('clientName', 'Client Name Field', 'Field holding the client’s name as it should appear on the invoice'),
			fieldOption('currency', 'Currency Field', 'Field holding the ISO 4217 currency code'),
			fieldOption('deliveredAt', 'Delivered At Field', 'Field holding when the lead was delivered, an ISO 8601 time with a zone (Z or ±hh:mm)'),
			fieldOption('description', 'Description Field', 'Field holding the invoice line description'),
			fieldOption('leadId', 'Lead ID Field', 'Field holding the lead’s unique ID'),
			fieldOption('price', 'Price Field', 'Field holding the lead’s price'),
			fieldOption('quantity', 'Quantity Field', 'Field holding the quantity: a whole number, or digits only as text (1 when absent)'),
		],
		{
			displayName: 'Field Mapping',
			name: 'fields',
			placeholder: 'Map a Field',
			description: 'Where each value is in the incoming rows, so any CRM node’s output can feed this node. Dotted paths such as "client.email" work.',
		},
	),
	optionsCollection([
		{
			displayName: 'Max Quantity per Line',
			name: 'maxQuantity',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 10000,
			description: 'Quantities above this are treated as data errors',
		},
	]),
];

/**
 * Invoices leave on the first output, each paired with the rows it was built from; every rejected
 * row leaves on the second with `error` (the kit's failure: code `invalidRow`, never retryable)
 * and `rejected: { row, clientId, leadId, billingKey }`, the key it is parked under.
 */
export async function execute(ctx: OperationContext<undefined>): Promise<void> {
	const { fns, items, results } = ctx;
	// Checked by prepareInvoices (a zoned ISO time or a bare day), which returns them as read.
	const periodStart = fns.getNodeParameter('periodStart', 0) as string;
	const periodEnd = fns.getNodeParameter('periodEnd', 0) as string;
	const priceIn = choiceParameter(fns, 'priceIn', 0, ['major', 'minor'] as const, 'major');
	const fields = { ...DEFAULT_FIELDS, ...(fns.getNodeParameter('fields', 0, {}) as Partial<FieldMap>) };
	const maxQuantity = numberParameter(fns, 'options.maxQuantity', 0, { default: 10000, min: 1, integer: true, label: 'Max Quantity per Line' });

	// n8n's date picker stores a date-time without a zone, meant in the workflow's time zone:
	// read it there, never in the server's.
	const zone = fns.getTimezone();
	const period = (value: string) => (typeof value === 'string' ? (inTimeZone(value, zone) ?? value) : value);

	// Only the period (or an option) fails the run as a whole; row problems go to Rejected.
	const prepared = prepareInvoices(
		items.map((item) => item.json),
		{ periodStart: period(periodStart), periodEnd: period(periodEnd), fields, priceIn, maxQuantity },
	);
	for (const { invoice, rows } of prepared.invoices) {
		results.aggregate(rows, { json: invoice as unknown as IDataObject });
	}
	for (const r of prepared.rejected) {
		results.failure(
			r.row,
			{ message: r.reason, ...(r.field ? { field: r.field } : {}), retryable: false, code: 'invalidRow' },
			{
				...items[r.row].json,
				rejected: { row: r.row, clientId: r.clientId, leadId: r.leadId, billingKey: rejectedRowKey(prepared.periodStart, prepared.periodEnd, r.clientId, r.leadId, r.row) },
			},
		);
	}
}
