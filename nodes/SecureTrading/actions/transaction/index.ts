import { updateDisplayOptions, type INodeProperties } from 'n8n-workflow';
import * as query from './query.operation';

export { query };

const operation: INodeProperties = {
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	options: [
		{
			name: 'Query',
			value: 'query',
			description: 'Find transactions by transaction reference or order reference',
			action: 'Query transactions',
		},
	],
	default: 'query',
};

export const description: INodeProperties[] = [
	...updateDisplayOptions({ show: { resource: ['transaction'] } }, [operation]),
	...query.description,
];
