import type { ICredentialType, INodeProperties } from 'n8n-workflow';

// Tested by the Secure Trading node's `secureTradingApiTest` method (a TRANSACTIONQUERY that can
// tell a wrong password, HTTP 401, from a wrong site reference, errorcode 30001/30006, which a
// declarative test cannot express).
export class SecureTradingApi implements ICredentialType {
	name = 'secureTradingApi';

	displayName = 'Secure Trading API';

	icon = { light: 'file:secureTrading.svg', dark: 'file:secureTrading.dark.svg' } as const;

	documentationUrl = 'https://help.trustpayments.com/hc/en-us/articles/4402764105617';

	properties: INodeProperties[] = [
		{
			displayName: 'Webservices Username',
			name: 'username',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'webservices@example.com',
			description: 'The webservices user created in MyST with the Webservices role (also sent as the request alias)',
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
		},
		{
			displayName: 'Site Reference',
			name: 'siteReference',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'test_site12345',
			description: 'The site reference payments are processed on (test sites start with test_)',
		},
		{
			displayName: 'Gateway',
			name: 'gateway',
			type: 'options',
			default: 'eu',
			options: [
				{ name: 'EU (webservices.securetrading.net)', value: 'eu' },
				{ name: 'EU Backup (webservices2.securetrading.net)', value: 'euBackup' },
				{ name: 'US (webservices.securetrading.us)', value: 'us' },
				{ name: 'Custom URL', value: 'custom' },
			],
		},
		{
			displayName: 'Custom URL',
			name: 'customUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'http://127.0.0.1:8443',
			description: 'Base URL of the gateway (e.g. a local sandbox); /json/ is added when missing',
			displayOptions: { show: { gateway: ['custom'] } },
		},
	];
}
