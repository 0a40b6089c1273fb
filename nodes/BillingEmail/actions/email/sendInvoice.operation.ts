import { updateDisplayOptions, type INodeProperties } from 'n8n-workflow';
import type { OperationContext } from '../../../shared/operation';
import { deliverBillingEmails } from '../../helpers/deliver';
import type { SmtpClient } from '../../transport';
import { invoiceAttachmentFields, optionFields, recipientFields, templateOverrideFields } from '../common.descriptions';

const properties: INodeProperties[] = [...recipientFields, ...invoiceAttachmentFields, ...templateOverrideFields, ...optionFields];

export const description = updateDisplayOptions({ show: { operation: ['sendInvoice'] } }, properties);

export async function execute(ctx: OperationContext<SmtpClient>): Promise<void> {
	await deliverBillingEmails(ctx, () => 'invoice');
}
