// The package's two error kinds and the one way they become n8n errors.
// - FieldError: bad input in one named field (a parameter, an item field or a credential field).
// - ServiceError: a remote service failed or refused; every transport's error extends it, so the
//   kit can tell "our input was wrong" from "the service said no" without knowing the service.
import { NodeApiError, NodeOperationError, type INode, type JsonObject } from 'n8n-workflow';

export class FieldError extends Error {
	constructor(
		/** The parameter, item field or credential field at fault, e.g. `options.timeoutMs`, `billingKey`. */
		readonly field: string,
		/** A whole sentence that names the field and says what is wrong with the value. */
		message: string,
		/** What to do about it, shown under the message in the editor. */
		readonly description?: string,
	) {
		super(message);
		this.name = 'FieldError';
	}
}

export class ServiceError extends Error {
	/** The service's own code for the failure (HTTP status, gateway errorcode, SMTP reply code, …). */
	readonly code?: string;
	/** True when the same request may succeed later (timeouts, 5xx, rate limits). */
	readonly retryable: boolean;
	readonly httpCode?: string;
	readonly description?: string;
	/** The service's answer, reduced to what is safe to show and store. */
	readonly details?: JsonObject;

	constructor(
		message: string,
		options: { code?: string | number; retryable?: boolean; httpCode?: string | number; description?: string; details?: JsonObject } = {},
	) {
		super(message);
		this.name = 'ServiceError';
		this.code = options.code === undefined || options.code === null ? undefined : String(options.code);
		this.retryable = options.retryable === true;
		this.httpCode = options.httpCode === undefined ? undefined : String(options.httpCode);
		this.description = options.description;
		this.details = options.details;
	}
}

/** Appended to messages that concern one input item, in one style across the package. */
export function atItem(message: string, itemIndex: number | undefined): string {
	return itemIndex === undefined || / \[item \d+\]$/.test(message) ? message : `${message} [item ${itemIndex}]`;
}

// Context keys the kit reads back when an n8n error becomes a failure item.
const FIELD = 'billingField';
const CODE = 'billingCode';
const RETRYABLE = 'billingRetryable';

/**
 * Any error → the n8n error the node throws (when it does not continue on fail): FieldError →
 * NodeOperationError, ServiceError → NodeApiError, n8n errors as they are, anything else →
 * NodeOperationError. `itemIndex` lets the editor point at the item.
 */
export function toNodeError(node: INode, error: unknown, itemIndex?: number): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	if (error instanceof FieldError) {
		const nodeError = new NodeOperationError(node, atItem(error.message, itemIndex), {
			itemIndex,
			description: error.description ?? `Check the value of "${error.field}".`,
		});
		nodeError.context[FIELD] = error.field;
		nodeError.context[RETRYABLE] = false;
		return nodeError;
	}
	if (error instanceof ServiceError) {
		const nodeError = new NodeApiError(node, { message: error.message, ...(error.code ? { code: error.code } : {}), ...(error.details ?? {}) } as JsonObject, {
			message: atItem(error.message, itemIndex),
			description: error.description,
			httpCode: error.httpCode,
			itemIndex,
		});
		if (error.code) nodeError.context[CODE] = error.code;
		nodeError.context[RETRYABLE] = error.retryable;
		return nodeError;
	}
	const nodeError = new NodeOperationError(node, error instanceof Error ? error : String(error), { itemIndex });
	nodeError.message = atItem(nodeError.message, itemIndex);
	return nodeError;
}

/** Marks an n8n error the node builds itself with the facts a failure item carries. */
export function describeNodeError<E extends NodeApiError | NodeOperationError>(error: E, facts: { field?: string; code?: string; retryable?: boolean }): E {
	if (facts.field !== undefined) error.context[FIELD] = facts.field;
	if (facts.code !== undefined) error.context[CODE] = facts.code;
	if (facts.retryable !== undefined) error.context[RETRYABLE] = facts.retryable;
	return error;
}

/** The facts of any error, as the failure item carries them (see failure.ts). */
export function errorFacts(error: unknown): { message: string; field?: string; code?: string; retryable?: boolean; description?: string } {
	if (error instanceof FieldError) return { message: error.message, field: error.field, retryable: false, ...(error.description ? { description: error.description } : {}) };
	if (error instanceof ServiceError) {
		return { message: error.message, ...(error.code ? { code: error.code } : {}), retryable: error.retryable, ...(error.description ? { description: error.description } : {}) };
	}
	if (error instanceof NodeApiError || error instanceof NodeOperationError) {
		const context = error.context ?? {};
		return {
			message: error.message,
			...(typeof context[FIELD] === 'string' ? { field: context[FIELD] as string } : {}),
			...(typeof context[CODE] === 'string' ? { code: context[CODE] as string } : {}),
			...(typeof context[RETRYABLE] === 'boolean' ? { retryable: context[RETRYABLE] as boolean } : {}),
			...(error.description ? { description: error.description } : {}),
		};
	}
	if (error instanceof Error) return { message: error.message || error.name };
	return { message: String(error) };
}
