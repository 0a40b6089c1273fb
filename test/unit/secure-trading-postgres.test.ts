// Secure Trading's debit with Charge Record "PostgreSQL, shared by every worker" (issue 18): two
// queue-mode workers, each its own module instance (its own pools, in-process lock and memo, as
// two n8n processes have), against one sandbox gateway whose transaction query lags its charges.
// The gateway's ledger says how many AUTHs were made.
import { randomBytes } from 'crypto';
import type { ICredentialDataDecryptedObject, IDataObject, INodeExecutionData, INodeParameters, INodeType } from 'n8n-workflow';
import { SecureTrading } from '../../nodes/SecureTrading/SecureTrading.node';
import { closeJournals, JOURNAL_TABLE } from '../../nodes/shared/journal';
import { startSecureTradingSandbox, type SecureTradingSandbox } from '../../sandbox/secure-trading';
import { POSTGRES } from '../../support/queue-mode';
import { sql, testDatabaseName } from '../helpers/postgres';
import { runNode } from '../helpers/run-node';

const database = testDatabaseName();
/** How long a new charge stays invisible to TRANSACTIONQUERY. */
const QUERY_LAG_MS = 2500;


interface Worker {
	node: INodeType;
	close: () => Promise<void>;
}
/** Another worker: the node loaded again in a module registry of its own, as a second n8n process would. */
function isolatedWorker(): Worker {
	let worker!: Worker;
	jest.isolateModules(() => {
		/* eslint-disable @typescript-eslint/no-require-imports */
		const { SecureTrading: Node } = require('../../nodes/SecureTrading/SecureTrading.node') as typeof import('../../nodes/SecureTrading/SecureTrading.node');
		const journal = require('../../nodes/shared/journal') as typeof import('../../nodes/shared/journal');
		/* eslint-enable @typescript-eslint/no-require-imports */
		worker = { node: new Node(), close: async () => await journal.closeJournals() };
	});
	return worker;
}

describe('Secure Trading: the charge record shared by every worker in PostgreSQL', () => {
	let sb: SecureTradingSandbox;
	const workerA: Worker = { node: new SecureTrading(), close: async () => undefined };
	let workerB: Worker;
	let seq = 0;

	beforeAll(async () => {
		await sql('postgres', `CREATE DATABASE ${database}`);
		sb = await startSecureTradingSandbox({ seed: 18, queryVisibilityDelayMs: QUERY_LAG_MS });
		workerB = isolatedWorker();
	});
	afterAll(async () => {
		await closeJournals();
		await workerB.close();
		await sb.close();
		await sql('postgres', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
	});
	afterEach(() => sb.setLatency(undefined));

	const key = (label: string) => `PG-${label}-${++seq}-${randomBytes(2).toString('hex')}`.slice(0, 25);
	const postgres = (extra: IDataObject = {}): ICredentialDataDecryptedObject => ({
		host: POSTGRES.host,
		port: POSTGRES.port,
		database,
		user: POSTGRES.user,
		password: POSTGRES.password,
		ssl: 'disable',
		...extra,
	});
	const params = (parent: string, billingKey: string, options: IDataObject = {}, extra: INodeParameters = {}): INodeParameters => ({
		resource: 'payment',
		operation: 'debitStoredCard',
		chargeRecord: 'postgres',
		storedCardReference: parent,
		billingKey,
		amount: '10.50',
		amountUnit: 'major',
		currency: 'GBP',
		...extra,
		options: { verificationDelayMs: 0, timeoutMs: 5000, ...options },
	});
	const run = (worker: Worker, parameters: INodeParameters, opts: { items?: INodeExecutionData[]; postgres?: ICredentialDataDecryptedObject } = {}) =>
		runNode(worker.node, {
			parameters,
			items: opts.items ?? [{ json: { customer: 'ACME' } }],
			credentials: {
				secureTradingApi: { username: sb.username, password: sb.password, siteReference: sb.siteReference, gateway: 'custom', customUrl: sb.url },
				postgres: opts.postgres ?? postgres(),
			},
			continueOnFail: true,
		});
	const only = (outputs: INodeExecutionData[][], output: 0 | 1) => {
		expect(outputs[output === 0 ? 1 : 0]).toHaveLength(0);
		expect(outputs[output]).toHaveLength(1);
		return outputs[output][0].json;
	};
	const auths = (billingKey: string) => sb.transactions().filter((t) => t.fields.requesttypedescription === 'AUTH' && t.fields.orderreference === billingKey);
	const record = async (billingKey: string) =>
		(await sql<{ state: string; data: IDataObject }>(database, `SELECT state, data FROM ${JOURNAL_TABLE} WHERE kind = 'charge' AND key = $1`, [`${sb.siteReference}/${billingKey}`]))[0];
	async function until(condition: () => Promise<boolean> | boolean): Promise<void> {
		while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 10));
	}

	it('two workers debiting the same billing key at once make exactly one AUTH, though the query lags', async () => {
		const parent = sb.addStoredCard();
		const billingKey = key('both');
		// Slow answers: both pre-charge queries would run before either AUTH without the shared lock.
		sb.setLatency(150);
		const [a, b] = await Promise.all([run(workerA, params(parent, billingKey)), run(workerB, params(parent, billingKey))]);
		const results = [only(a, 0), only(b, 0)];
		expect(results.map((r) => r.outcome)).toEqual(['paid', 'paid']);
		expect(results.map((r) => r.reusedExisting).sort()).toEqual([false, true]);
		expect(results[0].transactionreference).toBe(results[1].transactionreference);
		expect(auths(billingKey)).toHaveLength(1);
		expect(await record(billingKey)).toMatchObject({ state: 'charged', data: { record: { transactionreference: results[0].transactionreference } } });
	});

	it('without the shared record the same race charges twice (why the option exists)', async () => {
		const parent = sb.addStoredCard();
		const billingKey = key('control');
		sb.setLatency(150);
		const processRecord = { chargeRecord: 'process' };
		await Promise.all([run(workerA, params(parent, billingKey, {}, processRecord)), run(workerB, params(parent, billingKey, {}, processRecord))]);
		expect(auths(billingKey)).toHaveLength(2);
	});

	it('two workers on the same batch charge every billing key once', async () => {
		sb.setLatency(50);
		const items = Array.from({ length: 6 }, (_, n) => ({ json: { card: sb.addStoredCard(), key: key(`batch${n}`) } }));
		const batch = params('={{ $json.card }}', '={{ $json.key }}', { concurrency: 3 });
		const [a, b] = await Promise.all([run(workerA, batch, { items }), run(workerB, batch, { items })]);
		expect([...a[1], ...b[1]]).toEqual([]);
		for (const { json } of items) {
			expect(auths(String(json.key))).toHaveLength(1);
			const outcomes = [...a[0], ...b[0]].filter((i) => i.json.billingKey === json.key).map((i) => i.json.reusedExisting);
			expect(outcomes.sort()).toEqual([false, true]);
		}
	});

	it("what one worker learnt answers the other while the query lags: a charge (with its amount), a never-retry decline, an unknown AUTH", async () => {
		// A charge: B answers from the record, without a query, and flags a differing amount as before.
		const parent = sb.addStoredCard();
		const charged = key('known');
		only(await run(workerA, params(parent, charged)), 0);
		const queries = sb.callCounts().TRANSACTIONQUERY;
		const again = only(await run(workerB, params(parent, charged, {}, { amount: '11.00' })), 0);
		expect(again).toMatchObject({ outcome: 'paid', reusedExisting: true, existingChargeMismatch: true });
		expect(again.reason).toMatch(/the existing charge is 1050 GBP minor units, not 1100 GBP/);
		expect(sb.callCounts().TRANSACTIONQUERY).toBe(queries);

		// A never-retry decline: final on the other worker too, although its query would not show it yet.
		const lost = sb.addStoredCard({ behaviour: 'lostCard' });
		const hard = key('hard');
		expect(only(await run(workerA, params(lost, hard)), 1)).toMatchObject({ outcome: 'declined', retryable: false, reusedExisting: false });
		expect(only(await run(workerB, params(lost, hard)), 1)).toMatchObject({ outcome: 'declined', retryable: false, reusedExisting: true, previouslyDeclined: true });
		expect(auths(hard)).toHaveLength(1);
		expect((await record(hard)).state).toBe('hardDecline');

		// An AUTH answered after A's timeout: B neither charges nor even queries moments later.
		const slow = key('slow');
		sb.injectFault({ kind: 'slowAnswer', delayMs: 800 });
		const unknown = only(await run(workerA, params(parent, slow, { timeoutMs: 300 })), 1);
		expect(unknown).toMatchObject({ outcome: 'unknown', verifiedNoCharge: true });
		const before = sb.callCounts();
		const elsewhere = only(await run(workerB, params(parent, slow)), 1);
		expect(elsewhere).toMatchObject({ outcome: 'unknown', retryable: false, settle: { uncertainSince: (unknown.settle as IDataObject).uncertainSince } });
		expect(elsewhere.reason).toMatch(/showed no charge moments ago/);
		expect(sb.callCounts()).toMatchObject({ AUTH: before.AUTH, TRANSACTIONQUERY: before.TRANSACTIONQUERY });
		expect(auths(slow)).toHaveLength(1);
	});

	it('soft declines are counted by the gateway, as before: each dunning attempt is one AUTH, whichever worker makes it', async () => {
		const parent = sb.addStoredCard({ behaviour: 'insufficientFunds' });
		const billingKey = key('soft');
		expect(only(await run(workerA, params(parent, billingKey, { chargeAttempt: 1 })), 1)).toMatchObject({ outcome: 'declined', retryable: true, reusedExisting: false });
		expect(await record(billingKey)).toMatchObject({ state: 'declined', data: { attempt: 1, record: { acquirerresponsecode: '51' } } });
		// The next attempt, days later (the query shows the first decline by then).
		await new Promise((resolve) => setTimeout(resolve, QUERY_LAG_MS));
		expect(only(await run(workerB, params(parent, billingKey, { chargeAttempt: 2 })), 1)).toMatchObject({ outcome: 'declined', retryable: true, reusedExisting: false });
		// Attempt 2 redelivered to A: made before, answered from the gateway's count, no AUTH.
		await new Promise((resolve) => setTimeout(resolve, QUERY_LAG_MS));
		expect(only(await run(workerA, params(parent, billingKey, { chargeAttempt: 2 })), 1)).toMatchObject({ outcome: 'declined', reusedExisting: true, chargeAttempts: 2 });
		expect(auths(billingKey)).toHaveLength(2);
	});

	it('a worker that loses its lock mid-AUTH (its connection dies) leaves "charging": the next worker only queries', async () => {
		const parent = sb.addStoredCard();
		const billingKey = key('dies');
		// The gateway charges at once but answers A only after 1.5 s.
		sb.injectFault({ kind: 'slowAnswer', delayMs: 1500 });
		const first = run(workerA, params(parent, billingKey));
		await until(async () => auths(billingKey).length === 1 && (await record(billingKey))?.state === 'charging');
		const charging = await record(billingKey);
		expect(charging.data).toMatchObject({ attempt: 0, amountMinor: 1050, currency: 'GBP', requestreference: expect.stringMatching(/^A/) });
		// A's database connection dies (as when its process is killed): PostgreSQL drops its lock.
		await sql(database, `SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND l.granted AND d.datname = $1`, [database]);
		const before = sb.callCounts();
		const b = only(await run(workerB, params(parent, billingKey)), 1);
		expect(b).toMatchObject({
			outcome: 'unknown',
			retryable: false,
			requestreference: charging.data.requestreference,
			settle: { uncertainSince: charging.data.startedAt, checks: 1, spacedChecks: 1 },
		});
		expect(b.uncertainResult).toMatch(/stopped before its outcome was known/);
		// B asked the gateway (the charge does not show yet) and sent no AUTH.
		expect(sb.callCounts().AUTH).toBe(before.AUTH);
		expect(sb.callCounts().TRANSACTIONQUERY).toBe(before.TRANSACTIONQUERY + 1);
		// A's answer arrives: paid, recorded; one charge in all.
		expect(only(await first, 0)).toMatchObject({ outcome: 'paid', reusedExisting: false });
		expect((await record(billingKey)).state).toBe('charged');
		expect(auths(billingKey)).toHaveLength(1);
	});

	it('a "charging" row no live worker holds (a dead worker) means query only, never AUTH, until the settle window passed with two spaced empty queries', async () => {
		const parent = sb.addStoredCard();
		const write = (billingKey: string, startedAt: string) =>
			sql(database, `INSERT INTO ${JOURNAL_TABLE} (kind, key, state, data) VALUES ('charge', $1, 'charging', $2::jsonb)`, [
				`${sb.siteReference}/${billingKey}`,
				JSON.stringify({ attempt: 1, amountMinor: 1050, currency: 'GBP', requestreference: 'A-dead-worker', startedAt }),
			]);
		// Died a moment ago: however often it is retried, no AUTH within the settle window.
		const recent = key('dead-recent');
		await write(recent, new Date().toISOString());
		for (const options of [{}, { settleQueryGapMs: 0 }, { settleQueryGapMs: 0 }]) {
			expect(only(await run(workerB, params(parent, recent, options)), 1)).toMatchObject({ outcome: 'unknown', retryable: false, requestreference: 'A-dead-worker' });
		}
		expect(auths(recent)).toHaveLength(0);
		expect(await record(recent)).toMatchObject({ state: 'uncertain', data: { settle: { checks: 3, spacedChecks: 3, requestreference: 'A-dead-worker' } } });

		// Died 20 minutes ago: the first empty query counts one, the second (spaced) allows one AUTH.
		const old = key('dead-old');
		await write(old, new Date(Date.now() - 20 * 60_000).toISOString());
		const firstCheck = only(await run(workerA, params(parent, old, { settleQueryGapMs: 0 })), 1);
		expect(firstCheck).toMatchObject({ outcome: 'unknown', settle: { checks: 1, spacedChecks: 1 } });
		expect(auths(old)).toHaveLength(0);
		const settled = only(await run(workerB, params(parent, old, { settleQueryGapMs: 0 })), 0);
		expect(settled).toMatchObject({ outcome: 'paid', reusedExisting: false, previousSettle: { checks: 2, spacedChecks: 2, requestreference: 'A-dead-worker' } });
		expect(auths(old)).toHaveLength(1);
	});

	it('an unreachable database fails the item naming Charge Record, retryable, and charges nothing', async () => {
		const closedPort = await new Promise<number>((resolve) => {
			const server = require('net').createServer();
			server.listen(0, '127.0.0.1', () => {
				const { port } = server.address();
				server.close(() => resolve(port));
			});
		});
		const password = `pg-${randomBytes(8).toString('hex')}`;
		const parent = sb.addStoredCard();
		const billingKey = key('down');
		const before = sb.callCounts();
		const failed = only(await run(workerA, params(parent, billingKey), { postgres: postgres({ port: closedPort, password }) }), 1);
		expect(failed).toMatchObject({ outcome: 'error', retryable: true, error: { retryable: true, code: 'databaseUnreachable' } });
		expect(failed.reason).toMatch(new RegExp(`^Charge Record \\(chargeRecord\\): PostgreSQL at 127\\.0\\.0\\.1:${closedPort}/${database} failed while .*connection refused.*\\. Nothing was charged\\.`));
		expect(JSON.stringify(failed)).not.toContain(password);
		expect(sb.callCounts()).toEqual(before);
		// Not continuing on fail, the node stops with the same error.
		await expect(
			runNode(workerA.node, {
				parameters: params(parent, billingKey),
				credentials: {
					secureTradingApi: { username: sb.username, password: sb.password, siteReference: sb.siteReference, gateway: 'custom', customUrl: sb.url },
					postgres: postgres({ port: closedPort }),
				},
			}),
		).rejects.toThrow(/^Charge Record \(chargeRecord\): PostgreSQL at .* Nothing was charged\./);
		expect(auths(billingKey)).toHaveLength(0);
	});

	it('refuses an SSH tunnel before any request', async () => {
		const before = sb.callCounts();
		const refused = only(await run(workerA, params(sb.addStoredCard(), key('ssh')), { postgres: postgres({ sshTunnel: true }) }), 1);
		expect(refused).toMatchObject({ outcome: 'invalid', error: { field: 'sshTunnel', retryable: false } });
		expect(sb.callCounts()).toEqual(before);
	});
});
