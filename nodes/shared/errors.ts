// The package's two error kinds and the one way they become n8n errors.
// - FieldError: bad input in one named field (a parameter, an item field or a credential field).
// - ServiceError: a remote service failed or refused; every transport's error extends it, so the
//   kit can tell "our input was wrong" from "the service said no" without knowing the service.
import { NodeApiError, NodeOperationError, type INode, type JsonObject } from 'n8n-workflow';
import { redactDeep, redactSecrets } from './redact';

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
 * NodeOperationError. `itemIndex` lets the editor point at the item. Secrets are redacted here
 * (redact.ts): every error a node throws or continues with passes this function or toFailure.
 */
export function toNodeError(node: INode, error: unknown, itemIndex?: number): NodeApiError | NodeOperationError {
	return redactNodeError(buildNodeError(node, error, itemIndex));
}

function buildNodeError(node: INode, error: unknown, itemIndex?: number): NodeApiError | NodeOperationError {
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
		const response = redactDeep({ message: error.message, ...(error.code ? { code: error.code } : {}), ...(error.details ?? {}) } as JsonObject);
		const nodeError = new NodeApiError(node, response, {
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

/**
 * Everything n8n shows or saves of an error (message, description, messages, stack, context,
 * the API answer, the cause's message) without secrets. In place: the error is thrown as it is.
 */
function redactNodeError<E extends NodeApiError | NodeOperationError>(error: E): E {
	error.message = redactSecrets(error.message);
	if (typeof error.description === 'string') error.description = redactSecrets(error.description);
	error.messages = error.messages.map((m) => redactSecrets(m));
	if (error.stack) error.stack = redactSecrets(error.stack);
	error.context = redactDeep(error.context);
	if (error.errorResponse) error.errorResponse = redactDeep(error.errorResponse);
	// n8n saves the cause's message with the error (the original error, or its message as text).
	const cause: unknown = error.cause;
	if (cause instanceof Error) {
		cause.message = redactSecrets(cause.message);
		if (cause.stack) cause.stack = redactSecrets(cause.stack);
	}
	return error;
}

/** Marks an n8n error the node builds itself with the facts a failure item carries. */
export function describeNodeError<E extends NodeApiError | NodeOperationError>(error: E, facts: { field?: string; code?: string; retryable?: boolean }): E {
	if (facts.field !== undefined) error.context[FIELD] = facts.field;
	if (facts.code !== undefined) error.context[CODE] = facts.code;
	if (facts.retryable !== undefined) error.context[RETRYABLE] = facts.retryable;
	return error;
}

type ErrorFacts = { message: string; field?: string; code?: string; retryable?: boolean; description?: string };

/** The facts of any error, as the failure item carries them (see failure.ts), without secrets. */
export function errorFacts(error: unknown): ErrorFacts {
	const facts = rawFacts(error);
	return {
		...facts,
		message: redactSecrets(facts.message),
		...(facts.code !== undefined ? { code: redactSecrets(facts.code) } : {}),
		...(facts.description !== undefined ? { description: redactSecrets(facts.description) } : {}),
	};
}

function rawFacts(error: unknown): ErrorFacts {
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
