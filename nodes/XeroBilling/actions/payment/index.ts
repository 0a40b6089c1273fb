import type { INodeProperties } from 'n8n-workflow';
import { operationProperty } from '../../../shared/descriptions';
import * as record from './record.operation';

export { record };

export const description: INodeProperties[] = [
	operationProperty(
		'payment',
		[
			{
				name: 'Record',
				value: 'record',
				action: 'Record payments',
				description: 'Record received payments against invoices, skipping invoices already paid',
			},
		],
		'record',
	),
	...record.description,
];
