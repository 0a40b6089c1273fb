// `npm run bench:queue [-- --messages N]`: one real n8n (the pinned 2.x, SQLite, default execution
// saving), one RabbitMQ, the same no-op stage built two ways, run one after the other:
//   (a) n8n's built-in RabbitMQ Trigger (ack when the execution finished successfully, 20 parallel
//       messages) → No Operation: one execution per message;
//   (b) our Billing Queue Trigger in batch mode (50 per execution) → No Operation.
// Each queue is filled with N messages first, then the workflow is published; the phase ends when
// the queue is empty and every message was acknowledged (the workflow is unpublished and the
// queue checked again: an unacknowledged message would be back). Reported per phase: time from
// publishing to the last execution's end, messages/s, executions, peak RSS of n8n's process tree
// (n8n + task runner, sampled from /proc every 200 ms), and the ratio ours/built-in. n8n is
// restarted (same user folder and database) between the phases so they share no process state.
import { execFileSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import { sleep } from 'n8n-workflow';
import { BrokerProbe, type StageSetup, waitUntil } from '../support/broker';
import { RssSampler, treeRssKb } from '../support/memory';
import { activate, allExecutions, deactivate, executionCount, type N8nInstance, RABBIT_CREDENTIAL, startN8n } from '../support/n8n';
import { packAndInstall } from '../support/package';
import { N8N_BIN, N8N_VERSION, NODE24_BIN, REPO_ROOT } from '../support/paths';
import { BUILTIN_CREDENTIAL, builtinWorkflow, oursWorkflow } from './queue-workflows';

interface Options {
	messages: number;
	batchSize: number;
	queueType: 'quorum' | 'classic';
	parallel: number;
	/** Our trigger's prefetch; by default the batch size (one execution at a time). */
	prefetch?: number;
	only?: 'builtin' | 'ours';
	keep: boolean;
}

function parseArgs(argv: string[]): Options {
	const opts: Options = { messages: 2000, batchSize: 50, queueType: 'quorum', parallel: 20, keep: false };
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		const value = () => {
			const v = argv[++i];
			if (v === undefined) throw new Error(`${arg} needs a value`);
			return v;
		};
		const int = (name: string, v: string, min: number) => {
			const n = Number(v);
			if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be a whole number of at least ${min}, got "${v}"`);
			return n;
		};
		if (arg === '--messages') opts.messages = int('--messages', value(), 1);
		else if (arg === '--batch-size') opts.batchSize = int('--batch-size', value(), 1);
		else if (arg === '--parallel') opts.parallel = int('--parallel', value(), 1);
		else if (arg === '--prefetch') opts.prefetch = int('--prefetch', value(), 1);
		else if (arg === '--queue-type') {
			const v = value();
			if (v !== 'quorum' && v !== 'classic') throw new Error(`--queue-type must be quorum or classic, got "${v}"`);
			opts.queueType = v;
		} else if (arg === '--only') {
			const v = value();
			if (v !== 'builtin' && v !== 'ours') throw new Error(`--only must be builtin or ours, got "${v}"`);
			opts.only = v;
		} else if (arg === '--keep') opts.keep = true;
		else if (arg === '--help' || arg === '-h') {
			console.log('usage: npm run bench:queue -- [--messages N] [--batch-size 50] [--parallel 20] [--prefetch N] [--queue-type quorum|classic] [--only builtin|ours] [--keep]');
			process.exit(0);
		} else throw new Error(`unknown argument "${arg}" (see --help)`);
	}
	return opts;
}

/** A billing item of realistic size (about 300 bytes of JSON). */
function item(runId: string, i: number): Record<string, unknown> {
	return {
		billingKey: `bench-${runId}-${String(i).padStart(6, '0')}`,
		billingRunId: `bench-${runId}`,
		clientId: `C${1000 + (i % 97)}`,
		clientName: 'Acme Widgets Ltd',
		billingEmail: 'accounts@acme.example',
		currency: 'GBP',
		amountMinor: 1000 + (i % 5000),
		periodStart: '2026-11-01',
		periodEnd: '2026-11-30',
		lines: [{ leadId: `L${i}`, description: 'Qualified lead', amountMinor: 1000 + (i % 5000) }],
	};
}

interface PhaseResult {
	label: string;
	seconds: number;
	rate: number;
	executions: number;
	items: number;
	idleRssMb: number;
	peakRssMb: number;
	avgExecutionMs: number;
	prefetch: string;
}

async function runPhase(opts: {
	label: string;
	prefetch: string;
	n8n: N8nInstance;
	broker: BrokerProbe;
	workflowId: string;
	queue: string;
	messages: number;
	fill: () => Promise<void>;
	/** Messages handled by one execution (1 for the built-in trigger; read from the run for ours). */
	itemsOf: (executionId: string) => Promise<number>;
	/** Executions a full drain takes: one per message, or one per full batch (prefilled queue). */
	expectedExecutions: number;
	restart: boolean;
}): Promise<PhaseResult> {
	const { n8n, broker, queue, messages } = opts;
	if (opts.restart) {
		// A fresh n8n process (same user folder and database) so one phase's heap does not
		// carry into the other's memory figures.
		process.stdout.write('\nRestarting n8n for a clean process… ');
		await n8n.stop();
		await n8n.start();
		console.log('ready');
	}
	process.stdout.write(`\n▶ ${opts.label}: filling ${queue} with ${messages} messages… `);
	await opts.fill();
	const filled = await broker.check(queue);
	if (filled?.ready !== messages) throw new Error(`${queue} holds ${filled?.ready} messages, expected ${messages}`);
	console.log('done');
	await sleep(2000); // let n8n idle before sampling its baseline
	const pid = n8n.pid!;
	const idleKb = treeRssKb(pid);
	const before = await executionCount(n8n, opts.workflowId);
	const sampler = new RssSampler(pid).start();
	const t0 = Date.now();
	await activate(n8n, opts.workflowId);
	process.stdout.write(`  published; draining`);
	let lastReport = Date.now();
	// Only the broker is asked while the queue drains, so the measuring does not load n8n; n8n
	// is asked (once a second) only for the tail, once nothing is ready any more.
	await waitUntil(
		`${queue} to empty`,
		async () => {
			const state = await broker.check(queue);
			if (Date.now() - lastReport > 10000) {
				process.stdout.write(` · ${state?.ready} left`);
				lastReport = Date.now();
			}
			return state?.ready === 0;
		},
		60 * 60 * 1000,
		200,
	);
	await waitUntil(
		'the last executions to finish',
		async () => {
			if ((await executionCount(n8n, opts.workflowId)) - before < opts.expectedExecutions) return false;
			const running = (await n8n.executions(opts.workflowId)).filter((e) => e.status === 'running' || e.status === 'new');
			return running.length === 0;
		},
		10 * 60 * 1000,
		1000,
	);
	sampler.stop();
	console.log(' · empty');
	// Unpublish; anything still unacknowledged would now be back in the queue.
	await deactivate(n8n, opts.workflowId);
	const after = await waitUntil('the trigger to leave the queue', async () => {
		const got = await broker.check(queue);
		return got && got.consumers === 0 ? got : undefined;
	});
	if (after.ready !== 0) throw new Error(`${after.ready} message(s) were not acknowledged in ${queue}`);

	const executions = (await allExecutions(n8n, opts.workflowId)).filter((e) => e.stoppedAt);
	const failed = executions.filter((e) => e.status !== 'success');
	if (failed.length) throw new Error(`${failed.length} execution(s) did not succeed, e.g. ${failed[0].id} ${failed[0].status}`);
	let items = 0;
	for (const e of executions) items += await opts.itemsOf(e.id);
	if (items !== messages) throw new Error(`the executions handled ${items} messages, expected ${messages}`);
	const end = Math.max(...executions.map((e) => new Date(e.stoppedAt!).getTime()));
	const seconds = (end - t0) / 1000;
	const busy = executions.reduce((s, e) => s + (new Date(e.stoppedAt!).getTime() - new Date(e.startedAt).getTime()), 0);
	return {
		label: opts.label,
		prefetch: opts.prefetch,
		seconds,
		rate: messages / seconds,
		executions: executions.length,
		items,
		idleRssMb: idleKb / 1024,
		peakRssMb: sampler.peakKb / 1024,
		avgExecutionMs: busy / executions.length,
	};
}

function table(rows: string[][]): string {
	const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
	const line = (r: string[]) => `│ ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join(' │ ')} │`;
	const rule = (l: string, m: string, r: string) => `${l}${widths.map((w) => '─'.repeat(w + 2)).join(m)}${r}`;
	return [rule('┌', '┬', '┐'), line(rows[0]), rule('├', '┼', '┤'), ...rows.slice(1).map(line), rule('└', '┴', '┘')].join('\n');
}

async function main() {
	const opts = parseArgs(process.argv.slice(2));
	const command = `npm run bench:queue${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
	if (!fs.existsSync(N8N_BIN)) throw new Error(`real n8n missing at ${N8N_BIN}: run \`npm run n8n:install\` first`);
	console.log('Building and packing the package…');
	execFileSync('npm', ['run', '--silent', 'build'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
	const { nodesTemplate } = packAndInstall();

	const runId = randomBytes(3).toString('hex');
	const builtinQueue = `bq-bench-${runId}-builtin`;
	const setup: StageSetup = { exchange: `bq-bench-${runId}`, queueType: opts.queueType, retryDelays: '5s' };
	const oursQueue = `${setup.exchange}.bench`;
	const builtinId = `bqbench${runId}bi`.padEnd(16, '0').slice(0, 16);
	const oursId = `bqbench${runId}bq`.padEnd(16, '0').slice(0, 16);
	const broker = await BrokerProbe.open('billing-queue-bench');
	let n8n: N8nInstance | undefined;
	const results: PhaseResult[] = [];
	try {
		await broker.declareQueue(builtinQueue, opts.queueType);
		await broker.declareStage(setup, 'bench');
		console.log(`Starting n8n ${N8N_VERSION}…`);
		n8n = await startN8n({
			nodesTemplate,
			credentials: [BUILTIN_CREDENTIAL, RABBIT_CREDENTIAL],
			workflows: [builtinWorkflow(builtinId, builtinQueue, opts.parallel), oursWorkflow(oursId, setup, opts.batchSize, opts.prefetch)],
			// Quieter logs: the built-in trigger would log per message at debug.
			env: { N8N_LOG_LEVEL: 'warn' },
		});
		const instance = n8n;
		if (opts.only !== 'ours') {
			results.push(
				await runPhase({
					label: `built-in RabbitMQ Trigger (${opts.parallel} parallel)`,
					prefetch: String(opts.parallel),
					n8n: instance,
					broker,
					workflowId: builtinId,
					queue: builtinQueue,
					messages: opts.messages,
					fill: () => broker.fillQueue(builtinQueue, opts.messages, (i) => item(runId, i)),
					itemsOf: async () => 1,
					expectedExecutions: opts.messages,
					restart: false,
				}),
			);
		}
		if (opts.only !== 'builtin') {
			results.push(
				await runPhase({
					label: `Billing Queue Trigger (batch ${opts.batchSize})`,
					prefetch: String(opts.prefetch ?? opts.batchSize),
					n8n: instance,
					broker,
					workflowId: oursId,
					queue: oursQueue,
					messages: opts.messages,
					fill: () => broker.publishItems(setup.exchange, 'bench', Array.from({ length: opts.messages }, (_, i) => item(runId, i) as { billingKey: string })),
					itemsOf: async (id) => (await instance.nodeOutput(id, 'Billing Queue Trigger'))[0]?.length ?? 0,
					expectedExecutions: Math.ceil(opts.messages / opts.batchSize),
					restart: results.length > 0,
				}),
			);
		}
	} finally {
		if (n8n) {
			if (opts.keep) await n8n.stop();
			else await n8n.dispose();
			if (opts.keep) console.log(`n8n user folder kept: ${n8n.userFolder}`);
		}
		await broker.deleteQueues([builtinQueue]);
		await broker.deleteStages(setup, ['bench']);
		await broker.close();
	}

	const cpu = os.cpus();
	const node24 = execFileSync(NODE24_BIN, ['--version'], { encoding: 'utf8' }).trim();
	console.log('\nBilling Queue benchmark: no-op stage, same broker, same messages, one phase after the other');
	console.log(`machine   ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB memory, ${os.platform()} ${os.release()}`);
	console.log(`software  n8n ${N8N_VERSION} on Node ${node24}, SQLite, executions saved as n8n's default (all); RabbitMQ ${opts.queueType} queues`);
	console.log(`command   ${command}`);
	console.log(`messages  ${opts.messages} of about ${JSON.stringify(item(runId, 1)).length} bytes each\n`);
	const rows = [['stage built with', 'prefetch', 'drain (s)', 'msg/s', 'executions', 'avg execution (ms)', 'idle RSS (MB)', 'peak RSS (MB)']];
	for (const r of results) {
		rows.push([r.label, r.prefetch, r.seconds.toFixed(1), r.rate.toFixed(1), String(r.executions), r.avgExecutionMs.toFixed(0), r.idleRssMb.toFixed(0), r.peakRssMb.toFixed(0)]);
	}
	console.log(table(rows));
	if (results.length === 2) {
		const ratio = results[1].rate / results[0].rate;
		console.log(`\nratio ours / built-in: ${ratio.toFixed(1)}× (target ≥ 10×: ${ratio >= 10 ? 'met' : 'NOT met'})`);
	}
	console.log('drain = from publishing the workflow to the end of its last execution; every message acknowledged (checked with the workflow unpublished).');
	console.log("RSS = n8n's whole process tree (main process and task runner), sampled every 200 ms.");
}

main().catch((error: Error) => {
	console.error(`\n✖ ${error.message}`);
	process.exit(1);
});
