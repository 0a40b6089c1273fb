// n8n's community-package lint rules (eslint-plugin-n8n-nodes-base) in ESLint's flat config.
const tsParser = require('@typescript-eslint/parser');
const n8nNodesBase = require('eslint-plugin-n8n-nodes-base');

const plugins = { 'n8n-nodes-base': n8nNodesBase };
const tsLanguage = {
	parser: tsParser,
	parserOptions: { ecmaVersion: 'latest', sourceType: 'module', extraFileExtensions: ['.json'] },
};

module.exports = [
	{ ignores: ['dist/**', 'node_modules/**', 'test/**', 'sandbox/**', 'scripts/**', 'bench/**', 'support/**', '**/*.js'] },
	{
		files: ['package.json'],
		languageOptions: tsLanguage,
		plugins,
		rules: {
			...n8nNodesBase.configs.community.rules,
			'n8n-nodes-base/community-package-json-name-still-default': 'off',
		},
	},
	{
		files: ['credentials/**/*.ts'],
		languageOptions: tsLanguage,
		plugins,
		rules: {
			...n8nNodesBase.configs.credentials.rules,
			// Our credential docs live in this package's README, not on docs.n8n.io.
			'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
		},
	},
	{
		files: ['nodes/**/*.ts'],
		languageOptions: tsLanguage,
		plugins,
		rules: {
			...n8nNodesBase.configs.nodes.rules,
			// Our stage nodes route failures to a second output; this rule only knows single-output nodes.
			'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
			'n8n-nodes-base/node-resource-description-filename-against-convention': 'off',
			'n8n-nodes-base/node-param-fixed-collection-type-unsorted-items': 'off',
		},
	},
	{
		// The Postgres v2 layout: the node file imports its description from actions/versionDescription.ts.
		files: ['nodes/*/actions/versionDescription.ts'],
		rules: { 'n8n-nodes-base/node-filename-against-convention': 'off' },
	},
];
