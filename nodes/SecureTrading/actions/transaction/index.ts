import type { INodeProperties } from 'n8n-workflow';
import * as query from './query.operation';

export { query };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['transaction'] } },
		options: [
			{
				name: 'Query',
				value: 'query',
				description: 'Find transactions by transaction reference or order reference',
				action: 'Query transactions',
			},
		],
		default: 'query',
	},
	...query.description,
];
