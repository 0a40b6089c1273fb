// Nodes run in-process by the unit project keep state where n8n would (the Billing Email node's
// sent journal under N8N_USER_FOLDER/.n8n): give every test file, and every test in it, its own
// throwaway folder, so no run sees another's sends (beforeAll hooks use the file's folder).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const folders: string[] = [];
const fresh = () => {
	const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'billing-unit-n8n-'));
	folders.push(folder);
	process.env.N8N_USER_FOLDER = folder;
};
fresh();
beforeEach(fresh);
afterAll(() => {
	for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
});
