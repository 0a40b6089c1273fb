// A throwaway 3-node RabbitMQ cluster on this machine, for the cluster tests: each node has its
// own Erlang node name (billing-cluster-<pid>-…), AMQP and distribution ports, data and log
// folders, no plugins, the same technique as the chaos run's single node (broker.ts). Nodes 2 and
// 3 join node 1; one user with a random password. A test stops and starts single nodes while the
// pipeline runs; quorum queues keep their majority with one of three nodes down.
// The nodes share the Erlang cookie because they run as the same OS user (rabbitmq-server run as
// root switches to the rabbitmq user, whose cookie is /var/lib/rabbitmq/.erlang.cookie).
import { execFile } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { sleep } from 'n8n-workflow';
import { freePort } from '../../support/n8n';

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<string> {
	return new Promise((resolve, reject) =>
		execFile(cmd, args, { env: env ?? process.env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
			err ? reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
		),
	);
}

const PREFIX = 'billing-cluster-';

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

/** Stops cluster nodes, and removes their folders, left behind by runs whose process is gone. */
async function stopStaleNodes(): Promise<void> {
	const names = await run('epmd', ['-names']).catch(() => '');
	const stale = [...names.matchAll(/name (billing-cluster-(\d+)-[\w-]+) at port/g)].filter((m) => !alive(Number(m[2])));
	await Promise.all(stale.map((m) => run('rabbitmqctl', ['-n', `${m[1]}@localhost`, 'stop'], undefined, 60_000).catch(() => undefined)));
	for (const entry of fs.readdirSync(os.tmpdir())) {
		const m = /^billing-cluster-(\d+)-/.exec(entry);
		if (m && !alive(Number(m[1]))) fs.rmSync(path.join(os.tmpdir(), entry), { recursive: true, force: true });
	}
}

interface ClusterNode {
	/** Erlang node name, e.g. billing-cluster-123-ab12cd-1@localhost. */
	name: string;
	port: number;
	distPort: number;
	dir: string;
	up: boolean;
}

export interface ClusterConnection {
	/** Index of the node the client is connected to. */
	node: number;
	/** The client-provided connection name. */
	name: string;
}

export class RabbitCluster {
	readonly username = `cluster-${randomBytes(4).toString('hex')}`;
	readonly password = randomBytes(18).toString('base64url');

	private constructor(
		private readonly nodes: ClusterNode[],
		private readonly dir: string,
	) {}

	/** The credential's Host field for this cluster: every node, `host:port`, comma-separated. */
	get hosts(): string {
		return this.nodes.map((n) => `127.0.0.1:${n.port}`).join(', ');
	}

	get size(): number {
		return this.nodes.length;
	}

	/** Erlang node names, by index. */
	get nodeNames(): string[] {
		return this.nodes.map((n) => n.name);
	}

	port(i: number): number {
		return this.nodes[i].port;
	}

	/** The AMQP URL of node `i`, with this cluster's user. */
	url(i: number): string {
		return `amqp://${encodeURIComponent(this.username)}:${encodeURIComponent(this.password)}@127.0.0.1:${this.nodes[i].port}`;
	}

	isUp(i: number): boolean {
		return this.nodes[i].up;
	}

	/** Starts `size` nodes (3 by default) and joins them into one cluster. */
	static async start(size = 3): Promise<RabbitCluster> {
		await stopStaleNodes();
		const runId = `${process.pid}-${randomBytes(3).toString('hex')}`;
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${PREFIX}${runId}-`));
		// rabbitmq-server run as root switches to the rabbitmq user: let it write its folders.
		fs.chmodSync(dir, 0o777);
		const nodes: ClusterNode[] = [];
		for (let i = 0; i < size; i++) {
			const nodeDir = path.join(dir, `node${i + 1}`);
			fs.mkdirSync(nodeDir);
			fs.chmodSync(nodeDir, 0o777);
			nodes.push({ name: `${PREFIX}${runId}-${i + 1}@localhost`, port: await freePort(), distPort: await freePort(), dir: nodeDir, up: false });
		}
		const cluster = new RabbitCluster(nodes, dir);
		try {
			await Promise.all(nodes.map((_, i) => cluster.startNode(i)));
			// One at a time: joins running in parallel race on the cluster's membership table.
			for (let i = 1; i < size; i++) {
				await cluster.ctl(i, ['stop_app']);
				await cluster.ctl(i, ['join_cluster', nodes[0].name]);
				await cluster.ctl(i, ['start_app']);
				await cluster.ctl(i, ['await_startup', '--timeout', '60'], 75_000);
			}
			const status = await cluster.ctl(0, ['cluster_status', '--formatter', 'json']);
			const running = (JSON.parse(status) as { running_nodes?: string[] }).running_nodes ?? [];
			if (running.length !== size) throw new Error(`the cluster formed with ${running.length} of ${size} nodes running: ${status}`);
			await cluster.ctl(0, ['add_user', cluster.username, cluster.password]);
			await cluster.ctl(0, ['set_permissions', '-p', '/', cluster.username, '.*', '.*', '.*']);
		} catch (error) {
			await cluster.close();
			throw error;
		}
		return cluster;
	}

	private env(node: ClusterNode): NodeJS.ProcessEnv {
		return {
			...process.env,
			RABBITMQ_NODENAME: node.name,
			RABBITMQ_NODE_PORT: String(node.port),
			RABBITMQ_DIST_PORT: String(node.distPort),
			RABBITMQ_CONFIG_FILE: path.join(node.dir, 'rabbitmq'),
			RABBITMQ_ENABLED_PLUGINS_FILE: path.join(node.dir, 'enabled_plugins'),
			RABBITMQ_MNESIA_BASE: path.join(node.dir, 'mnesia'),
			RABBITMQ_LOG_BASE: path.join(node.dir, 'log'),
		};
	}

	/** rabbitmqctl against node `i`. */
	ctl(i: number, args: string[], timeoutMs = 120_000): Promise<string> {
		return run('rabbitmqctl', ['-n', this.nodes[i].name, ...args], undefined, timeoutMs);
	}

	/** rabbitmqctl against any running node (cluster-wide listings). */
	private ctlAny(args: string[], timeoutMs = 120_000): Promise<string> {
		const i = this.nodes.findIndex((n) => n.up);
		if (i < 0) throw new Error('no cluster node is running');
		return this.ctl(i, args, timeoutMs);
	}

	/** Starts node `i` (again): same name, ports and data, so it rejoins the cluster by itself. */
	async startNode(i: number): Promise<void> {
		const node = this.nodes[i];
		fs.writeFileSync(path.join(node.dir, 'enabled_plugins'), '[].\n');
		// The machine's rabbitmq.conf pins 5672; our own config file replaces it for this node.
		fs.writeFileSync(path.join(node.dir, 'rabbitmq.conf'), `listeners.tcp.local = 127.0.0.1:${node.port}\n`);
		await run('rabbitmq-server', ['-detached'], this.env(node));
		// `-detached` returns before the node registers with epmd; await_startup needs it registered.
		const deadline = Date.now() + 120_000;
		for (;;) {
			const failure = await this.ctl(i, ['await_startup', '--timeout', '60'], 75_000).then(() => null, (e: Error) => e);
			if (!failure) break;
			if (Date.now() > deadline) throw new Error(`cluster node ${node.name} did not start: ${failure.message}\nlogs in ${node.dir}/log`);
			await sleep(1000);
		}
		node.up = true;
	}

	/** Stops node `i` entirely (the Erlang VM ends): its clients lose their connections. */
	async stopNode(i: number): Promise<void> {
		const node = this.nodes[i];
		node.up = false;
		await this.ctl(i, ['stop'], 90_000);
	}

	/** The index of the node leading quorum queue `queue` (default vhost). */
	async leaderOf(queue: string): Promise<number> {
		const out = await this.ctlAny(['-q', 'list_queues', 'name', 'leader', '--no-table-headers']);
		for (const line of out.split('\n')) {
			const [name, leader] = line.trim().split(/\s+/);
			if (name === queue) {
				const i = this.nodes.findIndex((n) => n.name === leader);
				if (i >= 0) return i;
				throw new Error(`queue ${queue} is led by ${leader}, not a node of this cluster`);
			}
		}
		throw new Error(`no queue named ${queue}`);
	}

	/** The client connections of every running node, with the node each is on. */
	async connections(): Promise<ClusterConnection[]> {
		const found: ClusterConnection[] = [];
		for (let i = 0; i < this.nodes.length; i++) {
			if (!this.nodes[i].up) continue;
			const out = await this.ctl(i, ['-q', 'list_connections', 'port', 'client_properties', '--no-table-headers']).catch(() => '');
			for (const line of out.split('\n')) {
				const port = Number(line.split('\t')[0]);
				const node = this.nodes.findIndex((n) => n.port === port);
				const name = /\{"connection_name",(?:longstr,)?"([^"]*)"\}/.exec(line)?.[1];
				if (node >= 0 && name && !found.some((c) => c.name === name)) found.push({ node, name });
			}
		}
		return found;
	}

	/** Ready and unacknowledged counts and consumers of every queue, as the cluster reports them. */
	async queues(): Promise<Array<{ name: string; ready: number; unacked: number; consumers: number }>> {
		const out = await this.ctlAny(['-q', 'list_queues', 'name', 'messages_ready', 'messages_unacknowledged', 'consumers', '--no-table-headers']);
		return out
			.split('\n')
			.map((l) => l.trim().split(/\s+/))
			.filter((f) => f.length === 4)
			.map(([name, ready, unacked, consumers]) => ({ name, ready: Number(ready), unacked: Number(unacked), consumers: Number(consumers) }));
	}

	/** Stops every node and removes the folders; safe to call twice and after a failed start. */
	async close(): Promise<void> {
		await Promise.all(
			this.nodes.map(async (node, i) => {
				node.up = false;
				await this.ctl(i, ['stop'], 90_000).catch(() => undefined);
			}),
		);
		fs.rmSync(this.dir, { recursive: true, force: true });
	}
}
