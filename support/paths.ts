// Where the pinned real n8n lives. scripts/install-n8n.sh installs it there once; the cache
// is outside the repo so a clean clone reuses it.
import * as os from 'os';
import * as path from 'path';

export const N8N_VERSION = process.env.N8N_VERSION ?? '2.40.7';
export const NODE24_VERSION = process.env.NODE24_VERSION ?? '24.21.0';
export const CACHE_DIR = process.env.N8N_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'n8n-billing-pipeline');
export const NODE24_BIN = path.join(CACHE_DIR, `node-${NODE24_VERSION}`, 'bin', 'node');
export const N8N_DIR = path.join(CACHE_DIR, `n8n-${N8N_VERSION}`);
export const N8N_BIN = path.join(N8N_DIR, 'node_modules', 'n8n', 'bin', 'n8n');
export const REPO_ROOT = path.resolve(__dirname, '..');
export const WORKFLOWS_DIR = path.join(REPO_ROOT, 'workflows');
