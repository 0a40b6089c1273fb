import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	IExecuteFunctions,
	INodeCredentialTestResult,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import * as payment from './actions/payment';
import { router } from './actions/router';
import * as transaction from './actions/transaction';
import { testSecureTradingCredentials } from './helpers/credentialTest';

export class SecureTrading implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Secure Trading',
		name: 'secureTrading',
		icon: { light: 'file:secureTrading.svg', dark: 'file:secureTrading.dark.svg' },
		// Deliberately not usableAsTool: moving money must stay in a reviewed workflow, not an agent's choice.
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: 'Charge stored cards, refund and query payments with Secure Trading (Trust Payments) webservices',
		defaults: { name: 'Secure Trading' },
		inputs: ['main'],
		outputs: ['main', 'main'],
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

	methods = {
		credentialTest: {
			async secureTradingApiTest(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
				return await testSecureTradingCredentials(credential.data);
			},
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
