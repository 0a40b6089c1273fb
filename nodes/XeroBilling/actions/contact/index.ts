import type { INodeProperties } from 'n8n-workflow';
import { operationProperty } from '../../../shared/descriptions';
import * as ensure from './ensure.operation';

export { ensure };

export const description: INodeProperties[] = [
	operationProperty(
		'contact',
		[
			{
				name: 'Ensure',
				value: 'ensure',
				action: 'Ensure contacts exist',
				description: 'Find contacts by CRM client ID (ContactNumber) or email and create the missing ones',
			},
		],
		'ensure',
	),
	...ensure.description,
];
