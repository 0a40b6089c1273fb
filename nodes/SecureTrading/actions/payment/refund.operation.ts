// Refund a settled payment, fully or partly. Like the debit, an uncertain result is checked
// with a query rather than re-sent, and (by default) an identical earlier refund is reused
// instead of paying the customer twice when the workflow is re-run.
import { sleep, type IDataObject, type INodeProperties } from 'n8n-workflow';
import { formatMinorUnits } from '../../../shared/currency';
import { choiceProperty, forOperation, optionsCollection } from '../../../shared/descriptions';
import { forEachItem, type OperationContext } from '../../../shared/operation';
import { booleanParameter, choiceParameter, numberParameter } from '../../../shared/parameters';
import type { GatewayRequest, GatewayResponse } from '../../transport';
import type { SecureTradingConnection } from '../../transport/credentials';
import { callGateway, gatewayCall, queryTransactions } from '../../helpers/gateway';
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
		{ name: 'Full', value: 'full', description: 'Refund whatever has not been refunded yet' },
		{ name: 'Partial', value: 'partial', description: 'Refund the given amount' },
	], 'Refund the whole settled amount, or part of it'),
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
				'Whether to return an earlier successful refund of this payment (any refund for a full refund, one of the same amount for a partial refund) instead of refunding again. Turn off to deliberately make a second identical partial refund.',
		},
		timeoutOption,
		verificationDelayOption,
	]),
];

export const description = forOperation('payment', 'refund', properties);

export async function execute(ctx: OperationContext<SecureTradingConnection>): Promise<void> {
	await forEachItem(ctx, async (_item, itemIndex) => await settleItem(ctx, itemIndex, async () => await refund(ctx, itemIndex)));
}

async function refund(ctx: OperationContext<SecureTradingConnection>, itemIndex: number): Promise<IDataObject> {
	const { fns } = ctx;
	const parent = transactionReference(fns, itemIndex, 'transactionReference', 'Transaction Reference');
	const refundType = choiceParameter(fns, 'refundType', itemIndex, ['full', 'partial'] as const, 'full');
	let amountMinor: number | undefined;
	let currency: string | undefined;
	if (refundType === 'partial') {
		currency = currencyParameter(fns, itemIndex);
		amountMinor = amountParameter(fns, itemIndex, currency);
	}
	const reuse = booleanParameter(fns, 'options.reuseEarlierRefund', itemIndex, true);
	const verificationDelayMs = numberParameter(fns, 'options.verificationDelayMs', itemIndex, { default: 2000, min: 0, label: 'Verification Delay (Ms)' });
	const call = gatewayCall(ctx, itemIndex);
	const base: IDataObject = {
		refundType,
		...(amountMinor !== undefined && currency ? { amountMinor, amount: formatMinorUnits(amountMinor, currency), currency } : {}),
		reusedExisting: false,
	};

	const refundsOf = async (): Promise<GatewayResponse[] | string> => {
		const query = await queryTransactions(call, { parenttransactionreference: [parent] });
		if (!query.ok) return query.reason;
		return query.records.filter(
			(r) => r.requesttypedescription === 'REFUND' && r.parenttransactionreference === parent && r.errorcode === '0',
		);
	};
	const matching = (refunds: GatewayResponse[]) =>
		refunds.find((r) => amountMinor === undefined || r.baseamount === String(amountMinor));

	let known: string[] = [];
	if (reuse) {
		const earlier = await refundsOf();
		if (typeof earlier === 'string') {
			return resultItem(
				{ outcome: 'retryable', retryable: true, reason: `Nothing was refunded: could not check for an earlier refund (${earlier})` },
				undefined,
				base,
			);
		}
		const same = matching(earlier);
		if (same) return resultItem({ ...classifyResponse('REFUND', same), reason: 'refunded earlier; not refunded again' }, same, { ...base, reusedExisting: true });
		known = earlier.map((r) => String(r.transactionreference));
	}

	const request: GatewayRequest = {
		requesttypedescriptions: ['REFUND'],
		sitereference: call.connection.siteReference,
		parenttransactionreference: parent,
		...(amountMinor !== undefined ? { baseamount: String(amountMinor), currencyiso3a: currency } : {}),
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

	// Unknown result: look for a refund that was not there before, never re-send blindly.
	await sleep(verificationDelayMs);
	const after = await refundsOf();
	const extra = { ...base, requestreference: result.requestReference, uncertainResult: doubt };
	if (typeof after !== 'string') {
		const fresh = matching(after.filter((r) => !known.includes(String(r.transactionreference))));
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
