// HTTP face of the Secure Trading sandbox: `POST /json/` with HTTP Basic auth, the JSON
// envelope, gzip when asked, latency and fault injection (including "charge, then lose the
// answer"), and counters for tests and benchmarks.
import * as http from 'http';
import * as zlib from 'zlib';
import { drawLatency, listen, readBody, seededRandom, sleep, type Latency } from '../common/http';
import { Gateway, type CardBehaviour, type GatewayResponse, type SandboxTransaction, type StoredCardInput } from './gateway';

export interface SandboxUser {
	username: string;
	password: string;
	/** Site references this webservices user may use. */
	sites: string[];
}

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
	| 'notJson';

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
}

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
	queryVisibilityDelayMs?: number;
	settleImmediately?: boolean;
	/** Clock (ms since epoch), for deterministic timestamps. */
	now?: () => number;
}

export interface CallCounts {
	/** All HTTP requests received. */
	http: number;
	unauthorized: number;
	malformed: number;
	AUTH: number;
	REFUND: number;
	ACCOUNTCHECK: number;
	TRANSACTIONQUERY: number;
	faults: Partial<Record<FaultKind, number>>;
}

export interface LoggedRequest {
	at: number;
	/** Request headers with the Authorization value removed. */
	headers: Record<string, string>;
	/** The parsed body with card data masked, or the raw text when it was not JSON. */
	body: unknown;
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
	callCounts(): CallCounts;
	/** Most requests being handled at one time since the start (or the last reset). */
	peakInFlight(): number;
	requests(): LoggedRequest[];
	injectFault(fault: ForcedFault): void;
	setFaults(rates: FaultRates, requestTypes?: string[]): void;
	setLatency(latency: Latency | undefined): void;
	/** Forget transactions, cards, counters and faults. */
	reset(): void;
	close(): Promise<void>;
}

const DEFAULT_USER: SandboxUser = { username: 'webservices@example.com', password: 'Password1^', sites: ['test_site12345'] };
const DEFAULT_CURRENCIES = ['GBP', 'EUR', 'USD', 'JPY', 'BHD', 'KWD', 'CHF', 'SEK', 'NOK', 'DKK', 'PLN', 'AUD', 'CAD', 'NZD', 'ZAR'];

const UNAUTHORIZED_HTML =
	'<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>401 Unauthorized</title>\n</head><body>\n' +
	'<h1>Unauthorized</h1>\n<p>This server could not verify that you\nare authorized to access the document\nrequested.  ' +
	'Either you supplied the wrong\ncredentials (e.g., bad password), or your\nbrowser doesn\'t understand how to supply\n' +
	'the credentials required.</p>\n</body></html>\n';

function errorPage(status: number): string {
	const title = `${status} ${http.STATUS_CODES[status] ?? 'Error'}`;
	return `<html><head><title>${title}</title></head><body><center><h1>${title}</h1></center><hr></body></html>\n`;
}

export async function startSecureTradingSandbox(options: SecureTradingSandboxOptions = {}): Promise<SecureTradingSandbox> {
	const users = options.users ?? [DEFAULT_USER];
	const sites = [...new Set([...users.flatMap((u) => u.sites), ...(options.extraSites ?? [])])];
	const random = seededRandom(options.seed ?? 1);
	const now = options.now ?? (() => Date.now());
	let latency = options.latency;
	let rates: FaultRates = { ...(options.faults ?? {}) };
	let rateTypes = options.faultRequestTypes ?? ['AUTH'];
	const forced: Array<Required<Pick<ForcedFault, 'kind' | 'count' | 'requestTypes'>> & ForcedFault> = [];
	const log: LoggedRequest[] = [];
	const held = new Set<http.ServerResponse>();

	const gateway = new Gateway({
		sites,
		currencies: options.currencies ?? DEFAULT_CURRENCIES,
		random,
		now,
		queryVisibilityDelayMs: options.queryVisibilityDelayMs ?? 0,
		settleImmediately: options.settleImmediately ?? false,
	});
	const freshCounts = (): CallCounts => ({ http: 0, unauthorized: 0, malformed: 0, AUTH: 0, REFUND: 0, ACCOUNTCHECK: 0, TRANSACTIONQUERY: 0, faults: {} });
	let counts = freshCounts();

	/** Picks the fault for a request whose first request type is `type`, forced ones first. */
	function chooseFault(type: string): { kind: FaultKind; charged: boolean; status: number } | undefined {
		const index = forced.findIndex((f) => f.requestTypes.includes(type));
		if (index >= 0) {
			const fault = forced[index];
			if (fault.skip && fault.skip > 0) {
				fault.skip--;
				return undefined;
			}
			if (--fault.count <= 0) forced.splice(index, 1);
			return { kind: fault.kind, charged: fault.charged ?? defaultCharged(fault.kind), status: fault.status ?? 503 };
		}
		if (!rateTypes.includes(type)) return undefined;
		const draws: Array<[FaultKind, number | undefined]> = [
			['dropAfterCharge', rates.dropAfterCharge],
			['dropBeforeProcessing', rates.dropBeforeProcessing],
			['bankError', rates.bankError],
			['manualInvestigation', rates.manualInvestigation],
			['unknownError', rates.unknownError],
			['socketError', rates.socketError],
			['serverError', rates.serverError],
			['timeout', rates.timeout],
			['malformed', rates.malformed],
		];
		// One draw per request keeps a seeded run reproducible whatever the rates are.
		let roll = random();
		for (const [kind, rate] of draws) {
			if (!rate) continue;
			if (roll < rate) {
				const share =
					kind === 'serverError'
						? (rates.serverErrorCharged ?? 0)
						: kind === 'timeout'
							? (rates.timeoutCharged ?? 1)
							: kind === 'bankError' || kind === 'manualInvestigation' || kind === 'unknownError'
								? (rates.bankErrorCharged ?? 0.5)
								: 1;
				const status = [500, 502, 503][Math.floor(random() * 3)];
				return { kind, charged: random() < share, status };
			}
			roll -= rate;
		}
		return undefined;
	}

	async function respond(req: http.IncomingMessage, res: http.ServerResponse, status: number, text: string, contentType: string): Promise<void> {
		await sleep(drawLatency(latency, random));
		if (res.destroyed) return;
		let body: Buffer = Buffer.from(text, 'utf8');
		const headers: Record<string, string | number> = { 'Content-Type': contentType, Connection: 'close' };
		if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
			body = zlib.gzipSync(body);
			headers['Content-Encoding'] = 'gzip';
		}
		headers['Content-Length'] = body.length;
		res.writeHead(status, headers);
		res.end(body);
	}

	let inFlight = 0;
	let peak = 0;
	const server = http.createServer((req, res) => {
		inFlight++;
		peak = Math.max(peak, inFlight);
		res.once('close', () => inFlight--);
		handle(req, res).catch(() => {
			if (!res.headersSent) {
				res.writeHead(500, { 'Content-Type': 'text/html' });
				res.end(errorPage(500));
			}
		});
	});

	async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		counts.http++;
		const raw = await readBody(req);
		const headers: Record<string, string> = {};
		for (const [key, value] of Object.entries(req.headers)) {
			if (key !== 'authorization' && value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
		}
		const entry: LoggedRequest = { at: now(), headers, body: undefined };
		log.push(entry);

		const path = (req.url ?? '').split('?')[0];
		if (path !== '/json/' && path !== '/json') {
			await respond(req, res, 404, errorPage(404), 'text/html; charset=iso-8859-1');
			return;
		}
		if (req.method !== 'POST') {
			await respond(req, res, 405, errorPage(405), 'text/html; charset=iso-8859-1');
			return;
		}
		const user = authenticate(req.headers.authorization);
		if (!user) {
			counts.unauthorized++;
			res.setHeader('WWW-Authenticate', 'Basic realm="Secure Trading Webservices"');
			await respond(req, res, 401, UNAUTHORIZED_HTML, 'text/html; charset=iso-8859-1');
			return;
		}

		let envelope: unknown;
		try {
			envelope = JSON.parse(raw.toString('utf8'));
		} catch {
			counts.malformed++;
			entry.body = raw.toString('utf8').slice(0, 2000);
			await sendEnvelope(req, res, gatewayReference(), [gateway.envelopeError('10205')]);
			return;
		}
		entry.body = redact(envelope);
		if (!envelope || typeof envelope !== 'object' || Array.isArray(envelope)) {
			counts.malformed++;
			await sendEnvelope(req, res, gatewayReference(), [gateway.envelopeError('10205')]);
			return;
		}
		const env = envelope as Record<string, unknown>;
		const requests = Array.isArray(env.request) ? env.request : undefined;
		const first = requests?.[0] && typeof requests[0] === 'object' ? (requests[0] as Record<string, unknown>) : undefined;
		// The gateway echoes the client's requestreference (the official libraries reject a mismatch).
		const reference = typeof first?.requestreference === 'string' ? first.requestreference : gatewayReference();
		if (!requests || requests.length === 0) {
			await sendEnvelope(req, res, reference, [gateway.envelopeError('30000', ['request'])]);
			return;
		}
		if (env.version !== '1.00') {
			await sendEnvelope(req, res, reference, [gateway.envelopeError('30007', ['version'])]);
			return;
		}
		if (env.alias !== user.username) {
			await sendEnvelope(req, res, reference, [gateway.envelopeError('30000', ['alias'])]);
			return;
		}

		const types = requests.flatMap((r) =>
			r && typeof r === 'object' && Array.isArray((r as Record<string, unknown>).requesttypedescriptions)
				? ((r as Record<string, unknown>).requesttypedescriptions as unknown[]).map(String)
				: [],
		);
		for (const type of types) {
			if (type in counts && type !== 'faults' && type !== 'http') (counts as unknown as Record<string, number>)[type]++;
		}
		const fault = chooseFault(types[0] ?? '');
		if (fault) counts.faults[fault.kind] = (counts.faults[fault.kind] ?? 0) + 1;
		const ctx = { alias: user.username, allowedSites: user.sites };
		const processAll = (): GatewayResponse[] => requests.flatMap((r) => gateway.handleRequest(r, ctx));

		if (!fault) {
			await sendEnvelope(req, res, reference, processAll());
			return;
		}
		switch (fault.kind) {
			case 'dropBeforeProcessing':
				await sleep(drawLatency(latency, random));
				req.socket.destroy();
				return;
			case 'dropAfterCharge':
				processAll();
				await sleep(drawLatency(latency, random));
				req.socket.destroy();
				return;
			case 'timeout':
				if (fault.charged) processAll();
				// Hold the request open; the client's own timeout ends it (close() destroys it too).
				held.add(res);
				res.on('close', () => held.delete(res));
				return;
			case 'serverError':
				if (fault.charged) processAll();
				await respond(req, res, fault.status, errorPage(fault.status), 'text/html; charset=iso-8859-1');
				return;
			case 'malformed': {
				const text = JSON.stringify(envelopeOf(reference, processAll()));
				await respond(req, res, 200, text.slice(0, Math.floor(text.length / 2)), 'application/json');
				return;
			}
			case 'notJson':
				processAll();
				await respond(req, res, 200, '<html><body>Service Unavailable</body></html>', 'text/html');
				return;
			case 'wrongRequestReference':
				await sendEnvelope(req, res, gatewayReference(), processAll());
				return;
			case 'socketError':
				await sendEnvelope(req, res, reference, [gateway.faultResponse(types[0], '50000')]);
				return;
			default: {
				const code = fault.kind === 'bankError' ? '60010' : fault.kind === 'manualInvestigation' ? '60034' : '99999';
				if (fault.charged) processAll();
				await sendEnvelope(req, res, reference, [gateway.faultResponse(types[0], code)]);
			}
		}
	}

	function envelopeOf(reference: string, response: GatewayResponse[]): Record<string, unknown> {
		const length = 2 + Math.floor(random() * 15);
		let secrand = '';
		for (let i = 0; i < length; i++) secrand += 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(random() * 62)];
		return { requestreference: reference, version: '1.00', response, secrand };
	}

	async function sendEnvelope(req: http.IncomingMessage, res: http.ServerResponse, reference: string, response: GatewayResponse[]): Promise<void> {
		await respond(req, res, 200, JSON.stringify(envelopeOf(reference, response)), 'application/json');
	}

	function gatewayReference(): string {
		let suffix = '';
		for (let i = 0; i < 8; i++) suffix += 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(random() * 36)];
		return `W${10 + Math.floor(random() * 89)}-${suffix}`;
	}

	function authenticate(header: string | undefined): SandboxUser | undefined {
		const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
		if (!match) return undefined;
		const decoded = Buffer.from(match[1], 'base64').toString('utf8');
		const colon = decoded.indexOf(':');
		if (colon < 0) return undefined;
		const username = decoded.slice(0, colon);
		const password = decoded.slice(colon + 1);
		return users.find((u) => u.username === username && u.password === password);
	}

	const running = await listen(server, options.port ?? 0);
	const defaultUser = users[0];
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
		chargeCounts: () => {
			const result: Record<string, number> = {};
			for (const tx of transactions()) {
				if (!tx.charged) continue;
				const key = tx.fields.orderreference ?? '';
				result[key] = (result[key] ?? 0) + 1;
			}
			return result;
		},
		callCounts: () => ({ ...counts, faults: { ...counts.faults } }),
		peakInFlight: () => peak,
		requests: () => log.slice(),
		injectFault: (fault) => {
			forced.push({ ...fault, count: fault.count ?? 1, requestTypes: fault.requestTypes ?? ['AUTH'] });
		},
		setFaults: (next, requestTypes) => {
			rates = { ...next };
			if (requestTypes) rateTypes = requestTypes;
		},
		setLatency: (next) => {
			latency = next;
		},
		reset: () => {
			peak = inFlight;
			gateway.reset();
			counts = freshCounts();
			log.length = 0;
			forced.length = 0;
		},
		close: async () => {
			for (const res of held) res.destroy();
			held.clear();
			await running.close();
		},
	};
}

function defaultCharged(kind: FaultKind): boolean {
	return kind === 'timeout' || kind === 'dropAfterCharge' || kind === 'malformed' || kind === 'notJson' || kind === 'wrongRequestReference';
}

/** Masks card data in a logged request body (the sandbox never keeps a PAN or security code). */
function redact(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(redact);
	if (!value || typeof value !== 'object') return value;
	const out: Record<string, unknown> = {};
	for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
		if (key === 'pan' && typeof inner === 'string') out[key] = inner.length > 10 ? `${inner.slice(0, 6)}######${inner.slice(-4)}` : '######';
		else if (key === 'securitycode') out[key] = '***';
		else out[key] = redact(inner);
	}
	return out;
}
