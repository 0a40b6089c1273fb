import { createHash } from 'crypto';
import type { EmailKind } from '../templates';

/** Kinds that can be sent repeatedly for one billing key (one per charge attempt). */
export const DUNNING_KINDS: readonly EmailKind[] = ['declined', 'noCardOnFile'];

/**
 * Deterministic Message-ID for one billing key and email kind (and attempt, for dunning
 * notices), so a resend after a crash carries the same ID and is recognisable as a duplicate.
 */
export function billingMessageId(billingKey: string, kind: EmailKind, domain: string, attempt?: number): string {
	// Readable when the key is plain; otherwise a hash, since Message-ID allows few characters.
	const key = /^[A-Za-z0-9-]{1,64}$/.test(billingKey)
		? `k-${billingKey}`
		: `h-${createHash('sha256').update(billingKey).digest('hex').slice(0, 40)}`;
	const attemptPart = DUNNING_KINDS.includes(kind) && attempt !== undefined ? `.a${attempt}` : '';
	return `<billing.${kind}${attemptPart}.${key}@${domain}>`;
}
