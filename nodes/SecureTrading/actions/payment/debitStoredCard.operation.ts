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
// Query and AUTH run under a lock per site and billing key, so two executions charging the same
// key at once cannot both charge: in one n8n process (`chargeLock`), or, with Charge Record
// PostgreSQL, across every queue-mode worker (an advisory lock that dies with its worker).
//
// The gateway's search lags its charges, so "the query shows nothing" is no proof. Hence:
// - an AUTH whose result stays unknown leaves a `settle` record on its item; handed back (Settle
//   Record), it makes the retry only check, never AUTH, until the settle window has passed AND
//   two spaced queries showed no charge;
// - a memo of each key's charge, never-retry decline or unknown AUTH answers repeats (same batch,
//   quick retries) before any query: per process (`chargeMemo`), or shared by every worker in
//   PostgreSQL, where an AUTH under way is recorded first, so a worker that dies mid-AUTH leaves an
//   unknown outcome behind, never a free key (helpers/chargeStore.ts);
// - a never-retry decline is final for the key, and soft declines stop at Max Charge Attempts.
import { sleep, type IDataObject, type IExecuteFunctions, type INodeProperties } from 'n8n-workflow';
import { itemParameter } from '../../../shared/itemParameter';
import { MAX_BILLING_KEY_LENGTH, validateBillingKey } from '../../../shared/billingKey';
import { LockWaitAborted } from '../../../shared/concurrency';
import { formatMinorUnits } from '../../../shared/currency';
import { choiceProperty, forOperation, optionsCollection } from '../../../shared/descriptions';
import { errorFacts, FieldError, ServiceError } from '../../../shared/errors';
import { journalFor, journalSettings } from '../../../shared/journal';
import { forEachItem, type OperationContext } from '../../../shared/operation';
import { choiceParameter, numberParameter } from '../../../shared/parameters';
import { credentialSecrets, withSecrets } from '../../../shared/redact';
import { newRequestReference, type GatewayRequest, type GatewayResponse } from '../../transport';
import type { SecureTradingConnection } from '../../transport/credentials';
import { afterEmptyCheck, mergeSettleRecords, parseSettleRecord, type MemoEntry, type SettleRecord } from '../../helpers/chargeMemo';
import { PostgresChargeStore, processChargeStore, type AuthEnd, type AuthFacts, type ChargeKey, type ChargeStore } from '../../helpers/chargeStore';
import { callGateway, findExistingCharge, gatewayCall, type ExistingCharge, type GatewayCall } from '../../helpers/gateway';
import { DECLINE_CATEGORIES, OVERRIDES_FIELD, parseDeclineOverrides, type DeclineOverrides } from '../../helpers/declineCategories';
import { CONFIGURATION_CODES, classifyResponse, resultItem, settleItem, type Classification } from '../../helpers/outcome';
import { amountParameter, currencyParameter, merchantInitiatedFields, transactionReference } from '../../helpers/params';
import {
	amountFields,
	concurrencyOption,
	connectTimeoutOption,
	includeInputOption,
	storedCardReferenceProperty,
	timeoutOption,
	verificationDelayOption,
} from '../common.descriptions';

/** Options of the duplicate and retry guards (sorted into the Options collection below). */
const guardOptions: INodeProperties[] = [
	{
		displayName: 'Charge Attempt',
		name: 'chargeAttempt',
		type: 'number',
		default: 0,
		typeOptions: { minValue: 0, maxValue: 10 },
		description:
			"Which attempt this is for the billing key (e.g. the dunning attempt, 1 for the first charge); 0 = not tracked. When the gateway already shows this many declined AUTHs for the key, this attempt was made before (a redelivery after a crash): its decline is returned again without a new AUTH.",
	},
	{
		displayName: 'Max Charge Attempts',
		name: 'maxChargeAttempts',
		type: 'number',
		default: 3,
		typeOptions: { minValue: 1, maxValue: 10 },
		description:
			'Most AUTHs per billing key: when the gateway already shows this many declined AUTHs for the key, the item is declined (not retryable) without charging. 3 = the first charge and the default dunning retries after 3 and 7 days. A never-retry decline (lost, stolen, closed account, ...) is final at once.',
	},
	{
		displayName: 'Settle Query Gap (Ms)',
		name: 'settleQueryGapMs',
		type: 'number',
		default: 60000,
		typeOptions: { minValue: 0 },
		description: 'After an AUTH with an unknown result, how far apart two "no charge" queries must be to count as separate checks',
	},
	{
		displayName: 'Settle Window (Minutes)',
		name: 'settleWindowMinutes',
		type: 'number',
		default: 15,
		typeOptions: { minValue: 1 },
		description:
			'After an AUTH with an unknown result, no new AUTH for the billing key until this long has passed AND two spaced queries showed no charge. Remaining risk: a gateway that shows a charge only after this window would be charged twice.',
	},
];

/** Changes which bank declines are charged again (helpers/declineCategories.ts, docs/declines.md). */
const declineOverridesOption: INodeProperties = {
	displayName: 'Decline Category Overrides',
	name: 'declineCategoryOverrides',
	type: 'string',
	default: '',
	placeholder: '05=neverApprove, 51=tryLater',
	description: `Gives an acquirer response code another decline category for this node, e.g. "05=neverApprove, 51=tryLater". Categories: ${DECLINE_CATEGORIES.join(', ')}; only tryLater is charged again. The defaults follow the Visa and Mastercard rules (docs/declines.md): a code the schemes say never to retry must not be made tryLater.`,
};

const properties: INodeProperties[] = [
	{
		displayName:
			'Before charging, the node checks for an earlier charge with the same billing key (in its memory, else by asking the gateway) and returns that instead, so re-running is safe. An item whose result was unknown is only re-checked, never charged again, until its settle window has passed.',
		name: 'debitNotice',
		type: 'notice',
		default: '',
	},
	storedCardReferenceProperty('Transaction reference of the earlier AUTH or ACCOUNTCHECK that stored the card (sent as parenttransactionreference)'),
	choiceProperty(
		'Charge Record',
		'chargeRecord',
		'process',
		[
			{
				name: 'Memory of This Process',
				value: 'process',
				description:
					"The lock and memory of this n8n process: executions of one process never charge a billing key twice; other queue-mode workers are held back only by the gateway's query, which lags",
			},
			{
				name: 'PostgreSQL, Shared by Every Worker',
				value: 'postgres',
				description:
					'A lock and a table in the database of a Postgres credential: one worker at a time charges a billing key, and every worker knows what the others charged, declined or left unknown. Use this in queue mode.',
			},
		],
		'Where the guard against charging a billing key twice keeps its lock and what it learnt (charges, never-retry declines, AUTHs with an unknown outcome)',
	),
	{
		displayName: 'Billing Key',
		name: 'billingKey',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'INV-2024-000123',
		description: "The billing item's unique key, sent as orderreference. At most one successful charge is made per key.",
	},
	{
		displayName: 'Settle Record',
		name: 'settleRecord',
		type: 'json',
		default: '={{ $json.payment?.settle ?? $json.settle ?? "" }}',
		description:
			'The "settle" object an earlier run left on an item whose outcome was unknown, handed back when that item is retried. With it the node only checks the gateway (no new AUTH) until the Settle Window has passed with two spaced queries showing no charge. Empty for a first attempt.',
	},
	...amountFields(),
	// Two kinds of merchant-initiated charge, each with the exact fields Trust Payments documents for it
	// (docs/secure-trading.md, "Merchant-initiated charges: which fields and why").
	choiceProperty('Charge Type', 'chargeType', 'unscheduled', [
		{
			name: 'Unscheduled (Credential on File)',
			value: 'unscheduled',
			description: 'Amounts and dates vary (e.g. billing per lead): ECOM or MOTO, credentialsonfile 2, initiationreason C',
		},
		{
			name: 'Recurring Series',
			value: 'recurring',
			description: 'A fixed agreement (subscription or instalments): RECUR, credentialsonfile 2, subscriptiontype and subscriptionnumber. The merchant ID must be enabled for recurring payments.',
		},
	], 'Which kind of merchant-initiated charge this is; decides the fields sent'),
	choiceProperty('Account Type', 'accountType', 'ECOM', [
		{ name: 'E-Commerce (ECOM)', value: 'ECOM', description: 'The card was stored through a website' },
		{ name: 'Mail/Telephone Order (MOTO)', value: 'MOTO', description: 'The card was taken by post or phone' },
	], 'Sent as accounttypedescription for an unscheduled charge (recurring charges always send RECUR)', { displayOptions: { show: { chargeType: ['unscheduled'] } } }),
	choiceProperty('Subscription Type', 'subscriptionType', 'RECURRING', [
		{ name: 'Recurring', value: 'RECURRING', description: 'Open-ended series, e.g. a monthly subscription' },
		{ name: 'Installment', value: 'INSTALLMENT', description: 'A fixed number of payments for one purchase' },
	], 'Sent as subscriptiontype', { displayOptions: { show: { chargeType: ['recurring'] } } }),
	{
		displayName: 'Subscription Number',
		name: 'subscriptionNumber',
		type: 'number',
		default: 0,
		required: true,
		typeOptions: { minValue: 0 },
		description: 'Position of this payment in the series (the first payment is 1), sent as subscriptionnumber. Required: usually an expression.',
		displayOptions: { show: { chargeType: ['recurring'] } },
	},
	optionsCollection([
		concurrencyOption,
		connectTimeoutOption,
		declineOverridesOption,
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
		...guardOptions,
		timeoutOption,
		verificationDelayOption,
	]),
];

export const description = forOperation('payment', 'debitStoredCard', properties);

// The in-process lock and memo (Charge Record "Memory of This Process"), module level in chargeStore.ts.
export { chargeLock, chargeLockKey, chargeMemo } from '../../helpers/chargeStore';

export async function execute(ctx: OperationContext<SecureTradingConnection>): Promise<void> {
	// An AUTH waits about a second on the acquirer: charge several items at once.
	const concurrency = numberParameter(ctx.fns, 'options.concurrency', 0, { default: 10, min: 1, max: 50, integer: true, label: 'Concurrency' });
	// A store that cannot be opened fails each item (nothing charged), as any other per-item error.
	const opened = await openChargeStore(ctx.fns).then(
		(value) => ({ ok: true as const, ...value }),
		(error: unknown) => ({ ok: false as const, error, secrets: [] }),
	);
	await withSecrets(opened.secrets, async () => {
		await forEachItem(
			ctx,
			async (_item, itemIndex) =>
				await settleItem(ctx, itemIndex, async () => {
					if (!opened.ok) throw opened.error;
					return await debit(ctx, itemIndex, opened.store);
				}),
			concurrency,
		);
	});
}

/** The Charge Record parameter's store (read for item 0), with the secrets of its credential. */
async function openChargeStore(fns: IExecuteFunctions): Promise<{ store: ChargeStore; secrets: string[] }> {
	const record = choiceParameter(fns, 'chargeRecord', 0, ['process', 'postgres'] as const, 'process', 'Charge Record');
	if (record === 'process') return { store: processChargeStore, secrets: [] };
	// n8n's own Postgres credential; its pool is made once per credential and process.
	const data = await fns.getCredentials('postgres');
	return { store: new PostgresChargeStore(journalFor(journalSettings(data))), secrets: credentialSecrets(data) };
}

async function debit(ctx: OperationContext<SecureTradingConnection>, itemIndex: number, store: ChargeStore): Promise<IDataObject> {
	const { fns } = ctx;
	const parent = transactionReference(fns, itemIndex, 'storedCardReference', 'Stored Card Reference');
	const billingKey = validateBillingKey(itemParameter(fns, 'billingKey', itemIndex, '') as unknown, 'billingKey');
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
	const merchantInitiated = merchantInitiatedFields(fns, itemIndex);
	const verificationDelayMs = numberParameter(fns, 'options.verificationDelayMs', itemIndex, { default: 2000, min: 0, label: 'Verification Delay (Ms)' });
	const guard = guardParameters(ctx, itemIndex);
	const call = gatewayCall(ctx, itemIndex);

	const base: IDataObject = { billingKey, amountMinor, amount: formatMinorUnits(amountMinor, currency), currency, reusedExisting: false };

	const request: GatewayRequest = {
		requesttypedescriptions: ['AUTH'],
		sitereference: call.connection.siteReference,
		parenttransactionreference: parent,
		orderreference: billingKey,
		baseamount: String(amountMinor),
		currencyiso3a: currency,
		// accounttypedescription, credentialsonfile and the Charge Type's own fields, exactly as documented.
		...merchantInitiated,
	};

	// Same billing key (in this process, or on any worker with Charge Record PostgreSQL): the second
	// execution waits here until the first has charged.
	const key: ChargeKey = { siteReference: call.connection.siteReference, billingKey };
	const memo = new KeyRecord(store, key);
	try {
		const json = await store.run(key, async () => await queryThenCharge(call, memo, { billingKey, request, base, amountMinor, currency, verificationDelayMs, ...guard }), call.transport.signal);
		return memo.errors.length > 0 ? { ...json, chargeRecordError: memo.errors.join('; ') } : json;
	} catch (error) {
		if (error instanceof LockWaitAborted) return resultItem({ outcome: 'retryable', retryable: true, reason: `Nothing was charged: ${error.message}` }, undefined, base);
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- below the router: toNodeError makes it a NodeApiError/NodeOperationError once
		throw error;
	}
}

/** The item's duplicate and retry guards: its settle record and the options that bound them. */
interface Guard {
	settle?: SettleRecord;
	/** Which attempt this is (0 = not tracked). */
	chargeAttempt: number;
	maxChargeAttempts: number;
	settleWindowMs: number;
	settleQueryGapMs: number;
	/** Decline Category Overrides: which bank declines count as never to retry. */
	overrides: DeclineOverrides;
}

function guardParameters(ctx: OperationContext<SecureTradingConnection>, itemIndex: number): Guard {
	const { fns } = ctx;
	const settle = parseSettleRecord(itemParameter(fns, 'settleRecord', itemIndex, '') as unknown);
	return {
		...(settle ? { settle } : {}),
		chargeAttempt: numberParameter(fns, 'options.chargeAttempt', itemIndex, { default: 0, min: 0, max: 10, integer: true, label: 'Charge Attempt' }),
		maxChargeAttempts: numberParameter(fns, 'options.maxChargeAttempts', itemIndex, { default: 3, min: 1, max: 10, integer: true, label: 'Max Charge Attempts' }),
		settleWindowMs: numberParameter(fns, 'options.settleWindowMinutes', itemIndex, { default: 15, min: 1, label: 'Settle Window (Minutes)' }) * 60_000,
		settleQueryGapMs: numberParameter(fns, 'options.settleQueryGapMs', itemIndex, { default: 60_000, min: 0, label: 'Settle Query Gap (Ms)' }),
		overrides: parseDeclineOverrides(itemParameter(fns, OVERRIDES_FIELD, itemIndex, '') as unknown),
	};
}

interface ChargeJob extends Guard {
	billingKey: string;
	request: GatewayRequest;
	base: IDataObject;
	amountMinor: number;
	currency: string;
	verificationDelayMs: number;
}

const RERUN_SAFE = 'Re-running later is safe: the node checks again before charging.';

/**
 * One billing key's memo in the Charge Record. Reading it, and recording an AUTH before it is
 * sent, must succeed (else nothing is charged); what is remembered after the gateway decided is
 * best effort: a failure to write it is noted on the item (chargeRecordError), never its outcome.
 * A PostgreSQL record left at "charging" reads as an unknown outcome, the safe side.
 */
class KeyRecord {
	readonly errors: string[] = [];

	constructor(
		private readonly store: ChargeStore,
		private readonly key: ChargeKey,
	) {}

	async get(): Promise<MemoEntry | undefined> {
		return await this.store.get(this.key);
	}

	async authStarting(facts: AuthFacts): Promise<void> {
		await this.store.authStarting(this.key, facts);
	}

	async set(entry: MemoEntry): Promise<void> {
		await this.keep(this.store.set(this.key, entry));
	}

	async delete(): Promise<void> {
		await this.keep(this.store.delete(this.key));
	}

	async authEnded(end: AuthEnd, facts: IDataObject): Promise<void> {
		await this.keep(this.store.authEnded(this.key, end, facts));
	}

	private async keep(write: Promise<void>): Promise<void> {
		try {
			await write;
		} catch (error) {
			this.errors.push(errorFacts(error).message);
		}
	}
}

async function queryThenCharge(call: GatewayCall, memo: KeyRecord, job: ChargeJob): Promise<IDataObject> {
	const { billingKey, request, base, amountMinor, currency, verificationDelayMs } = job;

	// 0. What is already known about the key (this process's memory, or every worker's record) answers without asking the gateway.
	const known = await memo.get();
	if (known?.kind === 'charged') return await existingChargeItem({ state: 'charged', record: known.record }, base, amountMinor, currency, 'already charged for this billing key');
	// Remembered as never to retry; an override made since may allow it, then the gateway's record decides below.
	if (known?.kind === 'hardDecline' && !classifyResponse('AUTH', known.record, job.overrides).retryable) return declinedBeforeItem(known.record, base, job.overrides);
	let settle = mergeSettleRecords(job.settle, known?.kind === 'uncertain' ? known.settle : undefined);
	if (known?.kind === 'uncertain' && settle?.lastCheckedAt && Date.now() - Date.parse(settle.lastCheckedAt) < job.settleQueryGapMs) {
		// Just checked (e.g. the same key twice in one batch): a query now could not know more.
		return unknownItem(settle, base, 'the gateway showed no charge moments ago; not charged again');
	}

	// 1. Has this billing key been charged, or refused for good, already?
	const before = await findExistingCharge(call, billingKey);
	if (before.state === 'unverifiable') {
		if (settle) return unknownItem(settle, base, `could not check the gateway (${before.reason}); not charged again`);
		return resultItem(
			{ outcome: 'retryable', retryable: true, reason: `Nothing was charged: could not check the gateway for an earlier charge (${before.reason})` },
			undefined,
			base,
		);
	}
	if (before.state !== 'none') return await existingChargeItem(before, base, amountMinor, currency, 'already charged for this billing key', memo);
	// The key's never-retry decline, judged with this node's overrides (the query's own hardDecline knows none).
	const hardDecline = before.declines.find((record) => !classifyResponse('AUTH', record, job.overrides).retryable);
	if (hardDecline) {
		await memo.set({ kind: 'hardDecline', record: hardDecline });
		return declinedBeforeItem(hardDecline, base, job.overrides);
	}
	if (before.declines.length >= job.maxChargeAttempts) return attemptsExhaustedItem(before.declines, job.maxChargeAttempts, base, job.overrides);
	// This attempt was made already (redelivered after a crash): answer with its decline, no new AUTH.
	if (job.chargeAttempt > 0 && before.declines.length >= job.chargeAttempt) return attemptMadeBeforeItem(before.declines, job.chargeAttempt, base, job.overrides);
	let charge = base;
	if (settle) {
		// An earlier AUTH's result is unknown: only a settled uncertainty (window passed, two spaced
		// empty checks) allows a new AUTH; until then the item stays unknown.
		settle = afterEmptyCheck(settle, Date.now(), job.settleQueryGapMs);
		const waitedMs = Date.now() - Date.parse(settle.uncertainSince);
		if (waitedMs < job.settleWindowMs || settle.spacedChecks < 2) {
			await memo.set({ kind: 'uncertain', settle });
			return unknownItem(
				settle,
				base,
				`the gateway still shows no charge (check ${settle.checks}); no new AUTH before ${Math.round(job.settleWindowMs / 60_000)} min after it and two checks at least ${job.settleQueryGapMs} ms apart`,
				true,
			);
		}
		charge = { ...base, previousSettle: settleData(settle) };
	}

	// 2. Charge. The record says an AUTH is under way before it leaves (Charge Record PostgreSQL).
	const requestReference = newRequestReference();
	await memo.authStarting({ attempt: job.chargeAttempt, amountMinor, currency, requestreference: requestReference });
	const startedAt = Date.now();
	let result;
	try {
		result = await callGateway(call, request, requestReference);
	} catch (error) {
		// A refused credential or site: the gateway took nothing. Anything else may have charged: the record stays.
		if (error instanceof ServiceError && (error.code === '401' || CONFIGURATION_CODES.has(error.code ?? ''))) {
			await memo.authEnded('notCharged', { requestreference: requestReference, reason: errorFacts(error).message });
		}
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- below the router: toNodeError makes it a NodeApiError/NodeOperationError once
		throw error;
	}
	let doubt: { reason: string; classification?: Classification; response?: GatewayResponse };
	if (result.ok) {
		const classification = classifyResponse('AUTH', result.response, job.overrides);
		const item = { ...charge, requestreference: result.requestReference };
		if (classification.outcome === 'paid' || classification.outcome === 'declined' || classification.outcome === 'invalid') {
			await remember(memo, classification, result.response, job);
			return resultItem(classification, result.response, item);
		}
		doubt = { reason: classification.reason, classification, response: result.response };
	} else if (!result.error.mayHaveBeenProcessed) {
		if (settle) await memo.delete();
		else await memo.authEnded('notCharged', { requestreference: result.requestReference, reason: result.error.message });
		return resultItem(
			{ outcome: 'retryable', retryable: true, reason: `Nothing was charged: ${result.error.message}` },
			undefined,
			{ ...charge, requestreference: result.requestReference },
		);
	} else {
		doubt = { reason: result.error.message };
	}

	// 3. The AUTH may or may not have been charged: ask the gateway, never re-send blindly.
	await sleep(verificationDelayMs);
	const after = await findExistingCharge(call, billingKey);
	const extra = { ...charge, requestreference: result.requestReference, uncertainResult: doubt.reason };
	if (after.state === 'charged' || after.state === 'suspended') {
		// A suspended charge is not remembered (it may be released or cancelled), but the AUTH's outcome is known.
		if (after.state === 'suspended') await memo.authEnded('suspended', { record: { ...after.record } });
		return await existingChargeItem(after, extra, amountMinor, currency, `charge confirmed by a transaction query after: ${doubt.reason}`, memo);
	}
	if (after.state === 'none' && after.declines.length > before.declines.length) {
		// The query shows this AUTH's own decline: the result is known after all.
		const record = after.declines[after.declines.length - 1];
		const classification = classifyResponse('AUTH', record, job.overrides);
		await remember(memo, classification, record, job);
		return resultItem({ ...classification, reason: `${classification.reason}; decline confirmed by a transaction query after: ${doubt.reason}` }, record, extra);
	}
	if (after.state === 'none' && doubt.classification?.outcome === 'retryable') {
		// A gateway-side failure such as 50000 that the query confirms took no money.
		if (settle) await memo.delete();
		else await memo.authEnded('notCharged', { requestreference: result.requestReference, reason: doubt.reason });
		return resultItem({ ...doubt.classification, reason: `${doubt.reason}; the gateway shows no charge for this billing key` }, doubt.response, {
			...extra,
			verifiedNoCharge: true,
		});
	}
	const verified = after.state === 'none';
	const nowMs = Date.now();
	const uncertain: SettleRecord = {
		uncertainSince: new Date(startedAt).toISOString(),
		checks: verified ? 1 : 0,
		spacedChecks: verified ? 1 : 0,
		...(verified ? { lastCheckedAt: new Date(nowMs).toISOString() } : {}),
		requestreference: result.requestReference,
		uncertainResult: doubt.reason,
	};
	await memo.set({ kind: 'uncertain', settle: uncertain });
	return resultItem(
		{
			outcome: 'unknown',
			retryable: false,
			reason: verified
				? `${doubt.reason}. The gateway shows no charge for this billing key yet; it may still appear. ${RERUN_SAFE} Hand the "settle" record back (Settle Record) when retrying.`
				: `${doubt.reason}. Could not check the gateway afterwards (${(after as { reason: string }).reason}). ${RERUN_SAFE} Hand the "settle" record back (Settle Record) when retrying.`,
		},
		doubt.response,
		{ ...extra, verifiedNoCharge: verified, settle: settleData(uncertain) },
	);
}

/**
 * Remembers a definite AUTH result worth remembering: a charge, or a decline never to retry. Any
 * other known outcome (a soft decline, a refused request) only ends the AUTH in the record.
 */
async function remember(memo: KeyRecord, classification: Classification, response: GatewayResponse, job: Guard): Promise<void> {
	if (classification.outcome === 'paid') await memo.set({ kind: 'charged', record: response });
	else if (classification.outcome === 'declined' && !classification.retryable && response.errorcode !== '0') await memo.set({ kind: 'hardDecline', record: response });
	else await memo.authEnded(classification.outcome === 'declined' ? 'declined' : 'notCharged', { attempt: job.chargeAttempt, record: { ...response } });
}

function settleData(settle: SettleRecord): IDataObject {
	return { ...settle };
}

/** Still unknown: no AUTH; the settle record (with evidence) rides along for the next retry. */
function unknownItem(settle: SettleRecord, base: IDataObject, why: string, verifiedNoCharge = false): IDataObject {
	const earlier = settle.uncertainResult ? ` (${settle.uncertainResult})` : '';
	return resultItem(
		{
			outcome: 'unknown',
			retryable: false,
			reason: `The result of an earlier AUTH for this billing key is unknown${earlier}: ${why}. ${RERUN_SAFE}`,
		},
		undefined,
		{
			...base,
			...(settle.requestreference ? { requestreference: settle.requestreference } : {}),
			...(settle.uncertainResult ? { uncertainResult: settle.uncertainResult } : {}),
			verifiedNoCharge,
			settle: settleData(settle),
		},
	);
}

/** An earlier AUTH for the key had a decline that must never be retried: final, nothing sent. */
function declinedBeforeItem(record: GatewayResponse, base: IDataObject, overrides: DeclineOverrides): IDataObject {
	const classification = classifyResponse('AUTH', record, overrides);
	return resultItem(
		{
			outcome: 'declined',
			retryable: false,
			declineCategory: classification.declineCategory,
			reason: `${classification.reason}; this billing key was declined before (transaction ${String(record.transactionreference ?? 'unknown')}) for a reason that must not be retried, so it is not attempted again`,
		},
		record,
		{ ...base, reusedExisting: true, previouslyDeclined: true },
	);
}

/** The gateway already shows the most declined AUTHs allowed for the key: no further attempt. */
function attemptsExhaustedItem(declines: GatewayResponse[], max: number, base: IDataObject, overrides: DeclineOverrides): IDataObject {
	const last = declines[declines.length - 1];
	const classification = classifyResponse('AUTH', last, overrides);
	// The code's category stays (e.g. tryLater); retryable says no attempt is left.
	return resultItem(
		{
			outcome: 'declined',
			retryable: false,
			declineCategory: classification.declineCategory,
			reason: `${classification.reason}; the gateway already shows ${declines.length} declined AUTH${declines.length === 1 ? '' : 's'} for this billing key (Max Charge Attempts ${max}), so it is not attempted again`,
		},
		last,
		{ ...base, reusedExisting: true, previouslyDeclined: true, chargeAttempts: declines.length },
	);
}

function attemptMadeBeforeItem(declines: GatewayResponse[], attempt: number, base: IDataObject, overrides: DeclineOverrides): IDataObject {
	const last = declines[declines.length - 1];
	const classification = classifyResponse('AUTH', last, overrides);
	return resultItem(
		{
			...classification,
			reason: `${classification.reason}; attempt ${attempt} was made before (the gateway shows ${declines.length} declined AUTH${declines.length === 1 ? '' : 's'} for this billing key), so it is not made again`,
		},
		last,
		{ ...base, reusedExisting: true, previouslyDeclined: true, chargeAttempts: declines.length },
	);
}

async function existingChargeItem(existing: ExistingCharge, base: IDataObject, amountMinor: number, currency: string, why: string, memo?: KeyRecord): Promise<IDataObject> {
	const record = (existing as { record: GatewayResponse }).record;
	// A suspended charge may still be released or cancelled: ask again next time.
	if (memo && existing.state === 'charged') await memo.set({ kind: 'charged', record });
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
