// The status page's replay token. n8n serves webhook answers in a sandbox (Content-Security-Policy:
// sandbox), so the page's form posts with `Origin: null` and the replay webhook cannot tell it from
// a form on another site by its origin, while the browser sends the cached basic-auth login with
// either. The page's forms carry a token that only a reader of the page has: an HMAC of a random
// secret kept in the run ledger's store, which another site can neither read nor guess.
import { createHmac, randomBytes, timingSafeEqual } from 'crypto';
import type { RunLedgerStore } from '../store/types';

const STATE_KEY = 'statusPage';

export async function replaySecret(store: RunLedgerStore): Promise<string> {
	const state = await store.getState(STATE_KEY);
	if (typeof state?.secret === 'string' && state.secret.length >= 32) return state.secret;
	const secret = randomBytes(32).toString('hex');
	await store.setState(STATE_KEY, { secret });
	// Two pages rendered at once may each have made one: the stored one wins for both.
	const stored = await store.getState(STATE_KEY);
	return typeof stored?.secret === 'string' ? stored.secret : secret;
}

export function replayToken(secret: string): string {
	return createHmac('sha256', secret).update('billing-status-page-replay').digest('base64url');
}

export function validReplayToken(secret: string, token: unknown): boolean {
	if (typeof token !== 'string' || !token) return false;
	const want = Buffer.from(replayToken(secret));
	const got = Buffer.from(token);
	return want.length === got.length && timingSafeEqual(want, got);
}
