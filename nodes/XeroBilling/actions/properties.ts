// The node's parameters: resources, operations and their parameters (see actions/<resource>/).
// The description head (name, icon, inputs, outputs, credentials) is the literal in
// XeroBilling.node.ts, where n8n's lint rules read it.
import type { INodeProperties } from 'n8n-workflow';
import { resourceProperty } from '../../shared/descriptions';
import * as contact from './contact';
import * as invoice from './invoice';
import * as payment from './payment';

export const properties: INodeProperties[] = [
	{
		displayName: 'Authentication',
		name: 'authentication',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Custom Connection', value: 'customConnection', description: "Xero's machine-to-machine connection (paid add-on) for one organisation" },
			{ name: 'OAuth2', value: 'oAuth2', description: "The Xero OAuth2 credential of n8n's own Xero node (standard app); the organisation is chosen below" },
		],
		// Workflows saved before OAuth2 existed have no value here: they keep the custom connection.
		default: 'customConnection',
		description: 'How the node connects to Xero: a custom connection, or OAuth2 with the organisation chosen in the node',
	},
	{
		displayName: 'Organization Name or ID',
		name: 'organizationId',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getTenants' },
		default: '',
		required: true,
		displayOptions: { show: { authentication: ['oAuth2'] } },
		description:
			'The Xero organisation (tenant) every call goes to, from those the OAuth2 connection reaches. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
	},
	resourceProperty(
		[
			{ name: 'Contact', value: 'contact' },
			{ name: 'Invoice', value: 'invoice' },
			{ name: 'Payment', value: 'payment' },
		],
		'invoice',
	),
	...contact.description,
	...invoice.description,
	...payment.description,
];
