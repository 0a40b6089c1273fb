import type {
	ICredentialsDecrypted,
	ICredentialTestFunctions,
	IExecuteFunctions,
	INodeCredentialTestResult,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import * as contact from './actions/contact';
import * as invoice from './actions/invoice';
import * as payment from './actions/payment';
import { router } from './actions/router';
import { testXeroCredentials } from './helpers/credentialTest';

export class XeroBilling implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Xero Billing',
		name: 'xeroBilling',
		icon: { light: 'file:xeroBilling.svg', dark: 'file:xeroBilling.dark.svg' },
		// An AI agent may look invoices up or create them: both are idempotent by billing key.
		usableAsTool: true,
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: 'Create invoices, contacts and payments in Xero in rate-limited batches, never twice',
		defaults: { name: 'Xero Billing' },
		inputs: ['main'],
		outputs: ['main', 'main'],
		outputNames: ['Success', 'Rejected / Failed'],
		credentials: [{ name: 'xeroCustomConnectionApi', required: true, testedBy: 'xeroCustomConnectionApiTest' }],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Contact', value: 'contact' },
					{ name: 'Invoice', value: 'invoice' },
					{ name: 'Payment', value: 'payment' },
				],
				default: 'invoice',
			},
			...contact.description,
			...invoice.description,
			...payment.description,
		],
	};

	methods = {
		credentialTest: {
			async xeroCustomConnectionApiTest(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
				return await testXeroCredentials(credential.data);
			},
		},
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
