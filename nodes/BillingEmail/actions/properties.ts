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
			{
				name: 'Send Run Report',
				value: 'sendRunReport',
				action: 'Send a billing run report',
				description: "Email a billing run's report (from Billing Report) to finance/ops, CSV and JSON attached",
			},
			{
				name: 'Send Alert',
				value: 'sendAlert',
				action: 'Send an alert',
				description: 'Email an alert (from Billing Report) to ops, once per condition and period',
			},
		],
		'sendInvoice',
	),
	...email.sendInvoice.description,
	...email.sendPaymentNotice.description,
	...email.sendRunReport.description,
	...email.sendAlert.description,
];
