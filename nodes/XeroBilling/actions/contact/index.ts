import * as ensure from './ensure.operation';
import type { INodeProperties } from 'n8n-workflow';

export { ensure };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['contact'] } },
		options: [
			{
				name: 'Ensure',
				value: 'ensure',
				action: 'Ensure contacts exist',
				description: 'Find contacts by CRM client ID (ContactNumber) or email and create the missing ones',
			},
		],
		default: 'ensure',
	},
	...ensure.description,
];
