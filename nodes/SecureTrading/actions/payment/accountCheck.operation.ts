// Account check: a zero-amount check that a stored card is still usable. Nothing is charged,
// so any transport failure is simply retryable.
import type { IDataObject, INodeProperties } from 'n8n-workflow';
import type { GatewayRequest } from '../../transport';
import { callGateway, resultItem, type OperationContext } from '../../helpers/api';
import { classifyResponse } from '../../helpers/outcome';
import { currencyParam, inputError, transactionReference } from '../../helpers/params';
import { connectTimeoutOption, includeInputOption, timeoutOption } from '../common.descriptions';

const show = { resource: ['payment'], operation: ['accountCheck'] };

export const description: INodeProperties[] = [
	{
		displayName: 'Stored Card Reference',
		name: 'storedCardReference',
		type: 'string',
		default: '',
		required: true,
		placeholder: '55-9-35032',
		description: 'Transaction reference of the AUTH or ACCOUNTCHECK that stored the card',
		displayOptions: { show },
	},
	{
		displayName: 'Currency',
		name: 'currency',
		type: 'string',
		default: 'GBP',
		required: true,
		description: 'ISO 4217 currency of the account to check against',
		displayOptions: { show },
	},
	{
		displayName: 'Account Type',
		name: 'accountType',
		type: 'options',
		default: 'ECOM',
		options: [
			{ name: 'E-Commerce (ECOM)', value: 'ECOM' },
			{ name: 'Mail/Telephone Order (MOTO)', value: 'MOTO' },
		],
		description: 'Account checks run on ECOM or MOTO accounts',
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

export async function execute(ctx: OperationContext): Promise<IDataObject> {
	const { fns, itemIndex } = ctx;
	const parent = transactionReference(fns, itemIndex, 'storedCardReference', 'Stored Card Reference');
	const currency = currencyParam(fns, itemIndex);
	const accountType = fns.getNodeParameter('accountType', itemIndex, 'ECOM') as string;
	if (accountType !== 'ECOM' && accountType !== 'MOTO') {
		throw inputError(fns, itemIndex, 'accountType', `Account Type (accountType) "${accountType}" must be ECOM or MOTO for an account check`);
	}
	const request: GatewayRequest = {
		requesttypedescriptions: ['ACCOUNTCHECK'],
		sitereference: ctx.connection.siteReference,
		accounttypedescription: accountType,
		parenttransactionreference: parent,
		credentialsonfile: '2',
		baseamount: '0',
		currencyiso3a: currency,
	};
	const result = await callGateway(ctx, request);
	if (!result.ok) {
		return resultItem({ outcome: 'retryable', retryable: true, reason: `Account check not completed: ${result.error.message}` }, undefined, {
			requestreference: result.requestReference,
		});
	}
	return resultItem(classifyResponse('ACCOUNTCHECK', result.response), result.response, { requestreference: result.requestReference });
}
