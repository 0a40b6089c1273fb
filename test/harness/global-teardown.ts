// Jest globalTeardown for the e2e project: kill any n8n process group a test left behind (a worker
// that jest force-kills after a hook timeout never runs its own cleanup).
import * as fs from 'fs';
import { killRecordedN8n } from '../../support/n8n';

export default async function globalTeardown(): Promise<void> {
	const dir = process.env.BILLING_N8N_PIDS_DIR;
	if (!dir) return;
	const killed = killRecordedN8n(dir);
	if (killed > 0) console.warn(`e2e teardown: killed ${killed} n8n process group(s) left running by a test`);
	fs.rmSync(dir, { recursive: true, force: true });
}
