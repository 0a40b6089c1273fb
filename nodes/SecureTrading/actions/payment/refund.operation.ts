// Refund a settled payment, fully or partly. Before refunding, the node looks the payment up
// (TRANSACTIONQUERY by transactionreference) and lists its earlier refunds (by the payment's
// orderreference, matching parenttransactionreference itself: only documented filters), so a
// Full refund refunds exactly what is left and a Partial one never asks for more than that.
// Like the debit, an uncertain result is checked with a query rather than re-sent.
import { sleep, type IDataObject, type INodeProperties } from 'n8n-workflow';
import { formatMinorUnits } from '../../../shared/currency';
import { choiceProperty, forOperation, optionsCollection } from '../../../shared/descriptions';
import { forEachItem, type OperationContext } from '../../../shared/operation';
import { booleanParameter, choiceParameter, numberParameter } from '../../../shared/parameters';
import type { GatewayRequest, GatewayResponse } from '../../transport';
import type { SecureTradingConnection } from '../../transport/credentials';
import { callGateway, gatewayCall, queryTransactions, type GatewayCall } from '../../helpers/gateway';
import { classifyResponse, resultItem, settleItem } from '../../helpers/outcome';
import { amountParameter, currencyParameter, transactionReference } from '../../helpers/params';
import { amountFields, connectTimeoutOption, includeInputOption, timeoutOption, verificationDelayOption } from '../common.descriptions';

const properties: INodeProperties[] = [
	{
		displayName: 'Transaction Reference',
		name: 'transactionReference',
		type: 'string',
		default: '',
		required: true,
		placeholder: '55-9-35032',
		description: 'The settled AUTH to refund (sent as parenttransactionreference)',
	},
	choiceProperty('Refund Type', 'refundType', 'full', [
		{ name: 'Full', value: 'full', description: 'Refund whatever has not been refunded yet (nothing when earlier refunds cover the payment)' },
		{ name: 'Partial', value: 'partial', description: 'Refund the given amount, at most what has not been refunded yet' },
	], 'Refund the rest of the payment, or part of it'),
	...amountFields({ show: { refundType: ['partial'] } }),
	optionsCollection([
		connectTimeoutOption,
		includeInputOption,
		{
			displayName: 'Reuse Earlier Identical Refund',
			name: 'reuseEarlierRefund',
			type: 'boolean',
			default: true,
			description:
				'Whether a partial refund returns an earlier successful refund of the same amount of this payment instead of refunding again. Turn off to deliberately make a second identical partial refund. (A full refund always refunds only what is left.)',
		},
		timeoutOption,
		verificationDelayOption,
	]),
];

export const description = forOperation('payment', 'refund', properties);

export async function execute(ctx: OperationContext<SecureTradingConnection>): Promise<void> {
	await forEachItem(ctx, async (_item, itemIndex) => await settleItem(ctx, itemIndex, async () => await refund(ctx, itemIndex)));
}

/** The payment being refunded, as the gateway's transaction query shows it. */
interface Payment {
	/** Settled amount when the gateway reports one (settlebaseamount), else the authorised baseamount. */
	paidMinor: number;
	currency: string;
	orderReference?: string;
}

/** What has been refunded so far: successful (not cancelled) REFUNDs whose parent is the payment. */
interface RefundHistory {
	refunds: GatewayResponse[];
	refundedMinor: number;
}

const DIGITS = /^\d+$/;

async function refund(ctx: OperationContext<SecureTradingConnection>, itemIndex: number): Promise<IDataObject> {
	const { fns } = ctx;
	const parent = transactionReference(fns, itemIndex, 'transactionReference', 'Transaction Reference');
	const refundType = choiceParameter(fns, 'refundType', itemIndex, ['full', 'partial'] as const, 'full');
	let requested: { amountMinor: number; currency: string } | undefined;
	if (refundType === 'partial') {
		const currency = currencyParameter(fns, itemIndex);
		requested = { amountMinor: amountParameter(fns, itemIndex, currency), currency };
	}
	const reuse = booleanParameter(fns, 'options.reuseEarlierRefund', itemIndex, true);
	const verificationDelayMs = numberParameter(fns, 'options.verificationDelayMs', itemIndex, { default: 2000, min: 0, label: 'Verification Delay (Ms)' });
	const call = gatewayCall(ctx, itemIndex);
	const money = (minor: number, currency: string) => ({ amountMinor: minor, amount: formatMinorUnits(minor, currency), currency });
	let base: IDataObject = { refundType, ...(requested ? money(requested.amountMinor, requested.currency) : {}), reusedExisting: false };

	// 1. The payment: its amount, currency and order reference.
	const lookup = await findPayment(call, parent);
	if (typeof lookup === 'string') {
		return resultItem({ outcome: 'retryable', retryable: true, reason: `Nothing was refunded: could not look up the payment (${lookup})` }, undefined, base);
	}
	const payment = lookup;

	// 2. Its earlier refunds, and so what is left to refund.
	let history: RefundHistory | undefined;
	let amountMinor = requested?.amountMinor;
	let currency = requested?.currency;
	if (payment) {
		if (requested && requested.currency !== payment.currency) {
			return resultItem(
				{ outcome: 'invalid', retryable: false, field: 'currency', reason: `Nothing was refunded: the payment ${parent} is in ${payment.currency}, not ${requested.currency} (field "currency")` },
				undefined,
				base,
			);
		}
		currency = payment.currency;
		if (payment.orderReference !== undefined) {
			const found = await refundsOf(call, parent, payment.orderReference);
			if (typeof found === 'string') {
				return resultItem({ outcome: 'retryable', retryable: true, reason: `Nothing was refunded: could not check for earlier refunds (${found})` }, undefined, base);
			}
			history = found;
			const remainingMinor = Math.max(0, payment.paidMinor - found.refundedMinor);
			base = { ...base, paymentMinor: payment.paidMinor, refundedBeforeMinor: found.refundedMinor, remainingBeforeMinor: remainingMinor };
			const summary = `${formatMinorUnits(payment.paidMinor, currency)} ${currency} paid, ${formatMinorUnits(found.refundedMinor, currency)} ${currency} refunded in ${found.refunds.length} earlier refund${found.refunds.length === 1 ? '' : 's'}`;
			if (requested) {
				const same = reuse ? found.refunds.find((r) => r.baseamount === String(requested.amountMinor)) : undefined;
				if (same) return resultItem({ ...classifyResponse('REFUND', same), reason: 'refunded earlier; not refunded again' }, same, { ...base, reusedExisting: true });
				if (requested.amountMinor > remainingMinor) {
					return resultItem(
						{
							outcome: 'invalid',
							retryable: false,
							field: 'amount',
							reason: `Nothing was refunded: a partial refund of ${formatMinorUnits(requested.amountMinor, currency)} ${currency} is more than the ${formatMinorUnits(remainingMinor, currency)} ${currency} left to refund on ${parent} (${summary})`,
						},
						undefined,
						base,
					);
				}
			} else if (remainingMinor === 0) {
				return resultItem(
					{ outcome: 'alreadyRefunded', retryable: false, reason: `nothing left to refund: ${summary}; nothing was refunded` },
					undefined,
					{ ...base, ...money(0, currency), earlierRefunds: found.refunds.map((r) => String(r.transactionreference)) },
				);
			} else {
				amountMinor = remainingMinor;
			}
		} else if (!requested) {
			// No order reference, so its refunds cannot be listed with a documented filter: ask for the
			// whole amount; the gateway refuses it (20007) if part was refunded already.
			amountMinor = payment.paidMinor;
		}
		if (amountMinor !== undefined) base = { ...base, ...money(amountMinor, currency) };
	}
	// No payment found: it does not exist or is not settled; the gateway says which (20004, 20012).

	// 3. Refund, with the amount always explicit when known and the payment's order reference, so
	// this refund can be found again by orderreference.
	const request: GatewayRequest = {
		requesttypedescriptions: ['REFUND'],
		sitereference: call.connection.siteReference,
		parenttransactionreference: parent,
		...(amountMinor !== undefined ? { baseamount: String(amountMinor), currencyiso3a: currency } : {}),
		...(payment?.orderReference !== undefined ? { orderreference: payment.orderReference } : {}),
	};
	const result = await callGateway(call, request);
	let doubt: string;
	let doubtResponse: GatewayResponse | undefined;
	if (result.ok) {
		const classification = classifyResponse('REFUND', result.response);
		if (classification.outcome !== 'unknown') return resultItem(classification, result.response, { ...base, requestreference: result.requestReference });
		doubt = classification.reason;
		doubtResponse = result.response;
	} else if (!result.error.mayHaveBeenProcessed) {
		return resultItem({ outcome: 'retryable', retryable: true, reason: `Nothing was refunded: ${result.error.message}` }, undefined, {
			...base,
			requestreference: result.requestReference,
		});
	} else {
		doubt = result.error.message;
	}

	// 4. Unknown result: look for a refund that was not there before, never re-send blindly.
	await sleep(verificationDelayMs);
	const after = payment?.orderReference !== undefined ? await refundsOf(call, parent, payment.orderReference) : 'the payment has no order reference to search by';
	const extra = { ...base, requestreference: result.requestReference, uncertainResult: doubt };
	if (typeof after !== 'string') {
		const known = (history?.refunds ?? []).map((r) => String(r.transactionreference));
		const fresh = after.refunds.find((r) => !known.includes(String(r.transactionreference)) && (amountMinor === undefined || r.baseamount === String(amountMinor)));
		if (fresh) return resultItem({ ...classifyResponse('REFUND', fresh), reason: `refund confirmed by a transaction query after: ${doubt}` }, fresh, { ...extra, reusedExisting: true });
	}
	return resultItem(
		{
			outcome: 'unknown',
			retryable: false,
			reason:
				typeof after === 'string'
					? `${doubt}. Could not check the gateway afterwards (${after}).`
					: `${doubt}. The gateway shows no new refund for this payment yet; it may still appear.`,
		},
		doubtResponse,
		{ ...extra, verifiedNoRefund: typeof after !== 'string' },
	);
}

/**
 * The successful AUTH `reference`, by the documented transactionreference filter; undefined when
 * the gateway does not show one (the REFUND then gets the gateway's own answer); a string when the
 * query failed.
 */
async function findPayment(call: GatewayCall, reference: string): Promise<Payment | undefined | string> {
	const query = await queryTransactions(call, { transactionreference: [reference] });
	if (!query.ok) return query.reason;
	const record = query.records.find((r) => r.transactionreference === reference && r.requesttypedescription === 'AUTH' && r.errorcode === '0');
	if (!record || typeof record.currencyiso3a !== 'string') return undefined;
	const settled = typeof record.settlebaseamount === 'string' && DIGITS.test(record.settlebaseamount) ? record.settlebaseamount : undefined;
	const amount = settled ?? (typeof record.baseamount === 'string' && DIGITS.test(record.baseamount) ? record.baseamount : undefined);
	if (amount === undefined) return undefined;
	const orderReference = typeof record.orderreference === 'string' && record.orderreference !== '' ? record.orderreference : undefined;
	return { paidMinor: Number(amount), currency: record.currencyiso3a, ...(orderReference !== undefined ? { orderReference } : {}) };
}

/** Successful, uncancelled refunds of `parent`: queried by the payment's orderreference, matched on parenttransactionreference here. */
async function refundsOf(call: GatewayCall, parent: string, orderReference: string): Promise<RefundHistory | string> {
	const query = await queryTransactions(call, { orderreference: [orderReference] });
	if (!query.ok) return query.reason;
	const refunds = query.records.filter(
		(r) => r.requesttypedescription === 'REFUND' && r.parenttransactionreference === parent && r.errorcode === '0' && r.settlestatus !== '3',
	);
	const refundedMinor = refunds.reduce((sum, r) => sum + (typeof r.baseamount === 'string' && DIGITS.test(r.baseamount) ? Number(r.baseamount) : 0), 0);
	return { refunds, refundedMinor };
}
