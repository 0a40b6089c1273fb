// What the run ledger holds and what a run report says. The ledger is an append-only list of
// events per billing run (a run's start with the billing keys it expects, then each key's
// outcomes as the stages report them); the report is a fold of those events, so it is rebuilt
// the same way after a crash, on any worker, without asking Xero.
import type { IDataObject } from 'n8n-workflow';

/**
 * Where a billing key ended up. Final states end the key's part in the run; `retryScheduled`
 * (a soft decline waiting for dunning) and `inFlight` (no outcome yet) do not.
 */
export type OutcomeState = 'paid' | 'declined' | 'noCard' | 'nothingToCharge' | 'alreadyBilled' | 'parked' | 'retryScheduled' | 'inFlight';

export const FINAL_STATES: ReadonlySet<OutcomeState> = new Set(['paid', 'declined', 'noCard', 'nothingToCharge', 'alreadyBilled', 'parked']);

export interface RunExpectation {
	/** The billing key collect gave the invoice request; later stages may bill it under another (SP-…). */
	runKey: string;
	clientId?: string;
	clientName?: string;
	currency?: string;
	/** What collect priced the request at (pre-tax CRM lines), minor units. */
	requestedMinor?: number;
}

export interface RunStartEvent {
	type: 'start';
	runId: string;
	at: string;
	periodStart?: string;
	periodEnd?: string;
	/** When the report goes out at the latest, complete or not. */
	deadlineAt: string;
	expected: RunExpectation[];
}

export interface OutcomeEvent {
	type: 'outcome';
	runId: string;
	/** Identifies the outcome's message, so a redelivered event is recorded once. */
	eventId: string;
	at: string;
	runKey: string;
	billingKey: string;
	state: OutcomeState;
	/** The stage that reported it (parked: the stage it is parked in, where Replay puts it back). */
	stage: string;
	clientId?: string;
	clientName?: string;
	email?: string;
	currency?: string;
	invoiceNumber?: string;
	invoiceId?: string;
	/** The invoice's total in Xero, minor units. */
	invoicedMinor?: number;
	/** What our charge collected, minor units. */
	collectedMinor?: number;
	/** What is still due on the invoice after this outcome, minor units. */
	outstandingMinor?: number;
	/** Why: the decline's reason, the nothing-to-charge reason, the parked error's message. */
	reason?: string;
	declineCode?: string;
	nextAttemptAt?: string;
	attempt?: number;
	error?: { message: string; code?: string; field?: string; node?: string };
	usage?: { xeroCalls?: number; gatewayCalls?: number; xeroDayRemaining?: number };
}

export interface ReportedEvent {
	type: 'reported';
	runId: string;
	at: string;
	/** complete: every key final; deadline: sent at the deadline with keys still in flight. */
	reason: 'complete' | 'deadline';
	to?: string;
}

export type LedgerEvent = RunStartEvent | OutcomeEvent | ReportedEvent;

export interface ReportRow {
	runKey: string;
	billingKey: string;
	state: OutcomeState;
	final: boolean;
	stage?: string;
	clientId?: string;
	clientName?: string;
	email?: string;
	currency?: string;
	invoiceNumber?: string;
	invoiceId?: string;
	invoicedMinor: number;
	collectedMinor: number;
	outstandingMinor: number;
	reason?: string;
	declineCode?: string;
	nextAttemptAt?: string;
	attempt?: number;
	error?: OutcomeEvent['error'];
	at?: string;
}

export interface CurrencyTotals {
	invoices: number;
	invoicedMinor: number;
	collectedMinor: number;
	outstandingMinor: number;
}

export interface RunReport extends IDataObject {
	runId: string;
	periodStart?: string;
	periodEnd?: string;
	startedAt: string;
	deadlineAt: string;
	/** The latest outcome's time. */
	lastOutcomeAt?: string;
	durationSeconds?: number;
	/** complete: every expected key reached a final state. */
	status: 'inProgress' | 'complete';
	reportedAt?: string;
	reportReason?: 'complete' | 'deadline';
	counts: { billingKeys: number; final: number; inFlight: number; byState: Record<OutcomeState, number> };
	/** Per currency code. */
	currencies: Record<string, CurrencyTotals>;
	declines: Array<{ reason: string; count: number; billingKeys: string[] }>;
	noCard: ReportRow[];
	parked: Array<ReportRow & { replay: string }>;
	inFlight: ReportRow[];
	usage: { xeroCalls: number; gatewayCalls: number };
	rows: ReportRow[];
}

/** A run as the status page lists it. */
export interface RunHeader {
	runId: string;
	startedAt: string;
	periodStart?: string;
	periodEnd?: string;
	reportedAt?: string;
}
