import type { INodeProperties } from 'n8n-workflow';
import { choiceProperty, forOperation } from '../../../shared/descriptions';
import type { OperationContext } from '../../../shared/operation';
import { deliverBillingEmails } from '../../helpers/deliver';
import type { SmtpClient } from '../../transport';
import { invoiceAttachmentFields, optionFields, recipientFields, sentRecordFields, templateOverrideFields } from '../common.descriptions';

// What the invoice promises about the charge must be what the debit stage does: set this to match
// how the workflow schedules the charge.
const chargeTimingFields: INodeProperties[] = [
	choiceProperty(
		'Charge Timing',
		'chargeTiming',
		'onInvoicing',
		[
			{ name: 'Today (On Invoicing)', value: 'onInvoicing', description: 'The card is charged as soon as the invoice is sent: "We will charge the card we hold for your account today."' },
			{
				name: 'On or After the Due Date',
				value: 'onDueDate',
				description: 'The charge waits for the due date: "We will charge the card we hold for your account on or after DUE DATE."',
			},
			{ name: 'No Card Charge', value: 'noCard', description: 'No card is charged: "Please pay by DUE DATE using the payment details on the invoice."' },
		],
		'When the email tells the client their card will be charged ({{chargePromise}}). Items without a card on file always get the No Card Charge wording.',
	),
	{
		displayName: 'Card on File',
		name: 'cardReference',
		type: 'string',
		default: '={{ $json.cardReference }}',
		displayOptions: { show: { chargeTiming: ['onInvoicing', 'onDueDate'] } },
		description:
			"The client's stored card reference; only whether it is empty matters, it never goes into the email. Empty: no card on file, so the email asks the client to pay by the due date instead of promising a charge.",
	},
];

const properties: INodeProperties[] = [...recipientFields, ...chargeTimingFields, ...invoiceAttachmentFields, ...templateOverrideFields, ...sentRecordFields, ...optionFields];

export const description = forOperation(null, 'sendInvoice', properties);

export async function execute(ctx: OperationContext<SmtpClient>): Promise<void> {
	await deliverBillingEmails(ctx, () => 'invoice');
}
