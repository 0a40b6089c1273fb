import { NodeConnectionTypes, type IExecuteFunctions, type INodeExecutionData, type INodeType, type INodeTypeDescription } from 'n8n-workflow';
import * as prepare from './actions/invoice/prepare.operation';
import { router } from './actions/router';

export class InvoicePreparation implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Invoice Preparation',
		name: 'invoicePreparation',
		icon: { light: 'file:invoicePreparation.svg', dark: 'file:invoicePreparation.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{"Bill " + $parameter["periodStart"].slice(0, 10) + " → " + $parameter["periodEnd"].slice(0, 10)}}',
		description: 'Turn CRM lead rows into one validated invoice request per client and billing period',
		defaults: { name: 'Invoice Preparation' },
		// A pure, deterministic transform: safe for an AI agent to call.
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Invoices', 'Rejected'],
		properties: prepare.description,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
