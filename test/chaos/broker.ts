// A throwaway RabbitMQ node for the chaos run: its own Erlang node name, ports, data and log
// folders, no plugins, and one user with a random password. The chaos run restarts it
// (`stop_app` / `start_app`) without touching the shared broker on 5672 that other suites use.
import { execFile } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { sleep } from 'n8n-workflow';
import { freePort } from '../../support/n8n';

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<string> {
	return new Promise((resolve, reject) =>
		execFile(cmd, args, { env: env ?? process.env, timeout: timeoutMs }, (err, stdout, stderr) =>
			err ? reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
		),
	);
}

const NODE_PREFIX = 'billing-chaos-';

/** Stops chaos nodes left behind by runs whose process is gone (a killed jest, a Ctrl-C). */
async function stopStaleNodes(): Promise<void> {
	const names = await run('epmd', ['-names']).catch(() => '');
	for (const m of names.matchAll(/name (billing-chaos-(\d+)-\w+) at port/g)) {
		const pid = Number(m[2]);
		let alive = true;
		try {
			process.kill(pid, 0);
		} catch {
			alive = false;
		}
		if (!alive) await run('rabbitmqctl', ['-n', `${m[1]}@localhost`, 'stop'], undefined, 30_000).catch(() => undefined);
	}
}

export class ChaosBroker {
	readonly username = `chaos-${randomBytes(4).toString('hex')}`;
	/** Random, so the secrets scan can look for it. */
	readonly password = randomBytes(18).toString('base64url');

	private constructor(
		readonly node: string,
		readonly port: number,
		private readonly dir: string,
	) {}

	get url(): string {
		return `amqp://${encodeURIComponent(this.username)}:${encodeURIComponent(this.password)}@127.0.0.1:${this.port}`;
	}

	static async start(): Promise<ChaosBroker> {
		await stopStaleNodes();
		const port = await freePort();
		const distPort = await freePort();
		const name = `${NODE_PREFIX}${process.pid}-${randomBytes(3).toString('hex')}`;
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'billing-chaos-broker-'));
		fs.writeFileSync(path.join(dir, 'enabled_plugins'), '[].\n');
		// The machine's rabbitmq.conf pins 5672; our own config file replaces it for this node.
		fs.writeFileSync(path.join(dir, 'rabbitmq.conf'), `listeners.tcp.local = 127.0.0.1:${port}\n`);
		// rabbitmq-server may run as the rabbitmq user: let it write its folders.
		fs.chmodSync(dir, 0o777);
		const broker = new ChaosBroker(`${name}@localhost`, port, dir);
		const env = {
			...process.env,
			RABBITMQ_NODENAME: broker.node,
			RABBITMQ_NODE_PORT: String(port),
			RABBITMQ_DIST_PORT: String(distPort),
			RABBITMQ_CONFIG_FILE: path.join(dir, 'rabbitmq'),
			RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
			RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
			RABBITMQ_LOG_BASE: path.join(dir, 'log'),
		};
		await run('rabbitmq-server', ['-detached'], env);
		try {
			// `-detached` returns before the node registers with epmd; await_startup needs it registered.
			const deadline = Date.now() + 90_000;
			for (;;) {
				const failure = await broker.ctl(['await_startup', '--timeout', '60'], 75_000).then(() => null, (e: Error) => e);
				if (!failure) break;
				if (Date.now() > deadline) throw new Error(`the chaos RabbitMQ node ${broker.node} did not start: ${failure.message}\nlogs in ${dir}/log`);
				await sleep(1000);
			}
			await broker.ctl(['add_user', broker.username, broker.password]);
			await broker.ctl(['set_permissions', '-p', '/', broker.username, '.*', '.*', '.*']);
		} catch (error) {
			await broker.close().catch(() => undefined);
			throw error;
		}
		return broker;
	}

	ctl(args: string[], timeoutMs = 120_000): Promise<string> {
		return run('rabbitmqctl', ['-n', this.node, ...args], undefined, timeoutMs);
	}

	/** Restarts the RabbitMQ application (connections drop; durable queues and persistent messages stay). */
	async restart(downMs = 3000): Promise<void> {
		await this.ctl(['stop_app']);
		await sleep(downMs);
		await this.ctl(['start_app']);
		await this.ctl(['await_startup', '--timeout', '60'], 75_000);
	}

	/** Every queue with its ready and unacknowledged counts. */
	async queues(): Promise<Array<{ name: string; ready: number; unacked: number }>> {
		const out = await this.ctl(['-q', 'list_queues', 'name', 'messages_ready', 'messages_unacknowledged', '--no-table-headers']);
		return out
			.split('\n')
			.map((l) => l.trim().split(/\s+/))
			.filter((f) => f.length === 3)
			.map(([name, ready, unacked]) => ({ name, ready: Number(ready), unacked: Number(unacked) }));
	}

	async close(): Promise<void> {
		await this.ctl(['stop'], 60_000).catch(() => undefined);
		fs.rmSync(this.dir, { recursive: true, force: true });
	}
}
