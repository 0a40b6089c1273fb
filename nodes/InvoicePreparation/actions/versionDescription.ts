import type { INodeTypeDescription } from 'n8n-workflow';
import { nodeDescription } from '../../shared/descriptions';
import * as prepare from './invoice/prepare.operation';

export const versionDescription: INodeTypeDescription = nodeDescription(
	{
		displayName: 'Invoice Preparation',
		name: 'invoicePreparation',
		icon: { light: 'file:invoicePreparation.svg', dark: 'file:invoicePreparation.dark.svg' },
		// A pure, deterministic transform: safe for an AI agent to call.
		usableAsTool: true,
		group: ['transform'],
		subtitle: '={{"Bill " + $parameter["periodStart"].slice(0, 10) + " → " + $parameter["periodEnd"].slice(0, 10)}}',
		description: 'Turn CRM lead rows into one validated invoice request per client and billing period',
		outputNames: ['Invoices', 'Rejected'],
	},
	prepare.description,
);
