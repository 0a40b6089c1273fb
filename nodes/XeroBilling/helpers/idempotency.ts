// Idempotency keys for Xero writes. Xero replays the stored answer for a key it has seen (a failure
// too), so a key must be the same for the retries of one call and for nothing else: our transport's
// retries and n8n's Retry On Fail (same execution, same delivery) send the same key; a new delivery
// of the message (Retry or Park republishes it with the next attempt) or a new execution (a replay
// after the data was fixed) sends a new one, so it gets Xero's answer of now, not a stored failure.
// Never paying or invoicing twice across executions rests on the lookups, not on these keys.
import { createHash } from 'crypto';
import type { IDataObject } from 'n8n-workflow';
import type { XeroContext } from './client';

/** What tells one run of a batch call from another with the same content. */
export interface KeyScope {
	/** n8n's execution id ('' when n8n gives none). */
	execution: string;
	/** Per item of the batch, in order: `<messageUid>#<attempt>` of its queue delivery, '' for none. */
	deliveries: string[];
}

/**
 * The Billing Queue Trigger's delivery meta on an item (`_queue`, see BillingQueue's `toItemJson`):
 * the message's uid and its delivery attempt (1 first, +1 on every republish by Retry or Park).
 */
function deliveryOf(json: IDataObject | undefined): string {
	const meta = json?._queue;
	if (!meta || typeof meta !== 'object' || Array.isArray(meta)) return '';
	const { messageUid, attempt } = meta as IDataObject;
	return `${typeof messageUid === 'string' ? messageUid : ''}#${typeof attempt === 'number' ? attempt : ''}`;
}

/** The scope of a batch call made for these items in this execution. */
export function keyScope(ctx: XeroContext, itemIndexes: number[]): KeyScope {
	let execution = '';
	try {
		execution = String(ctx.fns.getExecutionId() ?? '');
	} catch {
		// Some contexts have no execution id: the deliveries still tell runs apart.
	}
	return { execution, deliveries: itemIndexes.map((i) => deliveryOf(ctx.items[i]?.json)) };
}

/**
 * A key derived from what a batch call sends and, with `scope`, from the execution and deliveries
 * it is made for: a retry of the same batch in the same run carries the same key, so Xero applies
 * it at most once; a new delivery or execution gets a fresh key.
 */
export function batchKey(prefix: string, payload: unknown, scope?: KeyScope): string {
	const material = scope ? { payload, scope } : payload;
	return `${prefix}-${createHash('sha256').update(JSON.stringify(material)).digest('hex').slice(0, 48)}`;
}
