import type { INodeProperties } from 'n8n-workflow';
import { forOperation } from '../../../shared/descriptions';
import type { OperationContext } from '../../../shared/operation';
import { deliverBillingEmails } from '../../helpers/deliver';
import type { SmtpClient } from '../../transport';
import { invoiceAttachmentFields, optionFields, recipientFields, templateOverrideFields } from '../common.descriptions';

const properties: INodeProperties[] = [...recipientFields, ...invoiceAttachmentFields, ...templateOverrideFields, ...optionFields];

export const description = forOperation(null, 'sendInvoice', properties);

export async function execute(ctx: OperationContext<SmtpClient>): Promise<void> {
	await deliverBillingEmails(ctx, () => 'invoice');
}
