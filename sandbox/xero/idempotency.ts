// Idempotency-Key handling: a request fingerprint (method, path, canonical query and body) and the
// rule that a key replays the stored answer for the same request and refuses a different one.
import { createHash } from 'crypto';
import { BadRequest, json, type Reply } from './reply';
import type { Connection } from './state';
import type { CallRecord } from './types';

/** Canonical JSON so the same request body always fingerprints the same. */
function canonical(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
	if (value && typeof value === 'object') {
		const obj = value as Record<string, unknown>;
		return `{${Object.keys(obj)
			.sort()
			.filter((k) => obj[k] !== undefined)
			.map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`)
			.join(',')}}`;
	}
	return JSON.stringify(value);
}

function fingerprint(method: string, pathname: string, query: Record<string, string>, body: unknown): string {
	return createHash('sha256').update(`${method} ${pathname.toLowerCase()}?${canonical(query)}\n${canonical(body ?? null)}`).digest('hex');
}

/**
 * Answers a call under its Idempotency-Key: the stored reply for the same request (marked replayed),
 * a 400 for a different request, else what `run` produces, remembered unless it is a 5xx.
 */
export function withIdempotency(
	conn: Connection,
	call: { key?: string; method: string; pathname: string; query: Record<string, string>; body: unknown },
	record: CallRecord,
	run: () => Reply,
): Reply {
	const { key } = call;
	if (!key) return run();
	if (key.length > 128) {
		throw new BadRequest(json(400, { Title: 'Bad Request', Status: 400, Detail: 'Idempotency-Key must be 128 characters or fewer.' }));
	}
	const print = fingerprint(call.method, call.pathname, call.query, call.body);
	const stored = conn.idempotency.get(key);
	if (stored && stored.fingerprint !== print) {
		return json(400, { Title: 'Bad Request', Status: 400, Detail: `Idempotency-Key '${key}' has already been used with a different request.` });
	}
	if (stored) {
		record.replayed = true;
		return { status: stored.status, headers: stored.headers, body: stored.body };
	}
	const reply = run();
	// Remember what the work produced so a retry with the same key gets the same answer.
	if (reply.status < 500) conn.idempotency.set(key, { fingerprint: print, ...reply });
	return reply;
}
