// `npm run test:chaos [-- --invoices N --seed S]`: the chaos run at full size (default 1000
// invoices) against a real n8n with this package packed and installed as users install it.
// Prints the verdict table; exits 1 when any check fails.
import { packAndInstall } from '../../support/package';
import { runChaos } from './chaos';

function parseArgs(argv: string[]): { invoices: number; seed: number; timeoutMinutes: number; queueMode: boolean } {
	const opts = { invoices: 1000, seed: 7, timeoutMinutes: 60, queueMode: false };
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		const num = (min: number) => {
			const v = Number(argv[++i]);
			if (!Number.isInteger(v) || v < min) throw new Error(`${arg} needs a whole number of at least ${min}, got "${argv[i]}"`);
			return v;
		};
		if (arg === '--invoices') opts.invoices = num(10);
		else if (arg === '--seed') opts.seed = num(0);
		else if (arg === '--timeout-minutes') opts.timeoutMinutes = num(1);
		else if (arg === '--queue-mode') opts.queueMode = true;
		else if (arg === '--help' || arg === '-h') {
			console.log('npm run test:chaos -- [--invoices N (1000)] [--seed S (7)] [--timeout-minutes M (60)] [--queue-mode]');
			process.exit(0);
		} else throw new Error(`unknown argument "${arg}" (try --help)`);
	}
	return opts;
}

async function main(): Promise<void> {
	const opts = parseArgs(process.argv.slice(2));
	console.log(`chaos: packing and installing the package`);
	const { nodesTemplate } = packAndInstall();
	const started = Date.now();
	const result = await runChaos({ invoices: opts.invoices, seed: opts.seed, nodesTemplate, timeoutMs: opts.timeoutMinutes * 60_000, queueMode: opts.queueMode });
	const mode = opts.queueMode ? 'n8n queue mode (main + 2 workers, PostgreSQL, Redis)' : 'n8n regular mode';
	console.log(`\nChaos run: ${result.figures.billable} billable clients + ${result.figures.malformed} malformed CRM rows, seed ${opts.seed}, ${mode}, ${Math.round((Date.now() - started) / 1000)} s in all\n`);
	console.log(result.table);
	if (result.figures.parked.length) {
		console.log('\nParked:');
		for (const p of result.figures.parked) console.log(`  ${p.key} in ${p.stage}: ${p.reason}`);
	}
	if (!result.ok) {
		console.error(`\nFAILED:\n- ${result.problems.join('\n- ')}`);
		process.exit(1);
	}
	console.log('\nEvery check passed.');
}

main().catch((error: Error) => {
	console.error(`chaos run failed: ${error.stack ?? error.message}`);
	process.exit(1);
});
