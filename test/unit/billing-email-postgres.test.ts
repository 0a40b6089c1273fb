// Billing Email with Sent Record "PostgreSQL, shared by every worker" (issue 18): two queue-mode
// workers, each its own module instance (its own pools, locks and memory, as two n8n processes
// have), sharing one database and one SMTP server. A batch sent on one and redelivered to the
// other is not emailed again; two workers holding the same email at once send it once.
import { randomBytes } from 'crypto';
import type { ICredentialDataDecryptedObject, IDataObject, INodeExecutionData, INodeParameters, INodeType } from 'n8n-workflow';
import { BillingEmail } from '../../nodes/BillingEmail/BillingEmail.node';
import { closeAllTransports } from '../../nodes/BillingEmail/transport';
import { closeJournals, JOURNAL_TABLE } from '../../nodes/shared/journal';
import { startSmtpSink, type SmtpSink } from '../../sandbox/smtp';
import { POSTGRES } from '../../support/queue-mode';
import { sql, testDatabaseName } from '../helpers/postgres';
import { runNode } from '../helpers/run-node';

const database = testDatabaseName();


/** Worker B: the node loaded again in a module registry of its own, as a second n8n process would. */
interface Worker {
	node: INodeType;
	close: () => Promise<void>;
}
function isolatedWorker(): Worker {
	let worker!: Worker;
	jest.isolateModules(() => {
		/* eslint-disable @typescript-eslint/no-require-imports */
		const { BillingEmail: Node } = require('../../nodes/BillingEmail/BillingEmail.node') as typeof import('../../nodes/BillingEmail/BillingEmail.node');
		const transport = require('../../nodes/BillingEmail/transport') as typeof import('../../nodes/BillingEmail/transport');
		const journal = require('../../nodes/shared/journal') as typeof import('../../nodes/shared/journal');
		/* eslint-enable @typescript-eslint/no-require-imports */
		worker = {
			node: new Node(),
			close: async () => {
				transport.closeAllTransports();
				await journal.closeJournals();
			},
		};
	});
	return worker;
}

const row = (n: number, extra: IDataObject = {}): IDataObject => ({
	billingEmail: `client${n}@client.example`,
	clientName: `Client ${n} Ltd`,
	billingKey: `PG${n}-20260301-20260401`,
	invoiceNumber: `INV-PG-${n}`,
	amountMinor: 12000,
	currency: 'GBP',
	dueDate: '2026-04-15',
	...extra,
});

describe('Billing Email: the sent record shared by every worker in PostgreSQL', () => {
	let sink: SmtpSink;
	const workerA: Worker = { node: new BillingEmail(), close: async () => undefined };
	let workerB: Worker;

	const postgres = (extra: IDataObject = {}): ICredentialDataDecryptedObject => ({
		host: POSTGRES.host,
		port: POSTGRES.port,
		database,
		user: POSTGRES.user,
		password: POSTGRES.password,
		ssl: 'disable',
		...extra,
	});
	async function send(
		worker: Worker,
		rows: IDataObject[],
		opts: { parameters?: INodeParameters; postgres?: ICredentialDataDecryptedObject; continueOnFail?: boolean } = {},
	): Promise<{ sent: INodeExecutionData[]; failed: INodeExecutionData[] }> {
		const [sent, failed] = await runNode(worker.node, {
			parameters: { operation: 'sendInvoice', sentRecord: 'postgres', ...opts.parameters },
			items: rows.map((json) => ({ json })),
			credentials: {
				billingSmtp: { host: sink.host, port: sink.port, tlsMode: 'none', user: '', password: '', from: 'Acme Accounts <accounts@billing.example>', allowUnauthorizedCerts: false },
				postgres: opts.postgres ?? postgres(),
			},
			continueOnFail: opts.continueOnFail ?? true,
		});
		return { sent, failed };
	}
	const delivery = (item: INodeExecutionData) => item.json.emailDelivery as IDataObject;
	const statuses = (items: INodeExecutionData[]) => items.map((i) => [delivery(i).status, i.json.invoiceNumber]);
	const sentRows = async () =>
		(await sql<{ key: string; state: string }>(database, `SELECT key, state FROM ${JOURNAL_TABLE} WHERE kind = 'email.sent' ORDER BY key`)).map((r) => `${r.state} ${r.key}`);
	/** Resolves once some worker holds an advisory lock in the test database (an email is being sent). */
	async function untilAWorkerIsSending(): Promise<void> {
		for (;;) {
			const rows = await sql(database, `SELECT 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND l.granted AND d.datname = $1`, [database]);
			if (rows.length > 0) return;
			await new Promise((resolve) => setTimeout(resolve, 10));
		}
	}

	beforeAll(async () => {
		await sql('postgres', `CREATE DATABASE ${database}`);
		sink = await startSmtpSink();
		workerB = isolatedWorker();
	});
	afterAll(async () => {
		closeAllTransports();
		await closeJournals();
		await workerB.close();
		await sink.close();
		await sql('postgres', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
	});
	beforeEach(() => {
		sink.clear();
		sink.setLatency(undefined);
	});

	it('a batch sent on worker A and redelivered to worker B is not emailed again; what is new in it is', async () => {
		const first = await send(workerA, [row(1), row(2)]);
		expect(first.failed).toEqual([]);
		expect(statuses(first.sent)).toEqual([
			['sent', 'INV-PG-1'],
			['sent', 'INV-PG-2'],
		]);
		// The record is in the shared table, written when the server accepted each email.
		expect(await sentRows()).toEqual(sink.messages().map((m) => `sent ${m.messageId}`).sort());

		const redelivered = await send(workerB, [row(1), row(3), row(2)]);
		expect(redelivered.failed).toEqual([]);
		expect(statuses(redelivered.sent)).toEqual([
			['alreadySent', 'INV-PG-1'],
			['sent', 'INV-PG-3'],
			['alreadySent', 'INV-PG-2'],
		]);
		expect(delivery(redelivered.sent[0]).sentAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
		expect(redelivered.sent.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(sink.messages()).toHaveLength(3);
		expect(sink.duplicates()).toEqual({});
	});

	it('two workers holding the same batch at once send each email once', async () => {
		sink.setLatency(150);
		const batch = [row(21), row(22), row(23)];
		const [a, b] = await Promise.all([send(workerA, batch), send(workerB, batch)]);
		expect(sink.duplicates()).toEqual({});
		expect(sink.messages()).toHaveLength(3);
		// Each email: sent by exactly one worker; the other skipped it or was told it is being sent now.
		for (const n of [21, 22, 23]) {
			const outcomes = [...a.sent, ...a.failed, ...b.sent, ...b.failed]
				.filter((i) => i.json.invoiceNumber === `INV-PG-${n}`)
				.map((i) => String(delivery(i).status))
				.sort();
			expect(outcomes.filter((s) => s === 'sent')).toHaveLength(1);
			expect(outcomes).toHaveLength(2);
			expect(['alreadySent', 'notSent']).toContain(outcomes.find((s) => s !== 'sent'));
		}
		for (const failed of [...a.failed, ...b.failed]) {
			expect(failed.json.error).toEqual({ message: expect.stringMatching(/is being sent by another worker now/), code: 'sendingElsewhere', retryable: true });
		}
	});

	it('an email another worker is sending right now goes to Failed (retry later), never reported as sent; the retry skips it', async () => {
		sink.setLatency(400);
		const sending = send(workerA, [row(31)]);
		await untilAWorkerIsSending();
		const meanwhile = await send(workerB, [row(31)]);
		expect(meanwhile.sent).toEqual([]);
		expect(meanwhile.failed).toHaveLength(1);
		expect(meanwhile.failed[0].pairedItem).toEqual({ item: 0 });
		expect(delivery(meanwhile.failed[0])).toMatchObject({ status: 'notSent', temporary: true, messageId: '<billing.invoice.k-PG31-20260301-20260401@billing.example>' });
		expect(meanwhile.failed[0].json.error).toEqual({
			message: 'Not sent: email <billing.invoice.k-PG31-20260301-20260401@billing.example> is being sent by another worker now. Nothing was sent for this item; retry it later.',
			code: 'sendingElsewhere',
			retryable: true,
		});
		expect(statuses((await sending).sent)).toEqual([['sent', 'INV-PG-31']]);
		// Retry or Park brings it back later: the record now says it went out.
		expect(statuses((await send(workerB, [row(31)])).sent)).toEqual([['alreadySent', 'INV-PG-31']]);
		expect(sink.messages()).toHaveLength(1);
	});

	it('a refused email leaves no record, so a later try on another worker sends it', async () => {
		sink.refuseNext(1, { code: 451, message: 'Greylisted, try again later' });
		const refused = await send(workerA, [row(41)]);
		expect(refused.sent).toEqual([]);
		expect(refused.failed[0].json.error).toMatchObject({ code: '451', retryable: true });
		expect(await sentRows()).not.toContainEqual(expect.stringContaining('PG41'));
		const retried = await send(workerB, [row(41)]);
		expect(statuses(retried.sent)).toEqual([['sent', 'INV-PG-41']]);
		expect(sink.stats()).toMatchObject({ received: 1, refused: 1 });
	});

	it('an unreachable database fails every item naming Sent Record, retryable, and sends nothing', async () => {
		const closedPort = await new Promise<number>((resolve) => {
			const server = require('net').createServer();
			server.listen(0, '127.0.0.1', () => {
				const { port } = server.address();
				server.close(() => resolve(port));
			});
		});
		const password = `pg-${randomBytes(8).toString('hex')}`;
		const down = postgres({ port: closedPort, password });
		const { sent, failed } = await send(workerA, [row(51), row(52)], { postgres: down });
		expect(sent).toEqual([]);
		expect(failed).toHaveLength(2);
		for (const item of failed) {
			expect(item.json.error).toMatchObject({
				message: expect.stringMatching(new RegExp(`^Sent Record \\(sentRecord\\): PostgreSQL at 127\\.0\\.0\\.1:${closedPort}/${database} failed while .*connection refused.*\\. Nothing was sent\\.$`)),
				code: 'databaseUnreachable',
				retryable: true,
			});
		}
		expect(JSON.stringify(failed)).not.toContain(password);
		await expect(send(workerA, [row(51)], { postgres: down, continueOnFail: false })).rejects.toThrow(/^Sent Record \(sentRecord\): PostgreSQL at .* Nothing was sent\./);
		expect(sink.messages()).toHaveLength(0);
	});

	it("keeps the Postgres credential's password out of errors, even when the server names it", async () => {
		// A database named like the password: the server's "does not exist" names it.
		const password = `pw${randomBytes(8).toString('hex')}`;
		const { failed } = await send(workerA, [row(61)], { postgres: postgres({ database: password, password }) });
		expect(failed[0].json.error).toMatchObject({ message: expect.stringMatching(/database "\[redacted\]" does not exist/), retryable: false });
		expect(JSON.stringify(failed)).not.toContain(password);
		expect(sink.messages()).toHaveLength(0);
	});

	it('refuses an SSH tunnel and contradicting options, naming the field, before sending anything', async () => {
		const ssh = await send(workerA, [row(71)], { postgres: postgres({ sshTunnel: true, sshHost: 'bastion.example' }) });
		expect(ssh.failed[0].json.error).toMatchObject({ field: 'sshTunnel', message: expect.stringMatching(/^Postgres credential: SSH Tunnel is not supported/), retryable: false });
		const skipOff = await send(workerA, [row(71)], { parameters: { options: { skipAlreadySent: false } } });
		expect(skipOff.failed[0].json.error).toMatchObject({ field: 'options.skipAlreadySent', description: expect.stringMatching(/Nothing was sent/) });
		const folder = await send(workerA, [row(71)], { parameters: { options: { journalFolder: '/tmp/elsewhere' } } });
		expect(folder.failed[0].json.error).toMatchObject({ field: 'options.journalFolder' });
		await expect(send(workerA, [row(71)], { parameters: { sentRecord: 'redis' }, continueOnFail: false })).rejects.toThrow(
			/"Sent Record" \(sentRecord\) must be one of file, postgres, off/,
		);
		expect(sink.messages()).toHaveLength(0);
	});

	it('Sent Record Off records and skips nothing; the file record stays per user folder', async () => {
		const off = { sentRecord: 'off' };
		await send(workerA, [row(81)], { parameters: off });
		await send(workerB, [row(81)], { parameters: off });
		expect(sink.countByMessageId('<billing.invoice.k-PG81-20260301-20260401@billing.example>')).toBe(2);
		expect(await sentRows()).not.toContainEqual(expect.stringContaining('PG81'));
		// The file record needs no Postgres credential; the older Skip Already Sent off still means Off.
		sink.clear();
		const [legacyA] = await runNode(workerA.node, {
			parameters: { operation: 'sendInvoice', options: { skipAlreadySent: false } },
			items: [{ json: row(82) }],
			credentials: { billingSmtp: { host: sink.host, port: sink.port, tlsMode: 'none', from: 'Acme Accounts <accounts@billing.example>' } },
		});
		const [legacyB] = await runNode(workerA.node, {
			parameters: { operation: 'sendInvoice', options: { skipAlreadySent: false } },
			items: [{ json: row(82) }],
			credentials: { billingSmtp: { host: sink.host, port: sink.port, tlsMode: 'none', from: 'Acme Accounts <accounts@billing.example>' } },
		});
		expect([delivery(legacyA[0]).status, delivery(legacyB[0]).status]).toEqual(['sent', 'sent']);
		expect(sink.messages()).toHaveLength(2);
	});
});
