import type { ICredentialType, INodeProperties } from 'n8n-workflow';

// A Xero "custom connection" (machine-to-machine, client-credentials grant): one app bound to one
// organisation, so no tenant id is needed. Tested by the Xero Billing node's
// `xeroCustomConnectionApiTest` method, which fetches a token from the token URL and reads the
// organisation; a declarative test cannot do the token exchange first.
export class XeroCustomConnectionApi implements ICredentialType {
	name = 'xeroCustomConnectionApi';

	displayName = 'Xero Custom Connection API';

	icon = { light: 'file:xeroCustomConnection.svg', dark: 'file:xeroCustomConnection.dark.svg' } as const;

	documentationUrl = 'https://developer.xero.com/documentation/guides/oauth2/custom-connections/';

	properties: INodeProperties[] = [
		{
			displayName: 'Client ID',
			name: 'clientId',
			type: 'string',
			default: '',
			required: true,
			description: 'Client ID of the custom connection app (Xero developer portal → My Apps)',
		},
		{
			displayName: 'Client Secret',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
		},
		{
			displayName: 'Endpoints',
			name: 'endpoints',
			type: 'options',
			default: 'xero',
			options: [
				{ name: 'Xero (identity.xero.com and api.xero.com)', value: 'xero' },
				{ name: 'Custom URLs', value: 'custom' },
			],
			description: 'Use custom URLs to point the node at a local stand-in such as the Xero sandbox of this package',
		},
		{
			displayName: 'Token URL',
			name: 'tokenUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'http://127.0.0.1:4010/connect/token',
			description: 'Client-credentials token endpoint (stand-in for https://identity.xero.com/connect/token)',
			displayOptions: { show: { endpoints: ['custom'] } },
		},
		{
			displayName: 'API Base URL',
			name: 'apiBaseUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'http://127.0.0.1:4010/api.xro/2.0',
			description: 'Accounting API base (stand-in for https://api.xero.com/api.xro/2.0)',
			displayOptions: { show: { endpoints: ['custom'] } },
		},
	];
}
