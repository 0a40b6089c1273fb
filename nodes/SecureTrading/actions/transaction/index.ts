import type { INodeProperties } from 'n8n-workflow';
import { operationProperty } from '../../../shared/descriptions';
import * as query from './query.operation';

export { query };

export const description: INodeProperties[] = [
	operationProperty(
		'transaction',
		[{ name: 'Query', value: 'query', description: 'Find transactions by transaction reference or order reference', action: 'Query transactions' }],
		'query',
	),
	...query.description,
];
