import type { INodeProperties } from 'n8n-workflow';
import { operationProperty } from '../../../shared/descriptions';
import * as accountCheck from './accountCheck.operation';
import * as debitStoredCard from './debitStoredCard.operation';
import * as refund from './refund.operation';

export { accountCheck, debitStoredCard, refund };

export const description: INodeProperties[] = [
	operationProperty(
		'payment',
		[
			{
				name: 'Account Check',
				value: 'accountCheck',
				description: 'Check a stored card with a zero-amount ACCOUNTCHECK',
				action: 'Check a stored card',
			},
			{
				name: 'Debit Stored Card',
				value: 'debitStoredCard',
				description: 'Charge a stored card (merchant-initiated AUTH), at most once per billing key',
				action: 'Debit a stored card',
			},
			{
				name: 'Refund',
				value: 'refund',
				description: 'Refund a settled payment in full or in part',
				action: 'Refund a payment',
			},
		],
		'debitStoredCard',
	),
	...debitStoredCard.description,
	...refund.description,
	...accountCheck.description,
];
