// The node's description: resources, operations and their parameters (see actions/<resource>/).
import { NodeConnectionTypes, type INodeTypeDescription } from 'n8n-workflow';
import * as contact from './contact';
import * as invoice from './invoice';
import * as payment from './payment';

export const versionDescription: INodeTypeDescription = {
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
	inputs: [NodeConnectionTypes.Main],
	outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
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
