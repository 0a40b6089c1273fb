// The Accounting API's route table (paths after /api.xro/2.0, matched case-insensitively as Xero
// does) and dispatch: a known collection with an unsupported method or shape answers 405, an
// unknown one 404. Also the normalised "METHOD /Collection/{id}" name calls are logged under.
import { RouteTable, type Route } from '../common/routes';
import * as branding from './handlers/branding';
import * as contacts from './handlers/contacts';
import type { ApiContext } from './handlers/context';
import * as invoices from './handlers/invoices';
import * as payments from './handlers/payments';
import * as settings from './handlers/settings';
import { json, notFound, type Reply } from './reply';
import { API_PREFIX } from './state';

type Handler = (ctx: ApiContext, params: Record<string, string>) => Reply;

function on(method: string, pattern: string, handler: Handler): Route<ApiContext> {
	return {
		method,
		pattern,
		handle: (ctx, params) => {
			ctx.reply = handler(ctx, params);
		},
	};
}

/** The settings endpoints ignore any id or sub-path after the collection name. */
function anyDepth(pattern: string, handler: Handler): Array<Route<ApiContext>> {
	return [pattern, `${pattern}/{id}`, `${pattern}/{id}/{sub}`].map((p) => on('GET', p, handler));
}

const ROUTES: Array<Route<ApiContext>> = [
	...anyDepth('/Organisation', settings.getOrganisation),
	...anyDepth('/Organisations', settings.getOrganisation),
	...anyDepth('/Accounts', settings.getAccounts),
	...anyDepth('/TaxRates', settings.getTaxRates),
	...anyDepth('/Currencies', settings.getCurrencies),
	on('GET', '/BrandingThemes', branding.list),
	on('GET', '/BrandingThemes/{id}', branding.get),
	on('GET', '/Contacts', contacts.list),
	on('PUT', '/Contacts', contacts.save),
	on('POST', '/Contacts', contacts.save),
	on('GET', '/Contacts/{id}', contacts.get),
	on('POST', '/Contacts/{id}', contacts.update),
	on('GET', '/Invoices', invoices.list),
	on('PUT', '/Invoices', invoices.save),
	on('POST', '/Invoices', invoices.save),
	on('GET', '/Invoices/{id}', invoices.get),
	on('POST', '/Invoices/{id}', invoices.update),
	on('POST', '/Invoices/{id}/Email', invoices.email),
	on('GET', '/Invoices/{id}/OnlineInvoice', invoices.onlineInvoice),
	on('GET', '/Payments', payments.list),
	on('PUT', '/Payments', payments.save),
	on('POST', '/Payments', payments.save),
	on('GET', '/Payments/{id}', payments.get),
	on('POST', '/Payments/{id}', payments.remove),
];

const TABLE = new RouteTable(ROUTES, { caseInsensitive: true });
const COLLECTIONS = new Set(ROUTES.map((r) => r.pattern.split('/')[1].toLowerCase()));

/** Runs the route for an API call; only the collection, id and sub-resource segments count. */
export function dispatchApi(ctx: ApiContext): Reply {
	const segments = ctx.url.pathname.slice(API_PREFIX.length).split('/').filter(Boolean);
	const collection = segments.map(decodeURIComponent)[0] ?? '';
	const match = TABLE.match(ctx.method, '/' + segments.slice(0, 3).join('/'));
	if (!match.route) {
		if (!COLLECTIONS.has(collection.toLowerCase())) return notFound();
		return json(405, { Title: 'Method Not Allowed', Status: 405, Detail: `${ctx.method} is not supported on ${ctx.url.pathname}` });
	}
	void match.route.handle(ctx, match.params);
	return ctx.reply!;
}

/** Name a call is logged (and fault-matched) under, e.g. "GET /Invoices/{id}" or "POST /Invoices/{id}/Email". */
export function callRoute(method: string, path: string): string {
	const rel = path.startsWith(API_PREFIX) ? path.slice(API_PREFIX.length) : path;
	const parts = rel.split('/').filter(Boolean);
	if (parts.length === 0) return `${method} /`;
	const [collection, id, sub] = parts;
	return `${method} /${collection}${id !== undefined ? '/{id}' : ''}${sub !== undefined ? `/${sub}` : ''}`;
}
