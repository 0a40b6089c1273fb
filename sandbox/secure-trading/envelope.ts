// Reading the request envelope `{ alias, version, request: [...] }`: JSON, shape, version and
// alias checks, and the request reference the answer echoes. Records the (masked) body.
import type { GatewayResponse } from './model';
import { redact } from './records';
import { gatewayReference } from './reply';
import type { RequestContext, SandboxState } from './state';

export type Envelope =
	| { ok: true; requests: unknown[]; reference: string }
	/** The envelope is refused with one `ERROR` element. */
	| { ok: false; reference: string; error: GatewayResponse };

export function readEnvelope(ctx: RequestContext, alias: string): Envelope {
	const { state, entry } = ctx;
	const text = ctx.raw.toString('utf8');
	let envelope: unknown;
	try {
		envelope = JSON.parse(text);
	} catch {
		state.counts.malformed++;
		entry.body = text.slice(0, 2000);
		return malformed(state);
	}
	entry.body = redact(envelope);
	if (!envelope || typeof envelope !== 'object' || Array.isArray(envelope)) {
		state.counts.malformed++;
		return malformed(state);
	}
	const env = envelope as Record<string, unknown>;
	const requests = Array.isArray(env.request) ? env.request : undefined;
	const first = requests?.[0] && typeof requests[0] === 'object' ? (requests[0] as Record<string, unknown>) : undefined;
	// The gateway echoes the client's requestreference (the official libraries reject a mismatch).
	const reference = typeof first?.requestreference === 'string' ? first.requestreference : gatewayReference(state.random);
	const refuse = (errorcode: string, errordata: string[]): Envelope => ({ ok: false, reference, error: state.gateway.envelopeError(errorcode, errordata) });
	if (!requests || requests.length === 0) return refuse('30000', ['request']);
	if (env.version !== '1.00') return refuse('30007', ['version']);
	if (env.alias !== alias) return refuse('30000', ['alias']);
	return { ok: true, requests, reference };
}

/** Every request type named in the envelope, in order (what the call counters and faults look at). */
export function requestTypesOf(requests: readonly unknown[]): string[] {
	return requests.flatMap((r) =>
		r && typeof r === 'object' && Array.isArray((r as Record<string, unknown>).requesttypedescriptions)
			? ((r as Record<string, unknown>).requesttypedescriptions as unknown[]).map(String)
			: [],
	);
}

function malformed(state: SandboxState): Envelope {
	// Reference first, then the element: the order of seeded draws and clock reads matters.
	return { ok: false, reference: gatewayReference(state.random), error: state.gateway.envelopeError('10205') };
}
