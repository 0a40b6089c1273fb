// Alerts ops can route anywhere: a pure fold of (queue figures per stage, the outcome events since
// the last check, what the last checks remembered, thresholds) into the alerts due now and the new
// memory. No I/O and no clock: the caller passes `now`, so a check is reproducible in a test and the
// same on every worker. No alert storm: a condition (per stage) alerts once per period; what it
// finds in the rest of that period (more parked items) waits in memory for the next period's alert.
import { oneLine } from '../../shared/itemFields';
import { listParameter } from './listParameter';
import type { IDataObject } from 'n8n-workflow';
import { FieldError } from '../../shared/errors';
import type { OutcomeEvent, OutcomeState } from './model';

export type AlertCondition = 'parked' | 'stageStalled' | 'noConsumer' | 'xeroBudgetLow' | 'gatewayErrors' | 'unknownCharge';

/** What a condition says; the fold adds the key and period. */
export interface AlertBody {
	condition: AlertCondition;
	severity: 'warning' | 'critical';
	stage?: string;
	subject: string;
	text: string;
	whatToDo: string;
	items?: IDataObject[];
}

export interface Alert extends AlertBody, IDataObject {
	/** condition.stage.period bucket: claimed in the store once, so only one execution sends it. */
	alertKey: string;
	/** The period bucket, as an ISO interval (start/end). */
	period: string;
}

/** One item of the Billing Queue's `stage: statistics` operation. */
export interface StageFigures {
	stage: string;
	queue?: string;
	exists: boolean;
	ready: number;
	consumers: number;
	parked?: number;
	retrying?: number;
	held?: number;
}

export interface AlertThresholds {
	/** One alert per condition (and stage) per this many minutes. */
	periodMinutes: number;
	/** Messages ready and the count not going down for this long: stalled. */
	stalledMinutes: number;
	/** Xero's X-DayLimit-Remaining below this: budget low (Xero allows 5000 calls a day). */
	xeroBudgetThreshold: number;
	/** Gateway errors (retries + parks at stage debit) ÷ answered charges in the last period above this. */
	gatewayErrorRatio: number;
	/** …and at least this many errors, so one error out of two charges is not a storm. */
	gatewayMinimumCount: number;
}

export const DEFAULT_THRESHOLDS: AlertThresholds = { periodMinutes: 60, stalledMinutes: 30, xeroBudgetThreshold: 500, gatewayErrorRatio: 0.2, gatewayMinimumCount: 5 };

/** Where the check keeps its last check time and memory (store.getState/setState). */
export const ALERT_STATE_KEY = 'alerts';

/**
 * Outcome events reach the ledger after the stage reported them (the report queue may lag), so a
 * check reads this far back before its last check; events it has already seen are skipped by id.
 */
export const LATE_EVENT_MARGIN_MINUTES = 15;

/** A check after a long pause reads at most this far back (a day of parks is what ops need; the status page has the rest). */
export const MAX_LOOKBACK_MINUTES = 24 * 60;

const MINUTE = 60_000;
/** Items listed in an alert's text; `items` carries up to MAX_ITEMS. */
const TEXT_ITEMS = 20;
const MAX_ITEMS = 200;
const MAX_SEEN = 5000;

/** The stages' workflows as shipped, for "activate …" advice. */
const STAGE_WORKFLOWS: Record<string, string> = {
	collect: 'Billing · 1 · Collect billable items',
	invoice: 'Billing · 2 · Create invoices in Xero',
	email: 'Billing · 3 · Email invoices',
	debit: 'Billing · 4 · Debit cards',
	notify: 'Billing · 5 · Payment notifications',
	dunning: 'Billing · 6 · Dunning',
	report: 'the run report workflow',
};

/** What usually parks an item in each stage, and where it is fixed. */
const PARKED_FIX: Record<string, string> = {
	collect: "fix the lead row in the CRM (the error names the field; the client is not invoiced until it is fixed)",
	invoice: "fix the client's record in the CRM or the contact or account code in Xero",
	email: "fix the client's email in the CRM (or the SMTP settings when every send failed)",
	debit: 'fix the card on file or the Secure Trading settings (a billing key is never charged twice)',
	notify: "fix the client's email in the CRM (or the SMTP settings when every send failed)",
	dunning: 'check RabbitMQ: the next charge attempt could not be scheduled',
	report: 'check the run ledger (its folder or PostgreSQL) is reachable',
};

const ANSWERED: ReadonlySet<OutcomeState> = new Set(['paid', 'declined', 'noCard', 'nothingToCharge', 'retryScheduled']);

export interface AlertInput {
	now: Date;
	stages: readonly StageFigures[];
	/** The outcome events the store returned for this check (they may repeat earlier ones: skipped by id). */
	outcomes: readonly OutcomeEvent[];
	/** What the previous check returned as `memory` (undefined or malformed: a first check). */
	memory?: IDataObject;
	thresholds: AlertThresholds;
}

/** Where a check reads outcome events from: a little before its last check (late events), at most a day back. */
export function outcomesSinceFor(now: Date, lastCheck: string | undefined, thresholds: Pick<AlertThresholds, 'periodMinutes'>): string {
	const last = lastCheck === undefined ? NaN : Date.parse(lastCheck);
	const from = Number.isFinite(last) && last <= now.getTime() ? last - LATE_EVENT_MARGIN_MINUTES * MINUTE : now.getTime() - thresholds.periodMinutes * MINUTE;
	return new Date(Math.max(from, now.getTime() - MAX_LOOKBACK_MINUTES * MINUTE)).toISOString();
}

// ---------- memory (read defensively: it comes back from a store and may be old or hand-edited)

interface StalledMemory {
	ready: number;
	/** Since when the ready count has not gone down. */
	since: string;
}

interface GatewaySample {
	at: string;
	errors: number;
	answered: number;
	/** "code: message" → count, for the alert's list. */
	messages: Record<string, number>;
}

interface Pending {
	items: IDataObject[];
	/** Items beyond MAX_ITEMS, counted only. */
	more: number;
}

interface Memory {
	stalled: Record<string, StalledMemory>;
	/** condition:stage → the period bucket (start, ISO) it last alerted in. */
	alerted: Record<string, string>;
	/** condition:stage → items found after that period's alert went out, for the next one. */
	pending: Record<string, Pending>;
	gateway: GatewaySample[];
	/** Event ids already counted that a later read may return again. */
	seen: string[];
	/** Parked messages per stage at the last check (the trigger parks without an outcome event). */
	parkedCounts: Record<string, number>;
	/** Per stage, parked messages already alerted from the queue's count whose events may still arrive. */
	parkedCredit: Record<string, number>;
}

const isObj = (v: unknown): v is IDataObject => !!v && typeof v === 'object' && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isTime = (v: unknown): v is string => typeof v === 'string' && Number.isFinite(Date.parse(v));

function readMemory(raw: unknown): Memory {
	const m = isObj(raw) ? raw : {};
	const stalled: Record<string, StalledMemory> = {};
	if (isObj(m.stalled)) {
		for (const [stage, v] of Object.entries(m.stalled)) if (isObj(v) && isCount(v.ready) && isTime(v.since)) stalled[stage] = { ready: v.ready, since: v.since };
	}
	const alerted: Record<string, string> = {};
	if (isObj(m.alerted)) for (const [k, v] of Object.entries(m.alerted)) if (isTime(v)) alerted[k] = v;
	const pending: Record<string, Pending> = {};
	if (isObj(m.pending)) {
		for (const [k, v] of Object.entries(m.pending)) {
			if (isObj(v) && Array.isArray(v.items)) pending[k] = { items: v.items.filter(isObj), more: isCount(v.more) ? v.more : 0 };
		}
	}
	const gateway: GatewaySample[] = Array.isArray(m.gateway)
		? m.gateway.filter(isObj).flatMap((g) =>
				isTime(g.at) && isCount(g.errors) && isCount(g.answered)
					? [{ at: g.at, errors: g.errors, answered: g.answered, messages: isObj(g.messages) ? Object.fromEntries(Object.entries(g.messages).filter(([, n]) => isCount(n))) as Record<string, number> : {} }]
					: [],
			)
		: [];
	const seen = Array.isArray(m.seen) ? m.seen.filter((s): s is string => typeof s === 'string') : [];
	const parkedCounts: Record<string, number> = {};
	if (isObj(m.parkedCounts)) for (const [k, v] of Object.entries(m.parkedCounts)) if (isCount(v)) parkedCounts[k] = v;
	const parkedCredit: Record<string, number> = {};
	if (isObj(m.parkedCredit)) for (const [k, v] of Object.entries(m.parkedCredit)) if (isCount(v)) parkedCredit[k] = v;
	return { stalled, alerted, pending, gateway, seen, parkedCounts, parkedCredit };
}

// ---------- stage figures (the Queue Statistics items, checked: a bad one names itself)

/** The Stage Figures parameter (a list, or its JSON text) → checked figures; `field` is the parameter named in errors. */
export function parseStageFigures(raw: unknown, field = 'stageFigures'): StageFigures[] {
	const out: StageFigures[] = [];
	listParameter(raw, field, 'Stage Figures').forEach((entry: unknown, index) => {
		// `$('Queue Statistics').all()` without `.map(i => i.json)` gives whole items.
		const json = isObj(entry) && isObj(entry.json) && entry.stage === undefined ? entry.json : entry;
		const at = `"Stage Figures" (${field}) entry ${index}`;
		if (!isObj(json)) throw new FieldError(field, `${at} must be an object with stage, exists, ready and consumers, got ${JSON.stringify(entry)}`);
		if (json.stage === undefined && isObj(json.error)) {
			throw new FieldError(field, `${at} is a failed Queue Statistics item: ${String(json.error.message ?? 'no message')}. Fix the queue statistics first.`);
		}
		if (typeof json.stage !== 'string' || json.stage.trim() === '') throw new FieldError(field, `${at} has no stage name (field "stage")`);
		const stage = json.stage.trim();
		const named = `${at} (stage "${stage}")`;
		const count = (name: string, required: boolean): number | undefined => {
			const v = json[name];
			if (v === undefined || v === null) {
				if (required) throw new FieldError(field, `${named}: "${name}" is missing; it must be a whole number of at least 0`);
				return undefined;
			}
			if (!isCount(v)) throw new FieldError(field, `${named}: "${name}" must be a whole number of at least 0, got ${JSON.stringify(v)}`);
			return v;
		};
		if (json.exists !== undefined && typeof json.exists !== 'boolean') throw new FieldError(field, `${named}: "exists" must be true or false, got ${JSON.stringify(json.exists)}`);
		if (out.some((f) => f.stage === stage)) throw new FieldError(field, `${named} is listed twice; give each stage once`);
		const figures: StageFigures = { stage, exists: json.exists !== false, ready: count('ready', true)!, consumers: count('consumers', true)! };
		if (typeof json.queue === 'string') figures.queue = json.queue;
		for (const name of ['parked', 'retrying', 'held'] as const) {
			const v = count(name, false);
			if (v !== undefined) figures[name] = v;
		}
		out.push(figures);
	});
	return out;
}

// ---------- the fold

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const hhmm = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;
const compact = (iso: string) => iso.slice(0, 16).replace(/[-:]/g, '') + 'Z';

function eventIdOf(e: OutcomeEvent): string {
	return e.eventId || `${e.runId}/${e.billingKey}/${e.state}/${e.stage}/${e.at}`;
}

function itemOf(e: OutcomeEvent): IDataObject {
	return {
		eventId: eventIdOf(e),
		billingKey: e.billingKey,
		runId: e.runId,
		stage: e.stage,
		at: e.at,
		...(e.clientName ? { clientName: e.clientName } : {}),
		...(e.invoiceNumber ? { invoiceNumber: e.invoiceNumber } : {}),
		...(e.error ? { error: { ...e.error } } : e.reason ? { error: { message: e.reason } } : {}),
	};
}

function itemLine(item: IDataObject): string {
	const error = isObj(item.error) ? item.error : {};
	const who = [item.clientName, item.invoiceNumber].filter((v) => typeof v === 'string' && v).join(', ');
	const facts = [error.field ? `field ${String(error.field)}` : '', error.code ? `code ${String(error.code)}` : '', error.node ? `node ${String(error.node)}` : ''].filter(Boolean).join(', ');
	// Names and errors come from CRMs and services: quoted on one line, escapes visible.
	return oneLine(`- ${String(item.billingKey)}${who ? ` (${who})` : ''}: ${String(error.message ?? 'no error message')}${facts ? ` [${facts}]` : ''}`);
}

function listItems(items: IDataObject[], more: number): string {
	const shown = items.slice(0, TEXT_ITEMS).map(itemLine);
	const hidden = items.length - shown.length + more;
	return [...shown, ...(hidden > 0 ? [`… and ${hidden} more (see the status page)`] : [])].join('\n');
}

function addPending(target: Pending, items: IDataObject[]): Pending {
	const known = new Set(target.items.map((i) => i.eventId));
	const fresh = items.filter((i) => !known.has(i.eventId));
	const room = Math.max(0, MAX_ITEMS - target.items.length);
	return { items: [...target.items, ...fresh.slice(0, room)], more: target.more + Math.max(0, fresh.length - room) };
}

/**
 * The alerts due now and the memory for the next check. An alert already sent in this period (per
 * condition and stage, as `memory` says) is not returned again; parked items found meanwhile are
 * kept for the next period's alert.
 */
export function evaluateAlerts(input: AlertInput): { alerts: Alert[]; memory: IDataObject } {
	const { now, thresholds: t } = input;
	const nowMs = now.getTime();
	const nowIso = now.toISOString();
	const periodMs = t.periodMinutes * MINUTE;
	const bucketStart = new Date(Math.floor(nowMs / periodMs) * periodMs).toISOString();
	const period = `${bucketStart}/${new Date(Date.parse(bucketStart) + periodMs).toISOString()}`;
	const memory = readMemory(input.memory);

	// Events a previous check counted are skipped (the read overlaps for late events).
	const seenBefore = new Set(memory.seen);
	const fresh: OutcomeEvent[] = [];
	const freshIds = new Set<string>();
	for (const e of input.outcomes) {
		const id = eventIdOf(e);
		if (seenBefore.has(id) || freshIds.has(id)) continue;
		freshIds.add(id);
		fresh.push(e);
	}
	// The next read starts LATE_EVENT_MARGIN_MINUTES before this check: remember what it can return again.
	const lateFrom = nowMs - LATE_EVENT_MARGIN_MINUTES * MINUTE;
	const seen = [...new Set(input.outcomes.filter((e) => !(Date.parse(e.at) < lateFrom)).map(eventIdOf))].slice(-MAX_SEEN);

	const alerts: Alert[] = [];
	const alerted: Record<string, string> = Object.fromEntries(Object.entries(memory.alerted).filter(([, bucket]) => bucket === bucketStart));
	const pending: Record<string, Pending> = { ...memory.pending };
	const keyOf = (condition: AlertCondition, stage?: string) => `${condition}:${stage ?? ''}`;
	/** Adds the alert unless its condition (and stage) already alerted in this period; says whether it did. */
	const emit = (alert: AlertBody): boolean => {
		const key = keyOf(alert.condition, alert.stage);
		if (alerted[key] === bucketStart) return false;
		alerted[key] = bucketStart;
		alerts.push({ alertKey: [alert.condition, alert.stage, compact(bucketStart)].filter(Boolean).join('.'), period, ...alert });
		return true;
	};

	// Items parked (one alert per stage) and charges parked with an unknown outcome (critical, on their own:
	// "fix and replay" is the wrong advice for them).
	const parked = fresh.filter((e) => e.state === 'parked');
	const groups = new Map<string, { condition: 'parked' | 'unknownCharge'; stage: string; items: IDataObject[] }>();
	for (const e of parked) {
		const condition = e.error?.code === 'unknownOutcome' ? 'unknownCharge' : 'parked';
		const key = keyOf(condition, e.stage);
		const group = groups.get(key) ?? { condition, stage: e.stage, items: [] };
		group.items.push(itemOf(e));
		groups.set(key, group);
	}
	// Parked by a stage's trigger itself (an execution that kept failing, an invalid message): no
	// outcome event says so, but the parking queue grew beyond what the events account for.
	// An event that arrives after its message was counted (the report stage lags) is not alerted twice.
	const parkedCounts: Record<string, number> = {};
	const parkedCredit: Record<string, number> = {};
	for (const f of input.stages) {
		if (typeof f.parked !== 'number') continue;
		parkedCounts[f.stage] = f.parked;
		const key = keyOf('parked', f.stage);
		const before = memory.parkedCounts[f.stage];
		const reported = parked.filter((e) => e.stage === f.stage && e.error?.code !== 'unknownOutcome').length;
		let credit = f.parked === 0 ? 0 : (memory.parkedCredit[f.stage] ?? 0);
		const absorbed = Math.min(credit, reported, groups.get(key)?.items.length ?? 0);
		if (absorbed > 0) {
			groups.get(key)!.items.splice(0, absorbed);
			credit -= absorbed;
		}
		const unexplained = before === undefined ? 0 : f.parked - before - reported;
		if (unexplained <= 0) {
			if (credit > 0) parkedCredit[f.stage] = credit;
			if (groups.get(key)?.items.length === 0) groups.delete(key);
			continue;
		}
		parkedCredit[f.stage] = credit + unexplained;
		const group = groups.get(key) ?? { condition: 'parked' as const, stage: f.stage, items: [] };
		group.items.push({
			eventId: `queue:${f.stage}:${nowIso}`,
			billingKey: `${unexplained} message(s)`,
			stage: f.stage,
			at: nowIso,
			error: { message: `parked by the stage's trigger (an execution that kept failing, or a message it could not read); their errors are on the status page` },
		});
		groups.set(key, group);
	}
	// Items waiting since a period that had already alerted go out now, even with nothing new.
	for (const key of Object.keys(pending)) {
		if (groups.has(key)) continue;
		const [condition, stage] = key.split(':') as ['parked' | 'unknownCharge', string];
		if (condition === 'parked' || condition === 'unknownCharge') groups.set(key, { condition, stage, items: [] });
	}
	for (const [key, group] of [...groups.entries()].sort(([a], [b]) => a.localeCompare(b))) {
		const all = addPending(pending[key] ?? { items: [], more: 0 }, group.items);
		if (all.items.length === 0 && all.more === 0) {
			delete pending[key];
			continue;
		}
		const total = all.items.length + all.more;
		const stage = group.stage || 'unknown';
		const sent =
			group.condition === 'parked'
				? emit({
						condition: 'parked',
						severity: 'warning',
						...(group.stage ? { stage: group.stage } : {}),
						subject: `[Billing warning] ${plural(total, 'item')} parked in stage ${stage}`,
						text: [`${plural(total, 'item')} parked in stage ${stage} (after their last attempt, or refused outright), not processed until replayed:`, listItems(all.items, all.more)].join('\n'),
						whatToDo: `Open the billing status page, read each item's error, ${PARKED_FIX[stage] ?? 'fix its cause'}, then press Replay for stage ${stage}. Replayed items start again at attempt 1; billing keys keep them from being invoiced or charged twice.`,
						items: all.items,
					})
				: emit({
						condition: 'unknownCharge',
						severity: 'critical',
						...(group.stage ? { stage: group.stage } : {}),
						subject: `[Billing critical] ${plural(total, 'charge')} with an unknown outcome awaiting review`,
						text: [
							`The card gateway never said whether ${total === 1 ? 'this charge' : 'these charges'} went through, and the settle checks ran out. ${total === 1 ? 'It is' : 'They are'} parked in stage ${stage}, awaiting review:`,
							listItems(all.items, all.more),
						].join('\n'),
						whatToDo: `Check each transaction in the Trust Payments portal (MyST) by its order reference (the billing key) before replaying: if it was charged, record the payment in Xero and do not replay it; if there is no charge, press Replay for stage ${stage}.`,
						items: all.items,
					});
		if (sent) delete pending[key];
		else pending[key] = all;
	}

	// No consumer: the stage's workflow is inactive, or n8n (or its workers) is down.
	for (const f of input.stages) {
		if (!f.exists || f.consumers > 0) continue;
		emit({
			condition: 'noConsumer',
			severity: 'critical',
			stage: f.stage,
			subject: `[Billing critical] Stage ${f.stage} has no consumer (${plural(f.ready, 'message')} waiting)`,
			text: `Nothing consumes queue ${f.queue ?? f.stage}: ready ${f.ready}, retrying ${f.retrying ?? 0}, parked ${f.parked ?? 0}, consumers 0. Messages wait safely in the queue, but stage ${f.stage} is not processed.`,
			whatToDo: `Activate ${STAGE_WORKFLOWS[f.stage] ? `"${STAGE_WORKFLOWS[f.stage]}"` : `the workflow whose Billing Queue Trigger consumes stage ${f.stage}`} in n8n, or start n8n (in queue mode, its workers) if it is down. The waiting messages are processed once it runs.`,
		});
	}

	// Stalled: messages ready and the count has not gone down for stalledMinutes.
	const stalled: Record<string, StalledMemory> = {};
	for (const f of input.stages) {
		if (!f.exists || f.ready === 0) continue;
		const previous = memory.stalled[f.stage];
		const since = previous && f.ready >= previous.ready && Date.parse(previous.since) <= nowMs ? previous.since : nowIso;
		stalled[f.stage] = { ready: f.ready, since };
		const minutes = Math.floor((nowMs - Date.parse(since)) / MINUTE);
		if (minutes < t.stalledMinutes) continue;
		emit({
			condition: 'stageStalled',
			severity: 'warning',
			stage: f.stage,
			subject: `[Billing warning] Stage ${f.stage} not progressing: ${plural(f.ready, 'message')} ready for ${minutes} minutes`,
			text: `Queue ${f.queue ?? f.stage} has had messages ready since ${hhmm(since)} without the count going down (now ${f.ready}; consumers ${f.consumers}, retrying ${f.retrying ?? 0}, parked ${f.parked ?? 0}).`,
			whatToDo:
				f.consumers === 0
					? `Activate ${STAGE_WORKFLOWS[f.stage] ? `"${STAGE_WORKFLOWS[f.stage]}"` : `the workflow of stage ${f.stage}`} (nothing consumes the queue), or start n8n if it is down.`
					: `Open the executions of ${STAGE_WORKFLOWS[f.stage] ? `"${STAGE_WORKFLOWS[f.stage]}"` : `the workflow of stage ${f.stage}`}: look for an execution that is still running or keeps failing (a service down, Xero's rate limit). Fix the cause; if an execution hangs, deactivate and activate the workflow. Unacknowledged messages are delivered again.`,
		});
	}

	// Xero's day budget: the latest figure any stage reported in this check.
	const budget = fresh
		.filter((e) => typeof e.usage?.xeroDayRemaining === 'number' && Number.isFinite(e.usage.xeroDayRemaining))
		.sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
		.at(-1);
	const remaining = budget?.usage?.xeroDayRemaining;
	if (budget && remaining !== undefined && remaining < t.xeroBudgetThreshold) {
		emit({
			condition: 'xeroBudgetLow',
			severity: remaining < t.xeroBudgetThreshold / 5 ? 'critical' : 'warning',
			subject: `[Billing ${remaining < t.xeroBudgetThreshold / 5 ? 'critical' : 'warning'}] Xero daily budget low: ${plural(remaining, 'call')} left`,
			text: `Xero reported ${remaining} API calls left for today (X-DayLimit-Remaining, at ${hhmm(budget.at)}, stage ${budget.stage || 'unknown'}); the alert threshold is ${t.xeroBudgetThreshold} of Xero's 5000 a day. When it reaches 0 Xero refuses every call until its day limit resets.`,
			whatToDo:
				'Hold off manual re-runs and replays of the invoice and email stages until tomorrow, and look for a workflow calling Xero in a loop. Refused calls are retried later and then parked, never lost: replay them once Xero answers again. Turning off "Attach PDF" saves one Xero call per invoice.',
			items: [{ xeroDayRemaining: remaining, at: budget.at, stage: budget.stage, billingKey: budget.billingKey }],
		});
	}

	// Gateway errors: retries and parks at stage debit against the charges the gateway answered, over the last period.
	const sample: GatewaySample = { at: nowIso, errors: 0, answered: 0, messages: {} };
	for (const e of fresh) {
		if (e.stage !== 'debit') continue;
		if (e.state === 'parked' || (e.state === 'inFlight' && e.error)) {
			sample.errors++;
			const label = `${e.error?.code ? `${e.error.code}: ` : ''}${(e.error?.message ?? e.reason ?? 'no error message').slice(0, 200)}`;
			sample.messages[label] = (sample.messages[label] ?? 0) + 1;
		} else if (ANSWERED.has(e.state)) {
			sample.answered++;
		}
	}
	const windowFrom = nowMs - periodMs;
	const gateway = [...memory.gateway.filter((g) => Date.parse(g.at) > windowFrom && Date.parse(g.at) <= nowMs), ...(sample.errors || sample.answered ? [sample] : [])];
	const errors = gateway.reduce((n, g) => n + g.errors, 0);
	const answered = gateway.reduce((n, g) => n + g.answered, 0);
	const ratio = answered === 0 ? (errors > 0 ? Infinity : 0) : errors / answered;
	if (errors >= t.gatewayMinimumCount && ratio > t.gatewayErrorRatio) {
		const messages = new Map<string, number>();
		for (const g of gateway) for (const [m, n] of Object.entries(g.messages)) messages.set(m, (messages.get(m) ?? 0) + n);
		const top = [...messages.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10);
		emit({
			condition: 'gatewayErrors',
			severity: 'critical',
			stage: 'debit',
			subject: `[Billing critical] Card gateway errors: ${plural(errors, 'error')} for ${plural(answered, 'answered charge')} in ${t.periodMinutes} minutes`,
			text: [
				`In the last ${t.periodMinutes} minutes stage debit saw ${plural(errors, 'retry or park', 'retries or parks')} against ${plural(answered, 'charge')} the gateway answered (paid, declined, no card, nothing to charge)${answered ? `: ${Math.round(ratio * 100)}%` : ''}, above the ${Math.round(t.gatewayErrorRatio * 100)}% threshold. Most frequent errors:`,
				...top.map(([m, n]) => `- ${n} × ${m}`),
			].join('\n'),
			whatToDo:
				"Check Trust Payments' service status and the Secure Trading credential (site reference, web services user). Failed charges are retried and then parked; an unknown outcome is only ever queried, never charged again. Once the gateway answers normally, replay the parked items of stage debit.",
			items: top.map(([message, count]) => ({ message, count })),
		});
	}

	return {
		alerts,
		memory: { stalled, alerted, pending, gateway, seen, parkedCounts, parkedCredit } as unknown as IDataObject,
	};
}
