// The lint is n8n's own: `n8n-node lint` (@n8n/node-cli) runs ESLint with this file. The package
// is for self-hosted n8n only: its transports need Node's network modules (amqplib, nodemailer,
// http/https) and npm dependencies, which n8n Cloud forbids, so it uses
// `configWithoutCloudSupport` rather than the Cloud `config`. A rule that cannot apply is turned
// off where it fails (a line, or the files named below), with the reason; the README lists them.
import { configWithoutCloudSupport } from '@n8n/node-cli/eslint';

export default [
	...configWithoutCloudSupport,
	{
		// `n8n-node lint` lints the whole folder; only nodes/, credentials/ and package.json ship.
		// Tests, the sandbox, scripts, benchmarks and support code are checked by tsc and jest.
		ignores: ['test/**', 'sandbox/**', 'scripts/**', 'bench/**', 'support/**', 'workflows/**', '**/*.js', '**/*.cjs', '**/*.mjs'],
	},
	{
		files: ['**/*.ts'],
		rules: {
			// As tsc's noUnusedLocals: `const { a: _a, ...rest } = o` omits a key from `rest`.
			'@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
		},
	},
	{
		// The Xero transport and credential test have no node to build an n8n error with: their
		// errors (ServiceError subclasses carrying code and retryable) reach the router, whose
		// toNodeError makes each a NodeApiError/NodeOperationError once, with secrets redacted.
		// Other files say this per line; these are being reworked (Xero OAuth2), hence per file.
		files: ['nodes/XeroBilling/transport/client.ts', 'nodes/XeroBilling/transport/token.ts', 'nodes/XeroBilling/transport/oauth2.ts', 'nodes/XeroBilling/methods/credentialTest.ts'],
		rules: { '@n8n/community-nodes/require-node-api-error': 'off' },
	},
	{
		files: ['package.json'],
		rules: {
			// The transports need amqplib (RabbitMQ), nodemailer (SMTP) and xero-node (Xero's models);
			// self-hosted n8n installs a community package's dependencies.
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
		},
	},
];
