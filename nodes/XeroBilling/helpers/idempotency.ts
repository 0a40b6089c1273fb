// Idempotency keys for Xero writes.
import { createHash } from 'crypto';

/**
 * A key derived from what a batch call sends: a retry of the same batch (same content) carries
 * the same key, so Xero applies it at most once.
 */
export function batchKey(prefix: string, payload: unknown): string {
	return `${prefix}-${createHash('sha256').update(JSON.stringify(payload)).digest('hex').slice(0, 48)}`;
}
