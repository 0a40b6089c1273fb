import { createHash } from 'crypto';
import type { EmailKind } from '../templates';

/** Kinds that can be sent repeatedly for one billing key (one per charge attempt). */
export const DUNNING_KINDS: readonly EmailKind[] = ['declined', 'noCardOnFile'];

/** A plain ASCII domain name, as a Message-ID's right-hand side must be. */
export const MESSAGE_ID_DOMAIN = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** A key as a Message-ID part: readable when plain; otherwise a hash, since Message-ID allows few characters. */
export function messageIdKey(key: string): string {
	return /^[A-Za-z0-9-]{1,64}$/.test(key) ? `k-${key}` : `h-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

/**
 * Deterministic Message-ID for one billing key and email kind (and attempt, for dunning
 * notices), so a resend after a crash carries the same ID and is recognisable as a duplicate.
 */
export function billingMessageId(billingKey: string, kind: EmailKind, domain: string, attempt?: number): string {
	const key = messageIdKey(billingKey);
	const attemptPart = DUNNING_KINDS.includes(kind) && attempt !== undefined ? `.a${attempt}` : '';
	return `<billing.${kind}${attemptPart}.${key}@${domain}>`;
}
