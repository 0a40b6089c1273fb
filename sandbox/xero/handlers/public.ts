// The sandbox's public pages, outside the Accounting API (no token, no call record, no rate limit):
// branding theme logos, as Xero's CDN serves them, and online invoices, as in.xero.com does.
import { openOnlineInvoice } from '../model/onlineInvoices';
import { onlineInvoiceHtml, onlineInvoiceMissingHtml } from '../onlinePage';
import { brandingLogoPng } from '../png';
import { html, notFound, send } from '../reply';
import type { IdentityRequest } from './token';

/** GET /branding/{id}/logo.png: the logo of a theme that has one. */
export function logo({ state, res }: IdentityRequest, params: Record<string, string>): void {
	for (const { org } of state.connections) {
		const theme = org.brandingTheme(params.id);
		if (!theme?.hasLogo) continue;
		org.logoDownloads++;
		return send(res, { status: 200, headers: { 'Content-Type': 'image/png', 'Cache-Control': 'public, max-age=86400' }, body: brandingLogoPng(theme.SortOrder) });
	}
	send(res, notFound());
}

/** GET /in/{token}: the invoice behind an online invoice link, as it is now. */
export function onlineInvoicePage({ state, res }: IdentityRequest, params: Record<string, string>): void {
	for (const { org } of state.connections) {
		const inv = openOnlineInvoice(org, params.token);
		if (inv) return send(res, html(200, onlineInvoiceHtml(org, inv, state.publicUrl)));
	}
	send(res, html(404, onlineInvoiceMissingHtml()));
}
