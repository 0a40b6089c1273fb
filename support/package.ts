// Packs this repository and installs the tarball into a template n8n `nodes` folder, exactly as
// users install a community package by hand. Two ways:
// - packCleanClone (the e2e suite): as a user or CI publishes it: a fresh clone, `npm ci`, `npm pack`
//   with npm's default configuration (prepack builds), so a package that only works because of
//   this checkout's dist/ or node_modules fails here, not on the registry.
// - packAndInstall (demo, benchmarks, chaos run): the already built working tree, quickly.
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { checkDist } from '../scripts/check-dist';
import { CACHE_DIR, REPO_ROOT } from './paths';

export interface PackedPackage {
	tarball: string;
	/** A ready `.n8n/nodes` folder (package.json + node_modules) to copy into each instance. */
	nodesTemplate: string;
}

const quiet = { stdio: 'pipe' as const, encoding: 'utf8' as const };

/** `npm pack` of the built working tree, then `npm install <tarball>` into a fresh nodes folder. */
export function packAndInstall(workDir = path.join(CACHE_DIR, 'work')): PackedPackage {
	// --ignore-scripts below skips prepack's build and its guard, so the guard runs here.
	const problems = checkDist(REPO_ROOT);
	if (problems.length > 0) {
		throw new Error(`dist/ is not ready to pack: run \`npm run build\` first.\n  ${problems.join('\n  ')}`);
	}
	fs.mkdirSync(workDir, { recursive: true });
	const packDir = fs.mkdtempSync(path.join(workDir, 'pack-'));
	// --ignore-scripts: the callers have just built dist/; prepack would only build it again.
	execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', packDir], { ...quiet, cwd: REPO_ROOT });
	const tarball = onlyTarball(packDir);
	const nodesTemplate = path.join(packDir, 'nodes');
	installTarball(tarball, nodesTemplate, cleanNpmEnv());
	return { tarball, nodesTemplate };
}

/** Directories whose files never reach the package: editing them keeps the cached tarball. */
const NOT_PACKAGE_INPUT = ['test/', 'bench/', 'docs/', 'sandbox/', 'support/', '.ci/', '.github/'];

/**
 * The package as a user or CI makes it: `git clone` of this repository, the working tree's
 * uncommitted changes laid over it (so local work is what gets tested), `npm ci`, `npm pack`,
 * all with npm's default configuration (no npm_config_* inherited from the calling npm), then
 * installed into a nodes folder. Cached under CACHE_DIR/package by a hash of every file that can
 * reach the package (so once per commit in CI, and again only when such a file changes).
 */
export function packCleanClone(log: (line: string) => void = () => undefined): PackedPackage & { key: string; fromCache: boolean } {
	const key = packageInputsKey();
	const root = path.join(CACHE_DIR, 'package');
	const done = path.join(root, key);
	const result = () => ({ key, tarball: onlyTarball(done), nodesTemplate: path.join(done, 'nodes') });
	if (fs.existsSync(path.join(done, 'complete'))) return { ...result(), fromCache: true };

	fs.mkdirSync(root, { recursive: true });
	const release = lock(path.join(root, `${key}.lock`), log);
	try {
		// Another process may have packed it while this one waited for the lock.
		if (fs.existsSync(path.join(done, 'complete'))) return { ...result(), fromCache: true };
		const work = fs.mkdtempSync(path.join(root, `${key}.work-`));
		const logFile = path.join(work, 'pack.log');
		try {
			const repo = path.join(work, 'repo');
			const env = cleanNpmEnv();
			const run = (cmd: string, args: string[], cwd: string, what: string) => {
				log(what);
				const fd = fs.openSync(logFile, 'a');
				try {
					fs.writeSync(fd, `\n$ ${cmd} ${args.join(' ')}   (in ${cwd})\n`);
					execFileSync(cmd, args, { cwd, env, stdio: ['ignore', fd, fd] });
				} catch (error) {
					const tail = fs.readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
					throw new Error(`${what} failed: ${(error as Error).message.split('\n')[0]}\n--- last lines of ${logFile} ---\n${tail}`);
				} finally {
					fs.closeSync(fd);
				}
			};
			const head = execFileSync('git', ['-C', REPO_ROOT, 'rev-parse', 'HEAD'], quiet).trim();
			run('git', ['clone', '--quiet', '--no-hardlinks', REPO_ROOT, repo], work, `git clone (${head.slice(0, 12)})`);
			run('git', ['-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', head], repo, 'git checkout of HEAD in the clone');
			overlayWorkingTree(repo);
			run('npm', ['ci'], repo, 'npm ci in the clean clone (a few minutes)');
			const out = path.join(work, 'out');
			fs.mkdirSync(out);
			run('npm', ['pack', '--pack-destination', out], repo, 'npm pack in the clean clone (prepack builds)');
			const tarball = onlyTarball(out);
			installTarball(tarball, path.join(out, 'nodes'), env);
			fs.writeFileSync(path.join(out, 'complete'), `${head}\n`);
			fs.rmSync(done, { recursive: true, force: true });
			fs.renameSync(out, done);
		} finally {
			// The clone's node_modules is about 1 GB: keep only the tarball and its nodes folder.
			fs.rmSync(work, { recursive: true, force: true });
		}
		pruneOldPackages(root, key);
		return { ...result(), fromCache: false };
	} finally {
		release();
	}
}

/** sha256 over the paths and contents of every non-ignored file that can reach the package. */
export function packageInputsKey(): string {
	const listed = execFileSync('git', ['-C', REPO_ROOT, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], quiet);
	const files = [...new Set(listed.split('\0').filter(Boolean))]
		.filter((file) => !NOT_PACKAGE_INPUT.some((dir) => file.startsWith(dir)))
		.sort();
	const hash = createHash('sha256');
	hash.update(`node ${process.version}\n`);
	for (const file of files) {
		const full = path.join(REPO_ROOT, file);
		hash.update(`${file}\0`);
		hash.update(fs.existsSync(full) && fs.statSync(full).isFile() ? fs.readFileSync(full) : '(deleted)');
		hash.update('\0');
	}
	return hash.digest('hex').slice(0, 16);
}

/** Lays the working tree's uncommitted changes (modified, added, deleted, untracked) over the clone. */
function overlayWorkingTree(repo: string): void {
	const status = execFileSync('git', ['-C', REPO_ROOT, 'status', '--porcelain=v1', '-z', '--untracked-files=all'], quiet);
	const fields = status.split('\0').filter(Boolean);
	const paths: string[] = [];
	for (let i = 0; i < fields.length; i++) {
		const code = fields[i].slice(0, 2);
		paths.push(fields[i].slice(3));
		// A rename or copy is followed by its source path, which changed too.
		if (code.includes('R') || code.includes('C')) paths.push(fields[++i]);
	}
	for (const file of paths) {
		const from = path.join(REPO_ROOT, file);
		const to = path.join(repo, file);
		if (fs.existsSync(from) && fs.statSync(from).isFile()) {
			fs.mkdirSync(path.dirname(to), { recursive: true });
			fs.copyFileSync(from, to);
		} else if (!fs.existsSync(from)) {
			fs.rmSync(to, { recursive: true, force: true });
		}
	}
}

/** `npm install <tarball>` into a fresh nodes folder, as users install a community package by hand. */
function installTarball(tarball: string, nodesTemplate: string, env: NodeJS.ProcessEnv): void {
	fs.mkdirSync(nodesTemplate, { recursive: true });
	fs.writeFileSync(
		path.join(nodesTemplate, 'package.json'),
		JSON.stringify({ name: 'installed-nodes', private: true, dependencies: {} }, null, 2),
	);
	// --omit=peer: n8n provides n8n-workflow itself, as it does for community packages.
	execFileSync('npm', ['install', '--omit=peer', '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error', tarball], {
		...quiet,
		cwd: nodesTemplate,
		env,
	});
}

/**
 * The environment without what a calling npm passes down (npm_config_*, npm_package_*, its
 * node_modules/.bin on PATH): a child npm then reads only the project's and the machine's npmrc,
 * as it does for a user or CI. NODE_ENV=production would make `npm ci` skip the build tools.
 */
export function cleanNpmEnv(): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {};
	for (const [name, value] of Object.entries(process.env)) {
		if (/^npm_/i.test(name) || name === 'INIT_CWD' || name === 'NODE_ENV' || name === 'NODE_OPTIONS') continue;
		env[name] = value;
	}
	env.PATH = (process.env.PATH ?? '')
		.split(path.delimiter)
		.filter((dir) => !dir.includes(`${path.sep}node_modules${path.sep}.bin`))
		.join(path.delimiter);
	return env;
}

function onlyTarball(dir: string): string {
	const tarballs = fs.readdirSync(dir).filter((file) => file.endsWith('.tgz'));
	if (tarballs.length !== 1) throw new Error(`expected one tarball in ${dir}, found ${tarballs.length}`);
	return path.join(dir, tarballs[0]);
}

/** A directory lock (mkdir is atomic): jest's e2e setup and a test file may both ask for the package. */
function lock(dir: string, log: (line: string) => void): () => void {
	const deadline = Date.now() + 30 * 60_000;
	for (let said = false; ; ) {
		try {
			fs.mkdirSync(dir);
			fs.writeFileSync(path.join(dir, 'owner'), `${process.pid} ${os.hostname()}\n`);
			return () => fs.rmSync(dir, { recursive: true, force: true });
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
		}
		// A lock whose owner process is gone, or older than the longest pack (a killed run), is taken over.
		const age = Date.now() - (fs.statSync(dir, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
		if (age > 20 * 60_000 || ownerGone(dir)) {
			fs.rmSync(dir, { recursive: true, force: true });
			continue;
		}
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${dir}`);
		if (!said) log(`waiting for another process packing the same sources (${dir})`);
		said = true;
		Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
	}
}

/** The lock's owner ran on this machine and has exited (no owner file yet: still being taken). */
function ownerGone(dir: string): boolean {
	let owner: string;
	try {
		owner = fs.readFileSync(path.join(dir, 'owner'), 'utf8');
	} catch {
		return false;
	}
	const [pid, host] = owner.trim().split(' ');
	if (host !== os.hostname() || !Number(pid)) return false;
	try {
		process.kill(Number(pid), 0);
		return false;
	} catch {
		return true;
	}
}

/** Keeps the three newest packed versions; older ones only take disk. */
function pruneOldPackages(root: string, keep: string): void {
	const entries = fs
		.readdirSync(root, { withFileTypes: true })
		.filter((entry) => entry.isDirectory() && /^[0-9a-f]{16}$/.test(entry.name) && entry.name !== keep)
		.map((entry) => ({ dir: path.join(root, entry.name), mtime: fs.statSync(path.join(root, entry.name)).mtimeMs }))
		.sort((a, b) => b.mtime - a.mtime);
	for (const old of entries.slice(2)) fs.rmSync(old.dir, { recursive: true, force: true });
}
