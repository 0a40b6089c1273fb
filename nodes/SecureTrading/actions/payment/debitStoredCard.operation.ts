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
// Query and AUTH run under an in-process lock per site and billing key (`chargeLock`), so two
// executions charging the same key at once in one n8n process cannot both charge.
import { sleep, type IDataObject, type INodeProperties } from 'n8n-workflow';
import { MAX_BILLING_KEY_LENGTH, validateBillingKey } from '../../../shared/billingKey';
import { KeyedLock, LockWaitAborted } from '../../../shared/concurrency';
import { formatMinorUnits } from '../../../shared/currency';
import { choiceProperty, forOperation, optionsCollection } from '../../../shared/descriptions';
import { FieldError } from '../../../shared/errors';
import { forEachItem, type OperationContext } from '../../../shared/operation';
import { choiceParameter, numberParameter, textParameter } from '../../../shared/parameters';
import type { GatewayRequest, GatewayResponse } from '../../transport';
import type { SecureTradingConnection } from '../../transport/credentials';
import { callGateway, findExistingCharge, gatewayCall, type ExistingCharge, type GatewayCall } from '../../helpers/gateway';
import { classifyResponse, resultItem, settleItem, type Classification } from '../../helpers/outcome';
import { amountParameter, currencyParameter, transactionReference } from '../../helpers/params';
import {
	amountFields,
	concurrencyOption,
	connectTimeoutOption,
	includeInputOption,
	storedCardReferenceProperty,
	timeoutOption,
	verificationDelayOption,
} from '../common.descriptions';

const properties: INodeProperties[] = [
	{
		displayName:
			'Before charging, the node always checks the gateway for an earlier successful charge with the same billing key and returns that instead, so re-running is safe',
		name: 'debitNotice',
		type: 'notice',
		default: '',
	},
	storedCardReferenceProperty('Transaction reference of the earlier AUTH or ACCOUNTCHECK that stored the card (sent as parenttransactionreference)'),
	{
		displayName: 'Billing Key',
		name: 'billingKey',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'INV-2024-000123',
		description: "The billing item's unique key, sent as orderreference. At most one successful charge is made per key.",
	},
	...amountFields(),
	choiceProperty('Account Type', 'accountType', 'RECUR', [
		{ name: 'Recurring (RECUR)', value: 'RECUR', description: 'Recurring payments from the same customer' },
		{ name: 'E-Commerce (ECOM)', value: 'ECOM', description: 'Merchant-initiated charge on an e-commerce account' },
		{ name: 'Mail/Telephone Order (MOTO)', value: 'MOTO', description: 'Merchant-initiated charge on a MOTO account' },
	], 'Sent as accounttypedescription'),
	choiceProperty('Initiation Reason', 'initiationReason', 'C', [
		{ name: 'Delayed Charge (D)', value: 'D' },
		{ name: 'No-Show (X)', value: 'X' },
		{ name: 'Re-Authorisation (A)', value: 'A' },
		{ name: 'Resubmission (S)', value: 'S' },
		{ name: 'Unscheduled Payment (C)', value: 'C' },
	], 'Why the merchant initiates this charge on stored credentials (initiationreason), needed for ECOM and MOTO', { displayOptions: { show: { accountType: ['ECOM', 'MOTO'] } } }),
	optionsCollection([
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
				'Longest billing key accepted, at most 25 (the billing key limit): a lower value only narrows it. Trust Payments recommends order references of 25 characters or less; a truncated one could not be found again by the duplicate check.',
		},
		{
			displayName: 'Subscription Number',
			name: 'subscriptionNumber',
			type: 'number',
			default: 0,
			typeOptions: { minValue: 0 },
			description: 'Position of this payment in a recurring series (0 = not sent)',
		},
		choiceProperty('Subscription Type', 'subscriptionType', '', [
			{ name: 'Not Sent', value: '' },
			{ name: 'Installment', value: 'INSTALLMENT' },
			{ name: 'Recurring', value: 'RECURRING' },
		]),
		timeoutOption,
		verificationDelayOption,
	]),
];

export const description = forOperation('payment', 'debitStoredCard', properties);

/**
 * Held from the pre-charge query until the outcome is known, per site and billing key. Module
 * level on purpose: n8n loads a node's module once per process and every execution shares it.
 * It does not reach across processes (queue-mode workers); there the query guard still applies.
 */
export const chargeLock = new KeyedLock();

export function chargeLockKey(siteReference: string, billingKey: string): string {
	return `${siteReference}\u0000${billingKey}`;
}

export async function execute(ctx: OperationContext<SecureTradingConnection>): Promise<void> {
	// An AUTH waits about a second on the acquirer: charge several items at once.
	const concurrency = numberParameter(ctx.fns, 'options.concurrency', 0, { default: 10, min: 1, max: 50, integer: true, label: 'Concurrency' });
	await forEachItem(ctx, async (_item, itemIndex) => await settleItem(ctx, itemIndex, async () => await debit(ctx, itemIndex)), concurrency);
}

async function debit(ctx: OperationContext<SecureTradingConnection>, itemIndex: number): Promise<IDataObject> {
	const { fns } = ctx;
	const parent = transactionReference(fns, itemIndex, 'storedCardReference', 'Stored Card Reference');
	const billingKey = validateBillingKey(fns.getNodeParameter('billingKey', itemIndex, '') as unknown, 'billingKey');
	// A further, lower limit for gateways that take shorter order references; never above the key's own.
	const maxLength = numberParameter(fns, 'options.maxOrderReferenceLength', itemIndex, {
		default: MAX_BILLING_KEY_LENGTH,
		min: 1,
		max: 255,
		integer: true,
		label: 'Max Billing Key Length',
	});
	if (billingKey.length > maxLength) {
		throw new FieldError(
			'billingKey',
			`Billing key "${billingKey}" is longer than ${maxLength} characters, the Max Billing Key Length option (field "billingKey")`,
			'Gateways may truncate long order references, which would defeat the duplicate-charge check. Use a shorter key or raise the limit in Options.',
		);
	}
	const currency = currencyParameter(fns, itemIndex);
	const amountMinor = amountParameter(fns, itemIndex, currency);
	const accountType = choiceParameter(fns, 'accountType', itemIndex, ['RECUR', 'ECOM', 'MOTO'] as const, 'RECUR');
	const initiationReason = accountType === 'RECUR' ? undefined : textParameter(fns, 'initiationReason', itemIndex, 'C');
	const subscriptionType = textParameter(fns, 'options.subscriptionType', itemIndex);
	const subscriptionNumber = numberParameter(fns, 'options.subscriptionNumber', itemIndex, { default: 0, min: 0, label: 'Subscription Number' });
	const verificationDelayMs = numberParameter(fns, 'options.verificationDelayMs', itemIndex, { default: 2000, min: 0, label: 'Verification Delay (Ms)' });
	const call = gatewayCall(ctx, itemIndex);

	const base: IDataObject = { billingKey, amountMinor, amount: formatMinorUnits(amountMinor, currency), currency, reusedExisting: false };

	const request: GatewayRequest = {
		requesttypedescriptions: ['AUTH'],
		sitereference: call.connection.siteReference,
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
		return await chargeLock.run(
			chargeLockKey(call.connection.siteReference, billingKey),
			async () => await queryThenCharge(call, { billingKey, request, base, amountMinor, currency, verificationDelayMs }),
			call.transport.signal,
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

async function queryThenCharge(call: GatewayCall, job: ChargeJob): Promise<IDataObject> {
	const { billingKey, request, base, amountMinor, currency, verificationDelayMs } = job;
	// 1. Has this billing key been charged already?
	const before = await findExistingCharge(call, billingKey);
	if (before.state === 'unverifiable') {
		return resultItem(
			{ outcome: 'retryable', retryable: true, reason: `Nothing was charged: could not check the gateway for an earlier charge (${before.reason})` },
			undefined,
			base,
		);
	}
	if (before.state !== 'none') return existingChargeItem(before, base, amountMinor, currency, 'already charged for this billing key');

	// 2. Charge.
	const result = await callGateway(call, request);
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
	const after = await findExistingCharge(call, billingKey);
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
