// The running sandbox's shared state, and the context each HTTP request handler gets.
import type * as http from 'http';
import type { Latency } from '../common/http';
import type { SandboxUser } from './auth';
import type { FaultInjector } from './faults';
import type { Gateway } from './gateway';
import type { CallCounts, LoggedRequest } from './records';

export interface SandboxState {
	readonly users: SandboxUser[];
	/** The one seeded source for faults, references, auth codes and latency draws. */
	readonly random: () => number;
	readonly now: () => number;
	latency: Latency | undefined;
	/** Every AUTH is charged at once but answered only after this many ms (0: at once). */
	authAnswerDelayMs: number;
	readonly gateway: Gateway;
	readonly faults: FaultInjector;
	/** Replaced (not cleared) on reset. */
	counts: CallCounts;
	readonly log: LoggedRequest[];
	/** Responses held open by a timeout fault; close() destroys them. */
	readonly held: Set<http.ServerResponse>;
	inFlight: number;
	peak: number;
}

export interface RequestContext {
	state: SandboxState;
	req: http.IncomingMessage;
	res: http.ServerResponse;
	/** The request body as received. */
	raw: Buffer;
	/** This request's log entry. */
	entry: LoggedRequest;
}
