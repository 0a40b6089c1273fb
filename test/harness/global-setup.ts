// Jest globalSetup for the e2e project: pack the package once, the way a user or CI publishes it
// (clean clone, `npm ci`, `npm pack` with npm's default configuration), and install that tarball
// into a template nodes folder that every test's n8n copies. Workers inherit the environment set here.
import { existsSync, mkdtempSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { packCleanClone } from '../../support/package';
import { N8N_BIN } from '../../support/paths';

export default async function globalSetup(): Promise<void> {
	if (!existsSync(N8N_BIN)) throw new Error(`real n8n missing at ${N8N_BIN}: run \`npm run n8n:install\` first`);
	const started = Date.now();
	const packed = packCleanClone((line) => console.log(`e2e setup: ${line}`));
	const seconds = Math.round((Date.now() - started) / 1000);
	console.log(`e2e setup: package ${path.basename(packed.tarball)} (${packed.key}) ${packed.fromCache ? 'from the cache' : `packed in ${seconds} s`}`);
	process.env.BILLING_PACKAGE_TARBALL = packed.tarball;
	process.env.BILLING_NODES_TEMPLATE = packed.nodesTemplate;
	// n8n process groups started by the tests are recorded here; the global teardown kills leftovers.
	process.env.BILLING_N8N_PIDS_DIR = mkdtempSync(path.join(os.tmpdir(), 'billing-n8n-pids-'));
}
