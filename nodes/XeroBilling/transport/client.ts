// The one class that talks to Xero. API calls go through the official xero-node SDK (a custom
// connection's token comes from token.ts; an OAuth2 connection's from n8n, see oauth2.ts). Every call passes the organisation's shared limiter, a timeout, and a
// retry loop (5xx, timeouts and dropped connections retried with backoff and the SAME idempotency
// key; 429 waits Retry-After). A timeout aborts the HTTP request itself and the limiter slot is
// held until it has ended, so no more than 5 requests are ever open at Xero.
import { createHash } from 'crypto';
import { AccountingApi, XeroClient as XeroSdkClient, type Authentication, type Organisation, type Pagination } from 'xero-node';
import { lowerHeaders, parseSdkRejection, rateLimitProblem, resendable, XeroApiError, XeroDayLimitError } from './errors';
import { OrgLimiter } from './limiter';
import { contactModel, elements, invoiceModel, needsUnitdp4, paymentModel, toBrandingTheme, toContact, toInvoice, toOrganisation, toPayment } from './model';
import { fetchToken } from './token';
import {
	DEFAULT_POLICY,
	isOAuth2,
	type AccessToken,
	type CallPolicy,
	type ContactWrite,
	type ElementResult,
	type InvoiceWrite,
	type PaymentWrite,
	type XeroConnection,
	type XeroContact,
	type XeroBrandingTheme,
	type XeroInvoice,
	type XeroLink,
	type XeroOrganisation,
	type XeroPayment,
	type XeroTenant,
} from './types';
import { waitUnlessAborted } from './wait';

// ------------------------------------------------------------------ shared per-organisation state

interface OrgEntry {
	limiter: OrgLimiter;
	basePath: string;
	/** A custom connection's SDK client and its token; an OAuth2 connection's token is n8n's. */
	client?: XeroSdkClient;
	secretHash: string;
	token?: AccessToken;
	tokenPending?: Promise<void>;
}

/** Module-level, so every execution in this process shares one limiter and token per organisation. */
const registry = new Map<string, OrgEntry>();

function orgKey(c: XeroLink): string {
	// An OAuth2 tenant is one organisation whichever credential reaches it: its budget is shared.
	if (isOAuth2(c)) return `${c.apiBaseUrl.replace(/\/+$/, '')}\ntenant\n${c.tenantId.toLowerCase()}`;
	return `${c.apiBaseUrl.replace(/\/+$/, '')}\n${c.tokenUrl}\n${c.clientId}`;
}

function entryFor(c: XeroLink): OrgEntry {
	const key = orgKey(c);
	const basePath = c.apiBaseUrl.replace(/\/+$/, '');
	if (isOAuth2(c)) {
		let entry = registry.get(key);
		if (!entry) registry.set(key, (entry = { limiter: new OrgLimiter(), basePath, secretHash: '' }));
		return entry;
	}
	const secretHash = createHash('sha256').update(c.clientSecret).digest('hex');
	let entry = registry.get(key);
	if (!entry || entry.secretHash !== secretHash) {
		const client = new XeroSdkClient({ clientId: c.clientId, clientSecret: c.clientSecret, grantType: 'client_credentials' });
		client.accountingApi.basePath = basePath;
		// Keep the limiter when only the secret changed: it is still the same organisation's budget.
		entry = { limiter: entry?.limiter ?? new OrgLimiter(), basePath, client, secretHash };
		registry.set(key, entry);
	}
	return entry;
}

/** For tests: forget every organisation's limiter and token. */
export function forgetXeroOrganisations(): void {
	registry.clear();
}

// ------------------------------------------------------------------ one request

/**
 * The generated API for one request, with the organisation's token and `signal` put on the axios
 * request. xero-node 20 passes only headers through its `options` argument, but it lets every
 * request through the API's default Authentication (`applyToRequest(axiosConfig)`) before axios
 * sends it: that is where the signal goes. A fresh instance per request, as the shared one would
 * mix up the signals of concurrent calls.
 */
function requestApi(basePath: string, accessToken: string, signal: AbortSignal): AccountingApi {
	const api = new AccountingApi(basePath);
	api.accessToken = accessToken;
	const withSignal: Authentication = {
		applyToRequest: (config) => {
			config.signal = signal;
		},
	};
	api.setDefaultAuthentication(withSignal);
	return api;
}

/**
 * Whether to ask for the next page. An empty page always ends the listing; otherwise Xero's own
 * `pagination` (pageCount) decides when it is there, and without it we ask until a page is empty.
 * A short page proves nothing: Xero may cap pageSize below what was asked.
 */
export function morePages(page: number, rows: number, pagination?: Pagination): boolean {
	if (rows === 0) return false;
	if (pagination && typeof pagination.pageCount === 'number' && Number.isFinite(pagination.pageCount)) return page < pagination.pageCount;
	return true;
}

// ------------------------------------------------------------------ the client

export class XeroTransport {
	private readonly entry: OrgEntry;
	/** API calls this transport made (attempts, including retries and 429s). */
	callsMade = 0;

	constructor(
		readonly connection: XeroLink,
		readonly policy: CallPolicy = DEFAULT_POLICY,
	) {
		this.entry = entryFor(connection);
	}

	/** Names the organisation this transport reaches (connection and tenant), e.g. for caches; no secret in it. */
	get organisationKey(): string {
		return orgKey(this.connection);
	}

	/** The `xero-tenant-id` of every call: the chosen organisation, or '' for a custom connection. */
	get tenantId(): string {
		return isOAuth2(this.connection) ? this.connection.tenantId : '';
	}

	get limiter(): OrgLimiter {
		return this.entry.limiter;
	}

	/** Throws XeroDayLimitError when the known day budget cannot cover `calls` more calls. */
	checkDayBudget(calls: number, what: string): void {
		this.entry.limiter.checkDayBudget(calls, what);
	}

	/** The access token for the next request: n8n's for OAuth2, else the organisation's shared one. */
	private async accessToken(): Promise<string> {
		if (isOAuth2(this.connection)) return (await this.connection.tokens.accessToken()).value;
		await this.ensureToken(this.connection);
		return this.entry.token?.value ?? '';
	}

	/** After a 401: a new token, once per call (`stale` is the one Xero refused). */
	private async dropToken(stale: string): Promise<void> {
		if (isOAuth2(this.connection)) await this.connection.tokens.refresh(stale);
		else this.entry.token = undefined;
	}

	private async ensureToken(connection: XeroConnection): Promise<void> {
		const e = this.entry;
		if (e.token && e.token.expiresAt - 60_000 > Date.now()) return;
		if (!e.tokenPending) {
			e.tokenPending = fetchToken(connection, this.policy)
				.then((t) => {
					e.token = t;
					e.client?.setTokenSet({ access_token: t.value, token_type: 'Bearer', expires_at: Math.floor(t.expiresAt / 1000) });
				})
				.finally(() => {
					e.tokenPending = undefined;
				});
		}
		await e.tokenPending;
	}

	private backoffMs(attempt: number): number {
		const base = Math.min(30_000, this.policy.retryDelayMs * 2 ** (attempt - 1));
		return Math.round(base * (0.75 + Math.random() * 0.5));
	}

	/**
	 * One HTTP request with the timeout: on timeout (or cancellation) the request is aborted, and
	 * this settles only when the SDK's promise has, i.e. when the request has really ended.
	 */
	private async send<R>(what: string, accessToken: string, fn: (api: AccountingApi) => Promise<R>): Promise<R> {
		const controller = new AbortController();
		let timedOut = false;
		const timer = setTimeout(() => {
			timedOut = true;
			controller.abort();
		}, this.policy.timeoutMs);
		const cancel = () => controller.abort();
		this.policy.signal?.addEventListener('abort', cancel, { once: true });
		try {
			return await fn(requestApi(this.entry.basePath, accessToken, controller.signal));
		} catch (e) {
			if (timedOut) throw new XeroApiError(`${what}: no answer from Xero within ${this.policy.timeoutMs} ms`, 'timeout', 0);
			if (this.policy.signal?.aborted) throw new XeroApiError(`${what}: cancelled`, 'other', 0);
			throw e;
		} finally {
			clearTimeout(timer);
			this.policy.signal?.removeEventListener('abort', cancel);
		}
	}

	/** One logical call: limiter slot, timeout, retries. `fn` must reuse its idempotency key. */
	private async call<T>(what: string, fn: (api: AccountingApi) => Promise<{ response: { headers?: unknown }; body: T }>): Promise<T> {
		let attempt = 0;
		let rateWaitedMs = 0;
		let refreshed = false;
		for (;;) {
			if (this.policy.signal?.aborted) throw new XeroApiError(`${what}: cancelled`, 'other', 0);
			const token = await this.accessToken();
			const release = await this.entry.limiter.acquire();
			let error: XeroApiError;
			try {
				this.callsMade++;
				const res = await this.send(what, token, fn);
				this.entry.limiter.observe(lowerHeaders(res.response?.headers));
				return res.body;
			} catch (e) {
				error = parseSdkRejection(e, what);
				this.entry.limiter.observe(error.headers);
			} finally {
				// Only now: after a timeout, send() returns once the aborted request has ended.
				release();
			}

			if (error.statusCode === 429) {
				const problem = rateLimitProblem(error.headers);
				const retryAfterMs = Math.max(1, Number(error.headers['retry-after']) || 1) * 1000;
				if (problem !== 'day' && retryAfterMs > this.policy.maxRateLimitWaitMs) {
					// A wait longer than this call may wait (hours, e.g. an unmarked day limit) must not
					// pause every call of the organisation: say so and let the item be retried later.
					throw new XeroApiError(
						`${what}: Xero asks to wait ${Math.round(retryAfterMs / 1000)} s (${problem ?? 'limit'}), longer than Max Rate-Limit Wait; nothing was paused`,
						'rateLimit',
						429,
						error.messages,
						error.body,
						error.headers,
					);
				}
				this.entry.limiter.rateLimitedFor(retryAfterMs, problem);
				if (problem === 'day') {
					throw new XeroDayLimitError(
						`${what}: Xero's daily API limit for this organisation is exhausted (429, X-Rate-Limit-Problem: day). Retry after about ${Math.ceil(retryAfterMs / 60_000)} minutes.`,
						error.headers,
					);
				}
				rateWaitedMs += retryAfterMs;
				if (rateWaitedMs > this.policy.maxRateLimitWaitMs) {
					throw new XeroApiError(
						`${what}: still rate-limited by Xero (${problem ?? 'limit'}) after waiting ${Math.round(rateWaitedMs / 1000)} s in total`,
						'rateLimit',
						429,
						error.messages,
						error.body,
						error.headers,
					);
				}
				continue; // acquire() waits out the pause for every caller of this organisation
			}
			if (error.statusCode === 401 && !refreshed) {
				// The token may have been revoked or expired early: fetch a new one once.
				refreshed = true;
				await this.dropToken(token);
				continue;
			}
			if (resendable(error) && attempt < this.policy.maxRetries) {
				attempt++;
				await waitUnlessAborted(this.backoffMs(attempt), this.policy.signal);
				continue;
			}
			if (resendable(error) && attempt > 0) {
				throw new XeroApiError(`${error.message} (after ${attempt + 1} attempts)`, error.kind, error.statusCode, error.messages, error.body, error.headers);
			}
			throw error;
		}
	}

	// ------------------------------------------------------------------ operations

	private async organisations(): Promise<Organisation[]> {
		const body = await this.call('Reading the organisation', (api) => api.getOrganisations(this.tenantId));
		return body.organisations ?? [];
	}

	async getOrganisationName(): Promise<string> {
		return (await this.organisations())[0]?.name ?? '';
	}

	/** GET /Organisation: name, legal name, addresses, phones and tax number, one call. */
	async getOrganisation(): Promise<XeroOrganisation> {
		const [organisation] = await this.organisations();
		if (!organisation) throw new XeroApiError('Reading the organisation: Xero answered without an organisation', 'other', 200);
		return toOrganisation(organisation);
	}

	/** GET /BrandingThemes: every theme with its SortOrder (0 is the default) and logo URL, one call. */
	async getBrandingThemes(): Promise<XeroBrandingTheme[]> {
		const body = await this.call('Reading the branding themes', (api) => api.getBrandingThemes(this.tenantId));
		return (body.brandingThemes ?? []).map(toBrandingTheme);
	}

	/** GET /Invoices/{id}/OnlineInvoice: the invoice's online link (Xero refuses drafts and deleted invoices with a 400). */
	async getOnlineInvoiceUrl(invoiceId: string): Promise<string> {
		const what = `Reading the online invoice link of invoice ${invoiceId}`;
		const body = await this.call(what, (api) => api.getOnlineInvoice(this.tenantId, invoiceId));
		const url = body.onlineInvoices?.[0]?.onlineInvoiceUrl;
		if (!url) throw new XeroApiError(`${what}: Xero answered without a link`, 'other', 200);
		return url;
	}

	async findContacts(where: string): Promise<XeroContact[]> {
		const body = await this.call('Looking up contacts', (api) => api.getContacts(this.tenantId, undefined, where));
		return (body.contacts ?? []).map(toContact);
	}

	/** POST /Contacts: creates new contacts and updates those with a contactId, one call. */
	async saveContacts(contacts: ContactWrite[], idempotencyKey: string): Promise<Array<ElementResult<XeroContact>>> {
		const body = await this.call('Saving contacts', (api) => api.updateOrCreateContacts(this.tenantId, { contacts: contacts.map(contactModel) }, false, idempotencyKey));
		return elements(body.contacts, contacts.length, toContact, 'Saving contacts', (m) => m.hasValidationErrors === true);
	}

	/** Every page of a paged invoice listing (see morePages: Xero's pagination, else an empty page). */
	private async invoicePages(what: string, get: (api: AccountingApi, page: number) => ReturnType<AccountingApi['getInvoices']>): Promise<XeroInvoice[]> {
		const out: XeroInvoice[] = [];
		for (let page = 1; ; page++) {
			const body = await this.call(what, (api) => get(api, page));
			const list = body.invoices ?? [];
			out.push(...list.map(toInvoice));
			if (!morePages(page, list.length, body.pagination)) return out;
		}
	}

	/** GET /Invoices by where, by ids or by invoice numbers; with line items, every page of them. */
	async findInvoices(query: { where?: string; ids?: string[]; invoiceNumbers?: string[]; contactIds?: string[]; withLineItems?: boolean }): Promise<XeroInvoice[]> {
		// Unpaged queries return every match (without line items); paged ones a page at a time with them.
		if (!query.withLineItems) {
			const body = await this.call('Looking up invoices', (api) => api.getInvoices(this.tenantId, undefined, query.where, undefined, query.ids, query.invoiceNumbers, query.contactIds));
			return (body.invoices ?? []).map(toInvoice);
		}
		return this.invoicePages('Looking up invoices', (api, page) =>
			api.getInvoices(this.tenantId, undefined, query.where, undefined, query.ids, query.invoiceNumbers, query.contactIds, undefined, page),
		);
	}

	/**
	 * Every invoice matching `where`, summaries only (no line items). Asks for `pageSize` a call;
	 * sources disagree on whether Xero serves more than 100, so nothing assumes it does.
	 */
	async listInvoiceSummaries(where: string, pageSize = 1000): Promise<XeroInvoice[]> {
		return this.invoicePages('Listing invoices', (api, page) =>
			api.getInvoices(this.tenantId, undefined, where, undefined, undefined, undefined, undefined, undefined, page, undefined, undefined, undefined, true, pageSize),
		);
	}

	async createInvoices(invoices: InvoiceWrite[], idempotencyKey: string): Promise<Array<ElementResult<XeroInvoice>>> {
		// Xero rounds UnitAmount to 2 decimals unless the call passes unitdp=4 (BHD 1.235 would become 1.24).
		const unitdp = invoices.some(needsUnitdp4) ? 4 : undefined;
		const body = await this.call('Creating invoices', (api) =>
			api.createInvoices(this.tenantId, { invoices: invoices.map(invoiceModel) }, false, unitdp, idempotencyKey),
		);
		return elements(body.invoices, invoices.length, toInvoice, 'Creating invoices', (m) => m.hasErrors === true);
	}

	async updateInvoices(invoices: InvoiceWrite[], idempotencyKey: string): Promise<Array<ElementResult<XeroInvoice>>> {
		const body = await this.call('Updating invoices', (api) =>
			api.updateOrCreateInvoices(this.tenantId, { invoices: invoices.map(invoiceModel) }, false, undefined, idempotencyKey),
		);
		return elements(body.invoices, invoices.length, toInvoice, 'Updating invoices', (m) => m.hasErrors === true);
	}

	async createPayments(payments: PaymentWrite[], idempotencyKey: string): Promise<Array<ElementResult<XeroPayment>>> {
		const body = await this.call('Recording payments', (api) => api.createPayments(this.tenantId, { payments: payments.map(paymentModel) }, false, idempotencyKey));
		return elements(body.payments, payments.length, toPayment, 'Recording payments', (m) => m.hasValidationErrors === true);
	}

	/**
	 * GET /connections: the organisations an OAuth2 connection may reach. Not an organisation's
	 * call (no tenant, no limiter slot); same timeout, retries and one token refresh on 401.
	 */
	async listTenants(): Promise<XeroTenant[]> {
		const c = this.connection;
		if (!isOAuth2(c)) throw new XeroApiError('Listing tenants needs an OAuth2 connection: a custom connection reaches one organisation', 'other', 0);
		const what = 'Listing the Xero organisations of the OAuth2 connection';
		let attempt = 0;
		let refreshed = false;
		for (;;) {
			if (this.policy.signal?.aborted) throw new XeroApiError(`${what}: cancelled`, 'other', 0);
			const token = await this.accessToken();
			const signals = [AbortSignal.timeout(this.policy.timeoutMs), ...(this.policy.signal ? [this.policy.signal] : [])];
			let res: Response;
			let text: string;
			try {
				this.callsMade++;
				res = await fetch(c.connectionsUrl, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' }, signal: AbortSignal.any(signals) });
				text = await res.text();
			} catch (e) {
				if (this.policy.signal?.aborted) throw new XeroApiError(`${what}: cancelled`, 'other', 0);
				if (attempt < this.policy.maxRetries) {
					attempt++;
					await waitUnlessAborted(this.backoffMs(attempt), this.policy.signal);
					continue;
				}
				throw new XeroApiError(`${what} failed: no answer from ${c.connectionsUrl} (${(e as Error).message})`, 'network', 0);
			}
			if (res.status === 401 && !refreshed) {
				refreshed = true;
				await this.dropToken(token);
				continue;
			}
			if (res.status >= 500 && attempt < this.policy.maxRetries) {
				attempt++;
				await waitUnlessAborted(this.backoffMs(attempt), this.policy.signal);
				continue;
			}
			if (!res.ok) throw parseSdkRejection({ response: { statusCode: res.status, body: text, headers: Object.fromEntries(res.headers) } }, what);
			let list: unknown;
			try {
				list = JSON.parse(text);
			} catch {
				list = undefined;
			}
			if (!Array.isArray(list)) throw new XeroApiError(`${what} failed: the answer was not a list of connections`, 'other', res.status);
			return list
				.filter((t): t is Record<string, unknown> => !!t && typeof t === 'object' && typeof (t as Record<string, unknown>).tenantId === 'string')
				.map((t) => ({ tenantId: t.tenantId as string, tenantName: String(t.tenantName ?? t.tenantId), tenantType: String(t.tenantType ?? '') }));
		}
	}

	async getInvoicePdf(invoiceId: string): Promise<Buffer> {
		const body = await this.call(`Downloading the PDF of invoice ${invoiceId}`, (api) => api.getInvoiceAsPdf(this.tenantId, invoiceId));
		return Buffer.isBuffer(body) ? body : Buffer.from(body as unknown as ArrayBuffer);
	}
}
