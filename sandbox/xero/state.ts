// Everything one running Xero sandbox holds: its custom connections (each an organisation with its
// rate-limit counters and idempotency records), issued tokens, the call log, limiter, fault
// injector and latency, plus the timers it must clear on close.
import { randomBytes } from 'crypto';
import type { Latency } from '../common/http';
import { FaultInjector } from './faults';
import { RateLimiter, TenantCounters, XERO_LIMITS } from './limits';
import { Organisation } from './model/organisation';
import type { Reply } from './reply';
import type { CallRecord, XeroConnectionOptions, XeroSandboxOptions } from './types';

export const API_PREFIX = '/api.xro/2.0';
/** See XeroSandboxOptions.maxQueryLength. */
export const XERO_MAX_QUERY_LENGTH = 2048;

/** A reply remembered under an Idempotency-Key, with the fingerprint of the request that made it. */
export interface StoredResponse extends Reply {
	fingerprint: string;
}

export interface Connection {
	clientId: string;
	clientSecret: string;
	org: Organisation;
	counters: TenantCounters;
	idempotency: Map<string, StoredResponse>;
}

export interface Session {
	conn: Connection;
	expiresAt: number;
	/** Set for an OAuth2 (standard app) token: the organisations the user connected. */
	grant?: Grant;
}

/** One user's consent for the OAuth2 app: the tenants it covers and its refresh-token chain. */
export interface Grant {
	id: string;
	authEventId: string;
	tenants: Connection[];
	scope: string;
	createdAt: number;
	revoked: boolean;
}

/** A refresh token: single use, then accepted again only within the grace period. */
export interface RefreshToken {
	grant: Grant;
	usedAt?: number;
}

/** An authorization code: single use, for the redirect URI it was issued to, five minutes. */
export interface AuthCode {
	tenants: Connection[];
	redirectUri: string;
	scope: string;
	expiresAt: number;
	used: boolean;
}

/** The sandbox's one OAuth2 standard app. */
export interface OAuthApp {
	clientId: string;
	clientSecret: string;
	/** Redirect URIs the app registered; empty accepts any http(s) URI. */
	redirectUris: string[];
	refreshGraceMs: number;
}

function makeConnection(c: XeroConnectionOptions): Connection {
	return {
		clientId: c.clientId ?? randomBytes(16).toString('hex').toUpperCase(),
		clientSecret: c.clientSecret ?? randomBytes(24).toString('base64url'),
		org: new Organisation(c.organisation),
		counters: new TenantCounters(),
		idempotency: new Map(),
	};
}

export class SandboxState {
	readonly providerName: string;
	readonly maxQueryLength: number;
	readonly tokenTtlSeconds: number;
	readonly limiter: RateLimiter;
	readonly faults: FaultInjector;
	latency: Latency | undefined;
	readonly connections: Connection[];
	readonly tokens = new Map<string, Session>();
	readonly issued: string[] = [];
	readonly oauthApp: OAuthApp;
	readonly authCodes = new Map<string, AuthCode>();
	readonly refreshTokens = new Map<string, RefreshToken>();
	/** Refresh-token grants asked for, and those refused (reused, unknown, revoked). */
	refreshRequests = 0;
	refusedRefreshes = 0;
	readonly callLog: CallRecord[] = [];
	tokenRequestCount = 0;
	/** The server's base URL once it listens (logo and online invoice links point at it). */
	publicUrl = '';
	private readonly timers = new Set<NodeJS.Timeout>();

	constructor(opts: XeroSandboxOptions) {
		this.providerName = opts.providerName ?? 'Billing Pipeline (sandbox)';
		this.maxQueryLength = opts.maxQueryLength ?? XERO_MAX_QUERY_LENGTH;
		this.tokenTtlSeconds = opts.tokenTtlSeconds ?? 1800;
		this.limiter = new RateLimiter({ ...XERO_LIMITS, ...opts.limits });
		this.faults = new FaultInjector(opts.faults ?? {});
		this.latency = opts.latency;
		this.connections = [makeConnection(opts), ...(opts.connections ?? []).map(makeConnection)];
		const app = opts.oauth2 ?? {};
		this.oauthApp = {
			clientId: app.clientId ?? randomBytes(16).toString('hex').toUpperCase(),
			clientSecret: app.clientSecret ?? randomBytes(24).toString('base64url'),
			redirectUris: app.redirectUris ?? [],
			// Xero accepts a used refresh token again for 30 minutes (in case the answer was lost).
			refreshGraceMs: (app.refreshTokenGraceSeconds ?? 1800) * 1000,
		};
	}

	/** Runs `fn` after `ms` on a timer that close() clears. */
	after(ms: number, fn: () => void): void {
		const t = setTimeout(() => {
			this.timers.delete(t);
			fn();
		}, ms);
		this.timers.add(t);
	}

	/** A wait that close() cuts short (it then never resolves, so the request goes nowhere). */
	sleep(ms: number): Promise<void> {
		return new Promise<void>((resolve) => {
			if (ms <= 0) return resolve();
			this.after(ms, resolve);
		});
	}

	clearTimers(): void {
		for (const t of this.timers) clearTimeout(t);
		this.timers.clear();
	}

	/** The connection with this client id or tenant id; the first one without a key. */
	findConnection(key?: string): Connection {
		if (key === undefined) return this.connections[0];
		const c = this.connections.find((x) => x.clientId === key || x.org.organisationId === key.toLowerCase());
		if (!c) throw new Error(`No sandbox connection with client id or tenant id '${key}'`);
		return c;
	}

	reset(): void {
		for (const c of this.connections) {
			c.org.reset();
			c.counters.reset();
			c.idempotency.clear();
		}
		this.limiter.app.clear();
		this.callLog.length = 0;
		this.tokenRequestCount = 0;
		this.refreshRequests = 0;
		this.refusedRefreshes = 0;
		this.faults.clear();
		this.faults.resetCounters();
	}
}
