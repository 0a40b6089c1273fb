import * as record from './record.operation';
import type { INodeProperties } from 'n8n-workflow';

export { record };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['payment'] } },
		options: [
			{
				name: 'Record',
				value: 'record',
				action: 'Record payments',
				description: 'Record received payments against invoices, skipping invoices already paid',
			},
		],
		default: 'record',
	},
	...record.description,
];
