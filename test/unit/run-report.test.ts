// The run report (Billing Report): items → outcome events, the fold into a report, its CSV, and
// the run ledger in a folder and in the real PostgreSQL (the same contract for both).
import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { IDataObject, IExecuteFunctions, INode, INodeExecutionData } from 'n8n-workflow';
import { execute as checkReplay } from '../../nodes/BillingReport/actions/page/checkReplay.operation';
import type { ReportClient } from '../../nodes/BillingReport/helpers/client';
import { replaySecret, replayToken } from '../../nodes/BillingReport/helpers/replayToken';
import { ItemResults, type OperationContext } from '../../nodes/shared/operation';
import { reportCsv } from '../../nodes/BillingReport/helpers/csv';
import { expectationOf, outcomeEventOf } from '../../nodes/BillingReport/helpers/events';
import type { LedgerEvent, OutcomeEvent, RunStartEvent } from '../../nodes/BillingReport/helpers/model';
import { buildReport, reportDue } from '../../nodes/BillingReport/helpers/report';
import { FileRunLedger, PostgresRunLedger, type RunLedgerStore } from '../../nodes/BillingReport/store';
import { reportBody } from '../../nodes/BillingEmail/helpers/opsEmail';
import { FieldError } from '../../nodes/shared/errors';
import { oneLine } from '../../nodes/shared/itemFields';
import { closeJournals, journalFor, journalSettings } from '../../nodes/shared/journal';
import { POSTGRES } from '../../support/queue-mode';
import { sql, testDatabaseName } from '../helpers/postgres';

const NOW = new Date('2026-11-30T10:00:00.000Z');
const RUN = 'BR-20261126-20261130-41';

function start(keys: string[], at = '2026-11-30T07:00:00.000Z'): RunStartEvent {
	return { type: 'start', runId: RUN, at, periodStart: '2026-11-26T00:00:00.000Z', periodEnd: '2026-11-30T00:00:00.000Z', deadlineAt: '2026-11-30T11:00:00.000Z', expected: keys.map((k) => ({ runKey: k, clientId: k.slice(0, 5), currency: 'GBP' })) };
}

/** A billing item as stage 5 publishes it to the report stage (fields as the stages set them). */
function paidItem(key: string, totalMinor = 3000, charged = totalMinor): IDataObject {
	return {
		billingKey: key,
		runKey: key,
		billingRunId: RUN,
		clientId: key.slice(0, 5),
		clientName: `Client ${key}`,
		billingEmail: 'ap@client.example',
		currency: 'GBP',
		invoiceNumber: `INV-${key}`,
		xeroInvoice: { invoiceId: `id-${key}`, invoiceNumber: `INV-${key}`, totalMinor, amountDueMinor: totalMinor },
		chargeable: { charge: true, state: 'due', amountDueMinor: charged, currency: 'GBP' },
		chargedMinor: charged,
		payment: { outcome: 'paid', reason: 'authorised' },
		usage: { xeroCalls: 0.06, gatewayCalls: 2 },
		outcome: { state: 'paid', stage: 'debit' },
		_queue: { messageUid: `uid-${key}`, correlationId: RUN, stage: 'report', billingKey: key },
	};
}

const outcome = (json: IDataObject, at: string, eventId?: string): OutcomeEvent => ({ ...outcomeEventOf(json, 0, new Date(at)), at, ...(eventId ? { eventId } : {}) });

describe('outcome events from billing items', () => {
	it('reads amounts, client and invoice from the item itself', () => {
		const e = outcomeEventOf(paidItem('C0001-20261126', 3000, 1800), 0, NOW);
		expect(e).toMatchObject({
			type: 'outcome',
			runId: RUN,
			eventId: 'uid-C0001-20261126',
			billingKey: 'C0001-20261126',
			state: 'paid',
			stage: 'debit',
			invoicedMinor: 3000,
			collectedMinor: 1800,
			outstandingMinor: 0,
			usage: { xeroCalls: 0.06, gatewayCalls: 2 },
		});
	});

	it("a declined or no-card key's amount due is outstanding; a parked one carries its error", () => {
		const declined = outcomeEventOf({ ...paidItem('K1'), chargedMinor: undefined, payment: { outcome: 'declined', reason: 'insufficient funds' }, outcome: { state: 'declined', stage: 'debit' } }, 0, NOW);
		expect(declined).toMatchObject({ invoicedMinor: 3000, collectedMinor: 0, outstandingMinor: 3000, reason: 'insufficient funds' });
		const parked = outcomeEventOf({ billingKey: 'RJ-1', billingRunId: RUN, outcome: { state: 'parked', stage: 'collect', eventId: 'p1', error: { message: 'Billing email "x" is not a valid address', field: 'billingEmail' } } }, 0, NOW);
		expect(parked).toMatchObject({ state: 'parked', stage: 'collect', invoicedMinor: 0, error: { message: 'Billing email "x" is not a valid address', field: 'billingEmail' }, reason: 'Billing email "x" is not a valid address' });
	});

	it('refuses an item it cannot place, naming the field and the item', () => {
		expect(() => outcomeEventOf({ billingKey: 'K1', billingRunId: RUN }, 3, NOW)).toThrow(/Item 3: no outcome object/);
		expect(() => outcomeEventOf({ billingKey: 'K1', billingRunId: RUN, outcome: { state: 'won' } }, 1, NOW)).toThrow(/outcome.state "won"/);
		expect(() => outcomeEventOf({ billingKey: 'K1', outcome: { state: 'paid', eventId: 'x' } }, 2, NOW)).toThrow(FieldError);
		try {
			outcomeEventOf({ billingRunId: RUN, outcome: { state: 'paid', eventId: 'x' } }, 4, NOW);
		} catch (error) {
			expect((error as FieldError).field).toBe('billingKey');
			expect((error as Error).message).toContain('Item 4 (run');
		}
		expect(() => expectationOf({ clientId: 'C1' }, 7)).toThrow(/Item 7: the invoice request has no billingKey/);
	});
});

describe('the run report (a fold of the ledger)', () => {
	it('is in progress while an expected key has no final outcome, complete when every key has one', () => {
		const events: LedgerEvent[] = [start(['K1', 'K2']), outcome(paidItem('K1'), '2026-11-30T07:05:00.000Z')];
		const partial = buildReport(events)!;
		expect(partial.status).toBe('inProgress');
		expect(partial.inFlight.map((r) => r.billingKey)).toEqual(['K2']);
		expect(reportDue(partial, NOW)).toBeUndefined();
		// Past its deadline it is due all the same, listing what is in flight.
		expect(reportDue(partial, new Date('2026-11-30T11:00:00.000Z'))).toBe('deadline');

		events.push(outcome(paidItem('K2', 1250), '2026-11-30T07:06:00.000Z'));
		const done = buildReport(events)!;
		expect(done.status).toBe('complete');
		expect(done.currencies).toEqual({ GBP: { invoices: 2, invoicedMinor: 4250, collectedMinor: 4250, outstandingMinor: 0 } });
		expect(done.usage).toEqual({ xeroCalls: 0.12, gatewayCalls: 4 });
		expect(done.durationSeconds).toBe(360);
		expect(reportDue(done, NOW)).toBe('complete');
		expect(reportDue(buildReport([...events, { type: 'reported', runId: RUN, at: NOW.toISOString(), reason: 'complete' }])!, NOW)).toBeUndefined();
	});

	it("a key's latest outcome stands: a replayed parked item that settled is paid, a redelivered event counts once", () => {
		const parked: IDataObject = { ...paidItem('K1'), outcome: { state: 'parked', stage: 'email', eventId: 'park-1', error: { message: 'SMTP 550 mailbox unavailable' } } };
		const events: LedgerEvent[] = [start(['K1']), outcome(parked, '2026-11-30T07:05:00.000Z'), outcome(parked, '2026-11-30T07:05:00.000Z')];
		const first = buildReport(events)!;
		expect(first.counts.byState.parked).toBe(1);
		expect(first.parked[0].replay).toContain('Replay for stage "email"');
		expect(first.status).toBe('complete');
		events.push(outcome(paidItem('K1'), '2026-11-30T08:00:00.000Z'));
		const later = buildReport(events)!;
		expect(later.rows).toHaveLength(1);
		expect(later.counts.byState).toMatchObject({ parked: 0, paid: 1 });
	});

	it('follows a request billed under another key (a supplementary invoice) by its run key', () => {
		const sp = { ...paidItem('SP-K1'), runKey: 'K1' };
		const report = buildReport([start(['K1']), outcome(sp, '2026-11-30T07:05:00.000Z')])!;
		expect(report.rows.map((r) => [r.runKey, r.billingKey, r.state])).toEqual([['K1', 'SP-K1', 'paid']]);
		expect(report.status).toBe('complete');
	});

	it('a scheduled retry keeps the run in progress, with the next charge date', () => {
		const soft = { ...paidItem('K1'), chargedMinor: undefined, payment: { outcome: 'declined', reason: 'insufficient funds' }, outcome: { state: 'retryScheduled', stage: 'debit', nextAttemptAt: '2026-12-03T07:00:00.000Z' } };
		const report = buildReport([start(['K1']), outcome(soft, '2026-11-30T07:05:00.000Z')])!;
		expect(report.status).toBe('inProgress');
		expect(report.inFlight[0]).toMatchObject({ state: 'retryScheduled', nextAttemptAt: '2026-12-03T07:00:00.000Z' });
		expect(report.declines).toEqual([{ reason: 'insufficient funds', count: 1, billingKeys: ['K1'] }]);
	});

	it('has no report for a run the ledger never saw start', () => {
		expect(buildReport([outcome(paidItem('K1'), '2026-11-30T07:05:00.000Z')])).toBeUndefined();
	});
});

describe('the report CSV', () => {
	it('has one row per billing key, quotes what needs quoting and defuses spreadsheet formulas', () => {
		const hostile = { ...paidItem('K2'), clientName: '=HYPERLINK("http://x")', outcome: { state: 'paid', stage: 'debit' }, _queue: { messageUid: 'u2' } };
		const report = buildReport([start(['K1', 'K2']), outcome(paidItem('K1'), '2026-11-30T07:05:00.000Z'), outcome(hostile, '2026-11-30T07:06:00.000Z')])!;
		const lines = reportCsv(report).trim().split('\r\n');
		expect(lines).toHaveLength(3);
		expect(lines[0].split(',').slice(0, 4)).toEqual(['runId', 'billingKey', 'runKey', 'state']);
		expect(lines[1]).toContain(',30.00,30.00,0.00,');
		expect(lines[2]).toContain(`"'=HYPERLINK(""http://x"")"`);
	});
});

/** The contract both stores keep. */
function storeContract(name: string, open: () => Promise<RunLedgerStore>) {
	describe(`the run ledger in ${name}`, () => {
		let store: RunLedgerStore;
		beforeAll(async () => {
			store = await open();
		});

		it('keeps events in order per run, lists runs newest first with their report time', async () => {
			const a = { ...start(['K1']), runId: `${name}-A`, at: '2026-11-30T07:00:00.000Z' };
			const b = { ...start(['K1']), runId: `${name}-B with odd/chars`, at: '2026-11-30T08:00:00.000Z' };
			const e1: OutcomeEvent = { ...outcome(paidItem('K1'), '2026-11-30T07:05:00.000Z'), runId: a.runId };
			await store.append([a, b, e1]);
			// A redelivered batch: the same events again.
			await store.append([e1]);
			await store.append([{ type: 'reported', runId: a.runId, at: '2026-11-30T07:10:00.000Z', reason: 'complete' }]);
			const read = await store.read(a.runId);
			expect(read[0]).toMatchObject({ type: 'start', runId: a.runId });
			expect(buildReport(read)).toMatchObject({ status: 'complete', reportedAt: '2026-11-30T07:10:00.000Z', counts: { billingKeys: 1 } });
			const runs = await store.listRuns(10);
			expect(runs.map((r) => r.runId)).toEqual([b.runId, a.runId]);
			expect(runs[1].reportedAt).toBe('2026-11-30T07:10:00.000Z');
			expect((await store.outcomesSince('2026-11-30T07:00:00.000Z')).filter((e) => e.runId === a.runId).length).toBeGreaterThanOrEqual(1);
			expect(await store.outcomesSince('2026-11-30T09:00:00.000Z')).toEqual([]);
		});

		it('forgets runs past the retention, whole, and keeps the recent ones', async () => {
			const old = { ...start(['K1']), runId: `${name}-old`, at: '2026-08-01T07:00:00.000Z' };
			await store.append([old, { ...outcome(paidItem('K1'), '2026-08-01T07:05:00.000Z'), runId: old.runId }]);
			if (store instanceof FileRunLedger) {
				// A file's age is its last write: age it as a run of August would be.
				const [file] = (await fsp.readdir(path.join(folder, 'runs'))).filter((f) => f.startsWith(`${name.replace(/[^A-Za-z0-9._-]+/g, '_')}-old`));
				const august = new Date('2026-08-01T08:00:00.000Z');
				await fsp.utimes(path.join(folder, 'runs', file), august, august);
			}
			expect(await store.cleanUp(60)).toBeGreaterThanOrEqual(1);
			expect(await store.read(old.runId)).toEqual([]);
			expect((await store.listRuns(50)).map((r) => r.runId)).not.toContain(old.runId);
			expect((await store.listRuns(50)).map((r) => r.runId)).toContain(`${name}-A`);
		});

		it('claims a key once, across two stores on the same place, and keeps small state', async () => {
			const other = await open();
			const results = await Promise.all([store.claim('parked.email.2026113010'), other.claim('parked.email.2026113010')]);
			expect(results.sort()).toEqual([false, true]);
			expect(await store.claim('parked.email.2026113011')).toBe(true);
			await store.setState('alerts', { lastCheck: NOW.toISOString(), memory: { email: { ready: 3 } } });
			expect(await other.getState('alerts')).toEqual({ lastCheck: NOW.toISOString(), memory: { email: { ready: 3 } } });
			expect(await store.getState('nothing-here')).toBeUndefined();
		});
	});
}

const folder = path.join(os.tmpdir(), `billing-run-ledger-${process.pid}-${Date.now()}`);
storeContract('a folder', async () => new FileRunLedger(folder));

describe('the run ledger in a folder, after a crash', () => {
	it('skips a line a crash cut short; the redelivered event is recorded again', async () => {
		const dir = path.join(folder, 'torn');
		const store = new FileRunLedger(dir);
		await store.append([start(['K1'])]);
		const [file] = await fsp.readdir(path.join(dir, 'runs'));
		await fsp.appendFile(path.join(dir, 'runs', file), '{"type":"outcome","runId":"BR-');
		expect((await store.read(RUN)).map((e) => e.type)).toEqual(['start']);
	});

	afterAll(async () => {
		await fsp.rm(folder, { recursive: true, force: true });
	});
});

const database = testDatabaseName();
describe('PostgreSQL', () => {
	beforeAll(async () => {
		await sql('postgres', `CREATE DATABASE ${database}`);
	});
	afterAll(async () => {
		await closeJournals();
		await sql('postgres', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
	});
	storeContract('PostgreSQL', async () => new PostgresRunLedger(journalFor(journalSettings({ host: POSTGRES.host, port: POSTGRES.port, database, user: POSTGRES.user, password: POSTGRES.password, ssl: 'disable' }))));
});

describe("the status page's replay request", () => {
	const node = { id: 'n', name: 'Check Replay Request', type: 'n8n-nodes-billing-pipeline.billingReport', typeVersion: 1, position: [0, 0], parameters: {} } as unknown as INode;
	async function check(store: RunLedgerStore, body: IDataObject) {
		const items: INodeExecutionData[] = [{ json: { body } }];
		const params: Record<string, unknown> = { ...body, stages: 'collect, invoice, email, debit, dunning, notify, report' };
		const fns = { getNode: () => ({ parameters: {} }), getNodeParameter: (name: string, _i: number, fallback?: unknown) => (name in params ? params[name] : fallback) } as unknown as IExecuteFunctions;
		const ctx: OperationContext<ReportClient> = { fns, node, items, client: { store, report: async () => undefined }, results: new ItemResults(node, items, false, 2) };
		await checkReplay(ctx);
		return ctx.results.toOutputs();
	}

	it("passes only the page's own form: its token, ticked, a known stage and a sane count", async () => {
		const store = new FileRunLedger(path.join(folder, 'replay'));
		const token = replayToken(await replaySecret(store));
		const [ok] = await check(store, { stage: 'collect', count: '1', confirm: 'yes', token });
		expect(ok.map((i) => i.json)).toEqual([{ stage: 'collect', count: 1 }]);
		const refused = async (body: IDataObject) => (await check(store, body))[1][0].json.error as IDataObject;
		// Another site's form (n8n serves the page sandboxed: Origin null either way) has no token.
		expect(await refused({ stage: 'collect', count: '1', confirm: 'yes' })).toMatchObject({ field: 'token' });
		expect(await refused({ stage: 'collect', count: '1', confirm: 'yes', token: `${token.slice(0, -2)}xx` })).toMatchObject({ field: 'token' });
		expect(await refused({ stage: 'collect', count: '1', token })).toMatchObject({ field: 'confirm' });
		expect(await refused({ stage: 'billing.collect', count: '1', confirm: 'yes', token })).toMatchObject({ field: 'stage' });
		expect(await refused({ stage: 'collect', count: '1e3', confirm: 'yes', token })).toMatchObject({ field: 'count' });
		// The secret is kept: a page rendered later carries the same token.
		expect(replayToken(await replaySecret(new FileRunLedger(path.join(folder, 'replay'))))).toBe(token);
	});
});

describe('values from outside in texts for ops', () => {
	it('are quoted on one line: a CRM name with CR/LF cannot start a line of its own', () => {
		expect(oneLine('Acme\r\nBcc: attacker@evil.example\u0007')).toBe('Acme\\r\\nBcc: attacker@evil.example\\u0007');
		const body = reportBody({ runId: RUN, counts: { byState: { parked: 1 } }, parked: [{ billingKey: 'K1', stage: 'email', error: { message: 'Client Name contains a line break' }, clientName: 'Acme\r\nBcc: x@evil.example', replay: 'Replay' }], noCard: [{ billingKey: 'K2', clientName: 'Bob\nTo: y@evil.example', currency: 'GBP', outstandingMinor: 100 }] });
		expect(body.text.split('\n').filter((l) => /^\s*(Bcc|To):/.test(l))).toEqual([]);
		expect(body.text).toContain('Bob\\nTo: y@evil.example');
	});
});
