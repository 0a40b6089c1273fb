// The run report: a fold of the run's ledger events. Each billing key's latest outcome stands
// (a replayed item that settled replaces its "parked"); expected keys without any outcome yet are
// in flight. Pure, so every worker folds the same events into the same report.
import { FINAL_STATES, type LedgerEvent, type OutcomeEvent, type OutcomeState, type ReportRow, type RunReport } from './model';

const STATES: OutcomeState[] = ['paid', 'declined', 'noCard', 'nothingToCharge', 'alreadyBilled', 'parked', 'retryScheduled', 'inFlight'];

/** How ops replay a parked key: the status page's button, or workflow 9's replay request. */
export function replayHint(stage: string | undefined): string {
	return stage
		? `Fix the cause, then press Replay for stage "${stage}" on the billing status page (POST /webhook/billing/status/replay with stage=${stage}); billing keys keep a replay from invoicing or charging twice.`
		: 'Fix the cause, then replay the stage it is parked in from the billing status page.';
}

function rowOf(e: OutcomeEvent): ReportRow {
	return {
		runKey: e.runKey,
		billingKey: e.billingKey,
		state: e.state,
		final: FINAL_STATES.has(e.state),
		stage: e.stage,
		...(e.clientId !== undefined ? { clientId: e.clientId } : {}),
		...(e.clientName !== undefined ? { clientName: e.clientName } : {}),
		...(e.email !== undefined ? { email: e.email } : {}),
		...(e.currency !== undefined ? { currency: e.currency } : {}),
		...(e.invoiceNumber !== undefined ? { invoiceNumber: e.invoiceNumber } : {}),
		...(e.invoiceId !== undefined ? { invoiceId: e.invoiceId } : {}),
		invoicedMinor: e.invoicedMinor ?? 0,
		collectedMinor: e.collectedMinor ?? 0,
		outstandingMinor: e.outstandingMinor ?? 0,
		...(e.reason !== undefined ? { reason: e.reason } : {}),
		...(e.declineCode ? { declineCode: e.declineCode } : {}),
		...(e.nextAttemptAt ? { nextAttemptAt: e.nextAttemptAt } : {}),
		...(e.attempt !== undefined ? { attempt: e.attempt } : {}),
		...(e.error ? { error: e.error } : {}),
		at: e.at,
	};
}

/** The report of one run's events; undefined when the ledger has no start for it. */
export function buildReport(events: readonly LedgerEvent[]): RunReport | undefined {
	const starts = events.filter((e) => e.type === 'start');
	if (starts.length === 0) return undefined;
	const start = starts[0];
	const reported = events.find((e) => e.type === 'reported');
	// Latest outcome per billing key; a redelivered event (same id) counts once.
	const seen = new Set<string>();
	const latest = new Map<string, { event: OutcomeEvent; order: number }>();
	const usage = { xeroCalls: 0, gatewayCalls: 0 };
	events.forEach((e, order) => {
		if (e.type !== 'outcome' || seen.has(e.eventId)) return;
		seen.add(e.eventId);
		const known = latest.get(e.billingKey);
		if (!known || e.at > known.event.at || (e.at === known.event.at && order > known.order)) latest.set(e.billingKey, { event: e, order });
	});
	const rows = [...latest.values()].map(({ event }) => rowOf(event));
	for (const { event } of latest.values()) {
		usage.xeroCalls += event.usage?.xeroCalls ?? 0;
		usage.gatewayCalls += event.usage?.gatewayCalls ?? 0;
	}
	// Expected keys no stage has reported on yet (invoice requests on their way).
	const expected = new Map<string, (typeof start.expected)[number]>();
	for (const s of starts) for (const x of s.expected) if (!expected.has(x.runKey)) expected.set(x.runKey, x);
	const reportedKeys = new Set(rows.map((r) => r.runKey));
	for (const x of expected.values()) {
		if (reportedKeys.has(x.runKey)) continue;
		rows.push({
			runKey: x.runKey,
			billingKey: x.runKey,
			state: 'inFlight',
			final: false,
			...(x.clientId !== undefined ? { clientId: x.clientId } : {}),
			...(x.clientName !== undefined ? { clientName: x.clientName } : {}),
			...(x.currency !== undefined ? { currency: x.currency } : {}),
			invoicedMinor: 0,
			collectedMinor: 0,
			outstandingMinor: 0,
		});
	}
	rows.sort((a, b) => (a.billingKey < b.billingKey ? -1 : a.billingKey > b.billingKey ? 1 : 0));

	const byState = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<OutcomeState, number>;
	const currencies: RunReport['currencies'] = {};
	const declines = new Map<string, { reason: string; count: number; billingKeys: string[] }>();
	for (const r of rows) {
		byState[r.state]++;
		if (r.currency && (r.invoicedMinor || r.collectedMinor || r.outstandingMinor)) {
			const t = (currencies[r.currency] ??= { invoices: 0, invoicedMinor: 0, collectedMinor: 0, outstandingMinor: 0 });
			if (r.invoicedMinor > 0) t.invoices++;
			t.invoicedMinor += r.invoicedMinor;
			t.collectedMinor += r.collectedMinor;
			t.outstandingMinor += r.outstandingMinor;
		}
		if (r.state === 'declined' || r.state === 'retryScheduled') {
			const reason = r.reason || 'declined';
			const d = declines.get(reason) ?? { reason, count: 0, billingKeys: [] };
			d.count++;
			d.billingKeys.push(r.billingKey);
			declines.set(reason, d);
		}
	}
	const final = rows.filter((r) => r.final).length;
	const complete = final === rows.length;
	const outcomeTimes = rows.map((r) => r.at).filter((t): t is string => typeof t === 'string').sort();
	const lastOutcomeAt = outcomeTimes[outcomeTimes.length - 1];
	return {
		runId: start.runId,
		...(start.periodStart ? { periodStart: start.periodStart } : {}),
		...(start.periodEnd ? { periodEnd: start.periodEnd } : {}),
		startedAt: start.at,
		deadlineAt: start.deadlineAt,
		...(lastOutcomeAt ? { lastOutcomeAt, durationSeconds: Math.max(0, Math.round((Date.parse(lastOutcomeAt) - Date.parse(start.at)) / 1000)) } : {}),
		status: complete ? 'complete' : 'inProgress',
		...(reported ? { reportedAt: reported.at, reportReason: reported.reason } : {}),
		counts: { billingKeys: rows.length, final, inFlight: rows.length - final, byState },
		currencies,
		declines: [...declines.values()].sort((a, b) => b.count - a.count),
		noCard: rows.filter((r) => r.state === 'noCard'),
		parked: rows.filter((r) => r.state === 'parked').map((r) => ({ ...r, replay: replayHint(r.stage) })),
		inFlight: rows.filter((r) => !r.final),
		usage: { xeroCalls: round2(usage.xeroCalls), gatewayCalls: round2(usage.gatewayCalls) },
		rows,
	};
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Due: complete, or past its deadline, and not reported yet. */
export function reportDue(report: RunReport, now: Date): 'complete' | 'deadline' | undefined {
	if (report.reportedAt) return undefined;
	if (report.status === 'complete') return 'complete';
	return Date.parse(report.deadlineAt) <= now.getTime() ? 'deadline' : undefined;
}
