// Account check: a zero-amount check that a stored card is still usable. Nothing is charged,
// so any transport failure is simply retryable.
import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { choiceProperty, forOperation, optionsCollection } from '../../../shared/descriptions';
import { forEachItem, type OperationContext } from '../../../shared/operation';
import { choiceParameter } from '../../../shared/parameters';
import type { GatewayRequest } from '../../transport';
import type { SecureTradingConnection } from '../../transport/credentials';
import { callGateway, gatewayCall } from '../../helpers/gateway';
import { classifyResponse, resultItem, settleItem } from '../../helpers/outcome';
import { currencyParameter, transactionReference } from '../../helpers/params';
import { connectTimeoutOption, includeInputOption, storedCardReferenceProperty, timeoutOption } from '../common.descriptions';

const properties: INodeProperties[] = [
	storedCardReferenceProperty('Transaction reference of the AUTH or ACCOUNTCHECK that stored the card'),
	{
		displayName: 'Currency',
		name: 'currency',
		type: 'string',
		default: 'GBP',
		required: true,
		description: 'ISO 4217 currency of the account to check against',
	},
	choiceProperty('Account Type', 'accountType', 'ECOM', [{ name: 'E-Commerce (ECOM)', value: 'ECOM' }, { name: 'Mail/Telephone Order (MOTO)', value: 'MOTO' }], 'Account checks run on ECOM or MOTO accounts'),
	optionsCollection([connectTimeoutOption, includeInputOption, timeoutOption]),
];

export const description = forOperation('payment', 'accountCheck', properties);

export async function execute(ctx: OperationContext<SecureTradingConnection>): Promise<void> {
	await forEachItem(ctx, async (_item, itemIndex) => await settleItem(ctx, itemIndex, async () => await accountCheck(ctx, itemIndex)));
}

async function accountCheck(ctx: OperationContext<SecureTradingConnection>, itemIndex: number): Promise<IDataObject> {
	const { fns } = ctx;
	const parent = transactionReference(fns, itemIndex, 'storedCardReference', 'Stored Card Reference');
	const currency = currencyParameter(fns, itemIndex);
	// Account checks run on ECOM or MOTO accounts only.
	const accountType = choiceParameter(fns, 'accountType', itemIndex, ['ECOM', 'MOTO'] as const, 'ECOM');
	const call = gatewayCall(ctx, itemIndex);
	const request: GatewayRequest = {
		requesttypedescriptions: ['ACCOUNTCHECK'],
		sitereference: call.connection.siteReference,
		accounttypedescription: accountType,
		parenttransactionreference: parent,
		credentialsonfile: '2',
		baseamount: '0',
		currencyiso3a: currency,
	};
	const result = await callGateway(call, request);
	if (!result.ok) {
		return resultItem({ outcome: 'retryable', retryable: true, reason: `Account check not completed: ${result.error.message}` }, undefined, {
			requestreference: result.requestReference,
		});
	}
	return resultItem(classifyResponse('ACCOUNTCHECK', result.response), result.response, { requestreference: result.requestReference });
}
