import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { DEFAULT_FIELDS, FieldMap, prepareInvoices } from '../helpers/prepare';

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
		description: 'First moment of the billing period (inclusive). Leads delivered before it are rejected.',
	},
	{
		displayName: 'Period End',
		name: 'periodEnd',
		type: 'dateTime',
		default: '',
		required: true,
		description: 'End of the billing period (exclusive). Same period, same billing keys: reruns never bill twice.',
	},
	{
		displayName: 'Prices Are In',
		name: 'priceIn',
		type: 'options',
		options: [
			{ name: 'Major Units (e.g. 10.50)', value: 'major' },
			{ name: 'Minor Units (e.g. 1050)', value: 'minor' },
		],
		default: 'major',
		description: 'How the CRM expresses lead prices; minor units use the currency’s ISO 4217 decimals',
	},
	{
		displayName: 'Field Mapping',
		name: 'fields',
		type: 'collection',
		placeholder: 'Map a Field',
		default: {},
		description: 'Where each value is in the incoming rows, so any CRM node’s output can feed this node. Dotted paths such as "client.email" work.',
		options: [
			fieldOption('billingEmail', 'Billing Email Field', 'Field holding the client’s billing email address'),
			fieldOption('cardReference', 'Card Reference Field', 'Field holding the stored-card parent transaction reference (empty when no card is on file)'),
			fieldOption('clientId', 'Client ID Field', 'Field holding the CRM client ID'),
			fieldOption('clientName', 'Client Name Field', 'Field holding the client’s name as it should appear on the invoice'),
			fieldOption('currency', 'Currency Field', 'Field holding the ISO 4217 currency code'),
			fieldOption('deliveredAt', 'Delivered At Field', 'Field holding when the lead was delivered'),
			fieldOption('description', 'Description Field', 'Field holding the invoice line description'),
			fieldOption('leadId', 'Lead ID Field', 'Field holding the lead’s unique ID'),
			fieldOption('price', 'Price Field', 'Field holding the lead’s price'),
			fieldOption('quantity', 'Quantity Field', 'Field holding the quantity (1 when absent)'),
		],
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Max Quantity per Line',
				name: 'maxQuantity',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 10000,
				description: 'Quantities above this are treated as data errors',
			},
		],
	},
];

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const periodStart = this.getNodeParameter('periodStart', 0) as string;
	const periodEnd = this.getNodeParameter('periodEnd', 0) as string;
	const priceIn = this.getNodeParameter('priceIn', 0) as 'major' | 'minor';
	const fields = { ...DEFAULT_FIELDS, ...(this.getNodeParameter('fields', 0, {}) as Partial<FieldMap>) };
	const options = this.getNodeParameter('options', 0, {}) as IDataObject;

	let result;
	try {
		result = prepareInvoices(
			items.map((item) => item.json),
			{ periodStart, periodEnd, fields, priceIn, maxQuantity: (options.maxQuantity as number) ?? 10000 },
		);
	} catch (error) {
		// Only the period itself can fail as a whole; row problems go to the Rejected output.
		if (this.continueOnFail()) {
			return [[], items.map((item, i) => ({ json: { ...item.json, error: { message: (error as Error).message } }, pairedItem: { item: i } }))];
		}
		throw new NodeOperationError(this.getNode(), error as Error, { description: 'Check Period Start and Period End' });
	}

	const invoices: INodeExecutionData[] = result.invoices.map(({ invoice, rows }) => ({
		json: invoice as unknown as IDataObject,
		pairedItem: rows.map((item) => ({ item })),
	}));
	const rejected: INodeExecutionData[] = result.rejected.map((r) => ({
		json: { ...items[r.row].json, error: { message: r.reason, field: r.field, row: r.row, clientId: r.clientId, leadId: r.leadId } },
		pairedItem: { item: r.row },
	}));
	return [invoices, rejected];
}
