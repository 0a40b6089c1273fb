import { updateDisplayOptions, type IExecuteFunctions, type INodeExecutionData, type INodeProperties } from 'n8n-workflow';
import { deliverBillingEmails } from '../../helpers/deliver';
import { invoiceAttachmentFields, optionFields, recipientFields, templateOverrideFields } from './fields';

const properties: INodeProperties[] = [...recipientFields, ...invoiceAttachmentFields, ...templateOverrideFields, ...optionFields];

export const description = updateDisplayOptions({ show: { operation: ['sendInvoice'] } }, properties);

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await deliverBillingEmails.call(this, () => 'invoice');
}
