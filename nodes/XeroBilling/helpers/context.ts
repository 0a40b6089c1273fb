// What every operation works with: the input items, the transport, batch settings, and a result
// collector that keeps one outcome per input item (so nothing is lost and pairedItem is kept).
import { createHash } from 'crypto';
import type { IDataObject, IExecuteFunctions, INode, INodeExecutionData, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { XeroApiError, type XeroTransport } from '../transport';

export interface OperationContext {
	fns: IExecuteFunctions;
	items: INodeExecutionData[];
	transport: XeroTransport;
	batchSize: number;
	continueOnFail: boolean;
}

/** Bad input: names the field and the item, raised before anything is sent for that item. */
export class InputError extends NodeOperationError {
	field = '';
}

export function inputError(node: INode, itemIndex: number, field: string, message: string): InputError {
	const error = new InputError(node, `${message} [item ${itemIndex}]`, { itemIndex, description: `Input field: ${field}` });
	error.field = field;
	return error;
}

/** Xero failure → NodeApiError carrying Xero's own messages. */
export function apiError(node: INode, error: XeroApiError, itemIndex?: number): NodeApiError {
	const nodeError = new NodeApiError(
		node,
		{
			kind: error.kind,
			statusCode: error.statusCode,
			messages: error.messages,
			...(error.body && typeof error.body === 'object' ? { xero: error.body as JsonObject } : {}),
		} as JsonObject,
		{
			message: error.message,
			description: error.messages.length ? `Xero: ${error.messages.join('; ')}` : undefined,
			httpCode: error.statusCode ? String(error.statusCode) : undefined,
			itemIndex,
		},
	);
	// Kept for Continue On Fail items, which report what kind of failure it was.
	nodeError.context.xeroKind = error.kind;
	nodeError.context.xeroMessages = error.messages;
	return nodeError;
}

type Outcome =
	| { kind: 'success'; json: IDataObject; binary?: INodeExecutionData['binary'] }
	| { kind: 'rejected'; json: IDataObject }
	| { kind: 'error'; error: Error };

/** One outcome per input item; turned into the node's two outputs in input order. */
export class Results {
	private readonly outcomes = new Map<number, Outcome>();

	constructor(private readonly ctx: OperationContext) {}

	has(itemIndex: number): boolean {
		return this.outcomes.has(itemIndex);
	}

	success(itemIndex: number, json: IDataObject, binary?: INodeExecutionData['binary']): void {
		this.outcomes.set(itemIndex, { kind: 'success', json, ...(binary ? { binary } : {}) });
	}

	/** Xero refused the record (validation) or it cannot be processed: goes to the second output. */
	rejected(itemIndex: number, json: IDataObject): void {
		this.outcomes.set(itemIndex, { kind: 'rejected', json });
	}

	/** A failure; thrown at once unless the node continues on fail. */
	error(itemIndex: number, error: Error): void {
		if (!this.ctx.continueOnFail) throw error;
		this.outcomes.set(itemIndex, { kind: 'error', error });
	}

	/** Marks every item not yet decided as failed with `error` (e.g. a batch call that failed). */
	errorAll(itemIndexes: number[], error: Error): void {
		if (!this.ctx.continueOnFail) throw error;
		for (const i of itemIndexes) if (!this.has(i)) this.outcomes.set(i, { kind: 'error', error });
	}

	toOutputs(): INodeExecutionData[][] {
		const ok: INodeExecutionData[] = [];
		const failed: INodeExecutionData[] = [];
		this.ctx.items.forEach((item, itemIndex) => {
			const outcome = this.outcomes.get(itemIndex);
			const pairedItem = { item: itemIndex };
			if (!outcome) {
				// Never drop an item silently.
				failed.push({ json: { ...item.json, error: 'Item was not processed (internal error)' }, pairedItem });
				return;
			}
			if (outcome.kind === 'success') ok.push({ json: outcome.json, ...(outcome.binary ? { binary: outcome.binary } : {}), pairedItem });
			else if (outcome.kind === 'rejected') failed.push({ json: outcome.json, pairedItem });
			else {
				const e = outcome.error;
				failed.push({
					json: {
						...item.json,
						error: e.message,
						...(e instanceof XeroApiError ? { errorKind: e.kind, xeroMessages: e.messages } : {}),
						...(e instanceof NodeApiError && e.context.xeroKind ? { errorKind: e.context.xeroKind as string, xeroMessages: e.context.xeroMessages as string[] } : {}),
						...(e instanceof NodeApiError || e instanceof NodeOperationError ? { errorDescription: e.description ?? undefined } : {}),
						...(e instanceof InputError ? { field: e.field } : {}),
					},
					pairedItem,
				});
			}
		});
		return [ok, failed];
	}
}

/** Reads `a.b.c` from an item (a key containing dots is tried first). */
export function readPath(json: IDataObject, path: string): unknown {
	if (path in json) return json[path];
	return path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), json);
}

export function fieldParam(fns: IExecuteFunctions, name: string, itemIndex: number, fallback: string): string {
	const v = fns.getNodeParameter(name, itemIndex, fallback) as unknown;
	return typeof v === 'string' && v.trim() ? v.trim() : fallback;
}

export function chunk<T>(list: T[], size: number): T[][] {
	const out: T[][] = [];
	for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
	return out;
}

/**
 * An idempotency key derived from what a batch call sends: a retry of the same batch (same
 * content) carries the same key, so Xero applies it at most once.
 */
export function batchKey(prefix: string, payload: unknown): string {
	return `${prefix}-${createHash('sha256').update(JSON.stringify(payload)).digest('hex').slice(0, 48)}`;
}

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A required text value from the item, trimmed; names the field when missing or too long. */
export function textField(node: INode, json: IDataObject, path: string, itemIndex: number, label: string, opts: { required?: boolean; max?: number } = {}): string {
	const raw = readPath(json, path);
	if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
		if (opts.required === false) return '';
		throw inputError(node, itemIndex, path, `${label} is missing (field "${path}")`);
	}
	if (typeof raw !== 'string' && typeof raw !== 'number') {
		throw inputError(node, itemIndex, path, `${label} must be text, got ${Array.isArray(raw) ? 'a list' : typeof raw} (field "${path}")`);
	}
	const value = String(raw).trim();
	if (opts.max && value.length > opts.max) throw inputError(node, itemIndex, path, `${label} is longer than ${opts.max} characters (field "${path}")`);
	// A line break in a name or key is a data error; it would also reach email headers later.
	if (/[\u0000-\u001f\u007f]/.test(value)) throw inputError(node, itemIndex, path, `${label} contains control characters such as line breaks (field "${path}")`);
	return value;
}

/** A YYYY-MM-DD date from the item (or today, UTC, when the field is unset and not required). */
export function dateField(node: INode, json: IDataObject, path: string, itemIndex: number, label: string): string | undefined {
	if (!path) return undefined;
	const raw = readPath(json, path);
	if (raw === undefined || raw === null || raw === '') return undefined;
	const s = raw instanceof Date ? raw.toISOString() : String(raw).trim();
	const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(s);
	const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
	if (!m || Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== `${m[1]}-${m[2]}-${m[3]}`) {
		throw inputError(node, itemIndex, path, `${label} "${s}" is not a date in YYYY-MM-DD form (field "${path}")`);
	}
	return `${m[1]}-${m[2]}-${m[3]}`;
}

export function todayUtc(): string {
	return new Date().toISOString().slice(0, 10);
}

export function addDays(day: string, days: number): string {
	return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
