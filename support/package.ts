// Packs this repository the way it is published (`npm pack`) and installs the tarball into a
// template n8n `nodes` folder, exactly as users install a community package by hand.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CACHE_DIR, REPO_ROOT } from './paths';

export interface PackedPackage {
	tarball: string;
	/** A ready `.n8n/nodes` folder (package.json + node_modules) to copy into each instance. */
	nodesTemplate: string;
}

const quiet = { stdio: 'pipe' as const, encoding: 'utf8' as const };

/** `npm pack` of the built repo, then `npm install <tarball>` into a fresh nodes folder. */
export function packAndInstall(workDir = path.join(CACHE_DIR, 'work')): PackedPackage {
	if (!fs.existsSync(path.join(REPO_ROOT, 'dist'))) {
		throw new Error('dist/ is missing: run `npm run build` before the end-to-end tests');
	}
	fs.mkdirSync(workDir, { recursive: true });
	const packDir = fs.mkdtempSync(path.join(workDir, 'pack-'));
	// --ignore-scripts: dist/ was just built by `npm test`; prepack would only build it again.
	const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], {
		...quiet,
		cwd: REPO_ROOT,
	});
	const [{ filename }] = JSON.parse(out) as Array<{ filename: string }>;
	const tarball = path.join(packDir, filename);

	const nodesTemplate = path.join(packDir, 'nodes');
	fs.mkdirSync(nodesTemplate, { recursive: true });
	fs.writeFileSync(
		path.join(nodesTemplate, 'package.json'),
		JSON.stringify({ name: 'installed-nodes', private: true, dependencies: {} }, null, 2),
	);
	// --omit=peer: n8n provides n8n-workflow itself, as it does for community packages.
	execFileSync(
		'npm',
		['install', '--omit=peer', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', tarball],
		{ ...quiet, cwd: nodesTemplate },
	);
	return { tarball, nodesTemplate };
}
