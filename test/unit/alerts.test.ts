// Billing alerts (issue #19): the pure fold (helpers/alerts.ts) on realistic figures and events,
// the no-storm rule across checks and periods, and the Check Alert Conditions operation against an
// in-memory run ledger store shared by two executions.
import type { IDataObject, IExecuteFunctions, INode, INodeExecutionData } from 'n8n-workflow';
import { execute as checkAlerts, description as checkDescription } from '../../nodes/BillingReport/actions/alert/check.operation';
import {
	type Alert,
	ALERT_STATE_KEY,
	DEFAULT_THRESHOLDS,
	evaluateAlerts,
	LATE_EVENT_MARGIN_MINUTES,
	parseStageFigures,
	type StageFigures,
} from '../../nodes/BillingReport/helpers/alerts';
import type { ReportClient } from '../../nodes/BillingReport/helpers/client';
import type { LedgerEvent, OutcomeEvent, RunHeader } from '../../nodes/BillingReport/helpers/model';
import type { RunLedgerStore } from '../../nodes/BillingReport/store/types';
import { FieldError } from '../../nodes/shared/errors';
import { ItemResults, type OperationContext } from '../../nodes/shared/operation';
import { alertsWorkflow } from '../../scripts/workflows/alerts';
import { DEFAULT_SETTINGS } from '../../scripts/workflows/pipeline';

const T0 = Date.parse('2025-03-03T10:02:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000);
const iso = (minutes: number) => at(minutes).toISOString();

let seq = 0;
function outcome(partial: Partial<OutcomeEvent> & Pick<OutcomeEvent, 'state' | 'stage'>, minutes = 0): OutcomeEvent {
	seq++;
	return {
		type: 'outcome',
		runId: 'BR-20250224-20250227',
		eventId: `ev-${seq}`,
		at: iso(minutes),
		runKey: `INV-${seq}`,
		billingKey: `INV-${seq}`,
		...partial,
	};
}
const parkedAt = (stage: string, billingKey: string, error: OutcomeEvent['error'], minutes = 0) => outcome({ state: 'parked', stage, billingKey, runKey: billingKey, error, clientName: `Client ${billingKey}` }, minutes);
const retryAt = (stage: string, error: OutcomeEvent['error'], minutes = 0) => outcome({ state: 'inFlight', stage, error }, minutes);
const answeredAt = (state: OutcomeEvent['state'], minutes = 0) => outcome({ state, stage: 'debit' }, minutes);

const stage = (name: string, figures: Partial<StageFigures> = {}): StageFigures => ({ stage: name, queue: `billing.${name}`, exists: true, ready: 0, consumers: 1, parked: 0, retrying: 0, held: 0, ...figures });
const healthy = () => ['collect', 'invoice', 'email', 'debit', 'dunning', 'notify', 'report'].map((s) => stage(s));

/** Runs checks one after the other, each with the memory the last one returned, as the operation does. */
function checker(thresholds = DEFAULT_THRESHOLDS) {
	let memory: IDataObject | undefined;
	return (minutes: number, input: { stages?: StageFigures[]; outcomes?: OutcomeEvent[] } = {}): Alert[] => {
		const result = evaluateAlerts({ now: at(minutes), stages: input.stages ?? healthy(), outcomes: input.outcomes ?? [], memory, thresholds });
		// Through JSON, as a store keeps it.
		memory = JSON.parse(JSON.stringify(result.memory)) as IDataObject;
		return result.alerts;
	};
}
const byCondition = (alerts: Alert[], condition: Alert['condition']) => alerts.filter((a) => a.condition === condition);

describe('alert conditions', () => {
	it('parked by a trigger: the parking queue grew with no outcome event, and an event that comes late is not alerted again', () => {
		const check = checker();
		check(0);
		// An execution that kept failing: the trigger parked 2 messages, no Retry or Park reported them.
		const first = byCondition(check(5, { stages: healthy().map((f) => (f.stage === 'email' ? { ...f, parked: 2 } : f)) }), 'parked');
		expect(first).toHaveLength(1);
		expect(first[0]).toMatchObject({ stage: 'email', subject: expect.stringContaining('parked in stage email') });
		expect(first[0].text).toContain("2 message(s): parked by the stage's trigger");
		// One item parked by Retry or Park, its event recorded only after the count was read: absorbed,
		// not pending for the next period.
		const collect = (n: number) => healthy().map((f) => (f.stage === 'email' ? { ...f, parked: 2 } : f.stage === 'collect' ? { ...f, parked: n } : f));
		expect(byCondition(check(10, { stages: collect(1) }), 'parked').map((a) => a.stage)).toEqual(['collect']);
		expect(check(15, { stages: collect(1), outcomes: [parkedAt('collect', 'RJ-1', { message: 'Billing email is not a valid address' }, 14)] })).toEqual([]);
		expect(check(75, { stages: collect(1) })).toEqual([]);
	});

	it('stays silent when every stage is consumed and nothing failed', () => {
		const check = checker();
		expect(check(0, { outcomes: [answeredAt('paid'), answeredAt('declined'), outcome({ state: 'paid', stage: 'debit', usage: { xeroDayRemaining: 4200 } })] })).toEqual([]);
	});

	it('parked: one alert per stage listing each billing key with its error and what to do', () => {
		const alerts = checker()(0, {
			outcomes: [
				parkedAt('email', 'INV-0101', { message: 'Invalid email address "acme@" for client Acme', code: 'invalidEmail', field: 'billingEmail', node: 'Email Invoice' }),
				parkedAt('email', 'INV-0102', { message: 'SMTP refused the recipient', code: '550' }),
				parkedAt('invoice', 'INV-0103', { message: 'Account code 999 is not a revenue account in Xero', field: 'salesAccountCode' }),
				retryAt('email', { message: 'SMTP timeout', code: 'timeout' }),
			],
		});
		const parked = byCondition(alerts, 'parked');
		expect(parked.map((a) => a.stage)).toEqual(['email', 'invoice']);
		const email = parked[0];
		expect(email).toMatchObject({ severity: 'warning', subject: expect.stringContaining('2 items parked in stage email') });
		expect(email.items?.map((i) => i.billingKey)).toEqual(['INV-0101', 'INV-0102']);
		expect(email.items?.[0].error).toEqual({ message: 'Invalid email address "acme@" for client Acme', code: 'invalidEmail', field: 'billingEmail', node: 'Email Invoice' });
		expect(email.text).toContain('- INV-0101 (Client INV-0101): Invalid email address "acme@" for client Acme [field billingEmail, code invalidEmail, node Email Invoice]');
		expect(email.text).toContain('INV-0102');
		expect(email.whatToDo).toMatch(/fix the client's email in the CRM.*press Replay for stage email/);
		expect(parked[1].whatToDo).toContain('press Replay for stage invoice');
	});

	it('unknownCharge: a charge parked with an unknown outcome is critical, on its own, and says to check MyST first', () => {
		const alerts = checker()(0, {
			outcomes: [
				parkedAt('debit', 'INV-0201', { message: 'The gateway never answered and 4 settle checks found no charge', code: 'unknownOutcome' }),
				parkedAt('debit', 'INV-0202', { message: 'Card expired', code: '70000' }),
			],
		});
		const [unknown] = byCondition(alerts, 'unknownCharge');
		expect(unknown).toMatchObject({ severity: 'critical', stage: 'debit' });
		expect(unknown.items?.map((i) => i.billingKey)).toEqual(['INV-0201']);
		expect(unknown.whatToDo).toMatch(/Trust Payments portal \(MyST\).*before replaying/);
		// "Fix and replay" is not the advice for an unknown charge: it is not in the parked alert.
		expect(byCondition(alerts, 'parked')[0].items?.map((i) => i.billingKey)).toEqual(['INV-0202']);
	});

	it('unknownCharge: stays silent while an unknown outcome is still being re-queried', () => {
		const alerts = checker()(0, { outcomes: [retryAt('debit', { message: 'Outcome unknown, querying again in 5m', code: 'unknownOutcome' })] });
		expect(byCondition(alerts, 'unknownCharge')).toEqual([]);
	});

	it('noConsumer: a stage queue that exists with no consumer is critical; a missing queue or a consumed one is not', () => {
		const stages = healthy().map((s) => (s.stage === 'invoice' ? { ...s, consumers: 0, ready: 12 } : s.stage === 'report' ? { ...s, exists: false, consumers: 0 } : s));
		const alerts = checker()(0, { stages });
		expect(alerts).toHaveLength(1);
		expect(alerts[0]).toMatchObject({ condition: 'noConsumer', severity: 'critical', stage: 'invoice', subject: expect.stringContaining('12 messages waiting') });
		expect(alerts[0].whatToDo).toContain('Activate "Billing · 2 · Create invoices in Xero"');
	});

	it('stageStalled: needs the ready count not going down for N minutes', () => {
		const check = checker();
		const figures = (ready: number) => healthy().map((s) => (s.stage === 'email' ? { ...s, ready } : s));
		expect(check(0, { stages: figures(10) })).toEqual([]);
		expect(check(10, { stages: figures(12) })).toEqual([]); // going up is no progress, but only 10 minutes
		expect(check(29, { stages: figures(12) })).toEqual([]);
		const alerts = check(30, { stages: figures(12) });
		expect(alerts).toHaveLength(1);
		expect(alerts[0]).toMatchObject({ condition: 'stageStalled', stage: 'email', severity: 'warning', subject: expect.stringContaining('12 messages ready for 30 minutes') });
		expect(alerts[0].text).toContain(`since ${iso(0).slice(0, 16).replace('T', ' ')} UTC`);
	});

	it('stageStalled: ready going down resets the clock, an empty queue forgets it', () => {
		const check = checker({ ...DEFAULT_THRESHOLDS, stalledMinutes: 30 });
		const figures = (ready: number) => healthy().map((s) => (s.stage === 'debit' ? { ...s, ready } : s));
		check(0, { stages: figures(50) });
		check(20, { stages: figures(40) }); // progress at 20
		expect(check(45, { stages: figures(40) })).toEqual([]); // 25 minutes without progress
		expect(byCondition(check(50, { stages: figures(45) }), 'stageStalled')).toHaveLength(1);
		// Another period: drained, then messages again; the clock starts over.
		check(130, { stages: figures(0) });
		expect(check(140, { stages: figures(5) })).toEqual([]);
		expect(check(165, { stages: figures(5) })).toEqual([]);
		expect(byCondition(check(170, { stages: figures(5) }), 'stageStalled')).toHaveLength(1);
	});

	it('xeroBudgetLow: the latest X-DayLimit-Remaining below the threshold', () => {
		const low = checker()(0, {
			outcomes: [outcome({ state: 'inFlight', stage: 'invoice', usage: { xeroDayRemaining: 700 } }, -3), outcome({ state: 'inFlight', stage: 'email', usage: { xeroDayRemaining: 420 } }, -1)],
		});
		expect(low).toHaveLength(1);
		expect(low[0]).toMatchObject({ condition: 'xeroBudgetLow', severity: 'warning', subject: expect.stringContaining('420 calls left') });
		expect(low[0].alertKey).not.toContain('email'); // one budget: not one alert per stage
		expect(low[0].text).toContain('stage email');
		// The latest figure counts (the day limit reset in between), and the threshold itself is not below it.
		expect(checker()(0, { outcomes: [outcome({ state: 'paid', stage: 'debit', usage: { xeroDayRemaining: 300 } }, -5), outcome({ state: 'paid', stage: 'email', usage: { xeroDayRemaining: 4990 } }, -1)] })).toEqual([]);
		expect(checker()(0, { outcomes: [outcome({ state: 'paid', stage: 'email', usage: { xeroDayRemaining: 500 } })] })).toEqual([]);
		expect(checker()(0, { outcomes: [outcome({ state: 'paid', stage: 'email', usage: { xeroDayRemaining: 40 } })] })[0].severity).toBe('critical');
	});

	it('gatewayErrors: retries and parks at debit over answered charges above the ratio, with a minimum count', () => {
		const storm = [
			...Array.from({ length: 5 }, () => retryAt('debit', { message: 'Gateway answered 503', code: '503' })),
			retryAt('debit', { message: 'Outcome unknown, querying again', code: 'unknownOutcome' }),
			...Array.from({ length: 6 }, () => answeredAt('paid')),
			...Array.from({ length: 4 }, () => answeredAt('declined')),
		];
		const alerts = checker()(0, { outcomes: storm });
		expect(alerts).toHaveLength(1);
		expect(alerts[0]).toMatchObject({ condition: 'gatewayErrors', severity: 'critical', stage: 'debit', subject: expect.stringContaining('6 errors for 10 answered charges') });
		expect(alerts[0].text).toContain('60%');
		expect(alerts[0].items).toEqual([{ message: '503: Gateway answered 503', count: 5 }, { message: 'unknownOutcome: Outcome unknown, querying again', count: 1 }]);
		// 1 of 2 is not a storm; 5 in 100 is under 20%; retries at other stages are not the gateway's.
		expect(checker()(0, { outcomes: [retryAt('debit', { message: 'Gateway answered 503' }), answeredAt('paid')] })).toEqual([]);
		expect(checker()(0, { outcomes: [...Array.from({ length: 5 }, () => retryAt('debit', { message: 'Gateway answered 503' })), ...Array.from({ length: 100 }, () => answeredAt('paid'))] })).toEqual([]);
		expect(checker()(0, { outcomes: Array.from({ length: 8 }, () => retryAt('invoice', { message: 'Xero answered 503' })) })).toEqual([]);
	});

	it('gatewayErrors: counts over the period, across checks', () => {
		const check = checker();
		expect(check(0, { outcomes: [...Array.from({ length: 3 }, () => retryAt('debit', { message: 'Connection refused' })), answeredAt('paid')] })).toEqual([]);
		const alerts = check(5, { outcomes: [...Array.from({ length: 2 }, () => retryAt('debit', { message: 'Connection refused' }, 4)), answeredAt('paid', 4)] });
		expect(alerts.map((a) => a.subject)).toEqual([expect.stringContaining('5 errors for 2 answered charges in 60 minutes')]);
		// An hour later the old errors are out of the window.
		expect(check(125, { outcomes: [retryAt('debit', { message: 'Connection refused' }, 124)] })).toEqual([]);
	});

	it('counts an event once when an overlapping read returns it again', () => {
		const check = checker();
		const event = parkedAt('notify', 'INV-0301', { message: 'Mailbox full', code: '552' }, 4);
		expect(byCondition(check(5, { outcomes: [event] }), 'parked')).toHaveLength(1);
		// The next read starts before the last check (late events): the same event comes back, and next period it is not news.
		expect(check(70, { outcomes: [event] })).toEqual([]);
	});
});

describe('no alert storm', () => {
	it('a condition seen in 3 checks of one period alerts once, and again in the next period', () => {
		const check = checker();
		const stages = healthy().map((s) => (s.stage === 'notify' ? { ...s, consumers: 0 } : s));
		const keys = [check(0, { stages }), check(5, { stages }), check(10, { stages })].map((alerts) => alerts.map((a) => a.alertKey));
		expect(keys).toEqual([['noConsumer.notify.20250303T1000Z'], [], []]);
		const next = check(60, { stages });
		expect(next.map((a) => a.alertKey)).toEqual(['noConsumer.notify.20250303T1100Z']);
		expect(next[0].period).toBe('2025-03-03T11:00:00.000Z/2025-03-03T12:00:00.000Z');
	});

	it('items parked after the period alerted wait for the next period, none lost', () => {
		const check = checker();
		const first = check(0, { outcomes: [parkedAt('email', 'INV-0401', { message: 'Bad address' })] });
		expect(first.map((a) => a.items?.map((i) => i.billingKey))).toEqual([['INV-0401']]);
		expect(check(5, { outcomes: [parkedAt('email', 'INV-0402', { message: 'Bad address' }, 4)] })).toEqual([]);
		expect(check(10, { outcomes: [parkedAt('email', 'INV-0403', { message: 'Bad address' }, 9)] })).toEqual([]);
		// The first check of the next period sends what waited, even with nothing new.
		const next = check(60);
		expect(next).toHaveLength(1);
		expect(next[0]).toMatchObject({ condition: 'parked', stage: 'email', subject: expect.stringContaining('2 items parked') });
		expect(next[0].items?.map((i) => i.billingKey)).toEqual(['INV-0402', 'INV-0403']);
		expect(check(120)).toEqual([]);
	});

	it('the period is configurable', () => {
		const check = checker({ ...DEFAULT_THRESHOLDS, periodMinutes: 15 });
		const stages = healthy().map((s) => (s.stage === 'debit' ? { ...s, consumers: 0 } : s));
		expect(check(0, { stages }).map((a) => a.alertKey)).toEqual(['noConsumer.debit.20250303T1000Z']);
		expect(check(10, { stages })).toEqual([]);
		expect(check(15, { stages }).map((a) => a.alertKey)).toEqual(['noConsumer.debit.20250303T1015Z']);
	});
});

describe('stage figures', () => {
	it('reads Queue Statistics items, given as a list, as JSON text, or as whole items', () => {
		const figures = [{ stage: 'invoice', queue: 'billing.invoice', exists: true, ready: 3, consumers: 1, unacknowledged: null, parked: 2, retrying: 1, retryQueues: { '5m': 1 }, held: 0 }];
		const expected = [{ stage: 'invoice', queue: 'billing.invoice', exists: true, ready: 3, consumers: 1, parked: 2, retrying: 1, held: 0 }];
		expect(parseStageFigures(figures)).toEqual(expected);
		expect(parseStageFigures(JSON.stringify(figures))).toEqual(expected);
		expect(parseStageFigures(figures.map((json) => ({ json, pairedItem: { item: 0 } })))).toEqual(expected);
		expect(parseStageFigures('')).toEqual([]);
	});

	it('refuses a bad entry with an error naming the parameter, the entry and the stage', () => {
		const bad = (raw: unknown) => {
			try {
				parseStageFigures(raw);
			} catch (error) {
				expect(error).toBeInstanceOf(FieldError);
				expect((error as FieldError).field).toBe('stageFigures');
				return (error as Error).message;
			}
			throw new Error('accepted');
		};
		expect(bad([{ stage: 'email', exists: true, ready: 'many', consumers: 1 }])).toBe('"Stage Figures" (stageFigures) entry 0 (stage "email"): "ready" must be a whole number of at least 0, got "many"');
		expect(bad([stage('email'), { exists: true, ready: 1, consumers: 1 }])).toContain('entry 1 has no stage name');
		expect(bad([stage('email'), stage('email')])).toContain('(stage "email") is listed twice');
		expect(bad([{ stage: 'debit', ready: 1 }])).toContain('"consumers" is missing');
		expect(bad('{ nope')).toContain('is not valid JSON');
		expect(bad([{ error: { message: 'Broker unreachable' } }])).toContain('failed Queue Statistics item: Broker unreachable');
	});
});

// ---------- the operation, with an in-memory run ledger store

class MemoryStore implements RunLedgerStore {
	readonly target = 'memory';
	readonly events: OutcomeEvent[] = [];
	readonly state = new Map<string, string>();
	readonly claims = new Set<string>();
	readonly reads: string[] = [];
	/** Holds every getState until this many have been made: two executions that read before either writes. */
	private waiting: Array<() => void> = [];
	constructor(private readonly concurrentReaders = 1) {}

	async append(events: readonly LedgerEvent[]): Promise<void> {
		for (const e of events) if (e.type === 'outcome' && !this.events.some((x) => x.eventId === e.eventId)) this.events.push(e);
	}
	async read(): Promise<LedgerEvent[]> {
		return [];
	}
	async listRuns(): Promise<RunHeader[]> {
		return [];
	}
	async cleanUp(): Promise<number> {
		return 0;
	}
	async outcomesSince(since: string): Promise<OutcomeEvent[]> {
		this.reads.push(since);
		return this.events.filter((e) => e.at >= since).sort((a, b) => a.at.localeCompare(b.at));
	}
	async getState(key: string): Promise<IDataObject | undefined> {
		const value = this.state.get(key);
		if (this.concurrentReaders > 1) {
			await new Promise<void>((resolve) => {
				this.waiting.push(resolve);
				if (this.waiting.length >= this.concurrentReaders) for (const release of this.waiting.splice(0)) release();
			});
		}
		return value === undefined ? undefined : (JSON.parse(value) as IDataObject);
	}
	async setState(key: string, value: IDataObject): Promise<void> {
		this.state.set(key, JSON.stringify(value));
	}
	async claim(key: string): Promise<boolean> {
		if (this.claims.has(key)) return false;
		this.claims.add(key);
		return true;
	}
}

const node: INode = { id: 'a', name: 'Check Conditions', type: 'n8n-nodes-billing-pipeline.billingReport', typeVersion: 1, position: [0, 0], parameters: {} };

function context(store: RunLedgerStore, parameters: IDataObject, inputCount = 1): { ctx: OperationContext<ReportClient>; results: ItemResults } {
	const items: INodeExecutionData[] = Array.from({ length: inputCount }, (_, i) => ({ json: { i } }));
	// The parameters as n8n resolves them; the node as stored holds none (so itemParameter asks).
	const fns = {
		getNode: () => node,
		getNodeParameter: (name: string, _i: number, fallback?: unknown) => (name in parameters ? parameters[name] : fallback),
	} as unknown as IExecuteFunctions;
	const results = new ItemResults(node, items, false, 2);
	return { ctx: { fns, node, items, client: { store, report: async () => undefined }, results }, results };
}

describe('Check Alert Conditions operation', () => {
	beforeEach(() => jest.useFakeTimers({ now: at(0), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] }));
	afterEach(() => jest.useRealTimers());

	const figures = healthy().map((s) => (s.stage === 'dunning' ? { ...s, consumers: 0 } : s));

	it('outputs one item per alert, paired with item 0, and remembers the check', async () => {
		const store = new MemoryStore();
		await store.append([parkedAt('email', 'INV-0501', { message: 'Bad address', field: 'billingEmail' }, -2)]);
		const { ctx, results } = context(store, { stageFigures: figures }, 7);
		await checkAlerts(ctx);
		const [ok, failed] = results.toOutputs();
		expect(failed).toEqual([]);
		expect(ok.map((i) => [i.json.condition, i.json.stage, i.pairedItem])).toEqual([
			['parked', 'email', { item: 0 }],
			['noConsumer', 'dunning', { item: 0 }],
		]);
		expect(store.reads).toEqual([iso(-60)]);
		const state = await store.getState(ALERT_STATE_KEY);
		expect(state?.lastCheck).toBe(iso(0));
		expect([...store.claims]).toEqual(ok.map((i) => i.json.alertKey));

		// The next check reads from a little before the last one, and alerts nothing new in the period.
		jest.setSystemTime(at(5));
		const second = context(store, { stageFigures: figures }, 7);
		await checkAlerts(second.ctx);
		expect(second.results.toOutputs()[0]).toEqual([]);
		expect(store.reads[1]).toBe(iso(-LATE_EVENT_MARGIN_MINUTES));
	});

	it('no alert, no items', async () => {
		const { ctx, results } = context(new MemoryStore(), { stageFigures: healthy() });
		await checkAlerts(ctx);
		expect(results.toOutputs()).toEqual([[], []]);
	});

	it('claims each alert once across two executions that checked at the same time', async () => {
		const store = new MemoryStore(2);
		await store.append([parkedAt('invoice', 'INV-0601', { message: 'Contact archived in Xero' }, -1)]);
		const a = context(store, { stageFigures: figures });
		const b = context(store, { stageFigures: figures });
		await Promise.all([checkAlerts(a.ctx), checkAlerts(b.ctx)]);
		const sent = [...a.results.toOutputs()[0], ...b.results.toOutputs()[0]].map((i) => i.json.alertKey);
		// Both evaluated the same alerts (neither saw the other's memory); each went out once.
		expect(sent.sort()).toEqual(['noConsumer.dunning.20250303T1000Z', 'parked.invoice.20250303T1000Z']);
		expect(store.claims.size).toBe(2);
	});

	it('refuses a bad threshold, naming the parameter', async () => {
		const { ctx } = context(new MemoryStore(), { stageFigures: [], periodMinutes: 0 });
		await expect(checkAlerts(ctx)).rejects.toThrow('"Period (Minutes)" must be a whole number from 1 to 1440, got 0');
		const ratio = context(new MemoryStore(), { stageFigures: [], gatewayErrorRatio: -0.5 });
		await expect(checkAlerts(ratio.ctx)).rejects.toThrow('"Gateway Error Ratio" must be a number from 0 to 100');
		const stages = context(new MemoryStore(), { stageFigures: [{ stage: 'email' }] });
		await expect(checkAlerts(stages.ctx)).rejects.toThrow('"Stage Figures" (stageFigures) entry 0 (stage "email"): "ready" is missing');
	});
});

describe('Check Alert Conditions description', () => {
	it("shows its parameters for alert: check only, with the thresholds' defaults", () => {
		const defaults = Object.fromEntries(checkDescription.map((p) => [p.name, p.default]));
		expect(defaults).toEqual({ stageFigures: "={{ $('Queue Statistics').all().map(i => i.json) }}", ...DEFAULT_THRESHOLDS });
		for (const p of checkDescription) expect(p.displayOptions?.show).toEqual({ resource: ['alert'], operation: ['check'] });
	});
});

describe('workflow 8 · Alerts', () => {
	type Node = { name: string; type: string; parameters: Record<string, unknown>; credentials?: Record<string, unknown>; executeOnce?: boolean };
	const build = (sharedRecords: boolean) => alertsWorkflow({ ...DEFAULT_SETTINGS, sharedRecords }).toJSON() as { id: string; name: string; nodes: Node[]; connections: Record<string, { main: Array<Array<{ node: string }>> }> };

	it('every 5 minutes → Alert Settings → Queue Statistics of all 7 stages → Check Conditions → Email Alert', () => {
		const wf = build(false);
		expect([wf.id, wf.name]).toEqual(['bpAlerts00000001', 'Billing · 8 · Alerts']);
		const next = (name: string) => wf.connections[name]?.main[0].map((c) => c.node);
		expect(next('Every 5 Minutes')).toEqual(['Alert Settings']);
		expect(next('Alert Settings')).toEqual(['Queue Statistics']);
		expect(next('Queue Statistics')).toEqual(['Check Conditions']);
		expect(next('Check Conditions')).toEqual(['Email Alert']);
		const node = (name: string) => wf.nodes.find((n) => n.name === name)!;
		expect(node('Every 5 Minutes').parameters).toEqual({ rule: { interval: [{ field: 'cronExpression', expression: DEFAULT_SETTINGS.monitorCron }] } });
		expect(node('Queue Statistics').parameters.stages).toBe('collect, invoice, email, debit, dunning, notify, report');
		expect(node('Check Conditions')).toMatchObject({ type: 'n8n-nodes-billing-pipeline.billingReport', parameters: { resource: 'alert', operation: 'check' }, executeOnce: true });
		expect(node('Check Conditions').credentials).toBeUndefined();
		expect(node('Check Conditions').parameters.store).toBeUndefined();
		expect(node('Email Alert')).toMatchObject({
			type: 'n8n-nodes-billing-pipeline.billingEmail',
			credentials: { billingSmtp: { id: 'bpBillingSmtp001', name: 'Billing SMTP' } },
			parameters: { operation: 'sendAlert', to: "={{ $('Alert Settings').first().json.opsEmail }}", subject: '={{ $json.subject }}', alertKey: '={{ $json.alertKey }}' },
		});
		// The expression joins with a newline escape, not a raw line break inside its string literal.
		expect(node('Email Alert').parameters.text).toBe("={{ $json.text + '\\n\\nWhat to do: ' + $json.whatToDo }}");
		expect(JSON.stringify(node('Alert Settings').parameters)).toContain(`"name":"opsEmail","value":"${DEFAULT_SETTINGS.opsEmail}"`);
		expect(wf.nodes.some((n) => n.type === 'n8n-nodes-base.stickyNote' && String(n.parameters.content).includes('Slack'))).toBe(true);
	});

	it('shared records: the run ledger in PostgreSQL', () => {
		const check = build(true).nodes.find((n) => n.name === 'Check Conditions')!;
		expect(check.parameters.store).toBe('postgres');
		expect(check.credentials).toEqual({ postgres: { id: 'bpSharedRecordPg', name: 'Billing Records (PostgreSQL)' } });
	});

	it('reads the same ledger folder as the report workflow', () => {
		const check = (alertsWorkflow({ ...DEFAULT_SETTINGS, ledgerFolder: '/tmp/ledger' }).toJSON() as { nodes: Node[] }).nodes.find((n) => n.name === 'Check Conditions')!;
		expect(check.parameters.options).toEqual({ ledgerFolder: '/tmp/ledger' });
	});
});
