// The three systems the billing benchmark compares, each run against a fresh sandbox with the same
// seed, latencies and Xero limits, judged from the sandbox's own records: an invoice counts as done
// when its client's payment notice (paid, declined or no card) is in the mailbox.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { sleep } from 'n8n-workflow';
import { toMinorUnits } from '../../nodes/shared/currency';
import { billingKey } from '../../nodes/shared/billingKey';
import { startBillingSandbox } from '../../sandbox';
import type { BillingSandbox, BillingSandboxOptions } from '../../sandbox';
import { RssSampler, treeRssKb } from '../../support/memory';
import { startN8n, type N8nInstance } from '../../support/n8n';
import { startPipeline } from '../../support/pipeline';
import { COLLECT_WORKFLOW_ID, type InvoiceDocument } from '../../scripts/workflows/pipeline';
import type { OldWayJob } from './old-way';
import { builtinWorkflows, publishInvoiceRequests } from './builtins';

export const BENCH_PDFS = ['none', 'xero', 'rendered', 'online'] as const;
export type BenchPdf = (typeof BENCH_PDFS)[number];
const INVOICE_DOCUMENT: Record<BenchPdf, InvoiceDocument> = { none: 'none', xero: 'xeroPdf', rendered: 'renderedPdf', online: 'onlineLink' };

export interface BenchSettings {
	invoices: number;
	/** Clients are new to Xero (a first run) instead of billed before (contacts exist). */
	newClients: boolean;
	seed: number;
	minuteMs: number;
	/**
	 * The invoice document: none, Xero's PDF (`--pdf`, `--pdf xero`), a PDF rendered by this
	 * package (`--pdf rendered`) or Xero's online invoice link (`--pdf online`). The old way and
	 * the built-ins have no renderer: they attach Xero's PDF for any of them.
	 */
	pdf: BenchPdf;
	/** Time box for the slow systems, minutes. */
	baselineMinutes: number;
	nodesTemplate: string;
	log: (line: string) => void;
}

export interface SystemResult {
	system: string;
	/** Invoices finished (payment notice received) and the seconds it took. */
	completed: number;
	total: number;
	seconds: number;
	timeBoxed: boolean;
	perMinute: number;
	xeroCalls: number;
	/** Xero calls by route, and how many of them were answered 429. */
	xeroRoutes: Record<string, number>;
	xero429: number;
	gatewayCalls: number;
	peakRssMb: number;
	/** Problems seen in the sandbox's records (an invoice twice, a charge twice). */
	problems: string[];
	/** Per 15 s of the run: Xero calls by route and invoices finished (`--timeline` prints it). */
	timeline: string[];
	/** This package only: where n8n's memory was (see RssSampler), in MB. */
	memory?: MemoryDetail;
}

export interface MemoryDetail {
	/** n8n (main and task runner) with the package loaded and the workflows published, before the run. */
	idleMb: number;
	/** At the peak sample: the main process, its task runner, anonymous (heaps) and file-backed pages. */
	mainMb: number;
	runnerMb: number;
	anonMb: number;
	fileMb: number;
	/** The collect stage's saved execution data (the whole run in one execution), MB of JSON. */
	collectExecutionMb?: number;
}

export const LATENCY = { xero: 300, secureTrading: 800, smtp: 50 } as const;

export function sandboxOptions(s: BenchSettings, clients = s.invoices): BillingSandboxOptions {
	return {
		clients,
		seed: s.seed,
		hostile: false,
		leadsPerClient: [1, 3],
		latency: { xero: LATENCY.xero, secureTrading: LATENCY.secureTrading, smtp: LATENCY.smtp },
		xeroLimits: { minuteMs: s.minuteMs, concurrent: 5, perMinute: 60 },
	};
}

const NOTICE = /^<billing\.(paid|declined|noCardOnFile|finalNotice)(\.a\d+)?\.k-([^@]+)@/;
// n8n's Send Email node sets no Message-ID of ours: the built-ins put the key in the subject.
const NOTICE_SUBJECT = /^Payment (paid|declined|noCardOnFile) \[([^\]]+)\]$/;

/** Billing keys whose payment notice has arrived, and when the last one did. */
function notices(sandbox: BillingSandbox): { done: Set<string>; lastAt: number; times: number[] } {
	const done = new Set<string>();
	const times: number[] = [];
	let lastAt = 0;
	for (const m of sandbox.smtp.messages()) {
		const match = NOTICE.exec(String(m.messageId ?? ''));
		const key = match ? match[3] : NOTICE_SUBJECT.exec(String(m.subject ?? ''))?.[2];
		if (!key || done.has(key)) continue;
		done.add(key);
		times.push(Date.parse(m.receivedAt));
		lastAt = Math.max(lastAt, Date.parse(m.receivedAt));
	}
	return { done, lastAt, times };
}

function problemsOf(sandbox: BillingSandbox): string[] {
	const problems: string[] = [];
	const refs = new Map<string, number>();
	for (const inv of sandbox.xero.invoices()) refs.set(String(inv.Reference), (refs.get(String(inv.Reference)) ?? 0) + 1);
	const twice = [...refs.values()].filter((n) => n > 1).length;
	if (twice) problems.push(`${twice} billing keys invoiced twice`);
	const charged = Object.values(sandbox.secureTrading.chargeCounts()).filter((n) => n > 1).length;
	if (charged) problems.push(`${charged} billing keys charged twice`);
	return problems;
}

/** One invoice request per client with leads in the period, as Invoice Preparation would make it. */
export function invoiceRequests(sandbox: BillingSandbox) {
	const { from, to } = sandbox.period;
	const leads = new Map<string, ReturnType<BillingSandbox['crm']['leads']>>();
	for (const l of sandbox.crm.leads()) {
		if (l.deliveredAt < from || l.deliveredAt >= to) continue;
		leads.set(l.clientId, [...(leads.get(l.clientId) ?? []), l]);
	}
	return sandbox.crm
		.clients()
		.filter((c) => leads.has(c.id))
		.map((c) => {
			const lines = leads.get(c.id)!.map((l) => ({ description: l.description, quantity: l.quantity, unitAmount: Number(l.price), unitAmountMinor: toMinorUnits(l.price, c.currency) }));
			return {
				billingKey: billingKey(c.id, new Date(from).toISOString(), new Date(to).toISOString()),
				clientId: c.id,
				name: c.name,
				email: String(c.billingEmail),
				currency: c.currency,
				cardReference: c.cardReference,
				totalMinor: lines.reduce((n, l) => n + l.unitAmountMinor * l.quantity, 0),
				lines,
			};
		});
}

/** Steady state: the clients were billed before, so Xero has their contacts (same for all three). */
async function startSandbox(s: BenchSettings, clients = s.invoices): Promise<BillingSandbox> {
	const sandbox = await startBillingSandbox(sandboxOptions(s, clients));
	if (!s.newClients) seedContacts(sandbox);
	return sandbox;
}

export function seedContacts(sandbox: BillingSandbox): void {
	for (const c of sandbox.crm.clients()) sandbox.xero.seedContact({ Name: `${c.name} (${c.id})`, ContactNumber: c.id, EmailAddress: c.billingEmail ?? undefined });
}

// Where the Xero budget went: a bucket whose calls fall short of the per-minute rate is time the
// pipeline could not use Xero (waiting on another stage, or on the limiter).
function timeline(sandbox: BillingSandbox, startedAt: number, doneTimes: number[], minuteMs: number): string[] {
	const bucketMs = 15_000;
	const buckets = new Map<number, { routes: Map<string, number>; done: number; r429: number }>();
	const at = (t: number) => {
		const b = Math.max(0, Math.floor((t - startedAt) / bucketMs));
		if (!buckets.has(b)) buckets.set(b, { routes: new Map(), done: 0, r429: 0 });
		return buckets.get(b)!;
	};
	for (const c of sandbox.xero.calls()) {
		const b = at(c.at);
		if (c.status === 429) b.r429++;
		else b.routes.set(c.route, (b.routes.get(c.route) ?? 0) + 1);
	}
	for (const t of doneTimes) at(t).done++;
	const last = Math.max(...buckets.keys());
	const perBucket = (60 * bucketMs) / minuteMs;
	const lines: string[] = [];
	for (let b = 0; b <= last; b++) {
		const x = buckets.get(b) ?? { routes: new Map(), done: 0, r429: 0 };
		const calls = [...x.routes.values()].reduce((n, v) => n + v, 0);
		const routes = [...x.routes.entries()].map(([r, n]) => `${r} ${n}`).join(', ');
		lines.push(`${String(b * 15).padStart(4)} s  Xero ${String(calls).padStart(3)}/${perBucket}${x.r429 ? ` (+${x.r429}×429)` : ''}  done ${String(x.done).padStart(4)}  ${routes}`);
	}
	return lines;
}

function result(system: string, sandbox: BillingSandbox, total: number, startedAt: number, timeBoxed: boolean, peakRssKb: number, minuteMs = 60_000): SystemResult {
	const { done, lastAt, times } = notices(sandbox);
	const seconds = Math.max(0.001, ((timeBoxed ? Date.now() : lastAt || Date.now()) - startedAt) / 1000);
	return {
		system,
		completed: done.size,
		total,
		seconds,
		timeBoxed,
		perMinute: (done.size / seconds) * 60,
		xeroCalls: sandbox.xero.callCount(),
		xeroRoutes: sandbox.xero.callsByRoute(),
		xero429: sandbox.xero.calls().filter((c) => c.status === 429).length,
		gatewayCalls: sandbox.secureTrading.callCounts().http,
		peakRssMb: peakRssKb / 1024,
		problems: problemsOf(sandbox),
		timeline: timeline(sandbox, startedAt, times, minuteMs),
	};
}

async function until(done: () => boolean, deadline: number): Promise<boolean> {
	while (!done()) {
		if (Date.now() > deadline) return false;
		await sleep(500);
	}
	return true;
}

// ------------------------------------------------------------------------------- the old way

export async function runOldWay(s: BenchSettings): Promise<SystemResult> {
	const sandbox = await startSandbox(s);
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'billing-bench-old-'));
	try {
		const invoices = invoiceRequests(sandbox);
		const startedAt = Date.now();
		const deadline = startedAt + s.baselineMinutes * 60_000;
		const job: OldWayJob = {
			xero: { clientId: sandbox.xero.clientId, clientSecret: sandbox.xero.clientSecret, tokenUrl: sandbox.xero.tokenUrl, apiBaseUrl: sandbox.xero.apiBaseUrl },
			gateway: { url: sandbox.secureTrading.url, username: sandbox.secureTrading.username, password: sandbox.secureTrading.password, siteReference: sandbox.secureTrading.siteReference },
			smtp: { host: sandbox.smtp.host, port: sandbox.smtp.port },
			pdf: s.pdf !== 'none',
			deadline,
			invoices: invoices.map(({ lines, ...rest }) => ({ ...rest, lines: lines.map(({ description, quantity, unitAmount }) => ({ description, quantity, unitAmount })) })),
		};
		const file = path.join(dir, 'job.json');
		fs.writeFileSync(file, JSON.stringify(job));
		const child = spawn(process.execPath, [...process.execArgv, path.join(__dirname, 'old-way.ts'), file], { stdio: ['ignore', 'pipe', 'inherit'] });
		const rss = new RssSampler(child.pid!).start();
		let out = '';
		child.stdout.on('data', (d: Buffer) => (out += d.toString()));
		const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
		rss.stop();
		if (code !== 0) throw new Error(`the old-way script failed (exit ${code})`);
		s.log(`old way: ${out.trim()}`);
		const done = notices(sandbox).done.size;
		return result('the old way (one script, one invoice after another)', sandbox, invoices.length, startedAt, done < invoices.length, rss.peakKb, s.minuteMs);
	} finally {
		fs.rmSync(dir, { recursive: true, force: true });
		await sandbox.close();
	}
}

// ------------------------------------------------------------------------------- this package

/**
 * This package's shipped workflows; with `workers`, in n8n's queue mode (main + that many
 * workers on PostgreSQL and Redis, the sent and charge records shared in PostgreSQL). Peak RSS
 * is then the sum of each process tree's peak (main and every worker).
 */
export async function runOurs(s: BenchSettings, clients = s.invoices, workers?: number, opts: { env?: Record<string, string>; label?: string } = {}): Promise<SystemResult> {
	const run = await startPipeline({
		nodesTemplate: s.nodesTemplate,
		sandbox: sandboxOptions(s, clients),
		// Dunning days later than the run; the shipped batch and retry settings otherwise.
		settings: { invoiceDocument: INVOICE_DOCUMENT[s.pdf], dunningDelays: '3d, 7d' },
		queueMode: workers ? { workers } : false,
		env: opts.env,
	});
	try {
		if (!s.newClients) seedContacts(run.sandbox);
		const total = invoiceRequests(run.sandbox).length;
		const idleKb = treeRssKb(run.n8n.pid!);
		const samplers = [run.n8n, ...run.workers].map((n) => new RssSampler(n.pid!).start());
		const startedAt = Date.now();
		await run.requestRun();
		const finished = await until(() => notices(run.sandbox).done.size >= total, startedAt + 90 * 60_000);
		samplers.forEach((r) => r.stop());
		const name = opts.label ?? (workers ? `this package, queue mode, ${workers} worker${workers > 1 ? 's' : ''}` : 'this package (shipped workflows)');
		if (!finished) s.log(`${name}: only ${notices(run.sandbox).done.size}/${total} done in 90 minutes`);
		const out = result(name, run.sandbox, total, startedAt, !finished, samplers.reduce((sum, r) => sum + r.peakKb, 0), s.minuteMs);
		if (!workers) out.memory = { ...breakdown(idleKb, samplers[0]), ...(await executionSizes(run.n8n)) };
		return out;
	} finally {
		await run.stop();
	}
}

const mb = (kb: number) => kb / 1024;

function breakdown(idleKb: number, sampler: RssSampler): Pick<MemoryDetail, 'idleMb' | 'mainMb' | 'runnerMb' | 'anonMb' | 'fileMb'> {
	const p = sampler.peak;
	return { idleMb: mb(idleKb), mainMb: mb(p.mainKb), runnerMb: mb(p.childrenKb), anonMb: mb(p.anonKb), fileMb: mb(p.fileKb) };
}

/** After the run (so reading it does not count): the collect execution's saved size. */
async function executionSizes(n8n: N8nInstance): Promise<Pick<MemoryDetail, 'collectExecutionMb'>> {
	try {
		const [collect] = await n8n.executions(COLLECT_WORKFLOW_ID);
		return collect ? { collectExecutionMb: Buffer.byteLength(await n8n.executionData(String(collect.id))) / 2 ** 20 } : {};
	} catch {
		return {};
	}
}

// ------------------------------------------------------------------------------- n8n built-ins

export async function runBuiltins(s: BenchSettings): Promise<SystemResult> {
	const sandbox = await startSandbox(s);
	const queue = `billing-bench-builtin-${process.pid}`;
	let n8n;
	try {
		const invoices = invoiceRequests(sandbox);
		const { workflows, credentials } = await builtinWorkflows(sandbox, queue, s.pdf !== 'none');
		// The trigger checks its queue exists when the workflow is published.
		await publishInvoiceRequests(queue, []);
		n8n = await startN8n({ nodesTemplate: s.nodesTemplate, credentials, workflows, publish: workflows.map((w) => String(w.id)) });
		const rss = new RssSampler(n8n.pid!).start();
		const startedAt = Date.now();
		await publishInvoiceRequests(queue, invoices);
		const deadline = startedAt + s.baselineMinutes * 60_000;
		const finished = await until(() => notices(sandbox).done.size >= invoices.length, deadline);
		rss.stop();
		return result("n8n built-in nodes (RabbitMQ Trigger, HTTP Request, Send Email)", sandbox, invoices.length, startedAt, !finished, Math.max(rss.peakKb, treeRssKb(n8n.pid!)), s.minuteMs);
	} finally {
		await n8n?.dispose();
		await sandbox.close();
		await publishInvoiceRequests(queue, null);
	}
}
