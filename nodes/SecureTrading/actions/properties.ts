// The Secure Trading node's parameters: resources, operations and each operation's parameters.
// The description head (name, icon, inputs, outputs, credentials) is the literal in
// SecureTrading.node.ts, where n8n's lint rules read it.
import type { INodeProperties } from 'n8n-workflow';
import { resourceProperty } from '../../shared/descriptions';
import * as payment from './payment';
import * as transaction from './transaction';

export const properties: INodeProperties[] = [
	resourceProperty(
		[
			{ name: 'Payment', value: 'payment' },
			{ name: 'Transaction', value: 'transaction' },
		],
		'payment',
	),
	...payment.description,
	...transaction.description,
];
