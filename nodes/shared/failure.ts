// The one failure-item shape. Every node puts items that failed on its failure output with
//   error: { message, field?, code?, retryable?, description? }
// next to the item's own fields, so Retry or Park and any n8n node downstream read
// `$json.error.message` and `$json.error.retryable` without knowing which node failed.
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { errorFacts } from './errors';
import { redactSecrets } from './redact';

export interface Failure extends IDataObject {
	message: string;
	/** The input field, parameter or credential field at fault, for bad input. */
	field?: string;
	/** The service's code (gateway errorcode, HTTP status, SMTP reply) or the package's (e.g. `declined`). */
	code?: string;
	/** True: the same item may succeed if tried again later. False: it will not, fix it first. */
	retryable?: boolean;
	description?: string;
}

/**
 * An error (or a failure the node decided on, such as a decline) as the failure shape. Every
 * failure item's error passes here, so its texts are redacted here (redact.ts).
 */
export function toFailure(error: unknown): Failure {
	if (error && typeof error === 'object' && !(error instanceof Error) && typeof (error as Failure).message === 'string') {
		const f = error as Failure;
		return {
			message: redactSecrets(f.message),
			...(f.field !== undefined ? { field: f.field } : {}),
			...(f.code !== undefined ? { code: redactSecrets(String(f.code)) } : {}),
			...(f.retryable !== undefined ? { retryable: f.retryable } : {}),
			...(f.description ? { description: redactSecrets(String(f.description)) } : {}),
		};
	}
	return errorFacts(error);
}

/**
 * A failure item: `json` (by default the input item's own fields) with `error` set, the input's
 * binary data kept, paired with the input item.
 */
export function failureItem(input: INodeExecutionData, itemIndex: number, error: unknown, json: IDataObject = input.json): INodeExecutionData {
	return {
		json: { ...json, error: toFailure(error) },
		...(input.binary ? { binary: input.binary } : {}),
		pairedItem: { item: itemIndex },
	};
}

/** Reads the failure an item carries (the shape above), or undefined. */
export function failureOf(json: IDataObject): Failure | undefined {
	const error = json.error;
	if (error && typeof error === 'object' && !Array.isArray(error) && typeof (error as IDataObject).message === 'string') return error as Failure;
	return undefined;
}
