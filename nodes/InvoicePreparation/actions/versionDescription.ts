import { NodeConnectionTypes, type INodeTypeDescription } from 'n8n-workflow';
import * as prepare from './invoice/prepare.operation';

export const versionDescription: INodeTypeDescription = {
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
	inputs: [NodeConnectionTypes.Main],
	outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
	outputNames: ['Invoices', 'Rejected'],
	properties: prepare.description,
};
