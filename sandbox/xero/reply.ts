// HTTP replies of the Xero sandbox as values (status, headers, body) so the pipeline can store them
// for idempotency replay, hold them back for an 'after' fault, and add rate-limit headers last.
import type * as http from 'http';

export interface Reply {
	status: number;
	headers: Record<string, string>;
	body: Buffer;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
	return {
		status,
		headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers },
		body: Buffer.from(JSON.stringify(body)),
	};
}

export function text(status: number, body: string): Reply {
	return { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: Buffer.from(body) };
}

export function html(status: number, body: string): Reply {
	return { status, headers: { 'Content-Type': 'text/html; charset=utf-8' }, body: Buffer.from(body) };
}

export const empty = (status: number): Reply => ({ status, headers: {}, body: Buffer.alloc(0) });

/** Xero's front end answer for any path it does not know (and for over-long URLs). */
export const notFound = (): Reply => text(404, "The resource you're looking for cannot be found");

/** Xero's 400 for a query it cannot parse (bad where/order/paging). */
export const queryParseError = (message: string): Reply => json(400, { ErrorNumber: 16, Type: 'QueryParseException', Message: message });

/** Xero's 400 for a body it cannot read. */
export const postDataInvalid = (message: string): Reply => json(400, { ErrorNumber: 14, Type: 'PostDataInvalidException', Message: message });

/** Thrown by request readers to answer a ready 400 at once. */
export class BadRequest extends Error {
	constructor(readonly reply: Reply) {
		super('bad request');
	}
}

export function send(res: http.ServerResponse, reply: Reply, extraHeaders: Record<string, string> = {}): void {
	if (res.writableEnded || res.destroyed) return;
	res.writeHead(reply.status, { ...reply.headers, ...extraHeaders, 'Content-Length': String(reply.body.length) });
	res.end(reply.body);
}
