// A real n8n for end-to-end tests, benchmarks and the demo: its own user folder, free ports, our
// package installed in `.n8n/nodes` from the packed tarball, credentials and workflows imported
// with the n8n CLI, workflows published with the CLI or over REST while it runs, executions read
// back over n8n's REST API.
import { ChildProcess, execFile, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { parse as parseFlatted } from 'flatted';
import { sleep } from 'n8n-workflow';
import { CACHE_DIR, N8N_BIN, NODE24_BIN } from './paths';

export const OWNER = { email: 'ops@billing.example', password: 'Billing-Pipeline-1', firstName: 'Billing', lastName: 'Ops' };

export interface CredentialSeed {
	id: string;
	name: string;
	type: string;
	data: Record<string, unknown>;
}

export interface N8nOptions {
	/** A `.n8n/nodes` folder to copy in (from packAndInstall); defaults to BILLING_NODES_TEMPLATE. */
	nodesTemplate?: string;
	credentials?: CredentialSeed[];
	/** Workflow JSON objects (each with an `id`) to import. */
	workflows?: Array<Record<string, unknown>>;
	/** Ids of imported workflows to publish (activate). */
	publish?: string[];
	/**
	 * How to publish: with the n8n CLI before start (`publish:workflow`, one CLI boot per
	 * workflow) or, faster, through the REST call the editor's Publish button makes.
	 */
	publishVia?: 'cli' | 'rest';
	env?: Record<string, string>;
	/** Editor/API port (default: a free one). */
	port?: number;
	/** Reuse an existing user folder (e.g. a second instance on the same database is NOT supported with SQLite). */
	userFolder?: string;
	/**
	 * `start` (default): a main instance (editor, triggers). `worker`: a queue-mode worker (`n8n
	 * worker`), which imports nothing (main and workers share the database) and is ready when its
	 * health endpoint says so.
	 */
	command?: N8nCommand;
}

export type N8nCommand = 'start' | 'worker';

export interface ExecutionSummary {
	id: string;
	workflowId: string;
	status: string;
	mode: string;
	finished: boolean;
	startedAt: string;
	stoppedAt?: string;
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
	return await new Promise((resolve, reject) => {
		const server = net.createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
	});
}

const running = new Set<ChildProcess>();

/**
 * Every n8n process group started here is also recorded as a file in BILLING_N8N_PIDS_DIR (set by
 * the e2e global setup): a jest worker that is force-killed never runs its exit handler, so the
 * global teardown kills whatever groups are still recorded (see killRecordedN8n).
 */
function recordPid(pid: number): void {
	const dir = process.env.BILLING_N8N_PIDS_DIR;
	if (dir) fs.writeFileSync(path.join(dir, String(pid)), '');
}

function forgetPid(pid: number): void {
	const dir = process.env.BILLING_N8N_PIDS_DIR;
	if (dir) fs.rmSync(path.join(dir, String(pid)), { force: true });
}

/** Kills every recorded n8n process group still alive; returns how many there were. */
export function killRecordedN8n(dir: string): number {
	let killed = 0;
	for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
		const pid = Number(name);
		try {
			if (pid > 0) {
				process.kill(-pid, 'SIGKILL');
				killed += 1;
			}
		} catch {}
		fs.rmSync(path.join(dir, name), { force: true });
	}
	return killed;
}

process.on('exit', () => {
	// Last resort: never leave an n8n (or its task runner) behind.
	for (const child of running) {
		try {
			if (child.pid) process.kill(-child.pid, 'SIGKILL');
		} catch {}
	}
});

export class N8nInstance {
	readonly userFolder: string;
	port = 0;
	brokerPort = 0;
	private child?: ChildProcess;
	private cookie?: string;
	private readonly logFile: string;
	private extraEnv: Record<string, string>;
	readonly command: N8nCommand;

	constructor(userFolder: string, env: Record<string, string>, command: N8nCommand = 'start') {
		this.userFolder = userFolder;
		this.logFile = path.join(userFolder, 'n8n.log');
		this.extraEnv = env;
		this.command = command;
	}

	get url(): string {
		return `http://127.0.0.1:${this.port}`;
	}

	env(): NodeJS.ProcessEnv {
		const base: NodeJS.ProcessEnv = { ...process.env };
		// Jest's and npm's own variables must not leak into n8n.
		for (const key of Object.keys(base)) {
			if (key.startsWith('JEST_') || key.startsWith('npm_') || key === 'NODE_OPTIONS' || key === 'NODE_ENV') delete base[key];
		}
		// n8n as it ships: only what lets several test instances run side by side on one machine
		// (own folder, own ports, loopback only). Anything else a test needs, it passes itself.
		return {
			...base,
			// The task runner n8n starts is found on PATH: the Node 24 n8n runs on.
			PATH: `${path.dirname(NODE24_BIN)}:${process.env.PATH ?? ''}`,
			N8N_USER_FOLDER: this.userFolder,
			N8N_PORT: String(this.port),
			// The test owner's password is in this repository: never reachable from the network.
			N8N_LISTEN_ADDRESS: '127.0.0.1',
			N8N_RUNNERS_BROKER_PORT: String(this.brokerPort),
			// No telemetry from test instances (the machines running them are offline); the one
			// non-default setting kept, listed in the README.
			N8N_DIAGNOSTICS_ENABLED: 'false',
			// A worker has no editor: its health endpoint (on the same free port) tells when it is ready.
			...(this.command === 'worker'
				? { QUEUE_HEALTH_CHECK_ACTIVE: 'true', QUEUE_HEALTH_CHECK_PORT: String(this.port), N8N_WORKER_SERVER_ADDRESS: '127.0.0.1' }
				: {}),
			...this.extraEnv,
		};
	}

	/** Runs an n8n CLI command (import:workflow, publish:workflow, …) against this instance's database. */
	async cli(args: string[]): Promise<string> {
		return await new Promise((resolve, reject) => {
			execFile(NODE24_BIN, [N8N_BIN, ...args], { env: this.env(), cwd: this.userFolder, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
				if (error) reject(new Error(`n8n ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
				else resolve(stdout);
			});
		});
	}

	async importCredentials(credentials: CredentialSeed[]): Promise<void> {
		if (credentials.length === 0) return;
		const file = path.join(this.userFolder, 'credentials-import.json');
		fs.writeFileSync(file, JSON.stringify(credentials));
		try {
			await this.cli(['import:credentials', `--input=${file}`]);
		} finally {
			fs.rmSync(file, { force: true });
		}
	}

	async importWorkflows(workflows: Array<Record<string, unknown>>): Promise<void> {
		if (workflows.length === 0) return;
		const dir = fs.mkdtempSync(path.join(this.userFolder, 'workflows-import-'));
		workflows.forEach((wf, i) => fs.writeFileSync(path.join(dir, `${i}.json`), JSON.stringify(wf)));
		try {
			await this.cli(['import:workflow', '--separate', `--input=${dir}`]);
		} finally {
			fs.rmSync(dir, { recursive: true, force: true });
		}
	}

	/** Workflows published with the CLI; start() waits until n8n has activated their triggers. */
	readonly published = new Set<string>();

	async publish(workflowIds: string[]): Promise<void> {
		for (const id of workflowIds) {
			await this.cli(['publish:workflow', `--id=${id}`]);
			this.published.add(id);
		}
	}

	/** Publishes through the REST call the editor's Publish button makes, then waits for the triggers. */
	async publishNow(workflowIds: string[]): Promise<void> {
		for (const id of workflowIds) {
			const wf = await this.rest<{ versionId: string }>('GET', `/workflows/${id}`);
			await this.rest('POST', `/workflows/${id}/activate`, { versionId: wf.versionId });
			this.published.add(id);
		}
		await this.waitForPublished(workflowIds);
	}

	/** n8n 2.x activates published workflows asynchronously after it reports ready. */
	async waitForPublished(ids: Iterable<string> = this.published, timeoutMs = 60_000): Promise<void> {
		for (const id of ids) {
			const deadline = Date.now() + timeoutMs;
			for (;;) {
				const st = await this.rest<{ status: string; triggers: Array<{ status: string; errorMessage?: string }> }>('GET', `/workflows/${id}/publication-status`);
				if (st.status === 'published') break;
				if (st.status === 'failed' || st.status === 'partial') {
					throw new Error(`workflow ${id} failed to activate: ${st.triggers.map((t) => t.errorMessage).filter(Boolean).join('; ')}`);
				}
				if (Date.now() > deadline) throw new Error(`workflow ${id} still ${st.status} after ${timeoutMs} ms`);
				await sleep(200);
			}
		}
	}

	async start(timeoutMs = 120_000): Promise<void> {
		if (this.child) throw new Error('n8n is already running');
		if (!this.port) this.port = await freePort();
		if (!this.brokerPort) this.brokerPort = await freePort();
		const log = fs.openSync(this.logFile, 'a');
		const child = spawn(NODE24_BIN, [N8N_BIN, this.command], {
			env: this.env(),
			cwd: this.userFolder,
			stdio: ['ignore', log, log],
			detached: true, // own process group, so stop/kill also reach the task runner
		});
		fs.closeSync(log);
		this.child = child;
		running.add(child);
		if (child.pid) recordPid(child.pid);
		child.once('exit', () => {
			running.delete(child);
			if (child.pid) forgetPid(child.pid);
		});
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			if (child.exitCode !== null) throw new Error(`n8n exited during start (code ${child.exitCode}):\n${this.logs(60)}`);
			if (Date.now() > deadline) throw new Error(`n8n did not become ready in ${timeoutMs} ms:\n${this.logs(60)}`);
			const ready = await fetch(`${this.url}/healthz/readiness`).then((r) => r.ok, () => false);
			if (ready) break;
			await sleep(250);
		}
		if (this.command === 'start') await this.waitForPublished();
	}

	/** Freezes the process group (SIGSTOP), as a stalled machine would; `resume()` lets it go on. */
	pause(): void {
		if (this.child?.pid) process.kill(-this.child.pid, 'SIGSTOP');
	}

	resume(): void {
		if (this.child?.pid) process.kill(-this.child.pid, 'SIGCONT');
	}

	/** Graceful stop (SIGTERM to the process group), waiting for n8n to finish running executions. */
	async stop(timeoutMs = 40_000): Promise<void> {
		await this.signal('SIGTERM', timeoutMs);
	}

	/** Crash: SIGKILL the whole process group, as a power cut or OOM kill would. */
	async kill(): Promise<void> {
		await this.signal('SIGKILL', 10_000);
	}

	private async signal(sig: NodeJS.Signals, timeoutMs: number): Promise<void> {
		const child = this.child;
		if (!child || !child.pid) return;
		this.child = undefined;
		this.cookie = undefined;
		if (child.exitCode !== null || child.signalCode !== null) return;
		const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
		try {
			process.kill(-child.pid, sig);
			// A paused instance (pause()) handles no signal until it runs again.
			process.kill(-child.pid, 'SIGCONT');
		} catch {}
		let timer: NodeJS.Timeout | undefined;
		const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
		const outcome = await Promise.race([exited, timedOut]);
		clearTimeout(timer);
		if (outcome === 'timeout') {
			try {
				process.kill(-child.pid, 'SIGKILL');
			} catch {}
			await exited;
		}
		// Stragglers in the group (the task runner) go too.
		try {
			process.kill(-child.pid, 'SIGKILL');
		} catch {}
	}

	get pid(): number | undefined {
		return this.child?.pid;
	}

	logs(lastLines = 200): string {
		if (!fs.existsSync(this.logFile)) return '';
		return fs.readFileSync(this.logFile, 'utf8').split('\n').slice(-lastLines).join('\n');
	}

	/** Creates the owner account on first use, then logs in; returns the auth cookie. */
	async login(): Promise<string> {
		if (this.cookie) return this.cookie;
		const setup = await fetch(`${this.url}/rest/owner/setup`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(OWNER),
		});
		let res = setup;
		if (!setup.ok) {
			res = await fetch(`${this.url}/rest/login`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ emailOrLdapLoginId: OWNER.email, password: OWNER.password }),
			});
		}
		if (!res.ok) throw new Error(`n8n login failed: ${res.status} ${await res.text()}`);
		const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
		if (!cookie) throw new Error('n8n login returned no cookie');
		this.cookie = cookie;
		return cookie;
	}

	/** GET any n8n path (e.g. the editor's /types/nodes.json) as the logged-in owner. */
	async getAsOwner<T = unknown>(urlPath: string): Promise<T> {
		const res = await fetch(`${this.url}${urlPath}`, { headers: { cookie: await this.login() } });
		if (!res.ok) throw new Error(`n8n GET ${urlPath} → ${res.status}`);
		return (await res.json()) as T;
	}

	/** Calls n8n's internal REST API as the owner. */
	async rest<T = unknown>(method: string, urlPath: string, body?: unknown): Promise<T> {
		const cookie = await this.login();
		const res = await fetch(`${this.url}/rest${urlPath}`, {
			method,
			headers: { cookie, 'content-type': 'application/json', 'browser-id': 'e2e' },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await res.text();
		if (!res.ok) throw new Error(`n8n ${method} /rest${urlPath} → ${res.status}: ${text.slice(0, 500)}`);
		return (text ? (JSON.parse(text) as { data: T }).data : undefined) as T;
	}

	async executions(workflowId?: string): Promise<ExecutionSummary[]> {
		const filter = workflowId ? `?filter=${encodeURIComponent(JSON.stringify({ workflowId }))}&limit=1000` : '?limit=1000';
		const data = await this.rest<{ results: ExecutionSummary[] }>('GET', `/executions${filter}`);
		return data.results;
	}

	/** One execution's saved data as n8n stores it (`flatted` JSON text). */
	async executionData(id: string): Promise<string> {
		return (await this.rest<{ data: string }>('GET', `/executions/${id}`)).data;
	}

	/** One execution with its run data (n8n stores it in `flatted` form). */
	async execution(id: string): Promise<{ summary: ExecutionSummary; runData: Record<string, Array<Record<string, any>>>; error?: unknown }> {
		const data = await this.rest<ExecutionSummary & { data: string }>('GET', `/executions/${id}`);
		const parsed = parseFlatted(data.data) as { resultData: { runData: Record<string, Array<Record<string, any>>>; error?: unknown } };
		return { summary: data, runData: parsed.resultData.runData, error: parsed.resultData.error };
	}

	/** Output items of `nodeName` in an execution, by output index. */
	async nodeOutput(executionId: string, nodeName: string, runIndex = 0): Promise<Array<Array<{ json: Record<string, any> }>>> {
		const { runData } = await this.execution(executionId);
		const run = runData[nodeName]?.[runIndex];
		if (!run) throw new Error(`node "${nodeName}" did not run in execution ${executionId}`);
		return (run.data?.main ?? []) as Array<Array<{ json: Record<string, any> }>>;
	}

	async waitForExecutions(workflowId: string, count: number, timeoutMs = 60_000): Promise<ExecutionSummary[]> {
		const deadline = Date.now() + timeoutMs;
		let last: ExecutionSummary[] = [];
		while (Date.now() < deadline) {
			last = (await this.executions(workflowId)).filter((e) => e.stoppedAt || e.finished);
			if (last.length >= count) return last;
			await sleep(500);
		}
		throw new Error(`expected ${count} finished executions of ${workflowId}, saw ${last.length}`);
	}

	async dispose(): Promise<void> {
		await this.stop();
		if (!process.env.KEEP_N8N_TEST_FOLDERS) fs.rmSync(this.userFolder, { recursive: true, force: true });
	}
}

/** Prepares a user folder, installs the package, imports and publishes, then starts n8n. */
export async function startN8n(options: N8nOptions = {}): Promise<N8nInstance> {
	const nodesTemplate = options.nodesTemplate ?? process.env.BILLING_NODES_TEMPLATE;
	if (!nodesTemplate) throw new Error('no packed package: the e2e globalSetup sets BILLING_NODES_TEMPLATE');
	if (!fs.existsSync(N8N_BIN)) throw new Error(`n8n is not installed at ${N8N_BIN}: run \`npm run n8n:install\``);
	const root = path.join(CACHE_DIR, 'instances');
	fs.mkdirSync(root, { recursive: true });
	const userFolder = options.userFolder ?? fs.mkdtempSync(path.join(root, `${os.hostname()}-`));
	const nodesDir = path.join(userFolder, '.n8n', 'nodes');
	if (!fs.existsSync(nodesDir)) fs.cpSync(nodesTemplate, nodesDir, { recursive: true });

	const instance = new N8nInstance(userFolder, options.env ?? {}, options.command);
	instance.port = options.port ?? (await freePort());
	instance.brokerPort = await freePort();
	if (options.command === 'worker') {
		await instance.start();
		return instance;
	}
	await instance.importCredentials(options.credentials ?? []);
	await instance.importWorkflows(options.workflows ?? []);
	if (options.publishVia === 'cli') await instance.publish(options.publish ?? []);
	await instance.start();
	if (options.publishVia !== 'cli' && options.publish?.length) await instance.publishNow(options.publish);
	return instance;
}

// ---------------------------------------------------------------------------------------------
// Workflows

/** Workflow JSON as n8n imports it. */
export type Workflow = Record<string, unknown>;

/** A workflow JSON file (the shipped `workflows/*.json`). */
export function loadWorkflow(file: string): Workflow {
	return JSON.parse(fs.readFileSync(file, 'utf8')) as Workflow;
}

/** The Billing RabbitMQ credential the queue fixtures and benchmarks reference (shared broker, guest). */
export const RABBIT_CREDENTIAL = {
	id: 'bqE2eRabbitCred',
	name: 'Billing RabbitMQ (e2e)',
	type: 'billingRabbitMqApi',
	data: { hostname: '127.0.0.1', port: 5672, vhost: '/', username: 'guest', password: 'guest', heartbeat: 10, ssl: false },
};

/**
 * A copy of a built workflow with its own id and name; `params` overrides node parameters by
 * node name (shallow merge), for per-test variants of one fixture.
 */
export function variant(workflow: Workflow, opts: { id: string; name?: string; params?: Record<string, Record<string, unknown>> }): Workflow {
	const wf = JSON.parse(JSON.stringify(workflow)) as Workflow;
	wf.id = opts.id;
	wf.name = opts.name ?? `${workflow.name as string} · ${opts.id}`;
	for (const [nodeName, params] of Object.entries(opts.params ?? {})) {
		const node = (wf.nodes as Array<{ name: string; parameters: Record<string, unknown> }>).find((n) => n.name === nodeName);
		if (!node) throw new Error(`variant(): no node "${nodeName}" in ${workflow.name as string}`);
		node.parameters = { ...node.parameters, ...params };
	}
	return wf;
}

// ---------------------------------------------------------------------------------------------
// A running n8n, driven over REST

/** Publishes (activates) an imported workflow in a running n8n and waits until its trigger runs. */
export async function activate(n8n: N8nInstance, workflowId: string): Promise<void> {
	await n8n.publishNow([workflowId]);
}

/** Unpublishes a workflow; n8n closes its trigger (our trigger lets running batches finish first). */
export async function deactivate(n8n: N8nInstance, workflowId: string): Promise<void> {
	await n8n.rest('POST', `/workflows/${workflowId}/deactivate`, {});
	n8n.published.delete(workflowId);
}

/**
 * Every execution of a workflow. n8n's list answers at most 100 a call, newest first; page down
 * by id (lastId = the smallest id seen) until a page brings nothing new.
 */
export async function allExecutions(n8n: N8nInstance, workflowId: string): Promise<ExecutionSummary[]> {
	const byId = new Map<string, ExecutionSummary>();
	const filter = encodeURIComponent(JSON.stringify({ workflowId }));
	let lastId: number | undefined;
	for (;;) {
		const page = await n8n.rest<{ results: ExecutionSummary[] }>(
			'GET',
			`/executions?filter=${filter}&limit=100${lastId === undefined ? '' : `&lastId=${lastId}`}`,
		);
		const fresh = page.results.filter((e) => !byId.has(e.id));
		fresh.forEach((e) => byId.set(e.id, e));
		if (fresh.length === 0) break;
		lastId = Math.min(...page.results.map((e) => Number(e.id)));
	}
	return [...byId.values()].sort((a, b) => Number(a.id) - Number(b.id));
}

/** The number of executions n8n recorded for a workflow. */
export async function executionCount(n8n: N8nInstance, workflowId: string): Promise<number> {
	const filter = encodeURIComponent(JSON.stringify({ workflowId }));
	const page = await n8n.rest<{ count: number; estimated?: boolean }>('GET', `/executions?filter=${filter}&limit=1`);
	return page.count;
}
