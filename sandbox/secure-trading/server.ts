// HTTP face of the Secure Trading sandbox: its options and public handle, the route table
// (`POST /json/`, see handlers/webservices.ts), and the per-request frame every route shares:
// counting, reading the body, logging, in-flight tracking, 404/405 pages and the last-resort 500.
import * as http from 'http';
import { listen, readBody, seededRandom, type Latency, type RunningServer } from '../common/http';
import { RouteTable } from '../common/routes';
import type { SandboxUser } from './auth';
import { FaultInjector, type FaultRates, type ForcedFault } from './faults';
import { Gateway, type CardBehaviour, type SandboxTransaction, type StoredCardInput } from './gateway';
import { webservices } from './handlers/webservices';
import { NEVER_RETRY_DECLINE_CODES } from './messages';
import { copyCounts, freshCounts, logEntry, type CallCounts, type LoggedRequest } from './records';
import { errorPage, HTML, respond } from './reply';
import type { RequestContext, SandboxState } from './state';

export type { SandboxUser } from './auth';
export type { FaultKind, FaultRates, ForcedFault } from './faults';
export type { CallCounts, LoggedRequest } from './records';

export interface SecureTradingSandboxOptions {
	/** Fixed port (default 0: any free port). */
	port?: number;
	/** Webservices users (default one user, webservices@example.com / Password1^, site test_site12345). */
	users?: SandboxUser[];
	/** Extra sites that exist but no default user may use (for 30006 tests). */
	extraSites?: string[];
	currencies?: string[];
	/** Seed of the random source used for faults, references and auth codes (default 1). */
	seed?: number;
	latency?: Latency;
	faults?: FaultRates;
	/** Request types the probabilistic faults apply to (default ['AUTH']). */
	faultRequestTypes?: string[];
	/** A new transaction shows in TRANSACTIONQUERY only this many ms after it was made (default 0). */
	queryVisibilityDelayMs?: number;
	/** Every AUTH is charged at once but answered only after this many ms (default 0); see also the slowAnswer fault. */
	authAnswerDelayMs?: number;
	settleImmediately?: boolean;
	/** Clock (ms since epoch), for deterministic timestamps. */
	now?: () => number;
}

export interface SecureTradingSandbox {
	/** Base URL, e.g. http://127.0.0.1:39211 (use as the credential's custom gateway URL). */
	url: string;
	/** The webservices endpoint, `${url}/json/`. */
	endpoint: string;
	port: number;
	/** The default user's credentials and site. */
	username: string;
	password: string;
	siteReference: string;
	/** Stores a card (via a successful ACCOUNTCHECK) and returns the parent transaction reference. */
	addStoredCard(card?: StoredCardInput): string;
	setCardBehaviour(parentReference: string, behaviour: CardBehaviour): void;
	/** Settles pending transactions (all, or one); returns how many changed. */
	settle(transactionreference?: string): number;
	transactions(): SandboxTransaction[];
	/** Successful (money-taking) AUTHs for an order reference. */
	chargesFor(orderreference: string): SandboxTransaction[];
	/** Number of successful AUTHs per order reference. */
	chargeCounts(): Record<string, number>;
	/**
	 * AUTHs made for an order reference after one was declined with a never-retry acquirer code
	 * (NEVER_RETRY_DECLINE_CODES); with no order reference, summed over all of them. Should be 0.
	 */
	reattemptsAfterHardDecline(orderreference?: string): number;
	callCounts(): CallCounts;
	/** Most requests being handled at one time since the start (or the last reset). */
	peakInFlight(): number;
	requests(): LoggedRequest[];
	injectFault(fault: ForcedFault): void;
	setFaults(rates: FaultRates, requestTypes?: string[]): void;
	setLatency(latency: Latency | undefined): void;
	/** Answer every AUTH this many ms after charging (0: at once). */
	setAuthAnswerDelay(ms: number): void;
	/** Forget transactions, cards, counters and faults. */
	reset(): void;
	close(): Promise<void>;
}

const DEFAULT_USER: SandboxUser = { username: 'webservices@example.com', password: 'Password1^', sites: ['test_site12345'] };
const DEFAULT_CURRENCIES = ['GBP', 'EUR', 'USD', 'JPY', 'BHD', 'KWD', 'CHF', 'SEK', 'NOK', 'DKK', 'PLN', 'AUD', 'CAD', 'NZD', 'ZAR'];

/** `/json` and `/json/` (the route table accepts the trailing slash); anything else is 404, another method 405. */
const ROUTES = new RouteTable<RequestContext>([{ method: 'POST', pattern: '/json', handle: webservices }]);

export async function startSecureTradingSandbox(options: SecureTradingSandboxOptions = {}): Promise<SecureTradingSandbox> {
	const state = createState(options);
	const server = http.createServer((req, res) => {
		state.inFlight++;
		state.peak = Math.max(state.peak, state.inFlight);
		res.once('close', () => state.inFlight--);
		handle(state, req, res).catch(() => {
			if (!res.headersSent) {
				res.writeHead(500, { 'Content-Type': 'text/html' });
				res.end(errorPage(500));
			}
		});
	});
	const running = await listen(server, options.port ?? 0);
	return sandboxHandle(state, running);
}

function createState(options: SecureTradingSandboxOptions): SandboxState {
	const users = options.users ?? [DEFAULT_USER];
	const sites = [...new Set([...users.flatMap((u) => u.sites), ...(options.extraSites ?? [])])];
	const random = seededRandom(options.seed ?? 1);
	const now = options.now ?? (() => Date.now());
	// The gateway is built first: its opening draw is the first of the seeded sequence.
	const gateway = new Gateway({
		sites,
		currencies: options.currencies ?? DEFAULT_CURRENCIES,
		random,
		now,
		queryVisibilityDelayMs: options.queryVisibilityDelayMs ?? 0,
		settleImmediately: options.settleImmediately ?? false,
	});
	return {
		users,
		random,
		now,
		latency: options.latency,
		authAnswerDelayMs: options.authAnswerDelayMs ?? 0,
		gateway,
		faults: new FaultInjector(random, { ...(options.faults ?? {}) }, options.faultRequestTypes ?? ['AUTH']),
		counts: freshCounts(),
		log: [],
		held: new Set(),
		inFlight: 0,
		peak: 0,
	};
}

async function handle(state: SandboxState, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
	state.counts.http++;
	const raw = await readBody(req);
	const entry = logEntry(req, state.now());
	state.log.push(entry);
	const ctx: RequestContext = { state, req, res, raw, entry };
	const match = ROUTES.match(req.method ?? '', (req.url ?? '').split('?')[0]);
	if (!match.route) {
		const status = match.allowed.length > 0 ? 405 : 404;
		await respond(ctx, status, errorPage(status), HTML);
		return;
	}
	await match.route.handle(ctx, match.params);
}

function sandboxHandle(state: SandboxState, running: RunningServer): SecureTradingSandbox {
	const { gateway } = state;
	const defaultUser = state.users[0];
	const transactions = () => gateway.allTransactions();
	return {
		url: running.url,
		endpoint: `${running.url}/json/`,
		port: running.port,
		username: defaultUser.username,
		password: defaultUser.password,
		siteReference: defaultUser.sites[0],
		addStoredCard: (card) => gateway.addStoredCard(card),
		setCardBehaviour: (ref, behaviour) => gateway.setCardBehaviour(ref, behaviour),
		settle: (ref) => gateway.settle(ref),
		transactions,
		chargesFor: (orderreference) => transactions().filter((tx) => tx.charged && tx.fields.orderreference === orderreference),
		chargeCounts: () => chargeCounts(transactions()),
		reattemptsAfterHardDecline: (orderreference) => reattemptsAfterHardDecline(transactions(), orderreference),
		callCounts: () => copyCounts(state.counts),
		peakInFlight: () => state.peak,
		requests: () => state.log.slice(),
		injectFault: (fault) => state.faults.inject(fault),
		setFaults: (next, requestTypes) => state.faults.setRates(next, requestTypes),
		setLatency: (next) => {
			state.latency = next;
		},
		setAuthAnswerDelay: (ms) => {
			state.authAnswerDelayMs = ms;
		},
		reset: () => {
			state.peak = state.inFlight;
			gateway.reset();
			state.counts = freshCounts();
			state.log.length = 0;
			state.faults.clearForced();
		},
		close: async () => {
			for (const res of state.held) res.destroy();
			state.held.clear();
			await running.close();
		},
	};
}

function chargeCounts(transactions: SandboxTransaction[]): Record<string, number> {
	const result: Record<string, number> = {};
	for (const tx of transactions) {
		if (!tx.charged) continue;
		const key = tx.fields.orderreference ?? '';
		result[key] = (result[key] ?? 0) + 1;
	}
	return result;
}

function reattemptsAfterHardDecline(transactions: SandboxTransaction[], orderreference?: string): number {
	const hardDeclined = new Set<string>();
	let count = 0;
	for (const tx of transactions) {
		const key = tx.fields.orderreference;
		if (tx.fields.requesttypedescription !== 'AUTH' || key === undefined) continue;
		if (orderreference !== undefined && key !== orderreference) continue;
		if (hardDeclined.has(key)) count++;
		else if (tx.fields.errorcode === '70000' && NEVER_RETRY_DECLINE_CODES.has(tx.fields.acquirerresponsecode ?? '')) hardDeclined.add(key);
	}
	return count;
}
