// The bad-input table's types and builders, shared by cases.ts and the case files per area.
import type { IDataObject } from 'n8n-workflow';

export type Stage = 'crm' | 'queue' | 'invoice' | 'email' | 'debit' | 'notify';

export type Expect =
	| { reject: { field: string; message: RegExp } }
	/**
	 * Odd but legal: billed normally (or the no-card path, or one line for an identical duplicate
	 * row); `chargedWhatIsDue`: a debit message's own amount is history, the card is charged exactly
	 * what Xero says is due on the invoice, once.
	 */
	| { accept: 'billed' | 'noCard' | 'deduplicated' | 'chargedWhatIsDue' };

export interface CrmRow {
	leadId?: unknown;
	clientId?: unknown;
	clientName?: unknown;
	billingEmail?: unknown;
	currency?: unknown;
	cardReference?: unknown;
	description?: unknown;
	price?: unknown;
	quantity?: unknown;
	deliveredAt?: unknown;
	[key: string]: unknown;
}

export interface BadInputCase {
	id: string;
	stage: Stage;
	what: string;
	/** crm: the client's rows, from one good row of that client (clientId `BI-<id>`). */
	rows?: (good: CrmRow) => CrmRow[];
	/** stages: the stage message, from a good one for this case's billing key. */
	item?: (good: IDataObject) => IDataObject;
	/** queue: a raw delivery. */
	raw?: { body: Buffer | string; messageId?: string };
	expect: Expect;
	/** Also pushed through the real n8n workflows by the e2e suite. */
	e2e?: boolean;
}

export const reject = (field: string, message: RegExp): Expect => ({ reject: { field, message } });
export const drop = (row: CrmRow, key: keyof CrmRow): CrmRow => {
	const copy = { ...row };
	delete copy[key];
	return copy;
};
export const line = (over: IDataObject = {}): IDataObject => ({ leadId: 'L1', description: 'Lead L1', quantity: 1, unitAmount: '10.00', unitAmountMinor: 1000, lineAmountMinor: 1000, deliveredAt: null, ...over });

export const HTML_NAME = '<script>alert("x")</script> & <b>Bold</b> Co';
export const UNICODE_NAME = 'Zoë Ångström 株式会社 Müller 🚀';
export const RTL_NAME = 'שלום בע"מ شركة \u202Egnp.exe';
export const CRLF_BCC = '\r\nBcc: attacker@evil.example';

