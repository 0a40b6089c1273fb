// Driving a real n8n (test/harness/n8n.ts) for the queue benchmark and the queue end-to-end
// tests: fixture workflows turned into per-test variants, publish/unpublish over n8n's REST API
// while it runs, execution counts, and the memory of n8n's whole process tree.
import * as fs from 'fs';
import type { ExecutionSummary, N8nInstance } from '../../test/harness/n8n';

export type Workflow = Record<string, any>;

export const RABBIT_CREDENTIAL = {
	id: 'bqE2eRabbitCred',
	name: 'Billing RabbitMQ (e2e)',
	type: 'billingRabbitMqApi',
	data: { hostname: '127.0.0.1', port: 5672, vhost: '/', username: 'guest', password: 'guest', heartbeat: 10, ssl: false },
};

/**
 * A copy of a fixture workflow with its own id, name and exchange: every `__EXCHANGE__` string
 * becomes `exchange`, and `params` overrides node parameters by node name (shallow merge).
 */
export function variant(
	fixture: Workflow,
	opts: { id: string; exchange?: string; name?: string; params?: Record<string, Record<string, unknown>> },
): Workflow {
	let text = JSON.stringify(fixture);
	if (opts.exchange) text = text.split('__EXCHANGE__').join(opts.exchange);
	const wf = JSON.parse(text) as Workflow;
	wf.id = opts.id;
	wf.name = opts.name ?? `${fixture.name as string} · ${opts.id}`;
	for (const [nodeName, params] of Object.entries(opts.params ?? {})) {
		const node = (wf.nodes as Workflow[]).find((n) => n.name === nodeName);
		if (!node) throw new Error(`variant(): no node "${nodeName}" in ${fixture.name as string}`);
		node.parameters = { ...node.parameters, ...params };
	}
	return wf;
}

export function readWorkflow(file: string): Workflow {
	return JSON.parse(fs.readFileSync(file, 'utf8')) as Workflow;
}

/** Publishes (activates) an imported workflow in a running n8n and waits until its trigger runs. */
export async function activate(n8n: N8nInstance, workflowId: string): Promise<void> {
	const wf = await n8n.rest<{ versionId: string }>('GET', `/workflows/${workflowId}`);
	await n8n.rest('POST', `/workflows/${workflowId}/activate`, { versionId: wf.versionId });
	n8n.published.add(workflowId);
	await n8n.waitForPublished([workflowId]);
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

// ---------------------------------------------------------------------------------------------
// Memory of a process tree, from /proc (Linux)

function childrenOf(): Map<number, number[]> {
	const map = new Map<number, number[]>();
	for (const entry of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
			// Field 4 is the parent pid; the command name (field 2) may contain spaces, so split after ")".
			const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
			const list = map.get(ppid) ?? [];
			list.push(Number(entry));
			map.set(ppid, list);
		} catch {
			// The process ended while we looked.
		}
	}
	return map;
}

function rssKb(pid: number): number {
	try {
		const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
		const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
		return m ? Number(m[1]) : 0;
	} catch {
		return 0;
	}
}

/** Summed VmRSS (kB) of `pid` and all its descendants (n8n and its task runner). */
export function treeRssKb(pid: number): number {
	const children = childrenOf();
	let total = 0;
	const stack = [pid];
	const seen = new Set<number>();
	while (stack.length) {
		const p = stack.pop()!;
		if (seen.has(p)) continue;
		seen.add(p);
		total += rssKb(p);
		stack.push(...(children.get(p) ?? []));
	}
	return total;
}

/** Samples the tree's RSS every `everyMs` until stopped; reports the peak and the last sample. */
export class RssSampler {
	peakKb = 0;
	lastKb = 0;
	samples = 0;
	private timer?: NodeJS.Timeout;

	constructor(
		private readonly pid: number,
		private readonly everyMs = 200,
	) {}

	start(): this {
		const tick = () => {
			this.lastKb = treeRssKb(this.pid);
			this.peakKb = Math.max(this.peakKb, this.lastKb);
			this.samples += 1;
		};
		tick();
		this.timer = setInterval(tick, this.everyMs);
		return this;
	}

	stop(): void {
		if (this.timer) clearInterval(this.timer);
		this.timer = undefined;
	}
}
