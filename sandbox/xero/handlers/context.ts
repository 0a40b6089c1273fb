// What every API handler gets (the call's organisation, parsed query and body, and the options
// common to Xero's endpoints) and the envelope/batch answers they share.
import type * as http from 'http';
import type { Organisation } from '../model/organisation';
import type { SaveOutcome } from '../model/query';
import { json, type Reply } from '../reply';
import { batchReply, elementOf, envelope, type ElementKind } from '../wire/envelope';
import { qpBool, qpInt, queryOf } from './query';

export interface ApiContext {
	org: Organisation;
	method: string;
	url: URL;
	query: Record<string, string>;
	/** Parsed JSON body of a PUT/POST; undefined for other methods. */
	body: unknown;
	headers: http.IncomingHttpHeaders;
	providerName: string;
	/** The sandbox's own base URL (http://127.0.0.1:PORT), for the absolute links Xero answers with. */
	publicUrl: string;
	/** summarizeErrors (default true): a batch with failures answers 400 listing only them. */
	summarize: boolean;
	ifModifiedSince?: number;
	/** unitdp=4 keeps unit amounts to 4 decimal places. */
	unitdp?: number;
	/** Set by the route that handled the call. */
	reply?: Reply;
}

/** Reads the options every endpoint takes; they are read before routing, so a bad unitdp is a 400 on any path. */
export function apiContext(
	base: Pick<ApiContext, 'org' | 'method' | 'url' | 'body' | 'headers' | 'providerName' | 'publicUrl'>,
): ApiContext {
	const query = queryOf(base.url);
	const imsHeader = base.headers['if-modified-since'];
	const ims = typeof imsHeader === 'string' && imsHeader ? Date.parse(imsHeader) : NaN;
	return {
		...base,
		query,
		summarize: qpBool(query, 'summarizeErrors') !== false,
		ifModifiedSince: Number.isNaN(ims) ? undefined : ims,
		unitdp: qpInt(query, 'unitdp', 2, 4),
	};
}

/** 200 with Xero's envelope around `items`. */
export function listReply(ctx: ApiContext, key: string, items: unknown[], extra: Record<string, unknown> = {}): Reply {
	return json(200, envelope(ctx.providerName, key, items, extra));
}

/** The answer to a batch PUT/POST: each element saved or refused, in Xero's batch form. */
export function saveReply<T>(
	ctx: ApiContext,
	key: string,
	inputs: unknown[],
	outcomes: Array<SaveOutcome<T>>,
	wire: { kind: ElementKind; errorFlag: 'HasErrors' | 'HasValidationErrors'; toJson: (rec: T) => Record<string, unknown> },
): Reply {
	const results = outcomes.map((o, i) => elementOf(o, inputs[i], wire.kind, wire.toJson));
	return batchReply(ctx.providerName, key, results, ctx.summarize, wire.errorFlag);
}

