// Which fault, if any, a request gets: forced faults first (injectFault), then the
// probabilistic rates, drawn from the seeded random source. What each fault does to the
// request is in handlers/faults.ts.

/** Per-request probabilities (0..1) of each fault; drawn from the seeded random source. */
export interface FaultRates {
	/** Process the request (the charge is recorded), then destroy the socket without answering. */
	dropAfterCharge?: number;
	/** Destroy the socket without processing anything. */
	dropBeforeProcessing?: number;
	/** Answer 60010 Bank System Error. A share `bankErrorCharged` of these did charge. */
	bankError?: number;
	bankErrorCharged?: number;
	/** Answer 60034 Manual investigation required (charged like bankErrorCharged). */
	manualInvestigation?: number;
	/** Answer 99999 Unknown error (charged like bankErrorCharged). */
	unknownError?: number;
	/** Answer 50000 Socket receive error; nothing charged. */
	socketError?: number;
	/** Answer HTTP 500/502/503 with an HTML page. A share `serverErrorCharged` did charge. */
	serverError?: number;
	serverErrorCharged?: number;
	/** Never answer (the client times out). A share `timeoutCharged` (default 1) did charge. */
	timeout?: number;
	timeoutCharged?: number;
	/** Process, then answer a truncated JSON body. */
	malformed?: number;
}

export type FaultKind =
	| 'dropAfterCharge'
	| 'dropBeforeProcessing'
	| 'bankError'
	| 'manualInvestigation'
	| 'unknownError'
	| 'socketError'
	| 'serverError'
	| 'timeout'
	| 'malformed'
	| 'wrongRequestReference'
	| 'notJson'
	/** Process (charge) at once, answer the real response only after `delayMs` (a slow acquirer). */
	| 'slowAnswer';

export interface ForcedFault {
	kind: FaultKind;
	/** How many matching requests get it (default 1). */
	count?: number;
	/** Request types it applies to (default ['AUTH']). */
	requestTypes?: string[];
	/** For bankError/manualInvestigation/unknownError/serverError/timeout: whether the request was processed (charged) first. */
	charged?: boolean;
	/** For serverError: the HTTP status (default 503). */
	status?: number;
	/** Let this many matching requests through untouched first (default 0). */
	skip?: number;
	/** For slowAnswer: how long the answer takes after the charge is made (default 5000 ms). */
	delayMs?: number;
}

/** The fault chosen for one request. */
export interface ChosenFault {
	kind: FaultKind;
	/** Whether the request is processed (charged) before the fault shows. */
	charged: boolean;
	/** HTTP status for serverError. */
	status: number;
	/** For slowAnswer: ms between processing and answering. */
	delayMs?: number;
}

type PendingFault = Required<Pick<ForcedFault, 'kind' | 'count' | 'requestTypes'>> & ForcedFault;

/** Rate order matters: one roll is compared against the rates' running sum in this order. */
const RATED_KINDS = ['dropAfterCharge', 'dropBeforeProcessing', 'bankError', 'manualInvestigation', 'unknownError', 'socketError', 'serverError', 'timeout', 'malformed'] as const;

export class FaultInjector {
	private readonly forced: PendingFault[] = [];

	constructor(
		private readonly random: () => number,
		private rates: FaultRates,
		private rateTypes: string[],
	) {}

	inject(fault: ForcedFault): void {
		this.forced.push({ ...fault, count: fault.count ?? 1, requestTypes: fault.requestTypes ?? ['AUTH'] });
	}

	setRates(rates: FaultRates, requestTypes?: string[]): void {
		this.rates = { ...rates };
		if (requestTypes) this.rateTypes = requestTypes;
	}

	/** Drops the forced faults not used yet (the rates stay). */
	clearForced(): void {
		this.forced.length = 0;
	}

	/** Picks the fault for a request whose first request type is `type`, forced ones first. */
	choose(type: string): ChosenFault | undefined {
		const index = this.forced.findIndex((f) => f.requestTypes.includes(type));
		if (index >= 0) return this.takeForced(index);
		if (!this.rateTypes.includes(type)) return undefined;
		// One draw per request keeps a seeded run reproducible whatever the rates are.
		let roll = this.random();
		for (const kind of RATED_KINDS) {
			const rate = this.rates[kind];
			if (!rate) continue;
			if (roll < rate) {
				const status = [500, 502, 503][Math.floor(this.random() * 3)];
				return { kind, charged: this.random() < this.chargedShare(kind), status };
			}
			roll -= rate;
		}
		return undefined;
	}

	private takeForced(index: number): ChosenFault | undefined {
		const fault = this.forced[index];
		if (fault.skip && fault.skip > 0) {
			fault.skip--;
			return undefined;
		}
		if (--fault.count <= 0) this.forced.splice(index, 1);
		return {
			kind: fault.kind,
			charged: fault.charged ?? defaultCharged(fault.kind),
			status: fault.status ?? 503,
			...(fault.kind === 'slowAnswer' ? { delayMs: fault.delayMs ?? 5000 } : {}),
		};
	}

	/** The share of a rated fault that processed (charged) the request first. */
	private chargedShare(kind: FaultKind): number {
		if (kind === 'serverError') return this.rates.serverErrorCharged ?? 0;
		if (kind === 'timeout') return this.rates.timeoutCharged ?? 1;
		if (kind === 'bankError' || kind === 'manualInvestigation' || kind === 'unknownError') return this.rates.bankErrorCharged ?? 0.5;
		return 1;
	}
}

function defaultCharged(kind: FaultKind): boolean {
	return kind === 'timeout' || kind === 'slowAnswer' || kind === 'dropAfterCharge' || kind === 'malformed' || kind === 'notJson' || kind === 'wrongRequestReference';
}
