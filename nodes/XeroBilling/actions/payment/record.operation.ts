// Record payments against invoices, never twice. Per batch: ONE lookup of the invoices by ID, then
// ONE PUT /Payments (summarizeErrors=false, idempotency key from the batch) for those that still
// need it. An invoice that is already PAID, or that already carries a payment with the same
// gateway transaction reference, is skipped and reported as such (output 1), so reruns and
// redeliveries never pay an invoice twice.
// With "Look Up Invoices First" off, the PUT goes first and Xero's own validation (no payment on a
// paid invoice, none above the amount outstanding) guards against paying twice; only the invoices
// Xero refuses that way are looked up, to report them as already paid. One call per batch
// instead of two, for full-amount payments such as card debits.
// A payment records exactly the amount the item carries (the amount charged). When the item says
// its charge is fresh (Charge Is Fresh: the card was charged just now, not found from an earlier
// run) and Xero says the invoice is paid already, has less due than the charge, or is voided or
// not approved, that is never "already paid": the item goes to output 2 with error.code
// paidElsewhereAfterCharge / invoiceClosedAfterCharge (retryable: false; a refund may be needed).
import type { IDataObject, INodeProperties } from 'n8n-workflow';
import type { Failure } from '../../../shared/failure';
import { formatMinorUnits, fromMinorUnits, normaliseCurrency, toMinorUnits } from '../../../shared/currency';
import { dayField, readPath, textField, todayUtc } from '../../../shared/itemFields';
import { chunk } from '../../../shared/concurrency';
import { amountUnitProperty, forOperation } from '../../../shared/descriptions';
import { forEachBatch } from '../../../shared/operation';
import { booleanParameter, choiceParameter, requiredTextParameter, textParameter } from '../../../shared/parameters';
import type { PaymentWrite, XeroInvoice } from '../../transport';
import type { XeroContext } from '../../helpers/client';
import { chargeableOf } from '../../helpers/chargeable';
import { refusal } from '../../helpers/errors';
import { batchKey, keyScope } from '../../helpers/idempotency';
import { invoiceJson } from '../../helpers/invoice';
import { xeroIdField } from '../../helpers/xeroIds';
import { callOptions, fieldProperty } from '../common.descriptions';

export const description: INodeProperties[] = forOperation('payment', 'record', [
	{
		displayName: 'Account Code',
		name: 'accountCode',
		type: 'string',
		default: '',
		required: true,
		placeholder: '090',
		description: 'Code of the bank (or payments-enabled) account the money was received into',
	},
	fieldProperty('invoiceIdField', 'Invoice ID Field', 'xeroInvoice.invoiceId', 'Input field with the Xero InvoiceID'),
	fieldProperty('amountField', 'Amount Field', 'amountMinor', 'Input field with the amount received'),
	amountUnitProperty('Whether Amount is in minor units (pence, cents: 1250) or major units (12.50)'),
	fieldProperty('currencyField', 'Currency Field', 'currency', 'Input field with the ISO 4217 currency of the amount; it must match the invoice'),
	fieldProperty('referenceField', 'Transaction Reference Field', 'transactionreference', 'Input field with the payment gateway transaction reference, stored as the payment Reference'),
	fieldProperty('paymentDateField', 'Payment Date Field', '', 'Input field with the payment date (YYYY-MM-DD); empty or missing means today (UTC)', false),
	{
		displayName: 'Charge Is Fresh',
		name: 'chargeIsFresh',
		type: 'boolean',
		// An expression, so the debit stage's items decide without any setting; true when they say nothing.
		// eslint-disable-next-line n8n-nodes-base/node-param-default-wrong-for-boolean
		default: '={{ $json.payment?.reusedExisting !== true }}',
		description:
			"Whether the item's payment was taken just now (a new card charge) rather than found from an earlier run. Fresh: an invoice Xero says is already paid, or has less due than the amount, goes to output 2 as paidElsewhereAfterCharge (a refund may be needed) instead of being reported as already paid. The default reads Secure Trading's reusedExisting flag from the item's payment field.",
	},
	{
		displayName: 'Look Up Invoices First',
		name: 'lookupFirst',
		type: 'boolean',
		default: true,
		description:
			"Whether to read the invoices before paying them (one more call per batch) to skip those already paid. Off: pay at once and let Xero refuse a payment above what is outstanding; only refused invoices are read. Turn off only for full-amount payments.",
	},
	callOptions(),
]);

// Xero's refusals that mean "this invoice cannot take (this much) payment": paid already, less
// outstanding than the payment, or not approved (voided, deleted, draft). Real Xero's texts, plus
// the sandbox's old "already fully paid" (docs/xero.md). Only a read of the invoice tells why.
const NOT_PAYABLE = /already fully paid|exceeds the amount outstanding|can only be made against authori[sz]ed/i;

interface Wanted {
	i: number;
	invoiceId: string;
	amountMinor: number;
	currency: string;
	reference: string;
	date: string;
	/** The payment was taken just now (see Charge Is Fresh): Xero saying "paid" is then an alert. */
	fresh: boolean;
}

function paymentJson(w: Wanted, extra: IDataObject): IDataObject {
	return {
		invoiceId: w.invoiceId,
		amount: formatMinorUnits(w.amountMinor, w.currency),
		amountMinor: w.amountMinor,
		currency: w.currency,
		reference: w.reference,
		date: w.date,
		...extra,
	};
}

export async function execute(ctx: XeroContext): Promise<void> {
	const { fns, items, results } = ctx;
	const { transport, batchSize } = ctx.client;
	const wanted = new Map<number, Wanted>();
	items.forEach((item, i) => {
		try {
			const json = item.json;
			requiredTextParameter(fns, 'accountCode', i, 'Account Code');
			const idPath = textParameter(fns, 'invoiceIdField', i, 'xeroInvoice.invoiceId');
			const invoiceId = xeroIdField(json, idPath, 'Xero invoice ID', 'InvoiceID').toLowerCase();
			const currencyPath = textParameter(fns, 'currencyField', i, 'currency');
			const amountPath = textParameter(fns, 'amountField', i, 'amountMinor');
			const currency = normaliseCurrency(readPath(json, currencyPath), currencyPath);
			const mode = choiceParameter(fns, 'amountUnit', i, ['minor', 'major'] as const, 'minor');
			const amountMinor = toMinorUnits(readPath(json, amountPath), currency, { mode, field: amountPath, allowZero: false });
			const refPath = textParameter(fns, 'referenceField', i, 'transactionreference');
			const reference = textField(json, refPath, 'Transaction reference', { max: 255 });
			const date = dayField(json, textParameter(fns, 'paymentDateField', i), 'Payment date') ?? todayUtc();
			const fresh = booleanParameter(fns, 'chargeIsFresh', i, true);
			wanted.set(i, { i, invoiceId, amountMinor, currency, reference, date, fresh });
		} catch (error) {
			results.error(i, error);
		}
	});
	const first = wanted.keys().next();
	const accountCode = first.done ? '' : requiredTextParameter(fns, 'accountCode', first.value, 'Account Code');
	const lookupFirst = first.done ? true : booleanParameter(fns, 'lookupFirst', first.value, true);
	const batches = chunk([...wanted.keys()], batchSize);

	await forEachBatch(ctx, batches, (i) => [i], async (itemIndexes, batchIndex) => {
		const batch = itemIndexes.map((i) => wanted.get(i)!);
		transport.checkDayBudget((batches.length - batchIndex) * 2, `recording ${wanted.size} payment(s)`);
		const invoices = new Map<string, XeroInvoice>();
		if (lookupFirst) {
			const ids = [...new Set(batch.map((w) => w.invoiceId))];
			for (const inv of await transport.findInvoices({ ids })) invoices.set(inv.invoiceId.toLowerCase(), inv);
		}

		const toPay: Wanted[] = [];
		const inBatch = new Set<string>();
		for (const w of batch) {
			const inv = invoices.get(w.invoiceId);
			const json = items[w.i].json;
			if (inBatch.has(`${w.invoiceId}\n${w.reference}`)) {
				results.success(w.i, { ...json, xeroPayment: paymentJson(w, { recorded: false, skipped: 'duplicateInInput' }), ...(inv ? { xeroInvoice: invoiceJson(inv) } : {}) });
				continue;
			}
			if (lookupFirst) {
				if (!inv) {
					results.failure(w.i, refusal('notFound', `Xero has no invoice ${w.invoiceId}`));
					continue;
				}
				const skip = alreadySettled(w, inv);
				const alert = skip?.skipped === 'alreadyRecorded' ? null : afterFreshCharge(w, inv);
				if (alert) {
					results.failure(w.i, alert, { ...json, xeroInvoice: invoiceJson(inv), chargeable: chargeableOf(inv) });
					continue;
				}
				if (skip) {
					results.success(w.i, { ...json, xeroPayment: paymentJson(w, skip), xeroInvoice: invoiceJson(inv) });
					continue;
				}
				if (inv.status !== 'AUTHORISED') {
					results.failure(
						w.i,
						refusal('invoiceState', `Invoice ${inv.invoiceNumber || w.invoiceId} is ${inv.status}; payments can only be recorded against approved (AUTHORISED) invoices`),
						{ ...json, xeroInvoice: invoiceJson(inv) },
					);
					continue;
				}
				if (inv.currency && inv.currency !== w.currency) {
					results.failure(w.i, refusal('invoiceState', `Payment currency ${w.currency} does not match invoice ${inv.invoiceNumber} currency ${inv.currency}`), {
						...json,
						xeroInvoice: invoiceJson(inv),
					});
					continue;
				}
			}
			inBatch.add(`${w.invoiceId}\n${w.reference}`);
			toPay.push(w);
		}
		if (!toPay.length) return;

		const writes: PaymentWrite[] = toPay.map((w) => ({
			invoiceId: w.invoiceId,
			accountCode,
			amount: fromMinorUnits(w.amountMinor, w.currency),
			date: w.date,
			reference: w.reference,
		}));
		const answers = await transport.createPayments(writes, batchKey('payments', writes, keyScope(ctx, toPay.map((w) => w.i))));
		const recheck: Array<{ w: Wanted; errors: string[] }> = [];
		const refused = (w: Wanted, errors: string[]) =>
			results.failure(w.i, refusal('validation', `Xero refused the payment ${w.reference}: ${errors.join('; ')}`), { ...items[w.i].json, xeroErrors: errors });
		answers.forEach((r, k) => {
			const w = toPay[k];
			if (r.ok) results.success(w.i, { ...items[w.i].json, xeroPayment: paymentJson(w, { recorded: true, paymentId: r.value.paymentId }) });
			else if (!lookupFirst && r.errors.some((e) => NOT_PAYABLE.test(e))) recheck.push({ w, errors: r.errors });
			else refused(w, r.errors);
		});
		// Paid already (a rerun or a redelivery), or paid by something else? Only a read can tell.
		if (recheck.length) {
			const found = new Map<string, XeroInvoice>();
			for (const inv of await transport.findInvoices({ ids: [...new Set(recheck.map((x) => x.w.invoiceId))] })) found.set(inv.invoiceId.toLowerCase(), inv);
			for (const { w, errors } of recheck) {
				const inv = found.get(w.invoiceId);
				const skip = inv ? alreadySettled(w, inv) : null;
				const alert = inv && skip?.skipped !== 'alreadyRecorded' ? afterFreshCharge(w, inv) : null;
				if (inv && alert) results.failure(w.i, alert, { ...items[w.i].json, xeroErrors: errors, xeroInvoice: invoiceJson(inv), chargeable: chargeableOf(inv) });
				else if (inv && skip) results.success(w.i, { ...items[w.i].json, xeroPayment: paymentJson(w, skip), xeroInvoice: invoiceJson(inv) });
				else refused(w, errors);
			}
		}
	});
}

/** Why an invoice needs no payment for this item: the same payment is on it, or it is paid. */
function alreadySettled(w: Wanted, inv: XeroInvoice): IDataObject | null {
	const recorded = inv.payments.find((p) => p.reference === w.reference);
	if (recorded) return { recorded: false, skipped: 'alreadyRecorded', paymentId: recorded.paymentId };
	if (inv.status === 'PAID' || (inv.status === 'AUTHORISED' && inv.amountDue === 0)) return { recorded: false, skipped: 'alreadyPaid' };
	return null;
}

/**
 * A fresh charge that Xero will not (or should not) take: the invoice is paid already, has less
 * due than the charge, or is closed. Never "already paid": the money was taken and is recorded
 * nowhere, so someone must look (a refund may be needed). Null when the payment may go ahead.
 */
function afterFreshCharge(w: Wanted, inv: XeroInvoice): Failure | null {
	// Amounts in two currencies do not compare; the currency rule (or Xero) speaks instead.
	if (!w.fresh || (inv.currency && inv.currency !== w.currency)) return null;
	const verdict = chargeableOf(inv);
	const charged = `${formatMinorUnits(w.amountMinor, w.currency)} ${w.currency}`;
	const charge = `The charge ${w.reference || '(no reference)'} of ${charged}`;
	const description = `Xero: ${verdict.reason}. The charge was taken from the card but is not recorded in Xero.`;
	if (verdict.state === 'voided' || verdict.state === 'notAuthorised') {
		return refusal('invoiceClosedAfterCharge', `${charge} was taken just now, but invoice ${inv.invoiceNumber || w.invoiceId} is ${inv.status} in Xero: not recorded; a refund of ${charged} may be needed`, description);
	}
	// Nothing paid or credited on it: a charge above the invoice is Xero's plain refusal, as before.
	if (verdict.amountDueMinor >= w.amountMinor || verdict.state === 'due') return null;
	const due = `${formatMinorUnits(verdict.amountDueMinor, verdict.currency)} ${verdict.currency}`;
	const state = verdict.amountDueMinor === 0 ? `is already ${verdict.state === 'credited' ? 'credited in full' : 'paid'}` : `has only ${due} due (${verdict.state === 'credited' ? 'credited' : 'paid'} in part elsewhere)`;
	const refund = verdict.amountDueMinor === 0 ? charged : `${formatMinorUnits(w.amountMinor - verdict.amountDueMinor, w.currency)} ${w.currency} (or all ${charged})`;
	return refusal('paidElsewhereAfterCharge', `${charge} was taken just now, but invoice ${inv.invoiceNumber || w.invoiceId} ${state} in Xero: not recorded; a refund of ${refund} may be needed`, description);
}
