// The transport's vocabulary: how to reach one organisation, how hard to try, and the SDK-free
// shapes of what Xero holds, so nothing outside transport/ depends on xero-node's models.

export const XERO_TOKEN_URL = 'https://identity.xero.com/connect/token';
export const XERO_API_BASE_URL = 'https://api.xero.com/api.xro/2.0';

export const XERO_CONNECTIONS_URL = 'https://api.xero.com/connections';

/** A custom connection (client-credentials grant): one organisation, the empty tenant id. */
export interface XeroConnection {
	clientId: string;
	clientSecret: string;
	tokenUrl: string;
	apiBaseUrl: string;
}

/** An access token; `expiresAt` (epoch ms) is Infinity when unknown (then a 401 tells). */
export interface AccessToken {
	value: string;
	expiresAt: number;
}

/**
 * The access token of an OAuth2 connection, owned by n8n: n8n stores it with the credential and
 * refreshes it (rotating the refresh token). The transport only asks.
 */
export interface OAuth2Tokens {
	/** A token believed valid now (refreshed first when known to be expired). */
	accessToken(): Promise<AccessToken>;
	/** A token other than `stale`, which Xero refused or which has expired. */
	refresh(stale: string): Promise<AccessToken>;
}

/** A standard app's OAuth2 connection (n8n's Xero OAuth2 credential) to one chosen tenant. */
export interface XeroOAuth2Connection {
	kind: 'oauth2';
	/** The organisation every call names in `xero-tenant-id`. */
	tenantId: string;
	apiBaseUrl: string;
	connectionsUrl: string;
	tokens: OAuth2Tokens;
}

/** What a transport connects with: a custom connection or an OAuth2 tenant. */
export type XeroLink = XeroConnection | XeroOAuth2Connection;

export function isOAuth2(link: XeroLink): link is XeroOAuth2Connection {
	return 'kind' in link && link.kind === 'oauth2';
}

/** One organisation an OAuth2 connection may reach (GET /connections). */
export interface XeroTenant {
	tenantId: string;
	tenantName: string;
	tenantType: string;
}

export interface CallPolicy {
	/** Per-request timeout. xero-node has none of its own. */
	timeoutMs: number;
	/** Retries after 5xx, timeouts and dropped connections. */
	maxRetries: number;
	/** First backoff delay; doubles per retry (with jitter), capped at 30 s. */
	retryDelayMs: number;
	/** Total Retry-After time one call may wait through before giving up. */
	maxRateLimitWaitMs: number;
	signal?: AbortSignal;
}

export const DEFAULT_POLICY: CallPolicy = { timeoutMs: 30_000, maxRetries: 4, retryDelayMs: 500, maxRateLimitWaitMs: 180_000 };

export interface XeroContact {
	contactId: string;
	name: string;
	contactNumber?: string;
	email?: string;
	status?: string;
}

export interface ContactWrite {
	contactId?: string;
	name?: string;
	contactNumber?: string;
	email?: string;
}

export interface XeroLineItem {
	description: string;
	quantity: number;
	unitAmount: number;
	lineAmount?: number;
	accountCode?: string;
	taxType?: string;
	taxAmount?: number;
}

export interface XeroPaymentRef {
	paymentId: string;
	amount: number;
	reference: string;
	date?: string;
}

export interface XeroInvoice {
	invoiceId: string;
	invoiceNumber: string;
	reference: string;
	type: string;
	status: string;
	contactId: string;
	contactName?: string;
	/** The contact's email and postal address when Xero includes them with the invoice. */
	contactEmail?: string;
	contactAddress?: string[];
	/** The branding theme the invoice is printed with; Xero's default theme when absent. */
	brandingThemeId?: string;
	/** Exclusive, Inclusive or NoTax: whether line amounts include tax. */
	lineAmountTypes?: string;
	currency: string;
	subTotal: number;
	totalTax: number;
	total: number;
	amountDue: number;
	amountPaid: number;
	/** Credit notes allocated to the invoice (Xero's AmountCredited); AmountDue is already net of it. */
	amountCredited: number;
	sentToContact: boolean;
	date?: string;
	dueDate?: string;
	lineItems?: XeroLineItem[];
	payments: XeroPaymentRef[];
}

/** The organisation as its invoices show it (GET /Organisation). */
export interface XeroOrganisation {
	organisationId: string;
	name: string;
	legalName: string;
	taxNumber?: string;
	/** Each address as printable lines, with Xero's type (POBOX, STREET, DELIVERY). */
	addresses: Array<{ type: string; lines: string[] }>;
	/** Each phone as one printable number, with Xero's type (DEFAULT, OFFICE, MOBILE, …). */
	phones: Array<{ type: string; number: string }>;
}

/** A branding theme (GET /BrandingThemes): SortOrder 0 is the organisation's default. */
export interface XeroBrandingTheme {
	brandingThemeId: string;
	name: string;
	sortOrder: number;
	logoUrl?: string;
}

export interface InvoiceWrite {
	invoiceId?: string;
	type?: 'ACCREC';
	contactId?: string;
	reference?: string;
	/** Empty means Xero numbers the invoice from its own sequence. */
	invoiceNumber?: string;
	date?: string;
	dueDate?: string;
	status?: 'DRAFT' | 'SUBMITTED' | 'AUTHORISED';
	currency?: string;
	lineAmountTypes?: 'Exclusive' | 'Inclusive' | 'NoTax';
	lineItems?: XeroLineItem[];
	sentToContact?: boolean;
}

export interface PaymentWrite {
	invoiceId: string;
	accountCode: string;
	amount: number;
	date: string;
	reference: string;
}

export interface XeroPayment {
	paymentId: string;
	invoiceId: string;
	amount: number;
	date?: string;
	reference: string;
	status?: string;
}

/** One element of a batch answer (summarizeErrors=false): saved, or refused with Xero's messages. */
export type ElementResult<T> = { ok: true; value: T; warnings: string[] } | { ok: false; errors: string[] };
