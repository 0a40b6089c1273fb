// Debit a stored card: a merchant-initiated AUTH against the parent transaction that stored it.
//
// No double charge. The billing key is sent as `orderreference`, and BEFORE every AUTH the node
// asks the gateway (TRANSACTIONQUERY by orderreference) whether that key was already charged;
// if so it returns that transaction (`reusedExisting: true`) instead of charging. This check is
// always done, not only on redelivery: a rerun of the workflow, a re-queued message or a crash
// between "charged" and "acknowledged" all look like first deliveries to the node, and one
// query is cheap next to a double charge. When the AUTH's own result is unknown (timeout or
// dropped connection after sending, 5xx, garbled answer, 60010/60034/70001/99999) the node
// queries again and reports what the gateway holds; it never re-sends the AUTH in the same run.
// Query and AUTH run under an in-process lock per site and billing key (helpers/billingKeyLock),
// so two executions charging the same key at once in one n8n process cannot both charge.
import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { formatMinorUnits } from '../../../shared/currency';
import type { GatewayRequest, GatewayResponse } from '../../transport';
import { callGateway, findExistingCharge, resultItem, sleep, type ExistingCharge, type OperationContext } from '../../helpers/api';
import { billingKeyLockKey, LockWaitAborted, withBillingKeyLock } from '../../helpers/billingKeyLock';
import { classifyResponse, type Classification } from '../../helpers/outcome';
import { amountParam, currencyParam, inputError, numberOption, requiredString, transactionReference } from '../../helpers/params';
import { amountFields, concurrencyOption, connectTimeoutOption, includeInputOption, timeoutOption, verificationDelayOption } from '../common.descriptions';

const show = { resource: ['payment'], operation: ['debitStoredCard'] };

export const description: INodeProperties[] = [
	{
		displayName:
			'Before charging, the node always checks the gateway for an earlier successful charge with the same billing key and returns that instead, so re-running is safe',
		name: 'debitNotice',
		type: 'notice',
		default: '',
		displayOptions: { show },
	},
	{
		displayName: 'Stored Card Reference',
		name: 'storedCardReference',
		type: 'string',
		default: '',
		required: true,
		placeholder: '55-9-35032',
		description: 'Transaction reference of the earlier AUTH or ACCOUNTCHECK that stored the card (sent as parenttransactionreference)',
		displayOptions: { show },
	},
	{
		displayName: 'Billing Key',
		name: 'billingKey',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'INV-2024-000123',
		description: "The billing item's unique key, sent as orderreference. At most one successful charge is made per key.",
		displayOptions: { show },
	},
	...amountFields(show),
	{
		displayName: 'Account Type',
		name: 'accountType',
		type: 'options',
		default: 'RECUR',
		options: [
			{ name: 'Recurring (RECUR)', value: 'RECUR', description: 'Recurring payments from the same customer' },
			{ name: 'E-Commerce (ECOM)', value: 'ECOM', description: 'Merchant-initiated charge on an e-commerce account' },
			{ name: 'Mail/Telephone Order (MOTO)', value: 'MOTO', description: 'Merchant-initiated charge on a MOTO account' },
		],
		description: 'Sent as accounttypedescription',
		displayOptions: { show },
	},
	{
		displayName: 'Initiation Reason',
		name: 'initiationReason',
		type: 'options',
		default: 'C',
		options: [
			{ name: 'Delayed Charge (D)', value: 'D' },
			{ name: 'No-Show (X)', value: 'X' },
			{ name: 'Re-Authorisation (A)', value: 'A' },
			{ name: 'Resubmission (S)', value: 'S' },
			{ name: 'Unscheduled Payment (C)', value: 'C' },
		],
		description: 'Why the merchant initiates this charge on stored credentials (initiationreason), needed for ECOM and MOTO',
		displayOptions: { show: { ...show, accountType: ['ECOM', 'MOTO'] } },
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show },
		options: [
			concurrencyOption,
			connectTimeoutOption,
			includeInputOption,
			{
				displayName: 'Max Billing Key Length',
				name: 'maxOrderReferenceLength',
				type: 'number',
				default: 25,
				typeOptions: { minValue: 1, maxValue: 255 },
				description:
					'Longest billing key accepted. Trust Payments recommends order references of 25 characters or less; a truncated one could not be found again by the duplicate check.',
			},
			{
				displayName: 'Subscription Number',
				name: 'subscriptionNumber',
				type: 'number',
				default: 0,
				typeOptions: { minValue: 0 },
				description: 'Position of this payment in a recurring series (0 = not sent)',
			},
			{
				displayName: 'Subscription Type',
				name: 'subscriptionType',
				type: 'options',
				default: '',
				options: [
					{ name: 'Not Sent', value: '' },
					{ name: 'Installment', value: 'INSTALLMENT' },
					{ name: 'Recurring', value: 'RECURRING' },
				],
			},
			timeoutOption,
			verificationDelayOption,
		],
	},
];

export async function execute(ctx: OperationContext): Promise<IDataObject> {
	const { fns, itemIndex } = ctx;
	const parent = transactionReference(fns, itemIndex, 'storedCardReference', 'Stored Card Reference');
	const billingKey = requiredString(fns, itemIndex, 'billingKey', 'Billing Key');
	const maxLength = numberOption(fns, itemIndex, 'maxOrderReferenceLength', 25, 1);
	if (billingKey.length > maxLength) {
		throw inputError(
			fns,
			itemIndex,
			'billingKey',
			`Billing Key (billingKey) "${billingKey}" is ${billingKey.length} characters; at most ${maxLength} are allowed`,
			'Gateways may truncate long order references, which would defeat the duplicate-charge check. Use a shorter key or raise the limit in Options.',
		);
	}
	const currency = currencyParam(fns, itemIndex);
	const amountMinor = amountParam(fns, itemIndex, currency);
	const accountType = fns.getNodeParameter('accountType', itemIndex, 'RECUR') as string;
	if (!['RECUR', 'ECOM', 'MOTO'].includes(accountType)) {
		throw inputError(fns, itemIndex, 'accountType', `Account Type (accountType) "${accountType}" must be RECUR, ECOM or MOTO`);
	}
	const initiationReason = accountType === 'RECUR' ? undefined : (fns.getNodeParameter('initiationReason', itemIndex, 'C') as string);
	const subscriptionType = fns.getNodeParameter('options.subscriptionType', itemIndex, '') as string;
	const subscriptionNumber = numberOption(fns, itemIndex, 'subscriptionNumber', 0, 0);
	const verificationDelayMs = numberOption(fns, itemIndex, 'verificationDelayMs', 2000, 0);

	const base: IDataObject = { billingKey, amountMinor, amount: formatMinorUnits(amountMinor, currency), currency, reusedExisting: false };

	const request: GatewayRequest = {
		requesttypedescriptions: ['AUTH'],
		sitereference: ctx.connection.siteReference,
		accounttypedescription: accountType,
		parenttransactionreference: parent,
		credentialsonfile: '2',
		orderreference: billingKey,
		baseamount: String(amountMinor),
		currencyiso3a: currency,
		...(initiationReason ? { initiationreason: initiationReason } : {}),
		...(subscriptionType ? { subscriptiontype: subscriptionType } : {}),
		...(subscriptionNumber > 0 ? { subscriptionnumber: String(Math.floor(subscriptionNumber)) } : {}),
	};

	// Same process, same billing key: the second execution waits here until the first has charged.
	try {
		return await withBillingKeyLock(
			billingKeyLockKey(ctx.connection.siteReference, billingKey),
			async () => await queryThenCharge(ctx, { billingKey, request, base, amountMinor, currency, verificationDelayMs }),
			ctx.transport.signal,
		);
	} catch (error) {
		if (error instanceof LockWaitAborted) return resultItem({ outcome: 'retryable', retryable: true, reason: `Nothing was charged: ${error.message}` }, undefined, base);
		throw error;
	}
}

interface ChargeJob {
	billingKey: string;
	request: GatewayRequest;
	base: IDataObject;
	amountMinor: number;
	currency: string;
	verificationDelayMs: number;
}

async function queryThenCharge(ctx: OperationContext, job: ChargeJob): Promise<IDataObject> {
	const { billingKey, request, base, amountMinor, currency, verificationDelayMs } = job;
	// 1. Has this billing key been charged already?
	const before = await findExistingCharge(ctx, billingKey);
	if (before.state === 'unverifiable') {
		return resultItem(
			{ outcome: 'retryable', retryable: true, reason: `Nothing was charged: could not check the gateway for an earlier charge (${before.reason})` },
			undefined,
			base,
		);
	}
	if (before.state !== 'none') return existingChargeItem(before, base, amountMinor, currency, 'already charged for this billing key');

	// 2. Charge.
	const result = await callGateway(ctx, request);
	let doubt: { reason: string; classification?: Classification; response?: GatewayResponse };
	if (result.ok) {
		const classification = classifyResponse('AUTH', result.response);
		const item = { ...base, requestreference: result.requestReference };
		if (classification.outcome === 'paid' || classification.outcome === 'declined' || classification.outcome === 'invalid') {
			return resultItem(classification, result.response, item);
		}
		doubt = { reason: classification.reason, classification, response: result.response };
	} else if (!result.error.mayHaveBeenProcessed) {
		return resultItem(
			{ outcome: 'retryable', retryable: true, reason: `Nothing was charged: ${result.error.message}` },
			undefined,
			{ ...base, requestreference: result.requestReference },
		);
	} else {
		doubt = { reason: result.error.message };
	}

	// 3. The AUTH may or may not have been charged: ask the gateway, never re-send blindly.
	await sleep(verificationDelayMs);
	const after = await findExistingCharge(ctx, billingKey);
	const extra = { ...base, requestreference: result.requestReference, uncertainResult: doubt.reason };
	if (after.state === 'charged' || after.state === 'suspended') {
		return existingChargeItem(after, extra, amountMinor, currency, `charge confirmed by a transaction query after: ${doubt.reason}`);
	}
	if (after.state === 'none' && doubt.classification?.outcome === 'retryable') {
		// A gateway-side failure such as 50000 that the query confirms took no money.
		return resultItem({ ...doubt.classification, reason: `${doubt.reason}; the gateway shows no charge for this billing key` }, doubt.response, {
			...extra,
			verifiedNoCharge: true,
		});
	}
	const verified = after.state === 'none';
	return resultItem(
		{
			outcome: 'unknown',
			retryable: false,
			reason: verified
				? `${doubt.reason}. The gateway shows no charge for this billing key yet; it may still appear. Re-running later is safe: the node checks again before charging.`
				: `${doubt.reason}. Could not check the gateway afterwards (${(after as { reason: string }).reason}). Re-running later is safe: the node checks again before charging.`,
		},
		doubt.response,
		{ ...extra, verifiedNoCharge: verified },
	);
}

function existingChargeItem(existing: ExistingCharge, base: IDataObject, amountMinor: number, currency: string, why: string): IDataObject {
	const record = (existing as { record: GatewayResponse }).record;
	const mismatch = record.baseamount !== String(amountMinor) || record.currencyiso3a !== currency;
	const classification = classifyResponse('AUTH', record);
	const reason = `${classification.reason}; ${why}${
		mismatch ? ` (the existing charge is ${String(record.baseamount)} ${String(record.currencyiso3a)} minor units, not ${amountMinor} ${currency})` : ''
	}`;
	return resultItem({ ...classification, reason }, record, {
		...base,
		reusedExisting: true,
		...(mismatch ? { existingChargeMismatch: true } : {}),
	});
}
