// Two projects: `unit` runs in-process against the sandbox and the real RabbitMQ;
// `e2e` drives a real n8n (installed once into a cache by scripts/install-n8n.sh).
// Workers must end within jest's fixed 500 ms or jest kills them ("A worker process has failed to
// exit gracefully"). No handle was left open: the time went into freeing a worker's heap when its
// process exits, ~700 MB with ts-jest's type-aware language service in every worker. So ts-jest
// transpiles file by file (tsconfig.json plus isolatedModules; type checking is `npm run
// typecheck`'s job, diagnostics are off here anyway), and a worker whose heap grows past 200 MB
// across test files is replaced before its next file.
const tsJest = ['ts-jest', { tsconfig: { isolatedModules: true }, diagnostics: false }];

module.exports = {
	testTimeout: 120000,
	maxWorkers: 2,
	workerIdleMemoryLimit: '200MB',
	projects: [
		{
			displayName: 'unit',
			testEnvironment: 'node',
			transform: { '^.+\\.ts$': tsJest },
			testMatch: ['<rootDir>/test/{unit,integration,sandbox}/**/*.test.ts'],
			setupFilesAfterEnv: ['<rootDir>/test/harness/unit-setup.ts'],
		},
		{
			displayName: 'e2e',
			testEnvironment: 'node',
			transform: { '^.+\\.ts$': tsJest },
			testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
			globalSetup: '<rootDir>/test/harness/global-setup.ts',
			globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
			setupFilesAfterEnv: ['<rootDir>/test/harness/e2e-setup.ts'],
		},
	],
};
