// The sink's HTTP view: a route table over the mailbox (list and filter, clear, one message
// as JSON with base64 attachments, or its raw source).
import type * as http from 'http';
import { matchRoute, sendJson } from '../common/http';
import { RouteTable } from '../common/routes';
import type { Mailbox } from './mailbox';
import { bare } from './parse';
import type { SinkMessage } from './types';

interface ViewContext {
	mailbox: Mailbox;
	url: URL;
	res: http.ServerResponse;
}

/** A message without its source, headers and attachment contents (the list view). */
function summary(m: SinkMessage) {
	const { raw: _raw, attachments, headers: _headers, headerLines: _lines, ...rest } = m;
	return { ...rest, attachments: attachments.map(({ content: _content, ...a }) => a) };
}

/** A message without its source, attachment contents as base64. */
function full(m: SinkMessage) {
	const { raw: _raw, ...rest } = m;
	return { ...rest, attachments: m.attachments.map((a) => ({ ...a, content: a.content.toString('base64') })) };
}

function listMessages({ mailbox, url, res }: ViewContext): void {
	const to = url.searchParams.get('to');
	const messageId = url.searchParams.get('messageId');
	let list = to ? mailbox.byRecipient(to) : mailbox.messages();
	if (messageId) list = list.filter((m) => m.messageId && bare(m.messageId) === bare(messageId));
	sendJson(res, 200, { messages: list.map(summary), stats: { ...mailbox.stats } });
}

function clearMessages({ mailbox, res }: ViewContext): void {
	mailbox.clear();
	sendJson(res, 200, { cleared: true });
}

/** The message a `/messages/{id}...` path names, or undefined after answering 404. */
function findMessage({ mailbox, url, res }: ViewContext, id: string): SinkMessage | undefined {
	const message = mailbox.byId(id);
	// The 404 names the id as written in the path (not decoded).
	if (!message) sendJson(res, 404, { error: { code: 'not_found', message: `no message ${url.pathname.split('/')[2]}` } });
	return message;
}

function getMessage(ctx: ViewContext, params: Record<string, string>): void {
	const message = findMessage(ctx, params.id);
	if (message) sendJson(ctx.res, 200, full(message));
}

function getRawMessage(ctx: ViewContext, params: Record<string, string>): void {
	const message = findMessage(ctx, params.id);
	if (!message) return;
	ctx.res.writeHead(200, { 'Content-Type': 'message/rfc822', 'Content-Length': Buffer.byteLength(message.raw) });
	ctx.res.end(message.raw);
}

const ROUTES = new RouteTable<ViewContext>([
	{ method: 'GET', pattern: '/messages', handle: listMessages },
	{ method: 'DELETE', pattern: '/messages', handle: clearMessages },
	{ method: 'GET', pattern: '/messages/{id}', handle: getMessage },
	{ method: 'GET', pattern: '/messages/{id}/raw', handle: getRawMessage },
]);

/** The request listener of the HTTP view. */
export function viewHandler(mailbox: Mailbox): http.RequestListener {
	return (req, res) => {
		const url = new URL(req.url ?? '/', 'http://smtp.sandbox');
		let match: ReturnType<typeof ROUTES.match>;
		try {
			match = matchRoute(ROUTES, req.method ?? '', url.pathname);
		} catch {
			// A malformed %-escape in the id: no such route (this used to crash the sink).
			match = { route: undefined, allowed: [] };
		}
		// Unknown path or method alike: 404 naming the request, as the view always answered.
		if (!match.route) return sendJson(res, 404, { error: { code: 'not_found', message: `no route for ${req.method} ${url.pathname}` } });
		return match.route.handle({ mailbox, url, res }, match.params);
	};
}
