// The shared journal: what queue-mode workers (each with its own user folder, maybe on other
// machines) must know about each other's sends and charges, in one PostgreSQL table, and a lock
// per record that lives exactly as long as the worker holding it.
//
// - Records: one table, n8n_billing_pipeline_journal (kind, key, state, data jsonb, updated_at),
//   created on first use (race-safe: under a transaction-level advisory lock), read in batches
//   (one query per batch), written by upsert, and rows older than 60 days deleted at most once an
//   hour per process.
// - Locks: session-level advisory locks (pg_try_advisory_lock) on a 64-bit hash of (kind, key),
//   all held on one connection per credential and process (the lock session). A worker that dies
//   closes its connection and PostgreSQL drops its locks: a lock never outlives its holder. Every
//   lock is unlocked before the connection goes back to the pool; a connection that fails is
//   destroyed instead (which drops its locks too). Session locks are re-entrant per connection, so
//   holders within one process are serialised first by an in-process KeyedLock.
import { createHash } from 'crypto';
import { sleep, type IDataObject } from 'n8n-workflow';
import { Pool, type PoolClient, type PoolConfig } from 'pg';
import { KeyedLock, LockWaitAborted } from '../concurrency';
import { JournalError, LOCK_BUSY } from './errors';
import { journalTarget, type JournalSettings } from './settings';

export const JOURNAL_TABLE = 'n8n_billing_pipeline_journal';

const UNDEFINED_TABLE = '42P01';

/** A small pool: one connection holds the process's locks, the others run short queries. */
const POOL_MAX = 4;
const DEFAULT_RETENTION_DAYS = 60;
const CLEANUP_EVERY_MS = 60 * 60 * 1000;
/** How long a waiting lock keeps trying before it gives up (the holder is alive but slow). */
const DEFAULT_MAX_LOCK_WAIT_MS = 5 * 60 * 1000;

export interface JournalRow {
	kind: string;
	key: string;
	state: string;
	data: IDataObject;
	/** When the row was last written (the database's clock), ISO 8601. */
	updatedAt: string;
}

export interface LockOptions {
	/**
	 * true: wait while another worker holds the lock (polling, until `maxWaitMs`); false: give up at
	 * once. Holders in this process are always waited for (they finish, then the next one runs).
	 */
	wait: boolean;
	/** The execution's cancel signal: a wait ends with LockWaitAborted. */
	signal?: AbortSignal;
	maxWaitMs?: number;
}

export type Locked<T> = { locked: true; value: T } | { locked: false };

export interface JournalOptions {
	retentionDays?: number;
	/** The clock of the clean-up schedule (tests). */
	now?: () => number;
}

/** The advisory lock key of (kind, key): 64 bits of a SHA-256, as PostgreSQL's signed bigint. */
export function journalLockId(kind: string, key: string): string {
	return createHash('sha256').update(`n8n-billing-pipeline\u0000${kind}\u0000${key}`).digest().readBigInt64BE(0).toString();
}

// Serialises the table's creation across processes (CREATE TABLE IF NOT EXISTS alone can fail
// when two sessions run it at once).
const DDL_LOCK_ID = journalLockId('schema', JOURNAL_TABLE);

interface Session {
	client: PoolClient;
	/** Lock attempts in flight plus locks held on this connection. */
	users: number;
	/** The connection failed: its locks are gone with it. */
	lost: boolean;
	released: boolean;
	/** The last query sent on it: a connection runs one query at a time, so they queue here. */
	tail: Promise<unknown>;
	onError: (error: Error) => void;
}

interface HeldLock {
	release(): Promise<void>;
}

export class Journal {
	readonly target: string;
	private readonly pool: Pool;
	private readonly local = new KeyedLock();
	private readonly secrets: string[];
	private readonly retentionDays: number;
	private readonly now: () => number;
	private schema: Promise<void> | undefined;
	private lastCleanUp = 0;
	private session: Session | undefined;
	private opening: Promise<Session> | undefined;
	private closed = false;
	private readonly extraSchemas = new Map<string, Promise<void>>();

	constructor(
		readonly settings: JournalSettings,
		options: JournalOptions = {},
	) {
		this.target = journalTarget(settings);
		this.secrets = settings.password ? [settings.password] : [];
		this.retentionDays = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
		this.now = options.now ?? (() => Date.now());
		this.pool = new Pool(poolConfig(settings));
		// An idle connection that breaks emits here; unheard, it would end the n8n process.
		this.pool.on('error', () => undefined);
	}

	/** The records of `kind` among `keys`, in one query. */
	async read(kind: string, keys: readonly string[]): Promise<Map<string, JournalRow>> {
		const rows = new Map<string, JournalRow>();
		const unique = [...new Set(keys)];
		if (unique.length === 0) return rows;
		storable(kind, ...unique);
		await this.prepare();
		const result = await this.query<RawRow>(
			`SELECT kind, key, state, data, updated_at FROM ${JOURNAL_TABLE} WHERE kind = $1 AND key = ANY($2::text[])`,
			[kind, unique],
			'reading records',
		);
		for (const raw of result) rows.set(raw.key, toRow(raw));
		return rows;
	}

	async readOne(kind: string, key: string): Promise<JournalRow | undefined> {
		return (await this.read(kind, [key])).get(key);
	}

	/** Writes (kind, key) with `state` and `data`, replacing what was there. */
	async write(kind: string, key: string, state: string, data: IDataObject = {}): Promise<void> {
		storable(kind, key, state);
		await this.prepare();
		await this.query(
			`INSERT INTO ${JOURNAL_TABLE} (kind, key, state, data, updated_at) VALUES ($1, $2, $3, $4::jsonb, now())
			 ON CONFLICT (kind, key) DO UPDATE SET state = EXCLUDED.state, data = EXCLUDED.data, updated_at = now()`,
			[kind, key, state, JSON.stringify(data)],
			'writing a record',
		);
	}

	async remove(kind: string, key: string): Promise<void> {
		storable(kind, key);
		await this.prepare();
		await this.query(`DELETE FROM ${JOURNAL_TABLE} WHERE kind = $1 AND key = $2`, [kind, key], 'deleting a record');
	}

	/**
	 * Runs `fn` holding the lock on (kind, key) across every process that uses this database, or
	 * returns `{ locked: false }` when another worker holds it and `wait` is false. The lock is
	 * released when `fn` settles, or by PostgreSQL when this process dies.
	 */
	async withLock<T>(kind: string, key: string, fn: () => Promise<T>, options: LockOptions): Promise<Locked<T>> {
		return await this.local.run(
			`${kind}\u0000${key}`,
			async () => {
				const id = journalLockId(kind, key);
				const held = options.wait ? await this.lockWaiting(id, kind, key, options) : await this.tryLock(id);
				if (!held) return { locked: false };
				try {
					return { locked: true, value: await fn() };
				} finally {
					await held.release();
				}
			},
			options.signal,
		);
	}

	/** Deletes rows older than the retention (60 days); returns how many. Runs by itself at most hourly. */
	async cleanUp(): Promise<number> {
		this.lastCleanUp = this.now();
		await this.ensureSchema();
		const rows = await this.query<{ n: string }>(
			`WITH gone AS (DELETE FROM ${JOURNAL_TABLE} WHERE updated_at < now() - make_interval(days => $1) RETURNING 1) SELECT count(*) AS n FROM gone`,
			[this.retentionDays],
			'deleting old records',
		);
		return Number(rows[0]?.n ?? 0);
	}

	/** Closes the pool (tests, shutdown); a held lock session is dropped, which frees its locks. */
	/**
	 * Creates the package's other tables (the run ledger's) once per process, under the same DDL
	 * lock as the journal table, so workers starting together do not trip over each other.
	 */
	async ensureTables(name: string, statements: readonly string[]): Promise<void> {
		let ready = this.extraSchemas.get(name);
		if (!ready) {
			ready = this.createTables(name, statements);
			this.extraSchemas.set(name, ready);
			ready.catch(() => this.extraSchemas.delete(name));
		}
		await ready;
	}

	/** A query on the pool with the journal's error handling (redacted, retryable when the database is away). */
	async sql<R>(text: string, values: unknown[], doing: string): Promise<R[]> {
		return await this.query<R>(text, values, doing);
	}

	private async createTables(name: string, statements: readonly string[]): Promise<void> {
		const client = await this.connect(`creating the ${name} tables`);
		let failed: unknown;
		try {
			await client.query('BEGIN');
			await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [DDL_LOCK_ID]);
			for (const statement of statements) await client.query(statement);
			await client.query('COMMIT');
		} catch (error) {
			failed = error;
			await client.query('ROLLBACK').catch(() => undefined);
			const code = (error as { code?: string }).code;
			if (code !== '42P07' && code !== '23505') throw JournalError.from(error, this.target, `creating the ${name} tables`, this.secrets);
		} finally {
			client.release(failed === undefined ? undefined : failed instanceof Error ? failed : new Error(String(failed)));
		}
	}

	async close(): Promise<void> {
		if (this.closed) return;
		this.closed = true;
		if (this.session) this.loseSession(this.session, new Error('journal closed'));
		await this.pool.end();
	}

	private async prepare(): Promise<void> {
		await this.ensureSchema();
		if (this.now() - this.lastCleanUp >= CLEANUP_EVERY_MS) {
			// Housekeeping must never fail the send or charge it rides on.
			await this.cleanUp().catch(() => undefined);
		}
	}

	private async ensureSchema(): Promise<void> {
		if (!this.schema) {
			this.schema = this.createSchema();
			// A failure (database down) is tried again by the next call.
			this.schema.catch(() => (this.schema = undefined));
		}
		await this.schema;
	}

	private async createSchema(): Promise<void> {
		const present = await this.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [JOURNAL_TABLE], 'looking for the journal table');
		if (present[0]?.present) return;
		const client = await this.connect('creating the journal table');
		let failed: unknown;
		try {
			await client.query('BEGIN');
			await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [DDL_LOCK_ID]);
			await client.query(
				`CREATE TABLE IF NOT EXISTS ${JOURNAL_TABLE} (
					kind text NOT NULL,
					key text NOT NULL,
					state text NOT NULL,
					data jsonb NOT NULL DEFAULT '{}'::jsonb,
					updated_at timestamptz NOT NULL DEFAULT now(),
					PRIMARY KEY (kind, key)
				)`,
			);
			await client.query(`CREATE INDEX IF NOT EXISTS ${JOURNAL_TABLE}_updated_at ON ${JOURNAL_TABLE} (updated_at)`);
			await client.query('COMMIT');
		} catch (error) {
			failed = error;
			await client.query('ROLLBACK').catch(() => undefined);
			// Created at the same instant by something that did not take our lock: it exists now.
			const code = (error as { code?: string }).code;
			if (code !== '42P07' && code !== '23505') {
				throw JournalError.from(error, this.target, `creating the table ${JOURNAL_TABLE}`, this.secrets);
			}
		} finally {
			// After a failure the connection's state is unknown: destroy it rather than pool it.
			client.release(failed === undefined ? undefined : failed instanceof Error ? failed : new Error(String(failed)));
		}
	}

	private async query<R>(text: string, values: unknown[], doing: string): Promise<R[]> {
		try {
			const result = await this.pool.query(text, values);
			return result.rows as R[];
		} catch (error) {
			// The table was dropped under us: the next call creates it again.
			if ((error as { code?: string }).code === UNDEFINED_TABLE) this.schema = undefined;
			throw JournalError.from(error, this.target, doing, this.secrets);
		}
	}

	private async connect(doing: string): Promise<PoolClient> {
		if (this.closed) throw new JournalError(`the journal at ${this.target} is closed`, { retryable: true });
		try {
			return await this.pool.connect();
		} catch (error) {
			throw JournalError.from(error, this.target, doing, this.secrets);
		}
	}

	/** The lock session, opened if needed, with one more user counted on it. */
	private async useSession(): Promise<Session> {
		for (;;) {
			const current = this.session;
			if (current && !current.lost && !current.released) {
				current.users++;
				return current;
			}
			if (!this.opening) {
				this.opening = this.connect('connecting for locks')
					.then((client) => {
						const session: Session = { client, users: 0, lost: false, released: false, tail: Promise.resolve(), onError: () => undefined };
						// A checked-out connection has no listener of the pool's: a broken one would crash n8n.
						session.onError = (error) => this.loseSession(session, error);
						client.on('error', session.onError);
						this.session = session;
						return session;
					})
					.finally(() => (this.opening = undefined));
			}
			const opened = await this.opening;
			if (!opened.lost && !opened.released) {
				opened.users++;
				return opened;
			}
		}
	}

	private leaveSession(session: Session): void {
		session.users--;
		if (session.users > 0 || session.released) return;
		// Every lock on it was unlocked: the connection may serve others again.
		session.released = true;
		if (this.session === session) this.session = undefined;
		session.client.removeListener('error', session.onError);
		session.client.release();
	}

	/** The connection failed (or an unlock did): destroy it, which drops every lock it held. */
	private loseSession(session: Session, error: unknown): void {
		if (session.lost) return;
		session.lost = true;
		if (this.session === session) this.session = undefined;
		if (session.released) return;
		session.released = true;
		// The listener stays: a destroyed connection may still report its end.
		session.client.release(error instanceof Error ? error : new Error(String(error)));
	}

	private async tryLock(id: string): Promise<HeldLock | null> {
		const session = await this.useSession();
		let locked: boolean;
		try {
			const rows = await sessionQuery<{ locked: boolean }>(session, 'SELECT pg_try_advisory_lock($1::bigint) AS locked', [id]);
			locked = rows[0]?.locked === true;
		} catch (error) {
			// Whether the server granted it is unknown: dropping the connection makes sure it did not.
			this.loseSession(session, error);
			this.leaveSession(session);
			throw JournalError.from(error, this.target, 'taking a lock', this.secrets);
		}
		if (!locked) {
			this.leaveSession(session);
			return null;
		}
		return {
			release: async () => {
				if (!session.lost) {
					try {
						await sessionQuery(session, 'SELECT pg_advisory_unlock($1::bigint)', [id]);
					} catch (error) {
						this.loseSession(session, error);
					}
				}
				this.leaveSession(session);
			},
		};
	}

	private async lockWaiting(id: string, kind: string, key: string, options: LockOptions): Promise<HeldLock> {
		const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_LOCK_WAIT_MS;
		const started = Date.now();
		let delayMs = 20;
		for (;;) {
			if (options.signal?.aborted) throw new LockWaitAborted();
			const held = await this.tryLock(id);
			if (held) return held;
			if (Date.now() - started >= maxWaitMs) {
				throw new JournalError(`another worker has held the lock on ${kind} "${key}" for more than ${Math.round(maxWaitMs / 1000)} s`, { code: LOCK_BUSY, retryable: true });
			}
			// Short polls: the holder is usually done within a gateway round trip.
			await sleep(delayMs);
			delayMs = Math.min(delayMs * 2, 250);
		}
	}
}

/** PostgreSQL text cannot hold NUL: a key with one is a bug of the caller, said plainly. */
function storable(...texts: string[]): void {
	if (texts.some((t) => t.includes('\u0000'))) throw new JournalError('a journal kind, key or state must not contain a NUL character', { retryable: false });
}

async function sessionQuery<R>(session: Session, text: string, values: unknown[]): Promise<R[]> {
	const run = session.tail.then(async () => (await session.client.query(text, values)).rows as R[]);
	session.tail = run.catch(() => undefined);
	return await run;
}

interface RawRow {
	kind: string;
	key: string;
	state: string;
	data: IDataObject | null;
	updated_at: Date | string;
}

function toRow(raw: RawRow): JournalRow {
	const updated = raw.updated_at instanceof Date ? raw.updated_at : new Date(raw.updated_at);
	return { kind: raw.kind, key: raw.key, state: raw.state, data: raw.data ?? {}, updatedAt: updated.toISOString() };
}

function poolConfig(settings: JournalSettings): PoolConfig {
	return {
		host: settings.host,
		port: settings.port,
		database: settings.database,
		user: settings.user,
		password: settings.password,
		// As n8n's Postgres node: Ignore SSL Issues → TLS unverified; Allow and Require → TLS; Disable → none.
		ssl: settings.allowUnauthorizedCerts ? { rejectUnauthorized: false } : settings.ssl !== 'disable',
		max: Math.min(POOL_MAX, settings.maxConnections),
		idleTimeoutMillis: 30_000,
		connectionTimeoutMillis: 10_000,
		// Idle journal connections must not keep a process (or a test run) alive.
		allowExitOnIdle: true,
		keepAlive: true,
		statement_timeout: 30_000,
		query_timeout: 35_000,
		application_name: 'n8n-nodes-billing-pipeline',
	};
}

const journals = new Map<string, Journal>();

// Keyed on every connection field, hashed so the map holds no password in clear.
const journalKey = (s: JournalSettings) =>
	createHash('sha256').update(JSON.stringify([s.host, s.port, s.database, s.user, s.password, s.ssl, s.allowUnauthorizedCerts, s.maxConnections])).digest('hex');

/** One journal (one pool) per credential and process, created on first use and shared by every execution. */
export function journalFor(settings: JournalSettings): Journal {
	const key = journalKey(settings);
	let journal = journals.get(key);
	if (!journal) {
		journal = new Journal(settings);
		journals.set(key, journal);
	}
	return journal;
}

/** Closes every journal of this process (tests' afterAll, shutdown). */
export async function closeJournals(): Promise<void> {
	const all = [...journals.values()];
	journals.clear();
	await Promise.all(all.map((j) => j.close()));
}
