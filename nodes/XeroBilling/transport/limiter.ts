// One limiter per Xero organisation, shared by every execution in this process (see the registry
// in ./client.ts). Xero allows 5 concurrent calls, 60 per rolling minute and 5000 per rolling day
// per organisation. We cap concurrency at 5, follow the X-MinLimit-Remaining /
// X-DayLimit-Remaining headers of the latest answer (counting the calls started since), stop all
// callers for Retry-After after a 429, and refuse up front when the day budget cannot cover the
// work instead of failing half way.
import { sleep } from 'n8n-workflow';
import { XeroDayLimitError } from './errors';

export interface LimiterSnapshot {
	inFlight: number;
	minRemaining?: number;
	dayRemaining?: number;
	pausedForMs: number;
	rateLimited: number;
	calls: number;
}

interface Hint {
	remaining: number;
	/** Calls this process started after the answer that carried the header. */
	startedSince: number;
}

export class OrgLimiter {
	private inFlight = 0;
	private readonly waiters: Array<() => void> = [];
	private pausedUntil = 0;
	private min?: Hint;
	private day?: Hint;
	/** When a spent day budget may have recovered enough to try one call again. */
	private dayRetryAt = 0;
	private dayResetHint?: number;
	private calls = 0;
	private rateLimited = 0;

	constructor(
		readonly maxConcurrent = 5,
		/** How long to hold calls when the minute budget reads 0 but no Retry-After is known yet. */
		readonly exhaustedPauseMs = 1000,
	) {}

	/** Calls this process may still make today, by the latest header; undefined until Xero has told us. */
	dayRemaining(): number | undefined {
		if (!this.day) return undefined;
		const left = Math.max(0, this.day.remaining - this.day.startedSince);
		// The day window rolls: once the suggested wait has passed, forget the spent budget and
		// let the next call find out.
		if (left === 0 && Date.now() >= this.dayRetryAt) {
			this.day = undefined;
			return undefined;
		}
		return left;
	}

	/** Throws XeroDayLimitError when the known day budget cannot cover `calls` more calls. */
	checkDayBudget(calls: number, what: string): void {
		const left = this.dayRemaining();
		if (left !== undefined && left < calls) {
			const reset = this.dayResetHint ? ` Xero suggested retrying after ${Math.ceil(this.dayResetHint / 60)} minutes.` : '';
			throw new XeroDayLimitError(
				`Xero's daily API limit for this organisation would be exhausted: ${what} needs about ${calls} more call(s) but only ${left} remain today (X-DayLimit-Remaining). Nothing further was sent.${reset}`,
			);
		}
	}

	/** Waits for a slot that respects concurrency, pauses and the minute budget; returns its release. */
	async acquire(): Promise<() => void> {
		for (;;) {
			const now = Date.now();
			if (this.pausedUntil > now) {
				await sleep(this.pausedUntil - now);
				continue;
			}
			this.checkDayBudget(1, 'this call');
			if (this.inFlight >= this.maxConcurrent) {
				await new Promise<void>((resolve) => this.waiters.push(resolve));
				continue;
			}
			if (this.min && this.min.remaining - this.min.startedSince <= 0) {
				// The minute budget is spent by the last answer's count. Hold everyone briefly, then
				// let a single call probe: its headers (or its 429 Retry-After) tell us the truth.
				this.pausedUntil = now + this.exhaustedPauseMs;
				this.min = { remaining: 1, startedSince: 0 };
				continue;
			}
			break;
		}
		this.inFlight++;
		this.calls++;
		if (this.min) this.min.startedSince++;
		if (this.day) this.day.startedSince++;
		let released = false;
		return () => {
			if (released) return;
			released = true;
			this.inFlight--;
			this.waiters.shift()?.();
		};
	}

	/** Reads Xero's remaining-limit headers from any answer (success or error). */
	observe(headers: Record<string, string | undefined>): void {
		const min = Number(headers['x-minlimit-remaining']);
		if (headers['x-minlimit-remaining'] !== undefined && Number.isFinite(min)) this.min = { remaining: min, startedSince: 0 };
		const day = Number(headers['x-daylimit-remaining']);
		if (headers['x-daylimit-remaining'] !== undefined && Number.isFinite(day)) {
			this.day = { remaining: day, startedSince: 0 };
			if (day === 0) this.dayRetryAt = Date.now() + 60_000;
		}
	}

	/** After a 429: everyone waits Retry-After; a "day" problem marks the day budget spent. */
	rateLimitedFor(retryAfterMs: number, problem: string | undefined): void {
		this.rateLimited++;
		if (problem === 'day') {
			this.day = { remaining: 0, startedSince: 0 };
			this.dayResetHint = retryAfterMs / 1000;
			this.dayRetryAt = Date.now() + retryAfterMs;
			return;
		}
		this.pausedUntil = Math.max(this.pausedUntil, Date.now() + retryAfterMs);
	}

	snapshot(): LimiterSnapshot {
		return {
			inFlight: this.inFlight,
			minRemaining: this.min ? this.min.remaining - this.min.startedSince : undefined,
			dayRemaining: this.dayRemaining(),
			pausedForMs: Math.max(0, this.pausedUntil - Date.now()),
			rateLimited: this.rateLimited,
			calls: this.calls,
		};
	}
}
