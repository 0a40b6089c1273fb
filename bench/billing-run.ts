// `npm run bench [-- --invoices 2000 --minute-ms 60000 --baseline-minutes 3 --pdf [xero|rendered|online] --only old|builtins|ours]`
// The same seeded billing run through three systems, one after another, each against a fresh
// sandbox with realistic latencies (Xero 300 ms a call, Secure Trading 800 ms a request, SMTP
// 50 ms) and Xero's limits enforced (5 concurrent, 60 calls per minute; --minute-ms compresses the
// minute for all three alike): the old one-process script, the same run built from n8n's built-in
// nodes, and this package's shipped workflows. The slow two are time-boxed (--baseline-minutes)
// and measured over what they finished; this package runs every invoice.
// `npm run bench:memory` runs this package alone at 1000 and 5000 invoices and compares n8n's
// peak RSS.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { packAndInstall } from '../support/package';
import { N8N_VERSION, NODE24_BIN, REPO_ROOT } from '../support/paths';
import { RECOMMENDED_N8N_ENV, RECOMMENDED_SETTINGS } from '../support/recommended-settings';
import { BENCH_PDFS, LATENCY, runBuiltins, runOldWay, runOurs, type BenchPdf, type BenchSettings, type SystemResult } from './billing/systems';

interface Args extends Omit<BenchSettings, 'nodesTemplate' | 'log'> {
	only?: 'old' | 'builtins' | 'ours';
	memory: boolean;
	/** With --memory: also each recommended setting alone, at 1000 invoices. */
	effects: boolean;
	timeline: boolean;
	/** Queue mode: this package with 1, 2, … up to `workers` workers, one run each. */
	queueMode: boolean;
	workers: number;
}

function parseArgs(argv: string[]): Args {
	const a: Args = { invoices: 2000, seed: 42, minuteMs: 60_000, pdf: 'none', newClients: false, baselineMinutes: 3, memory: false, effects: false, timeline: false, queueMode: false, workers: 2 };
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		const num = (min: number) => {
			const v = Number(argv[++i]);
			if (!Number.isFinite(v) || v < min) throw new Error(`${arg} needs a number of at least ${min}, got "${argv[i]}"`);
			return v;
		};
		if (arg === '--invoices') a.invoices = Math.round(num(10));
		else if (arg === '--seed') a.seed = Math.round(num(0));
		else if (arg === '--minute-ms') a.minuteMs = Math.round(num(1000));
		else if (arg === '--baseline-minutes') a.baselineMinutes = num(0.5);
		else if (arg === '--pdf') {
			// `--pdf` alone keeps Xero's PDF (as before); a source may follow.
			const next = argv[i + 1];
			if (next !== undefined && !next.startsWith('--')) {
				if (!(BENCH_PDFS as readonly string[]).includes(next) || next === 'none') throw new Error(`--pdf takes xero, rendered or online, got "${next}"`);
				a.pdf = next as BenchPdf;
				i++;
			} else a.pdf = 'xero';
		}
		else if (arg === '--new-clients') a.newClients = true;
		else if (arg === '--memory') a.memory = true;
		else if (arg === '--effects') a.effects = true;
		else if (arg === '--timeline') a.timeline = true;
		else if (arg === '--queue-mode') a.queueMode = true;
		else if (arg === '--workers') a.workers = Math.round(num(1));
		else if (arg === '--only') {
			const v = argv[++i];
			if (v !== 'old' && v !== 'builtins' && v !== 'ours') throw new Error(`--only must be old, builtins or ours, got "${v}"`);
			a.only = v;
		} else if (arg === '--help' || arg === '-h') {
			console.log('npm run bench -- [--invoices 2000] [--minute-ms 60000] [--baseline-minutes 3] [--pdf [xero|rendered|online]] [--new-clients] [--only old|builtins|ours] [--seed 42] [--timeline]');
			console.log('npm run bench:memory -- [--minute-ms 6000] [--effects]   (this package with n8n defaults at 1000 and the recommended settings at 1000 and 5000 invoices, peak RSS; --effects: each setting alone)');
			console.log('npm run bench -- --queue-mode [--workers 2] [--invoices 2000] [--minute-ms 60000]   (this package in n8n queue mode with 1…N workers)');
			process.exit(0);
		} else throw new Error(`unknown argument "${arg}" (try --help)`);
	}
	return a;
}

function table(rows: string[][]): string {
	const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
	return rows.map((r, i) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ') + (i === 0 ? `\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : '')).join('\n');
}

const f = (n: number, d = 1) => n.toFixed(d);

const DOCUMENT_LINE: Record<BenchPdf, string> = {
	none: 'no invoice PDF',
	xero: "Xero's invoice PDF attached",
	rendered: 'invoice PDF rendered by this package attached (the old way and the built-ins attach Xero\'s)',
	online: "Xero's online invoice link in the email (the old way and the built-ins attach Xero's PDF)",
};

/** Xero allows 5000 calls a day per organisation, for every workflow of it together. */
const XERO_DAY_LIMIT = 5000;
/** The largest run Xero's daily limit allows at this many calls per invoice. */
const invoicesPerDay = (callsPerInvoice: number) => Math.floor(XERO_DAY_LIMIT / Math.max(callsPerInvoice, 1e-9));

function header(args: Args, command: string): string {
	const cpu = os.cpus();
	const node24 = execFileSync(NODE24_BIN, ['--version'], { encoding: 'utf8' }).trim();
	return [
		`machine   ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.platform()} ${os.release()}`,
		`software  n8n ${N8N_VERSION} on Node ${node24} (${args.queueMode ? 'queue mode: PostgreSQL, Redis (Bull), workers at n8n\'s default concurrency 10' : 'SQLite'}, every execution saved), RabbitMQ quorum queues; scripts on Node ${process.version}`,
		`sandbox   Xero ${LATENCY.xero} ms a call, 5 concurrent, 60 calls per ${args.minuteMs / 1000} s minute; Secure Trading ${LATENCY.secureTrading} ms a request; SMTP ${LATENCY.smtp} ms a message; ${DOCUMENT_LINE[args.pdf]}; ${args.newClients ? 'clients new to Xero (first run)' : 'clients billed before (their Xero contacts exist)'}`,
		`command   ${command}`,
	].join('\n');
}

async function main(): Promise<void> {
	const args = parseArgs(process.argv.slice(2));
	const command = `npm run ${args.memory ? 'bench:memory' : 'bench'} -- ${process.argv.slice(2).filter((a) => a !== '--memory').join(' ')}`.trim();
	const log = (line: string) => console.log(`  · ${line}`);
	console.log('packing and installing the package into a template n8n nodes folder…');
	const { nodesTemplate } = packAndInstall();
	const settings: BenchSettings = { ...args, nodesTemplate, log };
	const results: SystemResult[] = [];
	const out = path.join(REPO_ROOT, 'bench', 'results');
	fs.mkdirSync(out, { recursive: true });

	if (args.queueMode) {
		for (let workers = 1; workers <= args.workers; workers++) {
			console.log(`this package, queue mode, ${workers} worker(s)…`);
			const r = await runOurs(settings, args.invoices, workers);
			log(`${r.completed}/${r.total} invoices in ${f(r.seconds)} s, ${r.xeroCalls} Xero calls${r.problems.length ? `; PROBLEMS: ${r.problems.join('; ')}` : ''}`);
			results.push(r);
		}
		const perMinuteLimit = 60 * (60_000 / args.minuteMs);
		console.log(`\nBilling run in n8n queue mode: the same seeded run with 1…${args.workers} workers\n${header(args, command)}\n`);
		console.log(
			table([
				['system', 'invoices done', 'seconds', 'invoices/min', 'Xero calls/invoice', '% of Xero-limit bound', 'peak RSS main+workers (MB)'],
				...results.map((r) => {
					const cpi = r.xeroCalls / Math.max(1, r.completed);
					return [r.system, `${r.completed}/${r.total}`, f(r.seconds), f(r.perMinute), f(cpi, 3), f((100 * r.perMinute) / (perMinuteLimit / cpi)), f(r.peakRssMb, 0)];
				}),
			]),
		);
		const [one, last] = [results[0], results[results.length - 1]];
		if (results.length > 1) console.log(`\n${last.system} / ${one.system}: ${f(last.perMinute / one.perMinute, 2)}× the invoices per minute`);
		for (const r of results) if (r.problems.length) console.log(`PROBLEMS in ${r.system}: ${r.problems.join('; ')}`);
		fs.writeFileSync(path.join(out, 'queue-mode-latest.json'), JSON.stringify({ command, args, results }, null, 2));
		return;
	}

	if (args.memory) {
		// The same pipeline with n8n's defaults (the baseline, 1000 invoices) and with the README's
		// recommended settings at 1000 and 5000 invoices; --effects adds each setting alone.
		const runs: Array<{ label: string; env: Record<string, string>; invoices: number }> = [
			{ label: "n8n's defaults", env: {}, invoices: 1000 },
			{ label: 'recommended settings', env: RECOMMENDED_N8N_ENV, invoices: 1000 },
			{ label: 'recommended settings', env: RECOMMENDED_N8N_ENV, invoices: 5000 },
			...(args.effects ? RECOMMENDED_SETTINGS.map((r) => ({ label: `only ${r.name}=${r.value}`, env: { [r.name]: r.value }, invoices: 1000 })) : []),
		];
		for (const run of runs) {
			console.log(`this package, ${run.invoices} invoices, ${run.label}…`);
			results.push(await runOurs({ ...settings, invoices: run.invoices }, run.invoices, undefined, { env: run.env, label: run.label }));
		}
		console.log(`\nBilling pipeline memory: peak RSS of n8n (main process + task runner) by run size and settings\n${header(args, command)}`);
		console.log(`recommended settings: ${RECOMMENDED_SETTINGS.map((r) => `${r.name}=${r.value}`).join(', ')}\n`);
		const m = (v: number | undefined) => (v === undefined ? '–' : f(v, 0));
		console.log(
			table([
				['settings', 'invoices', 'done', 'seconds', 'invoices/min', 'peak RSS (MB)', 'main (MB)', 'task runner (MB)', 'idle before run (MB)', 'anonymous / file (MB)', 'collect execution data (MB)'],
				...results.map((r) => [
					r.system,
					String(r.total),
					String(r.completed),
					f(r.seconds),
					f(r.perMinute),
					f(r.peakRssMb, 0),
					m(r.memory?.mainMb),
					m(r.memory?.runnerMb),
					m(r.memory?.idleMb),
					`${m(r.memory?.anonMb)} / ${m(r.memory?.fileMb)}`,
					r.memory?.collectExecutionMb === undefined ? '–' : f(r.memory.collectExecutionMb, 1),
				]),
			]),
		);
		const [defaults, small, large] = results;
		const growth = large.peakRssMb / small.peakRssMb - 1;
		const speed = small.perMinute / defaults.perMinute - 1;
		console.log('');
		console.log(`peak RSS at 5000 vs 1000 (recommended settings): ${growth >= 0 ? '+' : ''}${f(growth * 100)}% (target within 20%: ${Math.abs(growth) <= 0.2 ? 'met' : 'NOT met'})`);
		console.log(`peak RSS at 5000 invoices with the recommended settings: ${f(large.peakRssMb, 0)} MB (target ≤ 1000 MB: ${large.peakRssMb <= 1000 ? 'met' : 'NOT met'}); with n8n's defaults at 1000: ${f(defaults.peakRssMb, 0)} MB`);
		console.log(`invoices/min with the recommended settings vs n8n's defaults (1000 invoices): ${speed >= 0 ? '+' : ''}${f(speed * 100)}% (target within 10%: ${speed >= -0.1 ? 'met' : 'NOT met'})`);
		for (const r of results) {
			const d = r.memory;
			if (!d) continue;
			console.log(
				`where it goes, ${r.system} at ${r.total}: ${f(d.idleMb, 0)} MB is n8n idle with the package loaded and the workflows published, the run adds ${f(r.peakRssMb - d.idleMb, 0)} MB; at the peak the main process holds ${f(d.mainMb, 0)} MB and the task runner ${f(d.runnerMb, 0)} MB, ${f(d.anonMb, 0)} MB anonymous (V8 heap, native allocations) and ${f(d.fileMb, 0)} MB file-backed (the node binary, mapped files)` +
					(d.collectExecutionMb !== undefined ? `; the collect execution, which holds the whole run, saved ${f(d.collectExecutionMb, 1)} MB of execution data` : ''),
			);
		}
		fs.writeFileSync(path.join(out, 'memory-latest.json'), JSON.stringify({ command, args, recommended: RECOMMENDED_SETTINGS, results }, null, 2));
		return;
	}

	const systems: Array<[Args['only'], () => Promise<SystemResult>]> = [
		['old', () => runOldWay(settings)],
		['builtins', () => runBuiltins(settings)],
		['ours', () => runOurs(settings)],
	];
	for (const [name, run] of systems) {
		if (args.only && args.only !== name) continue;
		console.log(`running: ${name}…`);
		const r = await run();
		log(`${r.completed}/${r.total} invoices in ${f(r.seconds)} s${r.timeBoxed ? ' (time box)' : ''}, ${r.xeroCalls} Xero calls${r.problems.length ? `; PROBLEMS: ${r.problems.join('; ')}` : ''}`);
		results.push(r);
		if (args.timeline) console.log(`timeline of ${r.system} (calls counted per 15 s against the minute's budget):\n${r.timeline.join('\n')}`);
	}

	console.log(`\nBilling run benchmark: the same seeded run through three systems, one after the other\n${header(args, command)}\n`);
	console.log(
		table([
			['system', 'invoices done', 'seconds', 'invoices/min', 'invoices/day (Xero day limit)', 'Xero calls/invoice', 'gateway calls/invoice', 'peak RSS (MB)'],
			...results.map((r) => [
				r.system,
				`${r.completed}/${r.total}${r.timeBoxed ? ' (time box)' : ''}`,
				f(r.seconds),
				f(r.perMinute),
				String(invoicesPerDay(r.xeroCalls / Math.max(1, r.completed))),
				f(r.xeroCalls / Math.max(1, r.completed), 3),
				f(r.gatewayCalls / Math.max(1, r.completed), 2),
				f(r.peakRssMb, 0),
			]),
		]),
	);
	const ours = results.find((r) => r.system.startsWith('this package'));
	if (ours) {
		const cpi = ours.xeroCalls / Math.max(1, ours.completed);
		const bound = (60 * (60_000 / args.minuteMs)) / cpi;
		// Xero's PDF and its online link cost a call per invoice; a rendered PDF does not.
		const target = args.pdf === 'xero' || args.pdf === 'online' ? 1.15 : 0.15;
		console.log('');
		console.log(`Xero calls per invoice, this package: ${f(cpi, 3)} (target ≤ ${target}: ${cpi <= target ? 'met' : 'NOT met'})`);
		console.log(`Xero-limit bound at that rate: ${f(60 * (60_000 / args.minuteMs), 0)} calls per minute (60 per ${f(args.minuteMs / 1000, 0)} s) / ${f(cpi, 3)} = ${f(bound)} invoices/min; this package ran at ${f(ours.perMinute)} = ${f((100 * ours.perMinute) / bound)}% of it (target ≥ 80%)`);
		for (const other of results.filter((r) => r !== ours)) {
			const ratio = ours.perMinute / other.perMinute;
			const want = other.system.startsWith('the old way') ? 20 : 10;
			console.log(`this package / ${other.system}: ${f(ratio)}× faster (target ≥ ${want}×: ${ratio >= want ? 'met' : 'NOT met'})`);
		}
		for (const r of results) {
			const cpiR = r.xeroCalls / Math.max(1, r.completed);
			console.log(`Xero's daily limit (${XERO_DAY_LIMIT} calls per organisation, every workflow together) at ${f(cpiR, 3)} calls per invoice: ${invoicesPerDay(cpiR)} invoices a day, ${r.system}`);
		}
	}
	for (const r of results) console.log(`Xero calls of ${r.system}: ${Object.entries(r.xeroRoutes).map(([k, v]) => `${k} ${v}`).join(', ')}; ${r.xero429} answered 429`);
	for (const r of results) if (r.problems.length) console.log(`PROBLEMS in ${r.system}: ${r.problems.join('; ')}`);
	console.log('\ninvoices done = payment notice (paid, declined or no card) in the sandbox mailbox; rates are over the invoices done.');
	fs.writeFileSync(path.join(out, 'latest.json'), JSON.stringify({ command, args, results }, null, 2));
}

main().catch((error: Error) => {
	console.error(`\n✖ ${error.stack ?? error.message}`);
	process.exit(1);
});
