#!/usr/bin/env node
// `npm run scan`: n8n's community-package scanner (@n8n/scan-community-package) on what we publish,
// offline. Its CLI only takes a registry name: it downloads the published tarball, checks npm
// provenance, fetches the attested source from GitHub and lints both with `analyzePackage`. Here
// the same lint runs on the same two things, locally: the packed tarball (compiled .js and
// package.json) and the source (nodes/, credentials/, package.json). The provenance check needs a
// published version and is not covered.
//
// The scanner ignores eslint-disable comments (allowInlineConfig: false), so it reports every
// exception our lint documents. Each scanner error must be accounted for: disabled in code or in
// eslint.config.mjs with a reason (that reason is printed), or a Cloud-only rule listed below.
// Any other error fails the scan.
//
// Usage: node scripts/scan-package.mjs [--no-build]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));

// The scanner's own modules: its config, file patterns and its ESLint (it pins its own version).
const scannerFile = require.resolve('@n8n/scan-community-package/scanner/scanner.mjs');
const { buildScanConfig, SOURCE_FILE_PATTERNS } = await import(pathToFileURL(scannerFile).href);
const scannerRequire = createRequire(scannerFile);
const { ESLint: ScannerESLint } = await import(pathToFileURL(scannerRequire.resolve('eslint')).href);
const glob = (await import(pathToFileURL(scannerRequire.resolve('fast-glob')).href)).default;
// Our lint (eslint.config.mjs), to read which rules it turns off for a file and why.
const { ESLint: ProjectESLint } = await import(pathToFileURL(require.resolve('eslint')).href);

/** Rules of n8n's Cloud config only; the package is self-hosted (configWithoutCloudSupport). */
const CLOUD_ONLY = {
	'@n8n/community-nodes/no-restricted-imports':
		'n8n Cloud only. The transports need Node modules and wire libraries: amqplib, net, events (RabbitMQ), nodemailer, net (SMTP), http, https, zlib (Secure Trading, own connect/total timeouts), xero-node (Xero models), fs, os, path (sent-email journal, run ledger), async_hooks (per-execution secret redaction), pg (PostgreSQL: the sent and charge records and the run ledger shared by queue-mode workers), crypto (their lock keys, the status page replay token).',
	'@n8n/community-nodes/no-restricted-globals':
		"n8n Cloud only. setTimeout/clearTimeout are cancellable timers (request timeouts, batch windows, idle close, abortable backoff); n8n-workflow's sleep cannot be cancelled and n8n-workflow 2.40 has no sleepWithAbort. process: the n8n user folder (journal, run ledger), the connection name (pid), and the User-Agent/VERSIONINFO Trust Payments asks for.",
};

const args = new Set(process.argv.slice(2));
const run = (cmd, argv, opts = {}) => String(execFileSync(cmd, argv, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], ...opts }) ?? '');

if (!args.has('--no-build')) {
	// Build explicitly: .npmrc may set ignore-scripts, which also skips prepack.
	process.stdout.write('Building...\n');
	run('npm', ['run', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] });
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'scan-package-'));
try {
	// Packed as npm publishes it; scripts skipped because the build just ran.
	const [packed] = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work]));
	const tarballDir = path.join(work, 'package');
	fs.mkdirSync(tarballDir);
	run('tar', ['-xzf', path.join(work, packed.filename), '-C', tarballDir, '--strip-components=1']);
	if (!fs.existsSync(path.join(tarballDir, 'dist'))) throw new Error(`${packed.filename} has no dist/: the build did not run before packing`);
	console.log(`Packed ${packed.filename}: ${packed.entryCount} files, ${(packed.size / 1024).toFixed(1)} kB`);

	const legs = [
		{ name: 'source', dir: root, patterns: SOURCE_FILE_PATTERNS, toSource: (rel) => rel },
		// Compiled files map back to their source for our config; tsc keeps the comments.
		{ name: 'tarball', dir: tarballDir, patterns: ['**/*.js', 'package.json'], toSource: (rel) => rel.replace(/^dist\//, '').replace(/\.js$/, '.ts') },
	];
	const project = new ProjectESLint({ cwd: root });
	let unaccounted = 0;
	for (const leg of legs) unaccounted += await scanLeg(leg, project);
	if (unaccounted > 0) {
		console.log(`\n❌ ${unaccounted} scanner error(s) not accounted for: fix them, or disable the rule where it fails with the reason.`);
		process.exitCode = 1;
	} else {
		console.log('\n✅ Every scanner error is a listed exception.');
	}
} finally {
	fs.rmSync(work, { recursive: true, force: true });
}

/** Lints one leg as the scanner does, then once more with inline config to find each error's reason. */
async function scanLeg({ name, dir, patterns, toSource }, project) {
	const files = glob.sync(patterns, { cwd: dir, absolute: true, ignore: ['node_modules/**', '**/package-lock.json'] });
	const options = { cwd: dir, overrideConfigFile: true, overrideConfig: await buildScanConfig() };
	// Exactly the scanner's analyzePackage options.
	const verdict = await new ScannerESLint({ ...options, allowInlineConfig: false }).lintFiles(files);
	const withComments = await new ScannerESLint({ ...options, allowInlineConfig: true }).lintFiles(files);
	const suppressed = new Map();
	for (const result of withComments) {
		for (const m of result.suppressedMessages ?? []) {
			const why = m.suppressions.map((s) => s.justification).filter(Boolean).join('; ');
			suppressed.set(`${result.filePath}:${m.line}:${m.column}:${m.ruleId}`, why || commentAbove(result.filePath, m.line));
		}
	}

	const accounted = new Map(); // rule → { count, reasons: Set }
	const problems = [];
	let errors = 0;
	for (const result of verdict) {
		const rel = path.relative(dir, result.filePath);
		for (const m of result.messages) {
			if (m.severity !== 2) continue;
			errors++;
			const reason =
				suppressed.get(`${result.filePath}:${m.line}:${m.column}:${m.ruleId}`) ??
				CLOUD_ONLY[m.ruleId] ??
				(await offInOurConfig(project, toSource(rel), m.ruleId));
			if (reason === undefined) {
				problems.push(`  ${rel}:${m.line}:${m.column}  ${m.ruleId ?? '(parse)'}  ${m.message}`);
				continue;
			}
			const entry = accounted.get(m.ruleId) ?? { count: 0, files: new Set(), reasons: new Set() };
			entry.count++;
			entry.files.add(rel);
			entry.reasons.add(reason);
			accounted.set(m.ruleId, entry);
		}
	}

	console.log(`\n== ${name}: ${files.length} files, ${errors} scanner error(s), ${errors - problems.length} listed`);
	for (const [rule, { count, files: where, reasons }] of [...accounted].sort((a, b) => b[1].count - a[1].count)) {
		console.log(`  ${String(count).padStart(3)}  ${rule}  (${[...where].join(', ')})`);
		for (const reason of reasons) console.log(`         why: ${reason}`);
	}
	if (problems.length > 0) console.log(`  not accounted for:\n${problems.join('\n')}`);
	return problems.length;
}

/** The reason our eslint.config.mjs turns `rule` off for `file` (its comment), or undefined. */
async function offInOurConfig(project, file, rule) {
	const abs = path.join(root, file);
	if (!fs.existsSync(abs) || (await project.isPathIgnored(abs))) return undefined;
	const config = await project.calculateConfigForFile(abs);
	const setting = config?.rules?.[rule];
	const severity = Array.isArray(setting) ? setting[0] : setting;
	return severity === 0 || severity === 'off' ? `off for ${file} in eslint.config.mjs (reason there)` : undefined;
}

/** The `//` comment lines right above a disable directive: where older directives give the reason. */
function commentAbove(file, line) {
	const lines = fs.readFileSync(file, 'utf8').split('\n');
	const said = [];
	for (let i = line - 2; i >= 0 && /^\s*\/\//.test(lines[i]); i--) {
		const text = lines[i].trim().replace(/^\/\/\s?/, '');
		if (!text.startsWith('eslint-disable')) said.unshift(text);
	}
	return said.join(' ') || `disabled at ${path.basename(file)}:${line}`;
}
