// The one operation contract every action node follows (Postgres v2 shape):
//   actions/<resource>/<operation>.operation.ts exports
//     description: INodeProperties[]
//     execute(ctx: OperationContext<Client>): Promise<void>
// An operation records one outcome per input item in `ctx.results`: a success, a failure the
// service or the data decided (a decline, a refusal: always the failure output), or an error
// (thrown unless the node continues on fail). `forEachItem` carries per-item work (a gateway
// request each, several at once); `forEachBatch` carries batched work (a Xero call per 50).
import type { IDataObject, IExecuteFunctions, INode, INodeExecutionData } from 'n8n-workflow';
import { mapLimit } from './concurrency';
import { toNodeError } from './errors';
import { failureItem } from './failure';

export interface OperationContext<TClient> {
	fns: IExecuteFunctions;
	node: INode;
	items: INodeExecutionData[];
	/** What the router built from the node's credential (a transport, a connection lease, …). */
	client: TClient;
	results: ItemResults;
}

export type OperationExecute<TClient> = (ctx: OperationContext<TClient>) => Promise<void>;

/** What an operation module exports. */
export interface OperationModule<TClient> {
	description: import('n8n-workflow').INodeProperties[];
	execute: OperationExecute<TClient>;
}

/** What an input item came to: its output items (none, one or several) on one side. */
type Outcome = { kind: 'success' | 'failure'; items: INodeExecutionData[] };

/**
 * One outcome per input item, turned into the node's outputs in input order. With one output,
 * failure items go to it too (they carry `error`); with two, to the second.
 */
export class ItemResults {
	private readonly outcomes = new Map<number, Outcome>();
	/** Items an operation adds that pair with no single input (e.g. a summary); appended to output 1. */
	private readonly extra: INodeExecutionData[] = [];

	constructor(
		private readonly node: INode,
		private readonly items: INodeExecutionData[],
		readonly continueOnFail: boolean,
		private readonly outputCount: 1 | 2 = 2,
	) {}

	has(itemIndex: number): boolean {
		return this.outcomes.has(itemIndex);
	}

	/** The item succeeded: `json` goes to output 1, paired with the input item. */
	success(itemIndex: number, json: IDataObject, binary?: INodeExecutionData['binary']): void {
		this.successItems(itemIndex, [{ json, ...(binary ? { binary } : {}) }]);
	}

	/** A success output item built by the operation itself (a pairedItem it sets is kept). */
	successItem(itemIndex: number, item: INodeExecutionData): void {
		this.successItems(itemIndex, [item]);
	}

	/**
	 * The item succeeded with a list (a message per parked message, a row per stage): none, one or
	 * several output items, each paired with the input item unless it says otherwise.
	 */
	successItems(itemIndex: number, items: INodeExecutionData[]): void {
		this.outcomes.set(itemIndex, { kind: 'success', items: items.map((item) => ({ pairedItem: { item: itemIndex }, ...item })) });
	}

	/**
	 * One output item that answers for several input items (an invoice built from many rows):
	 * placed where the first of them stands, paired with all of them.
	 */
	aggregate(itemIndexes: readonly number[], item: { json: IDataObject; binary?: INodeExecutionData['binary'] }): void {
		const [first, ...rest] = [...itemIndexes].sort((a, b) => a - b);
		if (first === undefined) return;
		this.outcomes.set(first, { kind: 'success', items: [{ ...item, pairedItem: [first, ...rest].map((i) => ({ item: i })) }] });
		for (const i of rest) this.outcomes.set(i, { kind: 'success', items: [] });
	}

	/**
	 * A failure decided by the service or the data (a decline, a refusal, a record that cannot be
	 * processed): always goes to the failure output. `json` defaults to the input item's fields.
	 */
	failure(itemIndex: number, failure: unknown, json?: IDataObject): void {
		this.outcomes.set(itemIndex, { kind: 'failure', items: [failureItem(this.items[itemIndex], itemIndex, failure, json)] });
	}

	/** An error: thrown at once (as an n8n error naming the item) unless the node continues on fail. */
	error(itemIndex: number, error: unknown, json?: IDataObject): void {
		if (!this.continueOnFail) throw toNodeError(this.node, error, itemIndex);
		this.failure(itemIndex, toNodeError(this.node, error, itemIndex), json);
	}

	/** Marks every item of `itemIndexes` not yet decided as failed with `error` (e.g. a batch call that failed). */
	errorAll(itemIndexes: readonly number[], error: unknown): void {
		if (!this.continueOnFail) throw toNodeError(this.node, error);
		const nodeError = toNodeError(this.node, error);
		for (const i of itemIndexes) if (!this.has(i)) this.failure(i, nodeError);
	}

	/** Adds an output item that answers for the whole run rather than one input item. */
	append(item: INodeExecutionData): void {
		this.extra.push(item);
	}

	toOutputs(): INodeExecutionData[][] {
		const ok: INodeExecutionData[] = [];
		const failed: INodeExecutionData[] = [];
		this.items.forEach((_, itemIndex) => {
			const outcome = this.outcomes.get(itemIndex);
			// Never drop an item silently: one the operation forgot is a failure, not a success.
			if (!outcome) failed.push(failureItem(this.items[itemIndex], itemIndex, { message: 'Item was not processed (internal error)', retryable: true }));
			else (outcome.kind === 'success' ? ok : failed).push(...outcome.items);
		});
		ok.push(...this.extra);
		return this.outputCount === 1 ? [[...ok, ...failed]] : [ok, failed];
	}
}

/**
 * Per-item work, at most `concurrency` items at once (started in input order). A throw from `fn`
 * becomes that item's error; one item's failure never stops the others.
 */
export async function forEachItem<TClient>(
	ctx: OperationContext<TClient>,
	fn: (item: INodeExecutionData, itemIndex: number) => Promise<void>,
	concurrency = 1,
): Promise<void> {
	const thrown: unknown[] = [];
	await mapLimit(ctx.items, concurrency, async (item, itemIndex) => {
		try {
			await fn(item, itemIndex);
		} catch (error) {
			try {
				ctx.results.error(itemIndex, error);
			} catch (nodeError) {
				thrown.push(nodeError);
			}
		}
	});
	// Without Continue On Fail the first failure fails the node, after the items in flight settled.
	if (thrown.length > 0) throw thrown[0];
}

/**
 * Batched work, one batch at a time. A batch holds entries (an item, or a billing key, invoice or
 * client standing for several items); `itemsOf` names an entry's input items. A throw from `fn`
 * fails the undecided items of that batch only (or the node, without Continue On Fail).
 */
export async function forEachBatch<TClient, T>(
	ctx: OperationContext<TClient>,
	batches: readonly T[][],
	itemsOf: (entry: T) => readonly number[],
	fn: (batch: T[], batchIndex: number) => Promise<void>,
): Promise<void> {
	for (let b = 0; b < batches.length; b++) {
		try {
			await fn(batches[b], b);
		} catch (error) {
			ctx.results.errorAll(batches[b].flatMap(itemsOf), error);
		}
	}
}
