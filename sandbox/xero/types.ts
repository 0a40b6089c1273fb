// Public types of the Xero sandbox: its options, the record kept of each API call, and the handle
// startXeroSandbox returns (URLs, data inspection, fault and limit controls).
import type { Latency } from '../common/http';
import type { FaultConfig, FaultInjector, ScriptedFault, StormOptions } from './faults';
import type { RateLimitConfig } from './limits';
import type { Organisation, OrganisationConfig } from './model/organisation';

export interface XeroConnectionOptions {
	clientId?: string;
	clientSecret?: string;
	organisation?: OrganisationConfig;
}

/** The sandbox's OAuth2 standard app (authorization code flow with refresh tokens). */
export interface XeroOAuth2AppOptions {
	clientId?: string;
	clientSecret?: string;
	/** Registered redirect URIs; empty or absent accepts any http(s) URI. */
	redirectUris?: string[];
	/**
	 * How long a used refresh token is still accepted. Xero: 30 minutes ("you can retry refreshing
	 * the old token for a grace period of 30 minutes"); 0 refuses every reuse.
	 */
	refreshTokenGraceSeconds?: number;
}

export interface XeroSandboxOptions extends XeroConnectionOptions {
	port?: number;
	oauth2?: XeroOAuth2AppOptions;
	/** More custom connections, each with its own organisation, data and per-tenant limits. */
	connections?: XeroConnectionOptions[];
	limits?: Partial<RateLimitConfig>;
	/** Latency added to every API call (not the token call): fixed ms or a [min, max] range. */
	latency?: Latency;
	faults?: FaultConfig;
	/** Access token lifetime; Xero's is 30 minutes. */
	tokenTtlSeconds?: number;
	/** Shown as ProviderName in envelopes (the app name in Xero). */
	providerName?: string;
	/**
	 * Longest query string (as sent, after `?`) Xero's front end accepts; a longer one is answered
	 * 404 "The resource you're looking for cannot be found" before the API sees it. About 2,048:
	 * xero-node#404 (52 ContactIDs work, 53 fail), XeroAPI/Xero-NetStandard#471 and #413.
	 */
	maxQueryLength?: number;
}

export interface CallRecord {
	at: number;
	method: string;
	/** Normalised route, e.g. "PUT /Invoices" or "GET /Invoices/{id}". */
	route: string;
	path: string;
	query: Record<string, string>;
	/** Length of the raw query string as received (what Xero's URL limit applies to). */
	queryLength: number;
	tenantId: string | null;
	idempotencyKey?: string;
	/** Final HTTP status; 0 when the connection was dropped. */
	status: number;
	replayed?: boolean;
	fault?: 'error' | 'timeout' | 'slow';
	faultPhase?: 'before' | 'after';
	rateLimitProblem?: string;
	durationMs?: number;
}

export interface CallFilter {
	method?: string;
	route?: string;
	status?: number;
	tenantId?: string;
}

/**
 * Changes people make to invoices in Xero between the pipeline's stages (bank transfers, voids,
 * credit notes), with Xero's rules: each throws with Xero's message where Xero would refuse.
 * Amounts are in cents; invoices are named by InvoiceID or InvoiceNumber. No API call is counted.
 */
export interface XeroBookkeeper {
	/** A bank-transfer payment (Reference "Bank transfer" unless given) into the first bank account; returns the payment. */
	pay(invoiceId: string, amountCents: number, opts?: { reference?: string; accountCode?: string }): Record<string, unknown>;
	/** The same, refusing an amount that would pay the invoice in full. */
	partPay(invoiceId: string, amountCents: number, opts?: { reference?: string; accountCode?: string }): Record<string, unknown>;
	/** Voids the invoice (Xero refuses when payments or credit notes are allocated to it); returns it. */
	void(invoiceId: string): Record<string, unknown>;
	/** An ACCRECCREDIT credit note allocated to the invoice: AmountCredited up, AmountDue down (PAID at 0). */
	credit(invoiceId: string, amountCents: number, opts?: { reference?: string }): { creditNote: Record<string, unknown>; invoice: Record<string, unknown> };
}

/** Read-only views of one organisation's data for assertions. */
export interface OrgInspector {
	tenantId: string;
	clientId: string;
	organisation: Organisation;
	invoices(): Array<Record<string, unknown>>;
	invoice(idOrNumber: string): Record<string, unknown> | undefined;
	invoicesByReference(reference: string): Array<Record<string, unknown>>;
	contacts(): Array<Record<string, unknown>>;
	payments(): Array<Record<string, unknown>>;
	/** Creates a contact directly (no API call counted); returns it as Xero would. */
	seedContact(contact: Record<string, unknown>): Record<string, unknown>;
	/** Creates invoices directly (no API call counted); throws on validation errors. */
	seedInvoices(invoices: Array<Record<string, unknown>>): Array<Record<string, unknown>>;
	/** Changes invoices as people do in Xero between stages: pay, part-pay, void, credit. */
	bookkeeper: XeroBookkeeper;
	/** The branding themes as GET /BrandingThemes shows them. */
	brandingThemes(): Array<Record<string, unknown>>;
	/** LogoUrl of the default theme (SortOrder 0); undefined when it has no logo. */
	logoUrl(): string | undefined;
	/** How many times a logo of this organisation's themes was downloaded. */
	logoDownloads(): number;
	/** The online invoice URL already handed out for an invoice (id or number), if any; hands out none. */
	onlineInvoiceUrl(idOrNumber: string): string | undefined;
	/** How many times each online invoice page was opened, by InvoiceID. */
	onlineInvoiceViews(): Record<string, number>;
}

/** A token set as Xero's token endpoint answers it for the authorization code and refresh grants. */
export interface OAuth2TokenSet {
	access_token: string;
	refresh_token?: string;
	expires_in: number;
	token_type: 'Bearer';
	scope: string;
}

/** The OAuth2 standard app and its endpoints (stand-ins for login.xero.com and identity.xero.com). */
export interface XeroOAuth2Handle {
	clientId: string;
	clientSecret: string;
	/** Stand-in for https://login.xero.com/identity/connect/authorize (approves at once). */
	authorizeUrl: string;
	/** Stand-in for https://identity.xero.com/connect/token */
	tokenUrl: string;
	/** Stand-in for https://api.xero.com/connections */
	connectionsUrl: string;
	/** A consent for `tenantIds` (default: every organisation) without the HTTP round trip. */
	grant(opts?: { tenantIds?: string[]; scope?: string }): OAuth2TokenSet;
	refreshRequests(): number;
	refusedRefreshes(): number;
}

export interface XeroSandbox extends OrgInspector {
	/** http://127.0.0.1:PORT */
	url: string;
	/** Token endpoint, stand-in for https://identity.xero.com/connect/token */
	tokenUrl: string;
	/** Accounting API base, stand-in for https://api.xero.com/api.xro/2.0 */
	apiBaseUrl: string;
	clientSecret: string;
	org(clientIdOrTenantId?: string): OrgInspector;
	/** API calls received (token requests are not API calls). */
	calls(filter?: CallFilter): CallRecord[];
	callCount(filter?: CallFilter): number;
	/** Counts per "METHOD /Route". */
	callsByRoute(): Record<string, number>;
	tokenRequests(): number;
	/** Every access token issued so far (for secret scans: none may appear outside Xero's answers). */
	issuedTokens(): string[];
	faults: FaultInjector;
	setFaults(config: FaultConfig): void;
	failNext(count: number, fault: ScriptedFault): void;
	storm429(opts: StormOptions): void;
	setLatency(latency: Latency | undefined): void;
	setLimits(limits: Partial<RateLimitConfig>): void;
	oauth2: XeroOAuth2Handle;
	/** Makes every issued access token expire now. */
	expireTokens(): void;
	/** API requests open at once for the primary organisation: now, and the most since the last reset. */
	concurrency(): { open: number; peak: number };
	/** Clears data, call logs, idempotency records, rate-limit windows and faults. */
	reset(): void;
	close(): Promise<void>;
}
