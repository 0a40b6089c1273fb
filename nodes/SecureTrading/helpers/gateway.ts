// Gateway calls as the operations need them: one request at a time with the item's timeouts;
// a refused credential (HTTP 401) or a wrong site (30001, 30006, 30008) thrown as a ServiceError,
// because it concerns the whole run, not the item; everything else returned for the operation to
// classify. Also the "has this billing key already been charged?" query.
import type { IDataObject, JsonObject } from 'n8n-workflow';
import { ServiceError } from '../../shared/errors';
import type { OperationContext } from '../../shared/operation';
import { numberParameter } from '../../shared/parameters';
import { sendToGateway, TransportError, type GatewayRequest, type GatewayResponse, type TransportConfig } from '../transport';
import type { SecureTradingConnection } from '../transport/credentials';
import { CONFIGURATION_CODES, classifyResponse, pickGatewayFields } from './outcome';

/** One item's view of the gateway: the credential's connection with the item's timeouts. */
export interface GatewayCall {
	connection: SecureTradingConnection;
	transport: TransportConfig;
}

export function gatewayCall(ctx: OperationContext<SecureTradingConnection>, itemIndex: number): GatewayCall {
	return {
		connection: ctx.client,
		transport: {
			...ctx.client.transport,
			timeoutMs: numberParameter(ctx.fns, 'options.timeoutMs', itemIndex, { default: 60_000, min: 100, label: 'Timeout (Ms)' }),
			connectTimeoutMs: numberParameter(ctx.fns, 'options.connectTimeoutMs', itemIndex, { default: 10_000, min: 50, label: 'Connect Timeout (Ms)' }),
			signal: ctx.fns.getExecutionCancelSignal?.(),
		},
	};
}

export type CallResult =
	| { ok: true; requestReference: string; response: GatewayResponse }
	| { ok: false; requestReference: string; error: TransportError };

/**
 * Sends one request object. Throws for HTTP 401 and for site/user errors (30001, 30006, 30008).
 * `requestReference`: one chosen beforehand (a charge records it before it is sent).
 */
export async function callGateway(call: GatewayCall, request: GatewayRequest, requestReference?: string): Promise<CallResult> {
	let result;
	try {
		result = await sendToGateway(call.transport, [request], requestReference);
	} catch (error) {
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- below the router: toNodeError makes it a NodeApiError/NodeOperationError once
		if (!(error instanceof TransportError)) throw error;
		if (error.kind === 'unauthorized') throw unauthorizedError(error);
		return { ok: false, requestReference: error.requestReference, error };
	}
	const response = result.responses[0];
	if (CONFIGURATION_CODES.has(String(response.errorcode))) throw configurationError(call.connection, response);
	return { ok: true, requestReference: result.requestReference, response };
}

export function unauthorizedError(error: TransportError): ServiceError {
	return new ServiceError('Secure Trading refused the webservices username or password (HTTP 401)', {
		code: '401',
		httpCode: 401,
		retryable: false,
		description:
			'Check the username and password in the Secure Trading credential. Webservices users are also restricted to the IP addresses registered in MyST.',
		details: { requestreference: error.requestReference },
	});
}

export function configurationError(connection: SecureTradingConnection, response: GatewayResponse): ServiceError {
	const code = String(response.errorcode);
	const gatewayMessage = String(response.errormessage ?? 'Gateway error');
	const site = connection.siteReference;
	const description =
		code === '30001'
			? `The gateway does not know the site reference "${site}". Check the Site Reference in the Secure Trading credential.`
			: code === '30006'
				? `The site reference "${site}" is not valid for the webservices user "${connection.transport.username}". Check the credential's Site Reference, or ask Trust Payments to grant the user access.`
				: 'Check the Secure Trading credential.';
	return new ServiceError(`Secure Trading: ${gatewayMessage} (errorcode ${code})`, {
		code,
		retryable: false,
		description,
		details: pickGatewayFields(response) as IDataObject as JsonObject,
	});
}

export type QueryResult =
	| { ok: true; records: GatewayResponse[]; requestReference: string }
	| { ok: false; reason: string; requestReference: string; response?: GatewayResponse };

/** TRANSACTIONQUERY on the credential's site. `filter` maps filter keys to the values to match. */
export async function queryTransactions(call: GatewayCall, filter: Record<string, string[]>): Promise<QueryResult> {
	const request: GatewayRequest = {
		requesttypedescriptions: ['TRANSACTIONQUERY'],
		filter: {
			sitereference: [{ value: call.connection.siteReference }],
			...Object.fromEntries(Object.entries(filter).map(([key, values]) => [key, values.map((value) => ({ value }))])),
		},
	};
	const result = await callGateway(call, request);
	if (!result.ok) return { ok: false, reason: result.error.message, requestReference: result.requestReference };
	if (result.response.errorcode !== '0') {
		return { ok: false, reason: classifyResponse('TRANSACTIONQUERY', result.response).reason, requestReference: result.requestReference, response: result.response };
	}
	const records = Array.isArray(result.response.records)
		? (result.response.records.filter((r) => r && typeof r === 'object' && !Array.isArray(r)) as GatewayResponse[])
		: [];
	return { ok: true, records, requestReference: result.requestReference };
}

export type ExistingCharge =
	| { state: 'charged'; record: GatewayResponse }
	| { state: 'suspended'; record: GatewayResponse }
	| {
			state: 'none';
			attempts: number;
			/** Declined AUTHs for the key, in the gateway's order. */
			declines: GatewayResponse[];
			/** The first decline the card-scheme rules say never to retry (not retryable in outcome.ts). */
			hardDecline?: GatewayResponse;
	  }
	| { state: 'unverifiable'; reason: string };

/** A declined AUTH (the bank or the gateway said no), not a cancelled charge nor a gateway error. */
export function isDecline(record: GatewayResponse): boolean {
	return record.errorcode !== '0' && classifyResponse('AUTH', record).outcome === 'declined';
}

/** A decline that must never be attempted again for this billing key (e.g. lost, stolen, closed account). */
export function isHardDecline(record: GatewayResponse): boolean {
	return isDecline(record) && !classifyResponse('AUTH', record).retryable;
}

/**
 * Looks for an AUTH that took money for this billing key (orderreference). Settle status 3 means
 * cancelled (no money); 2 means suspended (money held pending review: do not charge again).
 * With no such AUTH it reports the key's declined AUTHs, so a hard decline stays final and soft
 * declines can be capped.
 */
export async function findExistingCharge(call: GatewayCall, billingKey: string): Promise<ExistingCharge> {
	const query = await queryTransactions(call, { orderreference: [billingKey] });
	if (!query.ok) return { state: 'unverifiable', reason: query.reason };
	// Match exactly ourselves: never trust the filter to have been exact.
	const auths = query.records.filter((r) => r.requesttypedescription === 'AUTH' && r.orderreference === billingKey);
	const successful = auths.filter((r) => r.errorcode === '0' && r.settlestatus !== '3');
	const charged = successful.find((r) => r.settlestatus !== '2');
	if (charged) return { state: 'charged', record: charged };
	if (successful.length > 0) return { state: 'suspended', record: successful[0] };
	const declines = auths.filter(isDecline);
	const hardDecline = declines.find(isHardDecline);
	return { state: 'none', attempts: auths.length, declines, ...(hardDecline ? { hardDecline } : {}) };
}
