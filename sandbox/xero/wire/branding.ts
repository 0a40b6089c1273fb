// Branding themes as GET /BrandingThemes shows them, and the public addresses the sandbox serves
// outside the API (no token, not counted): theme logos, as Xero's CDN does, and online invoices,
// as in.xero.com does. Xero's LogoUrl and OnlineInvoiceUrl are absolute, so both carry the
// sandbox's own base URL.
import type { BrandingThemeRec } from '../model/organisation';
import { msDate } from './values';

/** Route patterns of the public pages (server.ts matches them; the URLs below fill them in). */
export const LOGO_ROUTE = '/branding/{id}/logo.png';
export const ONLINE_INVOICE_ROUTE = '/in/{token}';

export const logoUrl = (publicUrl: string, theme: BrandingThemeRec): string | undefined =>
	theme.hasLogo ? publicUrl + LOGO_ROUTE.replace('{id}', theme.BrandingThemeID) : undefined;

export const onlineInvoiceUrl = (publicUrl: string, token: string): string => publicUrl + ONLINE_INVOICE_ROUTE.replace('{token}', token);

/** A theme as Xero shows it: LogoUrl only when a logo is uploaded. */
export function brandingThemeJson(publicUrl: string, theme: BrandingThemeRec): Record<string, unknown> {
	const url = logoUrl(publicUrl, theme);
	return {
		BrandingThemeID: theme.BrandingThemeID,
		Name: theme.Name,
		...(url ? { LogoUrl: url } : {}),
		Type: 'INVOICE',
		SortOrder: theme.SortOrder,
		CreatedDateUTC: msDate(theme.CreatedDateUTC),
	};
}
