// The Billing Email node's parameters. The description head (name, icon, inputs, outputs,
// credentials) is the literal in BillingEmail.node.ts, where n8n's lint rules read it.
import type { INodeProperties } from 'n8n-workflow';
import { operationProperty } from '../../shared/descriptions';
import * as email from './email';

export const properties: INodeProperties[] = [
	operationProperty(
		null,
		[
			{
				name: 'Send Invoice Email',
				value: 'sendInvoice',
				action: 'Send an invoice email',
				description: 'Email the invoice, with its PDF attached',
			},
			{
				name: 'Send Payment Notice',
				value: 'sendPaymentNotice',
				action: 'Send a payment notice',
				description: 'Tell the client a payment succeeded, was declined, has no card, or failed for good',
			},
		],
		'sendInvoice',
	),
	...email.sendInvoice.description,
	...email.sendPaymentNotice.description,
];
