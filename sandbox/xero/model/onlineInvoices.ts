// Online invoices (GET /Invoices/{id}/OnlineInvoice): the link a client opens to see an invoice on
// Xero's site. Xero gives one only for a sales invoice that is neither a draft nor deleted, in an
// organisation that allows online invoices; the link stays the same for the invoice and cannot be
// guessed. Sources: Xero's invoices docs ("Retrieving the online invoice URL"), Workato's Xero
// connector ("You cannot generate online invoice URLs for deleted or draft invoices").
import { randomBytes } from 'crypto';
import { findInvoice, type InvoiceRec } from './invoices';
import type { Organisation } from './organisation';

/** Xero's tokens are 40 letters and digits (https://in.xero.com/bCWCCfytGdTXoJam9HENWlQt07G6zcDaj4gQojHu). */
const TOKEN_LENGTH = 40;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function newToken(): string {
	let token = '';
	while (token.length < TOKEN_LENGTH) {
		// Bytes from 248 up are dropped so each character is equally likely (248 = 4 × 62).
		for (const b of randomBytes(TOKEN_LENGTH)) if (b < 248 && token.length < TOKEN_LENGTH) token += ALPHABET[b % 62];
	}
	return token;
}

export type OnlineInvoiceOutcome = { status: 404 } | { status: 400; inv: InvoiceRec; error: string } | { status: 200; token: string };

function refusal(org: Organisation, inv: InvoiceRec): string | undefined {
	if (!org.onlineInvoicesEnabled) return 'Online invoices are not enabled for this organisation, so no online invoice URL can be given.';
	if (inv.Type !== 'ACCREC') return 'Online invoice URLs are only available for sales invoices (ACCREC).';
	if (inv.Status === 'DRAFT' || inv.Status === 'DELETED') {
		return `An online invoice URL cannot be generated for a ${inv.Status === 'DRAFT' ? 'draft' : 'deleted'} invoice.`;
	}
	return undefined;
}

/** The invoice's online link token (made on first request, the same ever after), or why there is none. */
export function onlineInvoice(org: Organisation, idOrNumber: string): OnlineInvoiceOutcome {
	const inv = findInvoice(org, idOrNumber);
	if (!inv) return { status: 404 };
	const error = refusal(org, inv);
	if (error) return { status: 400, inv, error };
	const token = onlineInvoiceToken(org, inv.InvoiceID) ?? newToken();
	org.onlineInvoiceTokens.set(token, inv.InvoiceID);
	return { status: 200, token };
}

/** The token already handed out for an invoice, if any. */
export function onlineInvoiceToken(org: Organisation, invoiceId: string): string | undefined {
	for (const [token, id] of org.onlineInvoiceTokens) if (id === invoiceId) return token;
	return undefined;
}

/** Opens an online invoice page: the invoice behind the token (counted as a view), if it still exists. */
export function openOnlineInvoice(org: Organisation, token: string): InvoiceRec | undefined {
	const id = org.onlineInvoiceTokens.get(token);
	const inv = id === undefined ? undefined : org.invoices.get(id);
	if (inv) org.onlineInvoiceViews.set(inv.InvoiceID, (org.onlineInvoiceViews.get(inv.InvoiceID) ?? 0) + 1);
	return inv;
}
