// The tarball every e2e test installs into n8n is the one a user or CI publishes: packed by the e2e
// global setup from a clean clone (`git clone`, `npm ci`, `npm pack`, npm's default configuration;
// support/package.ts). Here: what it contains, and that the installed copy is complete.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CACHE_DIR, REPO_ROOT } from '../../support/paths';

const tarball = process.env.BILLING_PACKAGE_TARBALL ?? '';
const nodesTemplate = process.env.BILLING_NODES_TEMPLATE ?? '';
const entries = () => execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
const packedJson = () => JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }));

describe('the published package (packed from a clean clone)', () => {
	it('is the clean-clone tarball, not one packed from this checkout', () => {
		expect(path.relative(path.join(CACHE_DIR, 'package'), tarball)).toMatch(/^[0-9a-f]{16}\/n8n-nodes-billing-pipeline-[\d.]+\.tgz$/);
	});

	it('holds the compiled file of every node and credential package.json names', () => {
		const files = new Set(entries());
		const { n8n } = packedJson() as { n8n: { nodes: string[]; credentials: string[] } };
		expect(n8n.nodes.length).toBeGreaterThan(0);
		expect([...n8n.nodes, ...n8n.credentials].filter((file) => !files.has(`package/${file}`))).toEqual([]);
	});

	it('holds every shipped workflow, LICENSE, README and CHANGELOG', () => {
		const files = new Set(entries());
		const workflows = fs.readdirSync(path.join(REPO_ROOT, 'workflows')).filter((file) => file.endsWith('.json'));
		expect(workflows.length).toBeGreaterThan(0);
		for (const file of [...workflows.map((w) => `workflows/${w}`), 'LICENSE', 'README.md', 'CHANGELOG.md', 'package.json']) {
			expect({ file, shipped: files.has(`package/${file}`) }).toEqual({ file, shipped: true });
		}
	});

	it('ships no source maps, TypeScript sources, tests, sandbox or tooling', () => {
		const unwanted = entries().filter(
			(file) =>
				file.endsWith('.map') ||
				(file.endsWith('.ts') && !file.endsWith('.d.ts')) ||
				/^package\/(test|sandbox|support|bench|scripts|docs|nodes|credentials|\.github|\.ci)\//.test(file) ||
				/^package\/dist\/(test|sandbox|support|bench|scripts)\//.test(file),
		);
		expect(unwanted).toEqual([]);
	});

	it('publishes package.json without main or overrides, with repository metadata', () => {
		const pkg = packedJson();
		expect(pkg).not.toHaveProperty('main');
		expect(pkg).not.toHaveProperty('overrides');
		expect(pkg.repository.url).toMatch(/^git\+https:\/\/github\.com\/.+\.git$/);
	});

	it('installs as users install it: the release guard accepts the installed copy (entries load, icons, codex files)', () => {
		const installed = path.join(nodesTemplate, 'node_modules', 'n8n-nodes-billing-pipeline');
		expect(fs.existsSync(path.join(installed, 'package.json'))).toBe(true);
		// n8n provides n8n-workflow to community packages (a peer dependency): lend ours to the check.
		const out = execFileSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), [path.join(REPO_ROOT, 'scripts', 'check-dist.ts'), installed], {
			encoding: 'utf8',
			env: { ...process.env, NODE_PATH: path.join(REPO_ROOT, 'node_modules') },
		});
		expect(out).toMatch(/dist\/ is complete/);
	});
});
