import type { ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * SMTP account the Billing Email node sends through. Tested node-side (nodemailer
 * verify(), see the node's `billingSmtpConnectionTest`), since SMTP is not HTTP.
 */
export class BillingSmtp implements ICredentialType {
	name = 'billingSmtp';

	displayName = 'Billing SMTP';

	icon = { light: 'file:billingSmtp.svg', dark: 'file:billingSmtp.dark.svg' } as const;

	documentationUrl = 'https://nodemailer.com/smtp/';

	properties: INodeProperties[] = [
		{
			displayName: 'Host',
			name: 'host',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'smtp.example.com',
		},
		{
			displayName: 'Port',
			name: 'port',
			type: 'number',
			default: 587,
			required: true,
			description: 'Usually 587 with STARTTLS, 465 with implicit TLS, 25 without TLS',
		},
		{
			displayName: 'TLS Mode',
			name: 'tlsMode',
			type: 'options',
			default: 'starttls',
			options: [
				{ name: 'None', value: 'none', description: 'Plain connection; never upgrade (local relays and test sinks only)' },
				{ name: 'STARTTLS', value: 'starttls', description: 'Connect in plain text, then require the STARTTLS upgrade' },
				{ name: 'Implicit TLS', value: 'implicit', description: 'TLS from the first byte (SMTPS, usually port 465)' },
			],
		},
		{
			displayName: 'User',
			name: 'user',
			type: 'string',
			default: '',
			description: 'Leave empty if the server does not require authentication',
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
		},
		{
			displayName: 'Default Sender',
			name: 'from',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'Acme Accounts <accounts@example.com>',
			description: 'From address used unless the node overrides it; its domain also names the Message-IDs',
		},
		// A boolean (n8n's own SMTP credential has this field too); the rule goes by the name's "auth".
		// eslint-disable-next-line @n8n/community-nodes/credential-password-field
		{
			displayName: 'Allow Unauthorized Certificates',
			name: 'allowUnauthorizedCerts',
			type: 'boolean',
			default: false,
			description: 'Whether to accept TLS certificates that cannot be verified (self-signed). Only for test servers.',
		},
	];
}
