// Release guard: refuses a package whose compiled code is missing or incomplete. Runs before
// `npm publish` (prepublishOnly) and after the build in `prepack`, and the e2e tests run it on
// the installed tarball. `npx tsx scripts/check-dist.ts [packageDir]` (default: this repository).
//
// Checks what n8n itself needs to load the package: every file `package.json` names under
// `n8n.nodes` / `n8n.credentials` exists and exports a node or credential class, every icon such a
// class names (`file:` light and dark) sits next to it, every node has its codex `<Node>.node.json`,
// and `files` ships no source maps (their sources are not shipped). In a source checkout it also
// refuses compiled files whose source is gone (a stale dist/ from an older build).
import * as fs from 'fs';
import * as path from 'path';

interface PackageJson {
	name?: string;
	files?: string[];
	n8n?: { nodes?: string[]; credentials?: string[] };
}

type Icon = string | { light?: string; dark?: string } | undefined;

/** Every problem found, one line each, naming the file; empty when the package is complete. */
export function checkDist(root: string): string[] {
	const problems: string[] = [];
	const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as PackageJson;
	const nodes = pkg.n8n?.nodes ?? [];
	const credentials = pkg.n8n?.credentials ?? [];
	if (nodes.length === 0) problems.push('package.json: n8n.nodes names no node');
	if (!fs.existsSync(path.join(root, 'dist'))) {
		return [...problems, 'dist/ is missing: the package has no compiled code (run `npm run build`)'];
	}
	for (const entry of nodes) problems.push(...checkEntry(root, entry, 'node'));
	for (const entry of credentials) problems.push(...checkEntry(root, entry, 'credential'));
	const maps = [...walk(path.join(root, 'dist'))].filter((file) => file.endsWith('.map'));
	if (maps.length > 0) {
		const first = path.relative(root, maps[0]).split(path.sep).join('/');
		problems.push(`${maps.length} source map(s) in dist/, e.g. ${first}: their sources are not shipped (sourceMap is off in tsconfig.build.json)`);
	}
	problems.push(...staleFiles(root));
	return problems;
}

function checkEntry(root: string, entry: string, kind: 'node' | 'credential'): string[] {
	const file = path.join(root, entry);
	if (!fs.existsSync(file)) return [`${entry}: missing (package.json n8n.${kind}s names it)`];
	let exported: Record<string, unknown>;
	try {
		// eslint-disable-next-line @typescript-eslint/no-require-imports
		exported = require(file) as Record<string, unknown>;
	} catch (error) {
		return [`${entry}: does not load: ${(error as Error).message.split('\n')[0]}`];
	}
	const classes = Object.values(exported).filter((value): value is new () => Record<string, unknown> => typeof value === 'function');
	if (classes.length === 0) return [`${entry}: exports no ${kind} class`];
	const problems: string[] = [];
	const dir = path.dirname(file);
	for (const Class of classes) {
		const instance = new Class();
		const description = (kind === 'node' ? instance.description : instance) as { icon?: Icon; name?: string } | undefined;
		if (!description?.name) {
			problems.push(`${entry}: ${Class.name} has no ${kind === 'node' ? 'description.' : ''}name`);
			continue;
		}
		for (const icon of iconFiles(description.icon)) {
			if (!fs.existsSync(path.join(dir, icon))) problems.push(`${entry}: icon ${icon} of ${Class.name} is missing next to it`);
		}
	}
	if (kind === 'node') {
		const codex = file.replace(/\.js$/, '.json');
		if (!fs.existsSync(codex)) problems.push(`${entry}: codex ${path.basename(codex)} is missing next to it`);
	}
	return problems;
}

function iconFiles(icon: Icon): string[] {
	const all = typeof icon === 'string' ? [icon] : icon ? [icon.light, icon.dark] : [];
	return all.filter((value): value is string => typeof value === 'string' && value.startsWith('file:')).map((value) => value.slice('file:'.length));
}

/** In a source checkout: compiled files whose TypeScript source no longer exists. */
function staleFiles(root: string): string[] {
	if (!fs.existsSync(path.join(root, 'nodes')) || !fs.existsSync(path.join(root, 'tsconfig.build.json'))) return [];
	const problems: string[] = [];
	for (const file of walk(path.join(root, 'dist'))) {
		const rel = path.relative(path.join(root, 'dist'), file);
		const source = rel.replace(/\.d\.ts$/, '.ts').replace(/\.js$/, '.ts');
		if (source === rel) continue; // icons, codex files (and maps, reported above) are not compiled from a .ts
		if (!fs.existsSync(path.join(root, source))) {
			problems.push(`dist/${rel.split(path.sep).join('/')}: stale, its source ${source.split(path.sep).join('/')} is gone (run \`npm run clean\`)`);
		}
	}
	return problems;
}

function* walk(dir: string): Generator<string> {
	for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
		const full = path.join(dir, entry.name);
		if (entry.isDirectory()) yield* walk(full);
		else yield full;
	}
}

if (require.main === module) {
	const root = path.resolve(process.argv[2] ?? path.join(__dirname, '..'));
	const problems = checkDist(root);
	if (problems.length > 0) {
		console.error(`Refusing to package ${root}: dist/ is incomplete.\n  ${problems.join('\n  ')}`);
		process.exit(1);
	}
	console.log(`dist/ is complete: ${root}`);
}
