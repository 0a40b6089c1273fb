// Query transactions by transaction reference or order reference (billing key). Each record
// gets its own normalised outcome, so "was this billing key paid?" is one look.
import type { IDataObject, INodeProperties } from 'n8n-workflow';
import type { GatewayResponse } from '../../transport';
import { queryTransactions, resultItem, type OperationContext } from '../../helpers/api';
import { classifyResponse, pickGatewayFields, type RequestKind } from '../../helpers/outcome';
import { inputError, requiredString } from '../../helpers/params';
import { connectTimeoutOption, includeInputOption, timeoutOption } from '../common.descriptions';

const show = { resource: ['transaction'], operation: ['query'] };

export const description: INodeProperties[] = [
	{
		displayName: 'Query By',
		name: 'queryBy',
		type: 'options',
		default: 'orderReference',
		description: "Find transactions by our order reference (the billing key) or by the gateway's transaction reference",
		options: [
			{ name: 'Order Reference (Billing Key)', value: 'orderReference' },
			{ name: 'Transaction Reference', value: 'transactionReference' },
		],
		displayOptions: { show },
	},
	{
		displayName: 'References',
		name: 'references',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'INV-2024-000123',
		description: 'One reference, or several separated by commas',
		displayOptions: { show },
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show },
		options: [connectTimeoutOption, includeInputOption, timeoutOption],
	},
];

const RECORD_KINDS: RequestKind[] = ['AUTH', 'REFUND', 'ACCOUNTCHECK'];

export async function execute(ctx: OperationContext): Promise<IDataObject> {
	const { fns, itemIndex } = ctx;
	const queryBy = fns.getNodeParameter('queryBy', itemIndex, 'orderReference') as string;
	const filterKey = queryBy === 'transactionReference' ? 'transactionreference' : queryBy === 'orderReference' ? 'orderreference' : '';
	if (!filterKey) throw inputError(fns, itemIndex, 'queryBy', `Query By (queryBy) "${queryBy}" must be orderReference or transactionReference`);
	const references = requiredString(fns, itemIndex, 'references', 'References')
		.split(',')
		.map((value) => value.trim())
		.filter((value) => value !== '');
	if (filterKey === 'transactionreference') {
		const bad = references.find((value) => !/^\d+-\d+-\d+$/.test(value));
		if (bad) throw inputError(fns, itemIndex, 'references', `References (references) "${bad}" is not a transaction reference like 55-9-35032`);
	}

	const query = await queryTransactions(ctx, { [filterKey]: references });
	if (!query.ok) {
		const classification = query.response
			? classifyResponse('TRANSACTIONQUERY', query.response)
			: { outcome: 'retryable', retryable: true, reason: `Query not completed: ${query.reason}` };
		return resultItem(classification, query.response, { queryBy, references, requestreference: query.requestReference });
	}
	const records = query.records.map((record) => describeRecord(record));
	const classification = classifyResponse('TRANSACTIONQUERY', { errorcode: '0', records: query.records });
	return resultItem(classification, undefined, {
		queryBy,
		references,
		requestreference: query.requestReference,
		found: records.length,
		records,
	});
}

function describeRecord(record: GatewayResponse): IDataObject {
	const type = String(record.requesttypedescription ?? '');
	const kind = (RECORD_KINDS as string[]).includes(type) ? (type as RequestKind) : 'AUTH';
	const classification = classifyResponse(kind, record);
	return {
		outcome: classification.outcome,
		retryable: classification.retryable,
		reason: classification.reason,
		...pickGatewayFields(record),
		...(typeof record.sitereference === 'string' ? { sitereference: record.sitereference } : {}),
	};
}
