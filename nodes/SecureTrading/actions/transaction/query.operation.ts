// Query transactions by transaction reference or order reference (billing key). Each record
// gets its own normalised outcome, so "was this billing key paid?" is one look.
import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { choiceProperty, forOperation, optionsCollection } from '../../../shared/descriptions';
import { FieldError } from '../../../shared/errors';
import { forEachItem, type OperationContext } from '../../../shared/operation';
import { choiceParameter, requiredTextParameter } from '../../../shared/parameters';
import type { GatewayResponse } from '../../transport';
import type { SecureTradingConnection } from '../../transport/credentials';
import { gatewayCall, queryTransactions } from '../../helpers/gateway';
import { classifyResponse, pickGatewayFields, resultItem, settleItem, type Classification, type RequestKind } from '../../helpers/outcome';
import { TRANSACTION_REFERENCE } from '../../helpers/params';
import { connectTimeoutOption, includeInputOption, timeoutOption } from '../common.descriptions';

const properties: INodeProperties[] = [
	choiceProperty('Query By', 'queryBy', 'orderReference', [
		{ name: 'Order Reference (Billing Key)', value: 'orderReference' },
		{ name: 'Transaction Reference', value: 'transactionReference' },
	], "Find transactions by our order reference (the billing key) or by the gateway's transaction reference"),
	{
		displayName: 'References',
		name: 'references',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'INV-2024-000123',
		description: 'One reference, or several separated by commas',
	},
	optionsCollection([connectTimeoutOption, includeInputOption, timeoutOption]),
];

export const description = forOperation('transaction', 'query', properties);

const RECORD_KINDS: RequestKind[] = ['AUTH', 'REFUND', 'ACCOUNTCHECK'];

export async function execute(ctx: OperationContext<SecureTradingConnection>): Promise<void> {
	await forEachItem(ctx, async (_item, itemIndex) => await settleItem(ctx, itemIndex, async () => await query(ctx, itemIndex)));
}

async function query(ctx: OperationContext<SecureTradingConnection>, itemIndex: number): Promise<IDataObject> {
	const { fns } = ctx;
	const queryBy = choiceParameter(fns, 'queryBy', itemIndex, ['orderReference', 'transactionReference'] as const, 'orderReference');
	const filterKey = queryBy === 'transactionReference' ? 'transactionreference' : 'orderreference';
	const references = requiredTextParameter(fns, 'references', itemIndex, 'References')
		.split(',')
		.map((value) => value.trim())
		.filter((value) => value !== '');
	if (filterKey === 'transactionreference') {
		const bad = references.find((value) => !TRANSACTION_REFERENCE.test(value));
		if (bad) throw new FieldError('references', `References (references) "${bad}" is not a transaction reference like 55-9-35032`);
	}

	const answer = await queryTransactions(gatewayCall(ctx, itemIndex), { [filterKey]: references });
	if (!answer.ok) {
		const classification: Classification = answer.response
			? classifyResponse('TRANSACTIONQUERY', answer.response)
			: { outcome: 'retryable', retryable: true, reason: `Query not completed: ${answer.reason}` };
		return resultItem(classification, answer.response, { queryBy, references, requestreference: answer.requestReference });
	}
	const records = answer.records.map((record) => describeRecord(record));
	const classification = classifyResponse('TRANSACTIONQUERY', { errorcode: '0', records: answer.records });
	return resultItem(classification, undefined, {
		queryBy,
		references,
		requestreference: answer.requestReference,
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
