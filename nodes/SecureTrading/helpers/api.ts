// Gateway calls as the operations need them: one request at a time, configuration problems
// (wrong password, wrong site) raised as NodeApiError, everything else returned for the
// operation to classify. Also the "has this billing key already been charged?" query.
import type { IDataObject, IExecuteFunctions, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';
import { sendToGateway, TransportError, type GatewayRequest, type GatewayResponse, type TransportConfig } from '../transport';
import { CONFIGURATION_CODES, classifyResponse, pickGatewayFields } from './outcome';
import type { SecureTradingConnection } from './credentials';

export interface OperationContext {
	fns: IExecuteFunctions;
	itemIndex: number;
	connection: SecureTradingConnection;
	/** Transport settings for this item (the connection's, with the item's timeouts). */
	transport: TransportConfig;
}

export type CallResult =
	| { ok: true; requestReference: string; response: GatewayResponse }
	| { ok: false; requestReference: string; error: TransportError };

/** Sends one request object. Throws NodeApiError for HTTP 401 and for site/user errors (30001, 30006, 30008). */
export async function callGateway(ctx: OperationContext, request: GatewayRequest): Promise<CallResult> {
	let result;
	try {
		result = await sendToGateway(ctx.transport, [request]);
	} catch (error) {
		if (!(error instanceof TransportError)) throw error;
		if (error.kind === 'unauthorized') throw unauthorizedError(ctx, error);
		return { ok: false, requestReference: error.requestReference, error };
	}
	const response = result.responses[0];
	if (CONFIGURATION_CODES.has(String(response.errorcode))) throw configurationError(ctx, response);
	return { ok: true, requestReference: result.requestReference, response };
}

export function unauthorizedError(ctx: Pick<OperationContext, 'fns' | 'itemIndex' | 'connection'>, error: TransportError): NodeApiError {
	return new NodeApiError(
		ctx.fns.getNode(),
		{ message: error.message, httpCode: '401', requestreference: error.requestReference } as JsonObject,
		{
			message: 'Secure Trading refused the webservices username or password (HTTP 401)',
			description:
				'Check the username and password in the Secure Trading credential. Webservices users are also restricted to the IP addresses registered in MyST.',
			httpCode: '401',
			itemIndex: ctx.itemIndex,
		},
	);
}

export function configurationError(ctx: Pick<OperationContext, 'fns' | 'itemIndex' | 'connection'>, response: GatewayResponse): NodeApiError {
	const code = String(response.errorcode);
	const gatewayMessage = String(response.errormessage ?? 'Gateway error');
	const site = ctx.connection.siteReference;
	const description =
		code === '30001'
			? `The gateway does not know the site reference "${site}". Check the Site Reference in the Secure Trading credential.`
			: code === '30006'
				? `The site reference "${site}" is not valid for the webservices user "${ctx.connection.transport.username}". Check the credential's Site Reference, or ask Trust Payments to grant the user access.`
				: 'Check the Secure Trading credential.';
	return new NodeApiError(ctx.fns.getNode(), pickGatewayFields(response) as JsonObject, {
		message: `Secure Trading: ${gatewayMessage} (errorcode ${code})`,
		description,
		itemIndex: ctx.itemIndex,
	});
}

export type QueryResult =
	| { ok: true; records: GatewayResponse[]; requestReference: string }
	| { ok: false; reason: string; requestReference: string; response?: GatewayResponse };

/** TRANSACTIONQUERY on the credential's site. `filter` maps filter keys to the values to match. */
export async function queryTransactions(ctx: OperationContext, filter: Record<string, string[]>): Promise<QueryResult> {
	const request: GatewayRequest = {
		requesttypedescriptions: ['TRANSACTIONQUERY'],
		filter: {
			sitereference: [{ value: ctx.connection.siteReference }],
			...Object.fromEntries(Object.entries(filter).map(([key, values]) => [key, values.map((value) => ({ value }))])),
		},
	};
	const result = await callGateway(ctx, request);
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
	| { state: 'none'; attempts: number }
	| { state: 'unverifiable'; reason: string };

/**
 * Looks for an AUTH that took money for this billing key (orderreference). Settle status 3 means
 * cancelled (no money); 2 means suspended (money held pending review: do not charge again).
 */
export async function findExistingCharge(ctx: OperationContext, billingKey: string): Promise<ExistingCharge> {
	const query = await queryTransactions(ctx, { orderreference: [billingKey] });
	if (!query.ok) return { state: 'unverifiable', reason: query.reason };
	// Match exactly ourselves: never trust the filter to have been exact.
	const auths = query.records.filter((r) => r.requesttypedescription === 'AUTH' && r.orderreference === billingKey);
	const successful = auths.filter((r) => r.errorcode === '0' && r.settlestatus !== '3');
	const charged = successful.find((r) => r.settlestatus !== '2');
	if (charged) return { state: 'charged', record: charged };
	if (successful.length > 0) return { state: 'suspended', record: successful[0] };
	return { state: 'none', attempts: auths.length };
}

/** The output item: normalised outcome first, then the gateway's own (whitelisted) fields. */
export function resultItem(
	classification: { outcome: string; retryable: boolean; reason: string; field?: string },
	response: GatewayResponse | undefined,
	extra: IDataObject = {},
): IDataObject {
	return {
		outcome: classification.outcome,
		retryable: classification.retryable,
		reason: classification.reason,
		...(classification.field ? { field: classification.field } : {}),
		...extra,
		...(response ? pickGatewayFields(response) : {}),
	};
}

export function sleep(ms: number): Promise<void> {
	return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
