import type { ICredentialType, INodeProperties } from 'n8n-workflow';

// Tested node-side (methods.credentialTest `billingRabbitMqConnectionTest` on the Billing Queue
// nodes), because an AMQP connection cannot be checked with an HTTP request.
export class BillingRabbitMqApi implements ICredentialType {
	name = 'billingRabbitMqApi';

	// The pipeline's workflows and docs call this credential type "Billing RabbitMQ".
	// eslint-disable-next-line n8n-nodes-base/cred-class-field-display-name-missing-api
	displayName = 'Billing RabbitMQ';

	icon = { light: 'file:billingRabbitMq.svg', dark: 'file:billingRabbitMq.dark.svg' } as const;

	documentationUrl = 'https://www.rabbitmq.com/docs/uri-spec';

	properties: INodeProperties[] = [
		{
			displayName: 'Host',
			name: 'hostname',
			type: 'string',
			default: 'localhost',
			required: true,
			placeholder: 'e.g. mq1.example.com, mq2.example.com:5673, [::1]:5672',
			description:
				'The broker host, or for a cluster every node as a comma-separated list of host or host:port (IPv6 in brackets). Entries without a port use Port. Each connection tries the nodes in turn and moves to another node when one goes down.',
		},
		{ displayName: 'Port', name: 'port', type: 'number', default: 5672, description: 'Usually 5672, or 5671 with TLS; used for every host given without a port' },
		{
			displayName: 'Virtual Host',
			name: 'vhost',
			type: 'string',
			default: '/',
		},
		{
			displayName: 'User',
			name: 'username',
			type: 'string',
			default: 'guest',
			displayOptions: { hide: { externalAuth: [true] } },
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: { hide: { externalAuth: [true] } },
		},
		{
			displayName: 'Heartbeat (Seconds)',
			name: 'heartbeat',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: 30,
			description: 'How often client and broker check the connection is alive; 0 turns heartbeats off',
		},
		{
			displayName: 'TLS (AMQPS)',
			name: 'ssl',
			type: 'boolean',
			default: false,
			description: 'Whether to connect over TLS (amqps)',
		},
		{
			displayName: 'Reject Unauthorized Certificates',
			name: 'rejectUnauthorized',
			type: 'boolean',
			default: true,
			description: 'Whether to refuse a broker certificate that does not chain to a trusted CA or does not match the host',
			displayOptions: { show: { ssl: [true] } },
		},
		// Not a secret, but masked as in n8n's own RabbitMQ credential, so the form is the one ops know.
		// eslint-disable-next-line @n8n/community-nodes/credential-unnecessary-password
		{
			displayName: 'CA Certificates',
			name: 'ca',
			type: 'string',
			typeOptions: { password: true, rows: 4 },
			default: '',
			description: 'PEM certificate(s) of the CA that signed the broker certificate, if not a public CA',
			displayOptions: { show: { ssl: [true] } },
		},
		{
			displayName: 'Client Certificate',
			name: 'cert',
			type: 'string',
			typeOptions: { password: true, rows: 4 },
			default: '',
			description: 'PEM client certificate, for brokers that require one',
			displayOptions: { show: { ssl: [true] } },
		},
		// A private key is a secret; the rule does not recognise the name "key".
		// eslint-disable-next-line @n8n/community-nodes/credential-unnecessary-password
		{
			displayName: 'Client Key',
			name: 'key',
			type: 'string',
			typeOptions: { password: true, rows: 4 },
			default: '',
			description: 'PEM private key of the client certificate',
			displayOptions: { show: { ssl: [true] } },
		},
		{
			displayName: 'Passphrase',
			name: 'passphrase',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Passphrase of the client key, if it is encrypted',
			displayOptions: { show: { ssl: [true] } },
		},
		{
			displayName: 'Log In With Client Certificate',
			name: 'externalAuth',
			type: 'boolean',
			default: false,
			description: 'Whether to authenticate with the client certificate (SASL EXTERNAL) instead of user and password',
			displayOptions: { show: { ssl: [true] } },
		},
	];
}
