// GET /BrandingThemes and /BrandingThemes/{id}: the organisation's invoice themes, read-only.
import { notFound, type Reply } from '../reply';
import { brandingThemeJson } from '../wire/branding';
import { listReply, type ApiContext } from './context';

export const list = (ctx: ApiContext): Reply =>
	listReply(ctx, 'BrandingThemes', ctx.org.brandingThemes.map((t) => brandingThemeJson(ctx.publicUrl, t)));

export function get(ctx: ApiContext, params: Record<string, string>): Reply {
	const theme = ctx.org.brandingTheme(params.id);
	return theme ? listReply(ctx, 'BrandingThemes', [brandingThemeJson(ctx.publicUrl, theme)]) : notFound();
}
