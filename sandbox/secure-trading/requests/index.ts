// The request-type table: each type the sandbox gateway knows and the handler that answers it.
import { accountCheck } from './accountCheck';
import { auth } from './auth';
import { refund } from './refund';
import { transactionQuery } from './transactionQuery';
import type { RequestTypeHandler } from './types';

export type { RequestTypeHandler } from './types';

export const REQUEST_TYPE_HANDLERS: Readonly<Record<string, RequestTypeHandler>> = {
	AUTH: auth,
	REFUND: refund,
	ACCOUNTCHECK: accountCheck,
	TRANSACTIONQUERY: transactionQuery,
};

/** The handler for a request type; undefined for a type the gateway does not know. */
export function requestTypeHandler(type: unknown): RequestTypeHandler | undefined {
	return typeof type === 'string' && Object.prototype.hasOwnProperty.call(REQUEST_TYPE_HANDLERS, type) ? REQUEST_TYPE_HANDLERS[type] : undefined;
}
