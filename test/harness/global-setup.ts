// Jest globalSetup for the e2e project: pack the package once and install it into a template
// nodes folder that every test's n8n copies. Workers inherit the environment set here.
import { existsSync, mkdtempSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { packAndInstall } from '../../support/package';
import { N8N_BIN } from '../../support/paths';

export default async function globalSetup(): Promise<void> {
	if (!existsSync(N8N_BIN)) throw new Error(`real n8n missing at ${N8N_BIN}: run \`npm run n8n:install\` first`);
	const { tarball, nodesTemplate } = packAndInstall();
	process.env.BILLING_PACKAGE_TARBALL = tarball;
	process.env.BILLING_NODES_TEMPLATE = nodesTemplate;
	// n8n process groups started by the tests are recorded here; the global teardown kills leftovers.
	process.env.BILLING_N8N_PIDS_DIR = mkdtempSync(path.join(os.tmpdir(), 'billing-n8n-pids-'));
}
