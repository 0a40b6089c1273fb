import { createHash } from 'crypto';

/** Secure Trading recommends order references of at most 25 characters; the key doubles as one. */
export const MAX_BILLING_KEY_LENGTH = 25;

const compactDate = (iso: string) => iso.slice(0, 10).replace(/-/g, '');

/**
 * Deterministic billing key for one client and one billing period, so a rerun of the same
 * period yields the same keys (and Xero/Secure Trading can recognise work already done).
 * Readable when the client id is short and plain; otherwise a hash, because rewriting the
 * id (e.g. dropping punctuation) could make two clients collide.
 */
export function billingKey(clientId: string, periodStart: string, periodEnd: string): string {
	const readable = `${clientId}-${compactDate(periodStart)}-${compactDate(periodEnd)}`;
	if (/^[A-Za-z0-9]+$/.test(clientId) && readable.length <= MAX_BILLING_KEY_LENGTH) return readable;
	const digest = createHash('sha256').update(`${clientId}\n${periodStart}\n${periodEnd}`).digest('hex');
	return `BK-${digest.slice(0, MAX_BILLING_KEY_LENGTH - 3)}`;
}
