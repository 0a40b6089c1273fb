// Fault injection for the Xero sandbox: random 5xx and timeouts (seeded, so runs repeat), scripted
// failures (or slow answers) for the next N calls, and 429 storms. A fault can strike before the work is applied or
// after it (the request did its work but the client never learns), which is what makes
// idempotency keys matter.
import { seededRandom } from '../common/http';
import type { LimitProblem } from './limits';

export type FaultPhase = 'before' | 'after' | 'random';

export interface FaultConfig {
	/** Seed for the fault dice (and the latency draw). Default 1. */
	seed?: number;
	/** Probability (0–1) that a call answers 5xx. */
	errorRate?: number;
	/** Statuses used for 5xx faults, drawn uniformly. Default [500, 503]. */
	errorStatuses?: number[];
	/** Probability (0–1) that a call hangs and then has its connection dropped. */
	timeoutRate?: number;
	/** How long a timeout hangs before the connection is destroyed. Default 30000 ms. */
	hangMs?: number;
	/** Whether a fault strikes before the work is applied or after it. Default 'before'. */
	phase?: FaultPhase;
	/** Only calls with these methods get random faults (default: all). */
	methods?: string[];
	/** Only calls whose route (e.g. "PUT /Invoices") matches get random faults (default: all). */
	routes?: RegExp;
}

export interface ScriptedFault {
	/** `slow`: the call is answered normally, but only after `hangMs` (before or after the work, by phase). */
	kind: 'error' | 'timeout' | 'slow';
	status?: number;
	phase?: FaultPhase;
	hangMs?: number;
	methods?: string[];
	routes?: RegExp;
}

export interface StormOptions {
	/** Number of calls to answer 429. */
	calls?: number;
	/** Or: answer 429 for this many ms. */
	ms?: number;
	/** Retry-After seconds to send. Default 1. */
	retryAfterSeconds?: number;
	problem?: LimitProblem;
}

export interface FaultDecision {
	kind: 'error' | 'timeout' | 'slow';
	status: number;
	phase: 'before' | 'after';
	hangMs: number;
}

export class FaultInjector {
	private config: FaultConfig = {};
	random: () => number = seededRandom(1);
	private scripted: ScriptedFault[] = [];
	private storm: { callsLeft: number; until: number; retryAfterSeconds: number; problem: LimitProblem } | null = null;
	/** How many faults of each kind were injected, for tests to assert against. */
	readonly injected = { error: 0, timeout: 0, slow: 0, rateLimited: 0 };

	constructor(config: FaultConfig = {}) {
		this.set(config);
	}

	set(config: FaultConfig): void {
		this.config = { ...config };
		this.random = seededRandom(config.seed ?? 1);
	}

	get current(): FaultConfig {
		return { ...this.config };
	}

	clear(): void {
		this.config = {};
		this.scripted = [];
		this.storm = null;
	}

	resetCounters(): void {
		this.injected.error = 0;
		this.injected.timeout = 0;
		this.injected.slow = 0;
		this.injected.rateLimited = 0;
	}

	/** Scripts the next `count` matching calls to fail. */
	failNext(count: number, fault: ScriptedFault): void {
		for (let i = 0; i < count; i++) this.scripted.push({ ...fault });
	}

	startStorm(opts: StormOptions): void {
		this.storm = {
			callsLeft: opts.calls ?? (opts.ms !== undefined ? Number.POSITIVE_INFINITY : 1),
			until: opts.ms !== undefined ? Date.now() + opts.ms : Number.POSITIVE_INFINITY,
			retryAfterSeconds: opts.retryAfterSeconds ?? 1,
			problem: opts.problem ?? 'minute',
		};
	}

	/** Consumes one storm call if a storm is running. */
	takeStorm(now: number): { retryAfterSeconds: number; problem: LimitProblem } | null {
		const s = this.storm;
		if (!s) return null;
		if (now >= s.until || s.callsLeft <= 0) {
			this.storm = null;
			return null;
		}
		s.callsLeft--;
		this.injected.rateLimited++;
		return { retryAfterSeconds: s.retryAfterSeconds, problem: s.problem };
	}

	private phaseOf(p: FaultPhase | undefined): 'before' | 'after' {
		const phase = p ?? this.config.phase ?? 'before';
		if (phase === 'random') return this.random() < 0.5 ? 'before' : 'after';
		return phase;
	}

	/** Decides whether this call fails, and how. */
	decide(method: string, route: string): FaultDecision | null {
		const matches = (methods?: string[], routes?: RegExp) =>
			(!methods || methods.map((m) => m.toUpperCase()).includes(method)) && (!routes || routes.test(route));
		const idx = this.scripted.findIndex((f) => matches(f.methods, f.routes));
		if (idx >= 0) {
			const [f] = this.scripted.splice(idx, 1);
			this.injected[f.kind]++;
			return { kind: f.kind, status: f.status ?? 500, phase: this.phaseOf(f.phase), hangMs: f.hangMs ?? this.config.hangMs ?? 30_000 };
		}
		const c = this.config;
		if (!matches(c.methods, c.routes)) return null;
		if (c.errorRate && this.random() < c.errorRate) {
			const statuses = c.errorStatuses?.length ? c.errorStatuses : [500, 503];
			this.injected.error++;
			return {
				kind: 'error',
				status: statuses[Math.floor(this.random() * statuses.length)],
				phase: this.phaseOf(undefined),
				hangMs: 0,
			};
		}
		if (c.timeoutRate && this.random() < c.timeoutRate) {
			this.injected.timeout++;
			return { kind: 'timeout', status: 0, phase: this.phaseOf(undefined), hangMs: c.hangMs ?? 30_000 };
		}
		return null;
	}
}
