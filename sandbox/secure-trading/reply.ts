// How the sandbox answers: after the configured latency, gzip when the client accepts it,
// `Connection: close`; the JSON response envelope (with its random `secrand`), gateway
// request references, and the Apache-style HTML pages for HTTP errors.
import * as http from 'http';
import * as zlib from 'zlib';
import { drawLatency, sleep } from '../common/http';
import type { GatewayResponse } from './model';
import type { RequestContext } from './state';

export const HTML = 'text/html; charset=iso-8859-1';

export const UNAUTHORIZED_HTML =
	'<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>401 Unauthorized</title>\n</head><body>\n' +
	'<h1>Unauthorized</h1>\n<p>This server could not verify that you\nare authorized to access the document\nrequested.  ' +
	'Either you supplied the wrong\ncredentials (e.g., bad password), or your\nbrowser doesn\'t understand how to supply\n' +
	'the credentials required.</p>\n</body></html>\n';

export function errorPage(status: number): string {
	const title = `${status} ${http.STATUS_CODES[status] ?? 'Error'}`;
	return `<html><head><title>${title}</title></head><body><center><h1>${title}</h1></center><hr></body></html>\n`;
}

/** Waits the configured latency (a seeded draw), then answers unless the socket is gone. */
export async function respond(ctx: RequestContext, status: number, text: string, contentType: string): Promise<void> {
	const { req, res, state } = ctx;
	await sleep(drawLatency(state.latency, state.random));
	if (res.destroyed) return;
	let body: Buffer = Buffer.from(text, 'utf8');
	const headers: Record<string, string | number> = { 'Content-Type': contentType, Connection: 'close' };
	if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
		body = zlib.gzipSync(body);
		headers['Content-Encoding'] = 'gzip';
	}
	headers['Content-Length'] = body.length;
	res.writeHead(status, headers);
	res.end(body);
}

/** The response envelope as JSON text; draws `secrand` before the latency is drawn. */
export function envelopeText(random: () => number, reference: string, response: GatewayResponse[]): string {
	const length = 2 + Math.floor(random() * 15);
	let secrand = '';
	for (let i = 0; i < length; i++) secrand += 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(random() * 62)];
	return JSON.stringify({ requestreference: reference, version: '1.00', response, secrand });
}

export async function sendEnvelope(ctx: RequestContext, reference: string, response: GatewayResponse[]): Promise<void> {
	await respond(ctx, 200, envelopeText(ctx.state.random, reference, response), 'application/json');
}

/** A gateway-made request reference (used when the client sent none, or for a wrong one). */
export function gatewayReference(random: () => number): string {
	let suffix = '';
	for (let i = 0; i < 8; i++) suffix += 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(random() * 36)];
	return `W${10 + Math.floor(random() * 89)}-${suffix}`;
}
