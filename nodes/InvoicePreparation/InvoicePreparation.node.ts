import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import * as prepare from './actions/prepare.operation';

export class InvoicePreparation implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Invoice Preparation',
		name: 'invoicePreparation',
		icon: { light: 'file:invoicePreparation.svg', dark: 'file:invoicePreparation.dark.svg' },
		// A pure, deterministic transform: safe for an AI agent to call.
		usableAsTool: true,
		group: ['transform'],
		version: 1,
		subtitle: '={{"Bill " + $parameter["periodStart"].slice(0, 10) + " → " + $parameter["periodEnd"].slice(0, 10)}}',
		description: 'Turn CRM lead rows into one validated invoice request per client and billing period',
		defaults: { name: 'Invoice Preparation' },
		inputs: ['main'],
		outputs: ['main', 'main'],
		outputNames: ['Invoices', 'Rejected'],
		properties: prepare.description,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await prepare.execute.call(this);
	}
}
