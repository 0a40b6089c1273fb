// The Secure Trading node's description: resources, operations and each operation's parameters.
import type { INodeTypeDescription } from 'n8n-workflow';
import { nodeDescription, resourceProperty } from '../../shared/descriptions';
import * as payment from './payment';
import * as transaction from './transaction';

export const versionDescription: INodeTypeDescription = nodeDescription(
	{
		displayName: 'Secure Trading',
		name: 'secureTrading',
		icon: { light: 'file:secureTrading.svg', dark: 'file:secureTrading.dark.svg' },
		// Deliberately not usableAsTool: moving money must stay in a reviewed workflow, not an agent's choice.
		group: ['transform'],
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: 'Charge stored cards, refund and query payments with Secure Trading (Trust Payments) webservices',
		outputNames: ['Success', 'Declined / Failed'],
		credentials: [{ name: 'secureTradingApi', required: true, testedBy: 'secureTradingApiTest' }],
	},
	[
		resourceProperty(
			[
				{ name: 'Payment', value: 'payment' },
				{ name: 'Transaction', value: 'transaction' },
			],
			'payment',
		),
		...payment.description,
		...transaction.description,
	],
);
