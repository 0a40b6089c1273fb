// n8n's queue mode on this machine's services: a PostgreSQL database of its own per run (n8n's
// database, shared by the main instance and its workers) and a Bull key prefix of its own per run
// on Redis, or a throwaway redis-server on its own port when a run restarts Redis (the chaos
// run), so nothing another run or suite uses is touched.
import { ChildProcess, execFile, spawn } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { Client } from 'pg';
import { sleep } from 'n8n-workflow';
import { freePort } from './n8n';

export const POSTGRES = {
	host: process.env.BILLING_PG_HOST ?? '127.0.0.1',
	port: Number(process.env.BILLING_PG_PORT ?? 5432),
	user: process.env.BILLING_PG_USER ?? 'postgres',
	password: process.env.BILLING_PG_PASSWORD ?? '',
};

export const REDIS = {
	host: process.env.BILLING_REDIS_HOST ?? '127.0.0.1',
	port: Number(process.env.BILLING_REDIS_PORT ?? 6379),
};

async function admin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
	const client = new Client({ ...POSTGRES, database: 'postgres' });
	await client.connect();
	try {
		return await fn(client);
	} finally {
		await client.end();
	}
}

/** Sends one inline Redis command (RESP) and returns the raw reply. */
async function redisCommand(host: string, port: number, args: string[]): Promise<string> {
	return await new Promise((resolve, reject) => {
		const socket = net.createConnection({ host, port }, () => {
			socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
		});
		let reply = '';
		socket.setTimeout(5000, () => socket.destroy(new Error(`Redis ${host}:${port} did not answer`)));
		socket.on('data', (chunk) => {
			reply += chunk.toString('utf8');
			if (reply.endsWith('\r\n')) socket.end();
		});
		socket.on('end', () => resolve(reply));
		socket.on('error', reject);
	});
}

/** A redis-server of our own (no persistence, like the machine's), so a run can restart it. */
export class ThrowawayRedis {
	private child?: ChildProcess;

	private constructor(
		readonly port: number,
		private readonly dir: string,
	) {}

	static async start(): Promise<ThrowawayRedis> {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'billing-redis-'));
		const redis = new ThrowawayRedis(await freePort(), dir);
		await redis.launch();
		return redis;
	}

	private async launch(): Promise<void> {
		const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir], {
			stdio: 'ignore',
		});
		this.child = child;
		const deadline = Date.now() + 15_000;
		for (;;) {
			const pong = await redisCommand('127.0.0.1', this.port, ['PING']).catch(() => '');
			if (pong.startsWith('+PONG')) return;
			if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not start`);
			await sleep(100);
		}
	}

	/** Kills it (its data goes with it, as with a Redis that keeps nothing on disk) and starts it again after `downMs`. */
	async restart(downMs = 2000): Promise<void> {
		await this.stop();
		await sleep(downMs);
		await this.launch();
	}

	private async stop(): Promise<void> {
		const child = this.child;
		this.child = undefined;
		if (!child || child.exitCode !== null) return;
		const exited = new Promise((resolve) => child.once('exit', resolve));
		child.kill('SIGKILL');
		await exited;
	}

	async close(): Promise<void> {
		await this.stop();
		fs.rmSync(this.dir, { recursive: true, force: true });
	}
}

const DELETE_KEYS = `local k = redis.call('KEYS', ARGV[1]) for i = 1, #k do redis.call('DEL', k[i]) end return #k`;

/** Databases of runs whose process is gone (a killed jest, a Ctrl-C). */
async function dropStaleDatabases(client: Client): Promise<void> {
	const { rows } = await client.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'billing\_n8n\_%'`);
	for (const { datname } of rows) {
		const pid = Number(/^billing_n8n_(\d+)_/.exec(datname)?.[1]);
		let alive = true;
		try {
			process.kill(pid, 0);
		} catch {
			alive = false;
		}
		if (!alive) await client.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`).catch(() => undefined);
	}
}

/** The database and Redis keys one queue-mode run uses, and the environment n8n needs for them. */
export class QueueModeBackend {
	private constructor(
		readonly database: string,
		readonly bullPrefix: string,
		readonly redis: { host: string; port: number },
		/** Same on the main instance and every worker: they decrypt the same credentials. */
		readonly encryptionKey: string,
		readonly ownRedis?: ThrowawayRedis,
	) {}

	static async create(opts: { ownRedis?: boolean; encryptionKey?: string } = {}): Promise<QueueModeBackend> {
		const id = `${process.pid}_${randomBytes(4).toString('hex')}`;
		const database = `billing_n8n_${id}`;
		await admin(async (c) => {
			await dropStaleDatabases(c);
			await c.query(`CREATE DATABASE ${database}`);
		});
		const ownRedis = opts.ownRedis ? await ThrowawayRedis.start() : undefined;
		const redis = ownRedis ? { host: '127.0.0.1', port: ownRedis.port } : REDIS;
		return new QueueModeBackend(database, `billing-${id}`, redis, opts.encryptionKey ?? randomBytes(24).toString('base64url'), ownRedis);
	}

	/** n8n's queue-mode settings (https://docs.n8n.io/hosting/scaling/queue-mode/), the same on main and workers. */
	env(): Record<string, string> {
		return {
			EXECUTIONS_MODE: 'queue',
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: POSTGRES.host,
			DB_POSTGRESDB_PORT: String(POSTGRES.port),
			DB_POSTGRESDB_DATABASE: this.database,
			DB_POSTGRESDB_USER: POSTGRES.user,
			DB_POSTGRESDB_PASSWORD: POSTGRES.password,
			QUEUE_BULL_REDIS_HOST: this.redis.host,
			QUEUE_BULL_REDIS_PORT: String(this.redis.port),
			QUEUE_BULL_PREFIX: this.bullPrefix,
			// n8n also caches published workflows in Redis under `n8n:cache:…`, keyed by workflow id:
			// two runs sharing a Redis (and the same workflow ids) would execute each other's.
			N8N_REDIS_KEY_PREFIX: this.bullPrefix,
			N8N_ENCRYPTION_KEY: this.encryptionKey,
		};
	}

	/** The credential the shared sent/charge records use: n8n's own `postgres` type, on this run's database. */
	postgresCredential(): { id: string; name: string; type: string; data: Record<string, unknown> } {
		return {
			id: 'bpSharedRecordPg',
			name: 'Billing Records (PostgreSQL)',
			type: 'postgres',
			data: { host: POSTGRES.host, port: POSTGRES.port, database: this.database, user: POSTGRES.user, password: POSTGRES.password, ssl: 'disable' },
		};
	}

	/** The database as SQL text (pg_dump), e.g. to scan it for secrets. */
	async dump(): Promise<string> {
		return await new Promise((resolve, reject) =>
			execFile(
				'pg_dump',
				['-h', POSTGRES.host, '-p', String(POSTGRES.port), '-U', POSTGRES.user, '--no-owner', this.database],
				{ env: { ...process.env, PGPASSWORD: POSTGRES.password }, maxBuffer: 1024 * 1024 * 1024 },
				(error, stdout) => (error ? reject(error) : resolve(stdout)),
			),
		);
	}

	async dispose(): Promise<void> {
		if (this.ownRedis) await this.ownRedis.close();
		// Bull's keys of this run only.
		else await redisCommand(this.redis.host, this.redis.port, ['EVAL', DELETE_KEYS, '0', `${this.bullPrefix}:*`]).catch(() => undefined);
		await admin((c) => c.query(`DROP DATABASE IF EXISTS ${this.database} WITH (FORCE)`)).catch(() => undefined);
	}
}
