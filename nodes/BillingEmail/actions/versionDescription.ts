import type { INodeTypeDescription } from 'n8n-workflow';
import { nodeDescription, operationProperty } from '../../shared/descriptions';
import * as email from './email';

export const versionDescription: INodeTypeDescription = nodeDescription(
	{
		displayName: 'Billing Email',
		name: 'billingEmail',
		icon: 'file:billingEmail.svg',
		group: ['output'],
		subtitle: '={{ $parameter["operation"] === "sendInvoice" ? "Send invoice" : "Payment notice: " + $parameter["noticeKind"] }}',
		description: 'Send invoice emails and payment notices (paid, declined, no card, final notice) over SMTP',
		// Output 2 receives items whose email could not be sent, with the SMTP error, for retry.
		outputNames: ['Sent', 'Failed'],
		credentials: [
			{
				// Named as the task specifies; SMTP is not an HTTP API, hence no -Api suffix.
				// eslint-disable-next-line n8n-nodes-base/node-class-description-credentials-name-unsuffixed
				name: 'billingSmtp',
				required: true,
				testedBy: 'billingSmtpConnectionTest',
			},
		],
	},
	[
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
	],
);
