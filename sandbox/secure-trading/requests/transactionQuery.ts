// TRANSACTIONQUERY: find transactions by a filter that names at least one searchable key.
import * as check from '../fields';
import type { Ledger } from '../ledger';
import { messageFor } from '../messages';
import { GatewayError, type CallContext, type TxInternal } from '../model';
import type { RequestTypeHandler } from './types';

const FILTER_KEYS = [
	'transactionreference',
	'orderreference',
	'parenttransactionreference',
	'sitereference',
	'requesttypedescription',
	'errorcode',
	'settlestatus',
	'currencyiso3a',
	'paymenttypedescription',
	'starttimestamp',
	'endtimestamp',
];
const SEARCHABLE_FILTER_KEYS = ['transactionreference', 'orderreference', 'parenttransactionreference', 'starttimestamp', 'endtimestamp'];

export const transactionQuery: RequestTypeHandler = (ledger, fields, ctx) => {
	const wanted = parseFilter(fields.filter);
	const records = matching(ledger, wanted, ctx);
	return {
		requesttypedescription: 'TRANSACTIONQUERY',
		transactionstartedtimestamp: ledger.timestamp(),
		errorcode: '0',
		errormessage: messageFor('0'),
		found: String(records.length),
		records: records.map((tx) => ({ ...tx.fields, interface: 'PASS-JSON-JSON' })),
	};
};

/** The filter as key → accepted values; `{ key: [{ value }] }` on the wire. */
function parseFilter(filter: unknown): Map<string, string[]> {
	if (filter === undefined || filter === null) throw new GatewayError('60019');
	if (typeof filter !== 'object' || Array.isArray(filter)) throw new GatewayError('30000', ['filter']);
	const wanted = new Map<string, string[]>();
	for (const [key, raw] of Object.entries(filter as Record<string, unknown>)) {
		if (!FILTER_KEYS.includes(key)) throw new GatewayError('60037', [key]);
		if (!Array.isArray(raw) || raw.length === 0) throw new GatewayError('30000', [key]);
		const values = raw.map((entry) => {
			const value = entry && typeof entry === 'object' ? (entry as Record<string, unknown>).value : undefined;
			if (typeof value !== 'string') throw new GatewayError('30000', [key]);
			return value;
		});
		wanted.set(key, values);
	}
	if (!SEARCHABLE_FILTER_KEYS.some((key) => wanted.has(key))) throw new GatewayError('60019');
	return wanted;
}

function matching(ledger: Ledger, wanted: Map<string, string[]>, ctx: CallContext): TxInternal[] {
	let sites = ctx.allowedSites;
	const siteFilter = wanted.get('sitereference');
	if (siteFilter) {
		for (const site of siteFilter) check.checkSite(ledger.opts, site, ctx);
		sites = siteFilter;
	}
	const start = wanted.get('starttimestamp')?.[0];
	const end = wanted.get('endtimestamp')?.[0];
	const visibleBefore = ledger.opts.now() - ledger.opts.queryVisibilityDelayMs;
	return ledger.transactions.filter((tx) => {
		if (tx.createdAtMs > visibleBefore) return false;
		if (!sites.includes(tx.fields.sitereference)) return false;
		for (const [key, values] of wanted) {
			if (key === 'sitereference' || key === 'starttimestamp' || key === 'endtimestamp') continue;
			if (!values.includes(tx.fields[key] ?? '')) return false;
		}
		const ts = tx.fields.transactionstartedtimestamp;
		if (start !== undefined && ts < start) return false;
		if (end !== undefined && ts > end) return false;
		return true;
	});
}
