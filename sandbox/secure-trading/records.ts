// What the sandbox records about the requests it serves: call counters by request type and
// fault, and the request log (Authorization header dropped, card data masked).
import type * as http from 'http';
import type { FaultKind } from './faults';

export interface CallCounts {
	/** All HTTP requests received. */
	http: number;
	unauthorized: number;
	malformed: number;
	AUTH: number;
	REFUND: number;
	ACCOUNTCHECK: number;
	TRANSACTIONQUERY: number;
	faults: Partial<Record<FaultKind, number>>;
}

export interface LoggedRequest {
	at: number;
	/** Request headers with the Authorization value removed. */
	headers: Record<string, string>;
	/** The parsed body with card data masked, or the raw text when it was not JSON. */
	body: unknown;
}

export const freshCounts = (): CallCounts => ({ http: 0, unauthorized: 0, malformed: 0, AUTH: 0, REFUND: 0, ACCOUNTCHECK: 0, TRANSACTIONQUERY: 0, faults: {} });

export function copyCounts(counts: CallCounts): CallCounts {
	return { ...counts, faults: { ...counts.faults } };
}

/** Counts each known request type of an envelope (unknown ones are not counted). */
export function countRequestTypes(counts: CallCounts, types: readonly string[]): void {
	const perType = counts as unknown as Record<string, number>;
	for (const type of types) {
		if (type in counts && type !== 'faults' && type !== 'http') perType[type]++;
	}
}

export function countFault(counts: CallCounts, kind: FaultKind): void {
	counts.faults[kind] = (counts.faults[kind] ?? 0) + 1;
}

/** The log entry for a request (its body is filled in once parsed). */
export function logEntry(req: http.IncomingMessage, at: number): LoggedRequest {
	const headers: Record<string, string> = {};
	for (const [key, value] of Object.entries(req.headers)) {
		if (key !== 'authorization' && value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
	}
	return { at, headers, body: undefined };
}

/** Masks card data in a logged request body (the sandbox never keeps a PAN or security code). */
export function redact(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(redact);
	if (!value || typeof value !== 'object') return value;
	const out: Record<string, unknown> = {};
	for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
		if (key === 'pan' && typeof inner === 'string') out[key] = inner.length > 10 ? `${inner.slice(0, 6)}######${inner.slice(-4)}` : '######';
		else if (key === 'securitycode') out[key] = '***';
		else out[key] = redact(inner);
	}
	return out;
}
