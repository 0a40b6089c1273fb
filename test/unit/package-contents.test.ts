// What gets published: the release guard (scripts/check-dist.ts) on small packages it must accept
// or refuse, and the repository's packaging settings. The tarball itself, packed from a clean clone
// with npm's defaults, is checked by test/e2e/package-install.test.ts.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { checkDist } from '../../scripts/check-dist';

const root = path.resolve(__dirname, '..', '..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');
const pkg = JSON.parse(read('package.json'));

describe('release guard (scripts/check-dist.ts)', () => {
	let dir: string;

	/** A one-node, one-credential package laid out as the build lays out ours. */
	function writePackage(options: { sources?: boolean } = {}) {
		const file = (rel: string, text: string) => {
			fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
			fs.writeFileSync(path.join(dir, rel), text);
		};
		file(
			'package.json',
			JSON.stringify({
				name: 'fixture',
				n8n: { nodes: ['dist/nodes/Demo/Demo.node.js'], credentials: ['dist/credentials/DemoApi.credentials.js'] },
			}),
		);
		file(
			'dist/nodes/Demo/Demo.node.js',
			"exports.Demo = class Demo { constructor() { this.description = { name: 'demo', icon: { light: 'file:demo.svg', dark: 'file:demo.dark.svg' } }; } };",
		);
		file('dist/nodes/Demo/Demo.node.json', '{}');
		file('dist/nodes/Demo/demo.svg', '<svg/>');
		file('dist/nodes/Demo/demo.dark.svg', '<svg/>');
		file('dist/credentials/DemoApi.credentials.js', "exports.DemoApi = class DemoApi { constructor() { this.name = 'demoApi'; this.icon = 'file:demoApi.svg'; } };");
		file('dist/credentials/demoApi.svg', '<svg/>');
		if (options.sources) {
			file('tsconfig.build.json', '{}');
			file('nodes/Demo/Demo.node.ts', '');
			file('credentials/DemoApi.credentials.ts', '');
		}
	}

	beforeEach(() => {
		dir = fs.mkdtempSync(path.join(os.tmpdir(), 'billing-check-dist-'));
	});
	afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

	it('accepts a complete package, with or without its sources beside it', () => {
		writePackage();
		expect(checkDist(dir)).toEqual([]);
		writePackage({ sources: true });
		expect(checkDist(dir)).toEqual([]);
	});

	it('refuses a package without dist/ (what `npm pack` shipped while ignore-scripts switched prepack off)', () => {
		writePackage();
		fs.rmSync(path.join(dir, 'dist'), { recursive: true });
		expect(checkDist(dir)).toEqual([expect.stringMatching(/^dist\/ is missing/)]);
	});

	it('names a node or credential file that package.json lists but dist/ lacks', () => {
		writePackage();
		fs.rmSync(path.join(dir, 'dist/credentials/DemoApi.credentials.js'));
		expect(checkDist(dir)).toEqual([expect.stringMatching(/^dist\/credentials\/DemoApi\.credentials\.js: missing/)]);
	});

	it('names a missing icon (light or dark) and a missing codex file', () => {
		writePackage();
		fs.rmSync(path.join(dir, 'dist/nodes/Demo/demo.dark.svg'));
		fs.rmSync(path.join(dir, 'dist/nodes/Demo/Demo.node.json'));
		expect(checkDist(dir)).toEqual([
			expect.stringMatching(/Demo\.node\.js: icon demo\.dark\.svg of Demo is missing/),
			expect.stringMatching(/Demo\.node\.js: codex Demo\.node\.json is missing/),
		]);
	});

	it('names an entry that loads but exports no class, or does not load', () => {
		writePackage();
		fs.writeFileSync(path.join(dir, 'dist/nodes/Demo/Demo.node.js'), 'exports.nothing = 1;');
		fs.writeFileSync(path.join(dir, 'dist/credentials/DemoApi.credentials.js'), "require('./gone');");
		expect(checkDist(dir)).toEqual([
			expect.stringMatching(/Demo\.node\.js: exports no node class/),
			expect.stringMatching(/DemoApi\.credentials\.js: does not load: Cannot find module '\.\/gone'/),
		]);
	});

	it('refuses source maps, whose sources are not shipped', () => {
		writePackage();
		fs.writeFileSync(path.join(dir, 'dist/nodes/Demo/Demo.node.js.map'), '{}');
		expect(checkDist(dir)).toEqual([expect.stringMatching(/^1 source map\(s\) in dist\/, e\.g\. dist\/nodes\/Demo\/Demo\.node\.js\.map/)]);
	});

	it('in a source checkout, refuses compiled files whose source is gone (a stale dist/)', () => {
		writePackage({ sources: true });
		fs.writeFileSync(path.join(dir, 'dist/nodes/Demo/old.js'), '');
		expect(checkDist(dir)).toEqual([expect.stringMatching(/^dist\/nodes\/Demo\/old\.js: stale, its source nodes\/Demo\/old\.ts is gone/)]);
	});
});

describe('packaging settings', () => {
	it('builds on pack and guards publish with npm lifecycle scripts that npm runs by default', () => {
		expect(pkg.scripts.prepack).toMatch(/^npm run build && tsx scripts\/check-dist\.ts$/);
		// prepublishOnly runs before prepack, so it builds before it checks.
		expect(pkg.scripts.prepublishOnly).toMatch(/^npm run build && tsx scripts\/check-dist\.ts$/);
		expect(pkg.scripts.build).toMatch(/^npm run clean && /);
		// No setting in .npmrc (ignore-scripts above all) switches those scripts off.
		const settings = read('.npmrc')
			.split('\n')
			.map((line) => line.trim())
			.filter((line) => line && !line.startsWith('#') && !line.startsWith(';'));
		expect(settings).toEqual([]);
	});

	it('keeps every dependency install script off through allowScripts, with an npm that reads it', () => {
		const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { hasInstallScript?: boolean }> };
		const withScripts = new Set(
			Object.entries(lock.packages)
				.filter(([where, entry]) => where && entry.hasInstallScript)
				.map(([where]) => where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length)),
		);
		const reviewed = new Set(Object.keys(pkg.allowScripts ?? {}));
		expect([...withScripts].filter((name) => !reviewed.has(name)).sort()).toEqual([]);
		expect(pkg.devEngines).toEqual({ packageManager: { name: 'npm', version: '>=11.16.0', onFail: 'error' } });
	});

	it('publishes the metadata n8n and npm need, and nothing that misleads', () => {
		const repo = 'https://github.com/n8n-billing-pipeline/n8n-nodes-billing-pipeline';
		expect(pkg.repository).toEqual({ type: 'git', url: `git+${repo}.git` });
		expect(pkg.homepage).toBe(`${repo}#readme`);
		expect(pkg.bugs).toEqual({ url: `${repo}/issues` });
		expect(pkg.author.email).toMatch(/^[^@\s]+@[^@\s]+\.[a-z]+$/);
		expect(pkg.keywords).toContain('n8n-community-node-package');
		// `main` named an index.js that never existed; overrides only mean something at a root.
		expect(pkg).not.toHaveProperty('main');
		expect(pkg).not.toHaveProperty('overrides');
		expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'workflows', 'CHANGELOG.md']));
		expect(pkg.license).toBe('MIT');
		expect(read('LICENSE')).toMatch(/^MIT License\n/);
	});

	it('compiles without source maps (their sources are not shipped)', () => {
		const build = JSON.parse(read('tsconfig.build.json'));
		expect(build.compilerOptions.sourceMap).toBe(false);
		expect(build.compilerOptions.declarationMap ?? false).toBe(false);
	});

	it('publishes from GitHub Actions with provenance, and lints the workflows in npm test', () => {
		const publish = read('.github/workflows/publish.yml');
		expect(publish).toMatch(/^\s+id-token: write$/m);
		expect(publish).toMatch(/npm publish --provenance --access public/);
		expect(pkg.scripts.test).toMatch(/npm run lint:actions/);
	});
});
