import type { INodeProperties } from 'n8n-workflow';
import { choiceProperty, forOperation } from '../../../shared/descriptions';
import type { OperationContext } from '../../../shared/operation';
import { choiceParameter } from '../../../shared/parameters';
import { deliverBillingEmails } from '../../helpers/deliver';
import type { EmailKind } from '../../templates';
import type { SmtpClient } from '../../transport';
import { noticeAttachmentFields, optionFields, recipientFields, sentRecordFields, templateOverrideFields } from '../common.descriptions';

const NOTICE_KINDS: readonly EmailKind[] = ['paid', 'declined', 'noCardOnFile', 'finalNotice', 'nothingToCharge', 'chargedRemainder'];

/** Xero's read-back amounts are minor units, whatever Amount's unit is. */
const remainderAmount = (displayName: string, name: string, defaultValue: string, description: string): INodeProperties => ({
	displayName,
	name,
	type: 'string',
	default: defaultValue,
	displayOptions: { show: { noticeKind: ['chargedRemainder'] } },
	description: `${description}, in minor units (e.g. 1250 = 12.50) whatever Amount's unit. Amount Charged plus Already Paid must make Invoice Total, or nothing is sent.`,
});

const properties: INodeProperties[] = [
	choiceProperty('Notice', 'noticeKind', 'paid', [
		{ name: 'Paid', value: 'paid', description: 'The card was charged' },
		{ name: 'Declined', value: 'declined', description: 'The charge was declined and another attempt is scheduled (its date and the attempts left come from the item\'s nextAttemptAt and attemptsRemaining)' },
		{ name: 'No Card on File', value: 'noCardOnFile', description: 'No stored card; the client must pay another way' },
		{ name: 'Final Notice', value: 'finalNotice', description: 'No further charge: a never-approve decline, or the last attempt used' },
		{ name: 'Nothing to Charge', value: 'nothingToCharge', description: 'The invoice was already paid, cancelled or credited; the card was not charged' },
		{ name: 'Charged Remainder', value: 'chargedRemainder', description: 'Part of the invoice was already paid; the card was charged the rest' },
	], "Which notice to send; the right one follows from the debit stage's outcome"),
	...recipientFields,
	{
		displayName: 'Decline Reason',
		name: 'reason',
		type: 'string',
		default: '={{ $json.declineReason }}',
		displayOptions: { show: { noticeKind: ['declined', 'finalNotice'] } },
		description: 'Readable reason shown to the client, e.g. insufficient funds. If empty, derived from the acquirer response code.',
	},
	{
		displayName: 'Acquirer Response Code',
		name: 'acquirerResponseCode',
		type: 'string',
		default: '={{ $json.acquirerResponseCode }}',
		displayOptions: { show: { noticeKind: ['declined', 'finalNotice'] } },
		description: 'Secure Trading acquirerresponsecode (e.g. 51), used when Decline Reason is empty',
	},
	{
		displayName: 'Attempt',
		name: 'attempt',
		type: 'string',
		default: '={{ $json.attempt }}',
		displayOptions: { show: { noticeKind: ['declined', 'noCardOnFile'] } },
		description: 'Charge attempt number (1, 2, ...); part of the Message-ID, so each attempt gets its own notice',
	},
	{
		displayName: 'Nothing-to-Charge Reason',
		name: 'noChargeReason',
		type: 'string',
		default: '={{ $json.chargeable?.state }}',
		displayOptions: { show: { noticeKind: ['nothingToCharge'] } },
		description:
			"Why nothing was charged, which picks the wording: paidElsewhere (already paid, e.g. by bank transfer), voided (the invoice was cancelled) or credited (a credit note covers it). Xero Billing's read-back state paid counts as paidElsewhere.",
	},
	remainderAmount(
		'Amount Charged',
		'amountCharged',
		'={{ $json.chargedMinor ?? $json.chargeable?.amountDueMinor }}',
		'What the card was charged: the charge itself, else the amount due when the invoice was read back before the charge',
	),
	remainderAmount('Invoice Total', 'invoiceTotal', '={{ $json.xeroInvoice?.totalMinor }}', 'The invoice total'),
	remainderAmount(
		'Already Paid',
		'amountPaid',
		// paidBeforeChargeMinor: set when the invoice was read after our charge was recorded (a redelivery).
		'={{ $json.paidBeforeChargeMinor ?? $json.xeroInvoice?.amountPaidMinor + ($json.xeroInvoice?.amountCreditedMinor ?? 0) }}',
		'What was paid (or credited by credit notes) before the charge',
	),
	...noticeAttachmentFields,
	...templateOverrideFields,
	...sentRecordFields,
	...optionFields,
];

export const description = forOperation(null, 'sendPaymentNotice', properties);

export async function execute(ctx: OperationContext<SmtpClient>): Promise<void> {
	// A bad Notice fails that item alone, like any other bad value (FieldError naming noticeKind).
	await deliverBillingEmails(ctx, (itemIndex) => choiceParameter(ctx.fns, 'noticeKind', itemIndex, NOTICE_KINDS, 'paid', 'Notice'));
}
