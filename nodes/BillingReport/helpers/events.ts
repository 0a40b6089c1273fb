// Items → ledger events. A stage reports an outcome by publishing its item to the `report` stage
// with an `outcome` object ({ state, stage, … }); Retry or Park publishes one for every retry and
// park. Everything else (amounts, client, invoice) is read from the billing item itself, so the
// stages need no extra mapping and the report says what the items said.
import type { IDataObject } from 'n8n-workflow';
import { FieldError } from '../../shared/errors';
import type { OutcomeEvent, OutcomeState, RunExpectation } from './model';

const STATES: readonly OutcomeState[] = ['paid', 'declined', 'noCard', 'nothingToCharge', 'alreadyBilled', 'parked', 'retryScheduled', 'inFlight'];

const obj = (v: unknown): IDataObject | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as IDataObject) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v : typeof v === 'number' ? String(v) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() && Number.isFinite(Number(v)) ? Number(v) : undefined);

/** The run an item belongs to: its billingRunId, else the message's correlation id. */
export function runIdOf(json: IDataObject): string | undefined {
	return str(json.billingRunId) ?? str(obj(json._queue)?.correlationId);
}

/** What collect expects of one invoice request. */
export function expectationOf(json: IDataObject, index: number): RunExpectation {
	const runKey = str(json.runKey) ?? str(json.billingKey);
	if (!runKey) throw new FieldError('billingKey', `Item ${index}: the invoice request has no billingKey, so the run report could not follow it`);
	return {
		runKey,
		...(str(json.clientId) ? { clientId: str(json.clientId) } : {}),
		...(str(json.clientName) ? { clientName: str(json.clientName) } : {}),
		...(str(json.currency) ? { currency: str(json.currency) } : {}),
		...(num(json.totalMinor) !== undefined ? { requestedMinor: num(json.totalMinor) } : {}),
	};
}

/** The outcome event an item carries; `eventId` makes a redelivered message count once. */
export function outcomeEventOf(json: IDataObject, index: number, now: Date): OutcomeEvent {
	const outcome = obj(json.outcome);
	if (!outcome) throw new FieldError('outcome', `Item ${index}: no outcome object; stages report { outcome: { state, stage } } on the billing item`);
	const state = str(outcome.state) as OutcomeState | undefined;
	if (!state || !STATES.includes(state)) throw new FieldError('outcome.state', `Item ${index}: outcome.state "${String(outcome.state)}" is not one of ${STATES.join(', ')}`);
	const meta = obj(json._queue);
	const runId = runIdOf(json);
	if (!runId) throw new FieldError('billingRunId', `Item ${index}: no billingRunId (nor a message correlation id), so the outcome belongs to no run`);
	const billingKey = str(json.billingKey) ?? str(meta?.billingKey);
	if (!billingKey) throw new FieldError('billingKey', `Item ${index} (run ${runId}): the outcome has no billingKey`);
	const eventId = str(outcome.eventId) ?? str(meta?.messageUid);
	if (!eventId) throw new FieldError('outcome.eventId', `Item ${index} (${billingKey}): no event id (outcome.eventId or the message's id)`);

	const invoice = obj(json.xeroInvoice);
	const chargeable = obj(json.chargeable);
	const payment = obj(json.payment);
	const total = num(invoice?.totalMinor);
	const due = num(chargeable?.amountDueMinor) ?? num(invoice?.amountDueMinor) ?? total;
	const charged = num(json.chargedMinor) ?? (payment?.outcome === 'paid' ? num(payment.amountMinor) : undefined) ?? 0;
	const voided = chargeable?.state === 'voided';
	const error = obj(outcome.error) ?? obj(json.error);
	const money = ((): Pick<OutcomeEvent, 'invoicedMinor' | 'collectedMinor' | 'outstandingMinor'> => {
		if (state === 'alreadyBilled' || total === undefined) return { invoicedMinor: 0, collectedMinor: 0, outstandingMinor: 0 };
		if (voided) return { invoicedMinor: 0, collectedMinor: 0, outstandingMinor: 0 };
		if (state === 'paid') return { invoicedMinor: total, collectedMinor: charged, outstandingMinor: Math.max(0, (due ?? 0) - charged) };
		if (state === 'nothingToCharge') return { invoicedMinor: total, collectedMinor: 0, outstandingMinor: 0 };
		return { invoicedMinor: total, collectedMinor: 0, outstandingMinor: due ?? 0 };
	})();
	const usage = obj(json.usage);
	const reason =
		str(outcome.reason) ??
		(state === 'parked' || state === 'inFlight' ? str(error?.message) : undefined) ??
		str(payment?.reason) ??
		str(json.declineReason) ??
		str(chargeable?.reason);
	const attempt = num(json.attempt) ?? num(json.dunningAttempt);
	return {
		type: 'outcome',
		runId,
		eventId,
		at: str(outcome.at) ?? now.toISOString(),
		runKey: str(json.runKey) ?? billingKey,
		billingKey,
		state,
		stage: str(outcome.stage) ?? str(meta?.stage) ?? '',
		...(str(json.clientId) ? { clientId: str(json.clientId) } : {}),
		...(str(json.clientName) ? { clientName: str(json.clientName) } : {}),
		...(str(json.billingEmail) ? { email: str(json.billingEmail) } : {}),
		...((str(json.currency) ?? str(invoice?.currency)) ? { currency: str(json.currency) ?? str(invoice?.currency) } : {}),
		...((str(json.invoiceNumber) ?? str(invoice?.invoiceNumber)) ? { invoiceNumber: str(json.invoiceNumber) ?? str(invoice?.invoiceNumber) } : {}),
		...(str(invoice?.invoiceId) ? { invoiceId: str(invoice?.invoiceId) } : {}),
		...money,
		...(reason ? { reason } : {}),
		...(str(json.acquirerResponseCode) ?? str(payment?.acquirerresponsecode) ? { declineCode: str(json.acquirerResponseCode) ?? str(payment?.acquirerresponsecode) } : {}),
		...(str(outcome.nextAttemptAt) ? { nextAttemptAt: str(outcome.nextAttemptAt) } : {}),
		...(attempt !== undefined ? { attempt } : {}),
		...(error && str(error.message)
			? {
					error: {
						message: str(error.message)!,
						...(str(error.code) ? { code: str(error.code) } : {}),
						...(str(error.field) ? { field: str(error.field) } : {}),
						...(str(error.node) ? { node: str(error.node) } : {}),
					},
				}
			: {}),
		...(usage
			? {
					usage: {
						...(num(usage.xeroCalls) !== undefined ? { xeroCalls: num(usage.xeroCalls) } : {}),
						...(num(usage.gatewayCalls) !== undefined ? { gatewayCalls: num(usage.gatewayCalls) } : {}),
						...(num(usage.xeroDayRemaining) !== undefined ? { xeroDayRemaining: num(usage.xeroDayRemaining) } : {}),
					},
				}
			: {}),
	};
}

