// A node parameter for one item, with a fast path for the two forms the shipped workflows use on
// every item: a constant, and a plain read of the item's own field (`={{ $json.billingKey }}`).
// n8n 2.x evaluates every expression in an isolated-vm sandbox (N8N_EXPRESSION_ENGINE=vm, its
// default), about half a millisecond each: with a dozen per invoice that was 40% of n8n's busy
// time in a billing run. Both forms resolve to exactly what n8n would return, so they are read
// here; anything else (a computed expression, an object, a missing field) goes to n8n unchanged.
import type { IDataObject, IExecuteFunctions, NodeParameterValueType } from 'n8n-workflow';

type Segment = string;

/** `={{ $json.a }}`, `={{ $json.a.b }}`, `={{ $json["a b"] }}`, `={{ $json?.a?.b }}`, nothing else. */
const PLAIN_READ = /^=\{\{\s*\$json((?:\??\.[A-Za-z_$][\w$]*|(?:\?\.)?\[\s*(?:"[^"\\]*"|'[^'\\]*')\s*\])+)\s*\}\}$/;
const SEGMENT = /\??\.([A-Za-z_$][\w$]*)|(?:\?\.)?\[\s*(?:"([^"\\]*)"|'([^'\\]*)')\s*\]/g;

const pathCache = new Map<string, Segment[] | null>();
const MAX_CACHED = 512;

/** The field path of a plain `$json` read, or null when the expression is anything else. */
export function plainJsonPath(raw: string): Segment[] | null {
	const cached = pathCache.get(raw);
	if (cached !== undefined) return cached;
	const match = PLAIN_READ.exec(raw);
	let path: Segment[] | null = null;
	if (match) {
		path = [];
		for (const m of match[1].matchAll(SEGMENT)) path.push(m[1] ?? m[2] ?? m[3]);
	}
	if (pathCache.size >= MAX_CACHED) pathCache.clear();
	pathCache.set(raw, path);
	return path;
}

/** The value at `keys`, own properties only (an inherited one is n8n's to answer); undefined if absent. */
function ownAt(root: unknown, keys: readonly string[]): unknown {
	let value = root;
	for (const key of keys) {
		if (value === null || typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, key)) return undefined;
		value = (value as IDataObject)[key];
	}
	return value;
}

/** A primitive as n8n's expression would return it; undefined when n8n has to decide. */
function primitiveAt(json: IDataObject | undefined, path: Segment[]): string | number | boolean | null | undefined {
	const value = ownAt(json, path);
	return value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)) ? value : undefined;
}

/**
 * `fns.getNodeParameter(name, itemIndex, fallback)`, without the sandbox where it is not needed.
 * Same results, errors and fallbacks: whatever the fast path cannot answer exactly goes to n8n.
 */
export function itemParameter(fns: IExecuteFunctions, name: string, itemIndex: number, fallback?: unknown): NodeParameterValueType | object {
	// The stored parameter (dotted paths such as `options.timeoutMs`), before any expression runs.
	const stored = ownAt(fns.getNode().parameters, name.split('.'));
	if (typeof stored === 'number' || typeof stored === 'boolean') return stored;
	if (typeof stored === 'string') {
		if (!stored.startsWith('=')) return stored;
		const path = plainJsonPath(stored);
		if (path) {
			const value = primitiveAt(fns.getInputData()[itemIndex]?.json, path);
			if (value !== undefined) return value;
		}
	}
	return fns.getNodeParameter(name, itemIndex, fallback as NodeParameterValueType);
}
