// Fault injection for the SMTP sink: which messages are refused (queued refusals first, then
// the seeded fraction, decided once per message at MAIL FROM) and at which stage, with the
// temporary 4xx reply a greylisting or overloaded relay gives.
import type { RefusalSpec, SmtpSinkStats } from './types';

/** An error smtp-server answers with the given reply code. */
export function smtpError(code: number, message: string): Error {
	return Object.assign(new Error(message), { responseCode: code });
}

export class RefusalPolicy {
	private queue: RefusalSpec[] = [];
	/** The decision for each session's current message (null = accept). */
	private readonly bySession = new Map<string, RefusalSpec | null>();

	constructor(
		private readonly random: () => number,
		private readonly stats: SmtpSinkStats,
		private fraction: number,
		private fractionSpec: RefusalSpec,
	) {}

	refuseNext(count: number, spec: RefusalSpec = {}): void {
		this.queue = [...this.queue, ...Array.from({ length: count }, () => spec)];
	}

	setFraction(fraction: number, spec?: RefusalSpec): void {
		this.fraction = fraction;
		if (spec) this.fractionSpec = spec;
	}

	/** MAIL FROM: decides for the new message; the refusal error when it is refused right here. */
	atMailFrom(sessionId: string): Error | undefined {
		const spec = this.decide();
		this.bySession.set(sessionId, spec);
		return spec && (spec.stage ?? 'data') === 'mail' ? this.refusal(spec) : undefined;
	}

	/** RCPT TO: refuses once per message, not once per recipient. */
	atRcptTo(sessionId: string): Error | undefined {
		const spec = this.bySession.get(sessionId);
		if (!spec || spec.stage !== 'rcpt') return undefined;
		this.bySession.set(sessionId, null);
		return this.refusal(spec);
	}

	/** End of DATA: the refusal error when the message is refused after transmission. */
	atData(sessionId: string): Error | undefined {
		const spec = this.bySession.get(sessionId);
		this.bySession.delete(sessionId);
		return spec && (spec.stage ?? 'data') === 'data' ? this.refusal(spec) : undefined;
	}

	private decide(): RefusalSpec | null {
		if (this.queue.length > 0) return this.queue.shift() ?? null;
		// Always draw, so the sequence of decisions depends only on the seed and message order.
		const roll = this.random();
		return this.fraction > 0 && roll < this.fraction ? this.fractionSpec : null;
	}

	private refusal(spec: RefusalSpec): Error {
		this.stats.refused++;
		return smtpError(spec.code ?? 451, spec.message ?? 'Requested action aborted: local error in processing, try again later');
	}
}
