// The node's description: resources, operations and their parameters (see actions/<resource>/).
import type { INodeTypeDescription } from 'n8n-workflow';
import { nodeDescription, resourceProperty } from '../../shared/descriptions';
import * as contact from './contact';
import * as invoice from './invoice';
import * as payment from './payment';

export const versionDescription: INodeTypeDescription = nodeDescription(
	{
		displayName: 'Xero Billing',
		name: 'xeroBilling',
		icon: { light: 'file:xeroBilling.svg', dark: 'file:xeroBilling.dark.svg' },
		// An AI agent may look invoices up or create them: both are idempotent by billing key.
		usableAsTool: true,
		group: ['transform'],
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: 'Create invoices, contacts and payments in Xero in rate-limited batches, never twice',
		outputNames: ['Success', 'Rejected / Failed'],
		credentials: [{ name: 'xeroCustomConnectionApi', required: true, testedBy: 'xeroCustomConnectionApiTest' }],
	},
	[
		resourceProperty(
			[
				{ name: 'Contact', value: 'contact' },
				{ name: 'Invoice', value: 'invoice' },
				{ name: 'Payment', value: 'payment' },
			],
			'invoice',
		),
		...contact.description,
		...invoice.description,
		...payment.description,
	],
);
