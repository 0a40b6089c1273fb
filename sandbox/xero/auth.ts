// Bearer sessions: which token a request carries, and Xero's 401 answer when it is missing,
// unknown or expired.
import { randomUUID } from 'crypto';
import type * as http from 'http';
import { json, type Reply } from './reply';
import type { SandboxState, Session } from './state';

export function sessionOf(state: SandboxState, req: http.IncomingMessage): Session | undefined {
	const auth = req.headers.authorization ?? '';
	const token = auth.toLowerCase().startsWith('bearer ') ? auth.slice(7).trim() : '';
	return state.tokens.get(token);
}

export function unauthorized(detail: string): { reply: Reply; headers: Record<string, string> } {
	return {
		reply: json(401, { Type: null, Title: 'Unauthorized', Status: 401, Detail: detail, Instance: randomUUID(), Extensions: {} }),
		headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
	};
}
