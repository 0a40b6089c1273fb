import type { INodeProperties } from 'n8n-workflow';
import { choiceProperty, forOperation } from '../../../shared/descriptions';
import type { OperationContext } from '../../../shared/operation';
import { choiceParameter } from '../../../shared/parameters';
import { deliverBillingEmails } from '../../helpers/deliver';
import type { EmailKind } from '../../templates';
import type { SmtpClient } from '../../transport';
import { noticeAttachmentFields, optionFields, recipientFields, templateOverrideFields } from '../common.descriptions';

const NOTICE_KINDS: readonly EmailKind[] = ['paid', 'declined', 'noCardOnFile', 'finalNotice'];

const properties: INodeProperties[] = [
	choiceProperty('Notice', 'noticeKind', 'paid', [
		{ name: 'Paid', value: 'paid', description: 'The card was charged' },
		{ name: 'Declined', value: 'declined', description: 'The charge was declined; another attempt will follow' },
		{ name: 'No Card on File', value: 'noCardOnFile', description: 'No stored card; the client must pay another way' },
		{ name: 'Final Notice', value: 'finalNotice', description: 'Payment failed after all retries' },
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
	...noticeAttachmentFields,
	...templateOverrideFields,
	...optionFields,
];

export const description = forOperation(null, 'sendPaymentNotice', properties);

export async function execute(ctx: OperationContext<SmtpClient>): Promise<void> {
	// A bad Notice fails that item alone, like any other bad value (FieldError naming noticeKind).
	await deliverBillingEmails(ctx, (itemIndex) => choiceParameter(ctx.fns, 'noticeKind', itemIndex, NOTICE_KINDS, 'paid', 'Notice'));
}
