// Xero's API rate limits: per organisation 5 concurrent calls, 60 per rolling minute and 5000 per
// rolling day, plus 10,000 per minute per app across all organisations. The window lengths are
// configurable so benchmarks can compress time.

export interface RateLimitConfig {
	concurrent: number;
	perMinute: number;
	perDay: number;
	appPerMinute: number;
	/** Length of the "minute" window in ms (60000 in Xero). */
	minuteMs: number;
	/** Length of the "day" window in ms (86400000 in Xero). */
	dayMs: number;
}

export const XERO_LIMITS: RateLimitConfig = {
	concurrent: 5,
	perMinute: 60,
	perDay: 5000,
	appPerMinute: 10000,
	minuteMs: 60_000,
	dayMs: 86_400_000,
};

export type LimitProblem = 'minute' | 'day' | 'concurrent' | 'appminute';

/** Call start times inside a rolling window. */
class RollingWindow {
	private times: number[] = [];
	count(now: number, windowMs: number): number {
		const cutoff = now - windowMs;
		let drop = 0;
		while (drop < this.times.length && this.times[drop] <= cutoff) drop++;
		if (drop) this.times.splice(0, drop);
		return this.times.length;
	}
	/** Ms until the oldest call leaves the window. */
	waitMs(now: number, windowMs: number): number {
		return this.times.length ? Math.max(0, this.times[0] + windowMs - now) : 0;
	}
	add(now: number): void {
		this.times.push(now);
	}
	clear(): void {
		this.times = [];
	}
}

export class TenantCounters {
	inFlight = 0;
	/** Requests open at the server right now, admitted or not (from arrival until the connection's answer ends or it closes). */
	open = 0;
	/** The most requests ever open at once: Xero allows 5 concurrent calls per organisation. */
	peakOpen = 0;
	readonly minute = new RollingWindow();
	readonly day = new RollingWindow();
	/** Counts one arriving request; the returned function ends it (once). */
	opened(): () => void {
		this.open++;
		this.peakOpen = Math.max(this.peakOpen, this.open);
		let ended = false;
		return () => {
			if (ended) return;
			ended = true;
			this.open--;
		};
	}
	reset(): void {
		this.inFlight = 0;
		this.peakOpen = this.open;
		this.minute.clear();
		this.day.clear();
	}
}

export type Admission =
	| { ok: true; release: () => void }
	| { ok: false; problem: LimitProblem; retryAfterSeconds: number };

export interface RemainingHeaders {
	'X-MinLimit-Remaining': string;
	'X-DayLimit-Remaining': string;
	'X-AppMinLimit-Remaining': string;
}

export class RateLimiter {
	readonly app = new RollingWindow();
	constructor(public config: RateLimitConfig) {}

	/** Admits a call (counting it) or says which limit it hit and when to retry. */
	admit(t: TenantCounters, now: number): Admission {
		const c = this.config;
		const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
		if (t.day.count(now, c.dayMs) >= c.perDay) return { ok: false, problem: 'day', retryAfterSeconds: seconds(t.day.waitMs(now, c.dayMs)) };
		if (t.inFlight >= c.concurrent) return { ok: false, problem: 'concurrent', retryAfterSeconds: 1 };
		if (t.minute.count(now, c.minuteMs) >= c.perMinute) {
			return { ok: false, problem: 'minute', retryAfterSeconds: seconds(t.minute.waitMs(now, c.minuteMs)) };
		}
		if (this.app.count(now, c.minuteMs) >= c.appPerMinute) {
			return { ok: false, problem: 'appminute', retryAfterSeconds: seconds(this.app.waitMs(now, c.minuteMs)) };
		}
		t.day.add(now);
		t.minute.add(now);
		this.app.add(now);
		t.inFlight++;
		let released = false;
		return {
			ok: true,
			release: () => {
				if (released) return;
				released = true;
				t.inFlight = Math.max(0, t.inFlight - 1);
			},
		};
	}

	remaining(t: TenantCounters, now: number): RemainingHeaders {
		const c = this.config;
		return {
			'X-MinLimit-Remaining': String(Math.max(0, c.perMinute - t.minute.count(now, c.minuteMs))),
			'X-DayLimit-Remaining': String(Math.max(0, c.perDay - t.day.count(now, c.dayMs))),
			'X-AppMinLimit-Remaining': String(Math.max(0, c.appPerMinute - this.app.count(now, c.minuteMs))),
		};
	}
}
