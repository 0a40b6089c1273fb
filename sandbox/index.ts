// The whole sandbox in one call: Xero, the Secure Trading gateway, the CRM and the SMTP sink,
// seeded with a coherent billing scenario (the CRM's stored-card references are the ones the
// gateway issued), plus the n8n credentials that point our nodes at them.
import type { Latency } from './common/http';
import { ACCEPTED_HOSTILE_KINDS, generateCrmData, hostileRecords, startCrmSandbox } from './crm';
import type { CrmData, CrmPeriod, CrmSandbox, HostileKind } from './crm';
import { startSecureTradingSandbox } from './secure-trading';
import type { CardBehaviour, SecureTradingSandbox } from './secure-trading';
import { startSmtpSink } from './smtp';
import type { SmtpSink } from './smtp';
import { startXeroSandbox } from './xero';
import type { RateLimitConfig, XeroSandbox } from './xero';

export { startCrmSandbox, startSecureTradingSandbox, startSmtpSink, startXeroSandbox };

/** What should happen to a client's invoice in a run, judged from the sandbox's own records. */
export type ExpectedOutcome = 'paid' | 'declined-retried' | 'declined-soft' | 'declined-hard' | 'no-card' | 'rejected';

export interface ScenarioClient {
	clientId: string;
	expected: ExpectedOutcome;
	cardReference: string | null;
}

export interface BillingSandboxOptions {
	seed?: number;
	/** Well-behaved clients; a fixed share of them is given declining cards or no card. */
	clients?: number;
	leadsPerClient?: number | [number, number];
	period?: CrmPeriod;
	/**
	 * Add a client whose card is declined "do not honour" (05, a generic decline the schemes allow
	 * to retry) once and then approved: charged again by dunning and paid (the demo's decline mix).
	 */
	retriedDecline?: boolean;
	/** Add malformed CRM records (all kinds, or the listed ones). Default: one invalid-email client. */
	hostile?: boolean | readonly HostileKind[];
	ports?: { xero?: number; secureTrading?: number; crm?: number; smtp?: number; smtpHttp?: number };
	latency?: { xero?: Latency; secureTrading?: Latency; crm?: Latency; smtp?: Latency };
	xeroLimits?: Partial<RateLimitConfig>;
	/** The gateway's webservices user (default webservices@example.com / Password1^). */
	secureTradingUser?: { username: string; password: string };
	/** A new gateway transaction shows in TRANSACTIONQUERY only this many ms after it was made (default 0). */
	secureTradingQueryVisibilityDelayMs?: number;
	/** Make the SMTP sink require this login (default: no AUTH). */
	smtpAuth?: { user: string; password: string };
}

export interface BillingSandbox {
	xero: XeroSandbox;
	secureTrading: SecureTradingSandbox;
	crm: CrmSandbox;
	smtp: SmtpSink;
	period: CrmPeriod;
	scenario: ScenarioClient[];
	/** n8n credentials (import format) that point this package's nodes at the sandbox. */
	credentials(rabbit?: { hostname?: string; port?: number; username?: string; password?: string; vhost?: string }): SandboxCredential[];
	close(): Promise<void>;
}

export interface SandboxCredential {
	id: string;
	name: string;
	type: string;
	data: Record<string, unknown>;
}

/** Fixed ids and names that the shipped workflows reference. */
export const CREDENTIAL_REFS = {
	rabbit: { id: 'bpRabbitMq000001', name: 'Billing RabbitMQ' },
	secureTrading: { id: 'bpSecureTrading1', name: 'Secure Trading' },
	xero: { id: 'bpXeroConnect001', name: 'Xero' },
	smtp: { id: 'bpBillingSmtp001', name: 'Billing SMTP' },
} as const;

/** The current billing period: Monday 00:00 → Thursday 00:00 or Thursday → Monday (UTC), the one that ended last. */
export function lastBillingPeriod(now = new Date()): CrmPeriod {
	const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
	const dow = day.getUTCDay(); // 0 Sun … 6 Sat
	const back = (n: number) => new Date(day.getTime() - n * 86_400_000);
	// Most recent Monday or Thursday at or before today.
	const sinceMon = (dow + 6) % 7;
	const sinceThu = (dow + 3) % 7;
	const end = sinceMon <= sinceThu ? back(sinceMon) : back(sinceThu);
	const endIsMonday = end.getUTCDay() === 1;
	const start = new Date(end.getTime() - (endIsMonday ? 4 : 3) * 86_400_000);
	return { from: start.toISOString(), to: end.toISOString() };
}

// Every tenth client: 7 → insufficient funds (soft), 8 → no card, 9 → do not honour (hard).
function behaviourFor(index: number): { expected: ExpectedOutcome; card: CardBehaviour | null } {
	switch (index % 10) {
		case 7:
			return { expected: 'declined-soft', card: 'insufficientFunds' };
		case 8:
			return { expected: 'no-card', card: null };
		case 9:
			// A never-approve decline (41 lost card): the card schemes forbid charging it again.
			return { expected: 'declined-hard', card: 'lostCard' };
		default:
			return { expected: 'paid', card: 'approve' };
	}
}

export async function startBillingSandbox(opts: BillingSandboxOptions = {}): Promise<BillingSandbox> {
	const seed = opts.seed ?? 42;
	const period = opts.period ?? lastBillingPeriod();
	const ports = opts.ports ?? {};
	const started: Array<{ close(): Promise<void> }> = [];
	try {
		const secureTrading = await startSecureTradingSandbox({
			port: ports.secureTrading,
			seed,
			latency: opts.latency?.secureTrading,
			users: opts.secureTradingUser ? [{ ...opts.secureTradingUser, sites: ['test_site12345'] }] : undefined,
			queryVisibilityDelayMs: opts.secureTradingQueryVisibilityDelayMs,
		});
		started.push(secureTrading);
		const xero = await startXeroSandbox({ port: ports.xero, limits: opts.xeroLimits, latency: opts.latency?.xero });
		started.push(xero);
		const smtp = await startSmtpSink({ port: ports.smtp, httpPort: ports.smtpHttp, seed, latency: opts.latency?.smtp, auth: opts.smtpAuth });
		started.push(smtp);

		const scenario: ScenarioClient[] = [];
		const base = generateCrmData({
			seed,
			clients: opts.clients ?? 10,
			leadsPerClient: opts.leadsPerClient ?? [1, 4],
			period,
			cardReferences: (client, index) => {
				const { expected, card } = behaviourFor(index);
				const cardReference = card ? secureTrading.addStoredCard({ behaviour: card }) : null;
				scenario.push({ clientId: client.id, expected, cardReference });
				return cardReference;
			},
		});
		const hostileKinds = opts.hostile === undefined ? (['invalidEmail'] as const) : opts.hostile;
		let data: CrmData = base;
		if (opts.retriedDecline) {
			const retried = generateCrmData({
				seed: seed + 1,
				clients: 1,
				idPrefix: 'R',
				leadsPerClient: opts.leadsPerClient ?? [1, 4],
				period,
				cardReferences: (client) => {
					const cardReference = secureTrading.addStoredCard({ behaviour: { declineCode: '05', approveAfter: 1 } });
					scenario.push({ clientId: client.id, expected: 'declined-retried', cardReference });
					return cardReference;
				},
			});
			data = { clients: [...data.clients, ...retried.clients], leads: [...data.leads, ...retried.leads] };
		}
		if (hostileKinds) {
			const hostile = hostileRecords(period, hostileKinds === true ? undefined : hostileKinds);
			data = { clients: [...data.clients, ...hostile.clients], leads: [...data.leads, ...hostile.leads] };
			// Hostile clients hold no card: the odd-but-valid ones end as "no card on file".
			for (const c of hostile.clients) {
				const accepted = (ACCEPTED_HOSTILE_KINDS as readonly string[]).includes(c.id.replace(/^HX-/, ''));
				scenario.push({ clientId: c.id, expected: accepted ? 'no-card' : 'rejected', cardReference: c.cardReference });
			}
		}
		const crm = await startCrmSandbox({ port: ports.crm, data, seed, latency: opts.latency?.crm });
		started.push(crm);

		return {
			xero,
			secureTrading,
			crm,
			smtp,
			period,
			scenario,
			credentials: (rabbit = {}) => [
				{
					...CREDENTIAL_REFS.rabbit,
					type: 'billingRabbitMqApi',
					data: {
						hostname: rabbit.hostname ?? '127.0.0.1',
						port: rabbit.port ?? 5672,
						vhost: rabbit.vhost ?? '/',
						username: rabbit.username ?? 'guest',
						password: rabbit.password ?? 'guest',
					},
				},
				{
					...CREDENTIAL_REFS.secureTrading,
					type: 'secureTradingApi',
					data: {
						username: secureTrading.username,
						password: secureTrading.password,
						siteReference: secureTrading.siteReference,
						gateway: 'custom',
						customUrl: secureTrading.url,
					},
				},
				{
					...CREDENTIAL_REFS.xero,
					type: 'xeroCustomConnectionApi',
					data: {
						clientId: xero.clientId,
						clientSecret: xero.clientSecret,
						endpoints: 'custom',
						tokenUrl: xero.tokenUrl,
						apiBaseUrl: xero.apiBaseUrl,
					},
				},
				{
					...CREDENTIAL_REFS.smtp,
					type: 'billingSmtp',
					data: {
						host: smtp.host,
						port: smtp.port,
						tlsMode: 'none',
						user: opts.smtpAuth?.user ?? '',
						password: opts.smtpAuth?.password ?? '',
						from: 'Accounts <accounts@billing.example>',
					},
				},
			],
			close: async () => {
				await Promise.all(started.map((s) => s.close()));
			},
		};
	} catch (error) {
		await Promise.all(started.map((s) => s.close().catch(() => undefined)));
		throw error;
	}
}
