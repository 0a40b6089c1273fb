// Turns a gateway response element into one normalised `outcome` with a readable reason and
// whether trying again later may succeed, and that outcome into the item on the node's outputs:
// the gateway's own (whitelisted) fields stay beside it.
import type { IDataObject } from 'n8n-workflow';
import { errorFacts, FieldError, toNodeError } from '../../shared/errors';
import type { Failure } from '../../shared/failure';
import type { OperationContext } from '../../shared/operation';
import { booleanParameter } from '../../shared/parameters';
import type { GatewayResponse } from '../transport';
import { DECLINE_CODES, declineCategoryOf, type DeclineCategory, type DeclineOverrides } from './declineCategories';

export type Outcome =
	/** AUTH: money taken (or an earlier AUTH for the same billing key already took it). */
	| 'paid'
	| 'refunded'
	/** REFUND (Full): nothing was left to refund, earlier refunds already cover the payment; nothing sent. */
	| 'alreadyRefunded'
	/** ACCOUNTCHECK passed. */
	| 'verified'
	/** TRANSACTIONQUERY answered with records / without. */
	| 'found'
	| 'notFound'
	/** The bank said no; `retryable` says whether a later attempt may succeed. */
	| 'declined'
	/** Gateway or network trouble; nothing was charged. */
	| 'retryable'
	/** The gateway may or may not have charged; never re-send blindly. */
	| 'unknown'
	/** Our request was wrong (30000 and friends); `field` names the culprit. */
	| 'invalid'
	/** The operation failed as a whole (continueOnFail items only). */
	| 'error';

export const SUCCESS_OUTCOMES: ReadonlySet<Outcome> = new Set<Outcome>(['paid', 'refunded', 'alreadyRefunded', 'verified', 'found', 'notFound']);

export interface Classification {
	outcome: Outcome;
	retryable: boolean;
	/** A decline's category (declineCategories.ts): whether the schemes let it be charged again. */
	declineCategory?: DeclineCategory;
	reason: string;
	field?: string;
}

/**
 * ISO 8583 acquirer response codes: readable reason and whether a later retry may succeed. Derived
 * from the decline categories (declineCategories.ts), which say why; kept for code that reads it.
 */
export const ACQUIRER_RESPONSES: Readonly<Record<string, { reason: string; retryable: boolean }>> = {
	'00': { reason: 'approved', retryable: false },
	...Object.fromEntries(Object.entries(DECLINE_CODES).map(([code, { reason, retryable }]) => [code, { reason, retryable }])),
};

/** The final status is unknown: the card may have been charged. Query before anything else. */
export const UNKNOWN_RESULT_CODES: ReadonlySet<string> = new Set(['60010', '60034', '70001', '99999']);
/** Errors about the credential's site or user, not about the item: the whole run is misconfigured. */
export const CONFIGURATION_CODES: ReadonlySet<string> = new Set(['30001', '30006', '30008']);
/** Messages that say to try again. */
const TRY_AGAIN_CODES = new Set(['21000', '79001', '88000', '88888', '90007']);
/** Our request was malformed or unsupported: fix, do not retry. */
const INVALID_REQUEST_CODES = new Set(['10205', '10600', '30003', '30007', '30010', '60017', '60018', '60019', '60025', '60037']);

export type RequestKind = 'AUTH' | 'REFUND' | 'ACCOUNTCHECK' | 'TRANSACTIONQUERY';

/** A bank decline's reason and category (after the node's overrides); unknown codes per UNKNOWN_CODE. */
export function describeAcquirerCode(code: unknown, overrides?: DeclineOverrides): { reason: string; retryable: boolean; category: DeclineCategory } {
	const { reason, retryable, category } = declineCategoryOf(code, overrides);
	return { reason, retryable, category };
}

/** `overrides`: the node's Decline Category Overrides, applied to bank declines (70000) only. */
export function classifyResponse(kind: RequestKind, response: GatewayResponse, overrides?: DeclineOverrides): Classification {
	const code = String(response.errorcode ?? '');
	const message = typeof response.errormessage === 'string' ? response.errormessage : '';
	const errordata = Array.isArray(response.errordata) ? response.errordata.map(String) : [];

	if (code === '0') {
		if (kind === 'TRANSACTIONQUERY') {
			const count = Array.isArray(response.records) ? response.records.length : 0;
			return count > 0
				? { outcome: 'found', retryable: false, reason: `${count} transaction${count === 1 ? '' : 's'} found` }
				: { outcome: 'notFound', retryable: false, reason: 'no matching transactions' };
		}
		if (kind === 'REFUND') return { outcome: 'refunded', retryable: false, reason: 'refund accepted' };
		const settle = String(response.settlestatus ?? '');
		if (settle === '3') {
			// The merchant's own fraud or risk rules cancelled it: the same charge meets the same rules.
			return { outcome: 'declined', retryable: false, declineCategory: 'neverApprove', reason: 'cancelled by the gateway after authorisation (settle status 3)' };
		}
		if (kind === 'ACCOUNTCHECK') return { outcome: 'verified', retryable: false, reason: 'card verified' };
		if (settle === '2') {
			return { outcome: 'unknown', retryable: false, reason: 'authorised but suspended (settle status 2): needs a manual review before it settles' };
		}
		return { outcome: 'paid', retryable: false, reason: settle === '100' ? 'paid and settled' : 'authorised, pending settlement' };
	}
	if (code === '70000') {
		const acquirer = describeAcquirerCode(response.acquirerresponsecode, overrides);
		return { outcome: 'declined', retryable: acquirer.retryable, declineCategory: acquirer.category, reason: acquirer.reason };
	}
	// Gateway-level declines: each needs the cardholder (authentication, the issuer, another card) before a charge can pass.
	if (code === '71000') return { outcome: 'declined', retryable: false, declineCategory: 'dataQuality', reason: 'soft decline: strong customer authentication required (customer must be present)' };
	if (code === '72000') return { outcome: 'declined', retryable: false, declineCategory: 'dataQuality', reason: 'refer to issuer' };
	if (code === '30002') return { outcome: 'declined', retryable: false, declineCategory: 'neverApprove', reason: 'banned card' };
	if (code === '60022') return { outcome: 'declined', retryable: false, declineCategory: 'dataQuality', reason: 'unauthenticated (3-D Secure authentication failed)' };
	if (code === '30000') {
		const field = errordata[0];
		return { outcome: 'invalid', retryable: false, reason: `Invalid field${errordata.length ? `: ${errordata.join(', ')}` : ''}`, field };
	}
	if (code === '20004') return { outcome: 'invalid', retryable: false, reason: 'Missing parent: the stored card / parent transaction reference was not found (field parenttransactionreference)', field: 'parenttransactionreference' };
	if (code === '20007') return { outcome: 'invalid', retryable: false, reason: 'Refund amount too great', field: 'baseamount' };
	if (code === '20015') return { outcome: 'invalid', retryable: false, reason: 'Cannot override currency in child transaction', field: 'currencyiso3a' };
	if (code === '20005' || code === '20012') {
		return { outcome: 'retryable', retryable: true, reason: `${message || 'Refund requires a settled parent'}: try again after the payment has settled` };
	}
	if (/^200\d\d$/.test(code)) return { outcome: 'invalid', retryable: false, reason: message || `gateway error ${code}` };
	if (INVALID_REQUEST_CODES.has(code)) {
		return { outcome: 'invalid', retryable: false, reason: `${message || `gateway error ${code}`}${errordata.length ? `: ${errordata.join(', ')}` : ''}`, field: errordata[0] };
	}
	if (UNKNOWN_RESULT_CODES.has(code)) {
		return { outcome: 'unknown', retryable: false, reason: `${message || `gateway error ${code}`}: the final status is unknown, the card may have been charged` };
	}
	if (/^500\d\d$/.test(code) || TRY_AGAIN_CODES.has(code)) {
		return { outcome: 'retryable', retryable: true, reason: `${message || `gateway error ${code}`}: gateway could not complete the request` };
	}
	return { outcome: 'unknown', retryable: false, reason: `${message || 'unrecognised gateway error'} (errorcode ${code})` };
}

/** Gateway fields copied to output items. A whitelist, so nothing sensitive can slip through. */
export const GATEWAY_FIELDS = [
	'requesttypedescription',
	'errorcode',
	'errormessage',
	'errordata',
	'transactionreference',
	'parenttransactionreference',
	'orderreference',
	'settlestatus',
	'settleduedate',
	'authcode',
	'acquirerresponsecode',
	'maskedpan',
	'paymenttypedescription',
	'baseamount',
	'currencyiso3a',
	'accounttypedescription',
	'initiationreason',
	'livestatus',
	'transactionstartedtimestamp',
	'issuer',
	'issuercountryiso2a',
	'securityresponseaddress',
	'securityresponsepostcode',
	'securityresponsesecuritycode',
] as const;

export function pickGatewayFields(response: GatewayResponse): Record<string, string | string[]> {
	const out: Record<string, string | string[]> = {};
	for (const key of GATEWAY_FIELDS) {
		const value = response[key];
		if (typeof value === 'string') out[key] = value;
		else if (key === 'errordata' && Array.isArray(value)) out[key] = value.map(String);
	}
	return out;
}

/** The output item: normalised outcome first, then the gateway's own (whitelisted) fields. */
export function resultItem(classification: Classification, response: GatewayResponse | undefined, extra: IDataObject = {}): IDataObject {
	return {
		outcome: classification.outcome,
		retryable: classification.retryable,
		...(classification.declineCategory ? { declineCategory: classification.declineCategory } : {}),
		reason: classification.reason,
		...(classification.field ? { field: classification.field } : {}),
		...extra,
		...(response ? pickGatewayFields(response) : {}),
	};
}

/**
 * The failure a gateway-decided outcome carries: the reason, the acquirer's code for a bank
 * decline (more telling than 70000), else the gateway errorcode, else the outcome itself.
 */
export function failureOfOutcome(json: IDataObject): Failure {
	const errorcode = typeof json.errorcode === 'string' && json.errorcode !== '' ? json.errorcode : undefined;
	const acquirer = typeof json.acquirerresponsecode === 'string' && json.acquirerresponsecode !== '' ? json.acquirerresponsecode : undefined;
	return {
		message: String(json.reason),
		code: (errorcode === '70000' ? acquirer : undefined) ?? errorcode ?? String(json.outcome),
		retryable: json.retryable === true,
		...(typeof json.field === 'string' ? { field: json.field } : {}),
	};
}

/**
 * Runs one item's gateway work and records its outcome: a success outcome to output 1, any other
 * to output 2 with the failure object. A throw (bad input, a misconfigured credential) becomes an
 * `invalid` or `error` item under Continue On Fail (the workflow routes on `outcome`), else it
 * fails the node. With Include Input Data the input item rides along under `input`.
 */
export async function settleItem<TClient>(ctx: OperationContext<TClient>, itemIndex: number, run: () => Promise<IDataObject>): Promise<void> {
	const includeInput = booleanParameter(ctx.fns, 'options.includeInputData', itemIndex, true);
	const withInput = (json: IDataObject): IDataObject => (includeInput ? { ...json, input: ctx.items[itemIndex].json } : json);
	let json: IDataObject;
	try {
		json = await run();
	} catch (error) {
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- below the router: toNodeError makes it a NodeApiError/NodeOperationError once
		if (!ctx.results.continueOnFail) throw error;
		const nodeError = toNodeError(ctx.node, error, itemIndex);
		const outcome: Outcome = error instanceof FieldError ? 'invalid' : 'error';
		ctx.results.error(itemIndex, nodeError, withInput({ outcome, retryable: errorFacts(nodeError).retryable ?? false, reason: nodeError.message }));
		return;
	}
	if (SUCCESS_OUTCOMES.has(json.outcome as Outcome)) ctx.results.success(itemIndex, withInput(json));
	else ctx.results.failure(itemIndex, failureOfOutcome(json), withInput(json));
}
