// The shared journal (nodes/shared/journal) against the real PostgreSQL: the table created on
// first use even when several processes race to create it, batched reads, upserts, the retention
// clean-up, and advisory locks that live exactly as long as the connection holding them.
import { randomBytes } from 'crypto';
import { Client, Pool } from 'pg';
import { LockWaitAborted } from '../../nodes/shared/concurrency';
import { FieldError } from '../../nodes/shared/errors';
import { JOURNAL_TABLE, Journal, JournalError, journalFailure, journalFor, journalLockId, journalSettings, closeJournals, type JournalSettings } from '../../nodes/shared/journal';
import { credentialSecrets, redactSecrets } from '../../nodes/shared/redact';
import { POSTGRES } from '../../support/queue-mode';

const database = `billing_journal_${process.pid}_${randomBytes(4).toString('hex')}`;

async function admin<T>(db: string, fn: (client: Client) => Promise<T>): Promise<T> {
	const client = new Client({ ...POSTGRES, database: db });
	await client.connect();
	try {
		return await fn(client);
	} finally {
		await client.end();
	}
}

const settings = (extra: Partial<JournalSettings> = {}): JournalSettings =>
	journalSettings({ host: POSTGRES.host, port: POSTGRES.port, database, user: POSTGRES.user, password: POSTGRES.password, ssl: 'disable', ...extra });

/** A gate a lock holder waits on, so the test decides when it lets go. */
function gate(): { wait: Promise<void>; open: () => void } {
	let open!: () => void;
	const wait = new Promise<void>((resolve) => (open = resolve));
	return { wait, open };
}

/** The backend pids holding an advisory lock in our database. */
async function advisoryHolders(): Promise<number[]> {
	return await admin(database, async (c) => {
		const { rows } = await c.query<{ pid: number }>(
			`SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND l.granted AND d.datname = $1`,
			[database],
		);
		return rows.map((r) => r.pid);
	});
}

const journals: Journal[] = [];
const open = (extra: Partial<JournalSettings> = {}, options: ConstructorParameters<typeof Journal>[1] = {}) => {
	const journal = new Journal(settings(extra), options);
	journals.push(journal);
	return journal;
};

beforeAll(async () => {
	await admin('postgres', (c) => c.query(`CREATE DATABASE ${database}`));
});
afterAll(async () => {
	await Promise.all(journals.map((j) => j.close()));
	await closeJournals();
	await admin('postgres', (c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
});

describe('the journal table', () => {
	it('is created on first use, once, when several processes race to create it', async () => {
		const racers = Array.from({ length: 6 }, () => open());
		await Promise.all(racers.map((j, n) => j.write('race', `k${n}`, 'done', { n })));
		const { rows } = await admin(database, (c) =>
			c.query<{ n: string }>(`SELECT count(*) AS n FROM pg_class WHERE relname = $1 AND relkind = 'r'`, [JOURNAL_TABLE]),
		);
		expect(rows[0].n).toBe('1');
		const read = await racers[0].read('race', racers.map((_, n) => `k${n}`));
		expect([...read.values()].map((r) => r.data.n).sort()).toEqual([0, 1, 2, 3, 4, 5]);
	});

	it('reads a batch in one query, by kind, and upserts replace state and data', async () => {
		const journal = open();
		await journal.write('email', 'a', 'sent', { sentAt: '2026-01-01T00:00:00.000Z' });
		await journal.write('email', 'b', 'sent');
		await journal.write('charge', 'a', 'charging', { attempt: 1 });
		const queries = jest.spyOn(Pool.prototype, 'query');
		try {
			const keys = ['a', 'b', 'c', ...Array.from({ length: 97 }, (_, n) => `missing-${n}`)];
			const rows = await journal.read('email', keys);
			expect(queries).toHaveBeenCalledTimes(1);
			expect([...rows.keys()].sort()).toEqual(['a', 'b']);
			expect(rows.get('a')).toMatchObject({ kind: 'email', key: 'a', state: 'sent', data: { sentAt: '2026-01-01T00:00:00.000Z' } });
			expect(Date.parse(rows.get('a')!.updatedAt)).not.toBeNaN();
		} finally {
			queries.mockRestore();
		}
		await journal.write('charge', 'a', 'charged', { record: { transactionreference: '1-2-3' } });
		expect(await journal.readOne('charge', 'a')).toMatchObject({ state: 'charged', data: { record: { transactionreference: '1-2-3' } } });
		await journal.remove('charge', 'a');
		expect(await journal.readOne('charge', 'a')).toBeUndefined();
		expect(await journal.read('email', [])).toEqual(new Map());
	});

	it('a table dropped under a running process fails one call (retryable) and is created again by the next', async () => {
		const journal = open();
		await journal.write('again', 'k', 'sent');
		await admin(database, (c) => c.query(`DROP TABLE ${JOURNAL_TABLE}`));
		await expect(journal.read('again', ['k'])).rejects.toMatchObject({ code: '42P01', retryable: true });
		expect(await journal.read('again', ['k'])).toEqual(new Map());
		await journal.write('again', 'k', 'sent');
		expect((await journal.readOne('again', 'k'))?.state).toBe('sent');
	});

	it('deletes rows older than the retention, at most once an hour per process', async () => {
		let now = Date.now();
		const journal = open({}, { now: () => now });
		await journal.write('old', 'stale', 'sent');
		await journal.write('old', 'fresh', 'sent');
		await admin(database, (c) => c.query(`UPDATE ${JOURNAL_TABLE} SET updated_at = now() - interval '61 days' WHERE kind = 'old' AND key = 'stale'`));
		// The first use cleaned up already; within the hour no second clean-up runs.
		now += 30 * 60_000;
		expect(await journal.readOne('old', 'stale')).toBeDefined();
		now += 31 * 60_000;
		expect(await journal.readOne('old', 'stale')).toBeUndefined();
		expect(await journal.readOne('old', 'fresh')).toBeDefined();
		await admin(database, (c) => c.query(`UPDATE ${JOURNAL_TABLE} SET updated_at = now() - interval '59 days' WHERE kind = 'old' AND key = 'fresh'`));
		expect(await journal.cleanUp()).toBe(0);
	});
});

describe('locks', () => {
	it('another worker is refused (or waits) while one holds the lock; holders in one process wait their turn', async () => {
		const a = open();
		const b = open();
		const held = gate();
		const entered = gate();
		const first = a.withLock('email', 'm1', async () => {
			entered.open();
			await held.wait;
			return 'a';
		}, { wait: false });
		await entered.wait;
		// Another worker: refused at once, or waiting until A lets go.
		expect(await b.withLock('email', 'm1', async () => 'b', { wait: false })).toEqual({ locked: false });
		const waiting = b.withLock('email', 'm1', async () => 'b waited', { wait: true });
		// Another key is free.
		expect(await b.withLock('email', 'm2', async () => 'other', { wait: false })).toEqual({ locked: true, value: 'other' });
		// The same process: waits for its own holder instead of being refused (session locks are re-entrant).
		const sameProcess = a.withLock('email', 'm1', async () => 'a again', { wait: false });
		held.open();
		expect(await first).toEqual({ locked: true, value: 'a' });
		expect(await waiting).toEqual({ locked: true, value: 'b waited' });
		expect(await sameProcess).toEqual({ locked: true, value: 'a again' });
		expect(await advisoryHolders()).toEqual([]);
	});

	it('a lock is released when the worker holding it dies (its connection is terminated), and the dead worker recovers', async () => {
		const a = open();
		const b = open();
		const held = gate();
		const entered = gate();
		const dying = a.withLock('charge', 'site\u0000K1', async () => {
			entered.open();
			await held.wait;
		}, { wait: true });
		await entered.wait;
		const holders = await advisoryHolders();
		expect(holders).toHaveLength(1);
		expect(await b.withLock('charge', 'site\u0000K1', async () => 'b', { wait: false })).toEqual({ locked: false });
		// The worker "dies": PostgreSQL ends its backend, as when the process is killed and its socket closes.
		await admin(database, (c) => c.query('SELECT pg_terminate_backend($1)', [holders[0]]));
		expect(await b.withLock('charge', 'site\u0000K1', async () => 'b after', { wait: true, maxWaitMs: 30_000 })).toEqual({ locked: true, value: 'b after' });
		held.open();
		await dying;
		// A opens a new lock session for its next lock.
		expect(await a.withLock('charge', 'site\u0000K1', async () => 'a again', { wait: false })).toEqual({ locked: true, value: 'a again' });
		expect(await advisoryHolders()).toEqual([]);
	});

	it('a waiting lock gives up on cancellation or after its longest wait, naming the key', async () => {
		const a = open();
		const b = open();
		const held = gate();
		const entered = gate();
		const holding = a.withLock('charge', 'K2', async () => {
			entered.open();
			await held.wait;
		}, { wait: false });
		await entered.wait;
		const controller = new AbortController();
		const cancelled = b.withLock('charge', 'K2', async () => 'never', { wait: true, signal: controller.signal });
		controller.abort();
		await expect(cancelled).rejects.toBeInstanceOf(LockWaitAborted);
		const timedOut = await b.withLock('charge', 'K2', async () => 'never', { wait: true, maxWaitMs: 100 }).catch((e: unknown) => e);
		expect(timedOut).toBeInstanceOf(JournalError);
		expect(timedOut).toMatchObject({ code: 'lockBusy', retryable: true, message: expect.stringMatching(/another worker has held the lock on charge "K2"/) });
		held.open();
		await holding;
	});

	it('lock keys are 64-bit, differ by kind and key, and are stable', () => {
		const id = journalLockId('email', '<m@x>');
		expect(BigInt(id)).toBeGreaterThanOrEqual(-(2n ** 63n));
		expect(BigInt(id)).toBeLessThan(2n ** 63n);
		expect(journalLockId('email', '<m@x>')).toBe(id);
		expect(journalLockId('charge', '<m@x>')).not.toBe(id);
		expect(journalLockId('email', '<m@y>')).not.toBe(id);
	});
});

describe('settings and failures', () => {
	it("reads n8n's postgres credential, refusing an SSH tunnel and values it cannot use", () => {
		expect(journalSettings({ host: ' db.internal ', database: 'billing', user: 'n8n', password: 'pw' })).toEqual({
			host: 'db.internal',
			port: 5432,
			database: 'billing',
			user: 'n8n',
			password: 'pw',
			ssl: 'disable',
			allowUnauthorizedCerts: false,
			maxConnections: 100,
		});
		const refused = (data: Record<string, unknown>) => {
			try {
				journalSettings({ host: 'h', database: 'd', user: 'u', ...data } as never);
			} catch (error) {
				return error as FieldError;
			}
			throw new Error('expected a FieldError');
		};
		expect(refused({ sshTunnel: true, sshHost: 'bastion' })).toMatchObject({ field: 'sshTunnel', message: expect.stringMatching(/SSH Tunnel is not supported/) });
		expect(refused({ port: 70000 })).toMatchObject({ field: 'port' });
		expect(refused({ ssl: 'verify-full' })).toMatchObject({ field: 'ssl' });
		expect(refused({ maxConnections: 1 })).toMatchObject({ field: 'maxConnections' });
		expect(refused({ host: '' })).toMatchObject({ field: 'host' });
	});

	it('an unreachable database is a retryable error naming where, without the password; the node names its parameter', async () => {
		const password = `pw-${randomBytes(6).toString('hex')}`;
		const closedPort = await new Promise<number>((resolve) => {
			const server = require('net').createServer();
			server.listen(0, '127.0.0.1', () => {
				const { port } = server.address();
				server.close(() => resolve(port));
			});
		});
		const journal = open({ port: closedPort, password });
		const error = await journal.read('email', ['x']).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(JournalError);
		expect(error).toMatchObject({ retryable: true, code: 'databaseUnreachable' });
		// In words: n8n swaps a message naming ECONNREFUSED for a generic one that names nothing.
		expect((error as Error).message).toMatch(new RegExp(`^PostgreSQL at 127\\.0\\.0\\.1:${closedPort}/${database} failed while looking for the journal table: could not connect: connection refused 127\\.0\\.0\\.1:${closedPort}$`));
		expect((error as Error).message).not.toMatch(/ECONNREFUSED/i);
		const reported = journalFailure(error, { parameter: 'sentRecord', label: 'Sent Record', consequence: 'Nothing was sent for this item.' });
		expect(reported.message).toMatch(/^Sent Record \(sentRecord\): PostgreSQL at .* Nothing was sent for this item\.$/);
		expect(reported).toMatchObject({ retryable: true, code: 'databaseUnreachable' });
		expect(JSON.stringify({ m: reported.message, d: (reported as JournalError).description })).not.toContain(password);
		// A driver error that echoed the password is redacted.
		const echoed = JournalError.from(new Error(`connect to postgres://n8n:${password}@db failed`), 'db:5432/billing', 'connecting', [password]);
		expect(echoed.message).not.toContain(password);
		// And a FieldError (a bad credential) stays what it is.
		const field = new FieldError('sshTunnel', 'no');
		expect(journalFailure(field, { parameter: 'p', label: 'P', consequence: 'x' })).toBe(field);
	});

	it("the kit's redaction covers every secret field of n8n's postgres credential", () => {
		const data = {
			host: 'db.internal',
			database: 'billing',
			user: 'n8n',
			password: 'pg-password-1',
			sshTunnel: true,
			sshPassword: 'ssh-password-2',
			privateKey: '-----BEGIN KEY-----abcdef',
			passphrase: 'key-passphrase-3',
		};
		const secrets = credentialSecrets(data);
		expect(secrets.sort()).toEqual(['-----BEGIN KEY-----abcdef', 'key-passphrase-3', 'pg-password-1', 'ssh-password-2']);
		const text = `pg-password-1 ssh-password-2 key-passphrase-3 db.internal n8n`;
		expect(redactSecrets(text, secrets)).toBe('[redacted] [redacted] [redacted] db.internal n8n');
	});

	it('one journal (one pool) per credential and process', () => {
		const a = journalFor(settings());
		expect(journalFor(settings())).toBe(a);
		expect(journalFor(settings({ password: 'other' }))).not.toBe(a);
	});
});
