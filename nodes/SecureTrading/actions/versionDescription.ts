// The Secure Trading node's description: resources, operations and each operation's parameters.
import { NodeConnectionTypes, type INodeTypeDescription } from 'n8n-workflow';
import * as payment from './payment';
import * as transaction from './transaction';

export const versionDescription: INodeTypeDescription = {
	displayName: 'Secure Trading',
	name: 'secureTrading',
	icon: { light: 'file:secureTrading.svg', dark: 'file:secureTrading.dark.svg' },
	// Deliberately not usableAsTool: moving money must stay in a reviewed workflow, not an agent's choice.
	group: ['transform'],
	version: 1,
	subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
	description: 'Charge stored cards, refund and query payments with Secure Trading (Trust Payments) webservices',
	defaults: { name: 'Secure Trading' },
	inputs: [NodeConnectionTypes.Main],
	outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
	outputNames: ['Success', 'Declined / Failed'],
	credentials: [{ name: 'secureTradingApi', required: true, testedBy: 'secureTradingApiTest' }],
	properties: [
		{
			displayName: 'Resource',
			name: 'resource',
			type: 'options',
			noDataExpression: true,
			options: [
				{ name: 'Payment', value: 'payment' },
				{ name: 'Transaction', value: 'transaction' },
			],
			default: 'payment',
		},
		...payment.description,
		...transaction.description,
	],
};
