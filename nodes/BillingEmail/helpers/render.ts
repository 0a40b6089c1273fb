import { PLACEHOLDERS } from '../templates';
import { FieldError } from './errors';
import { assertHeaderSafe, escapeHtml } from './text';

export type RenderMode = 'html' | 'text' | 'header';

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Field labels for errors ("the subject uses {{dueDate}} but Due Date is empty"). */
export type FieldLabels = Partial<Record<string, string>>;

/**
 * Fills `{{name}}` placeholders. Values are HTML-escaped in 'html' mode; in 'header' mode the
 * result must stay on one line. An unknown placeholder, or a used one whose value is empty,
 * is an error, so no mail goes out with a hole in it.
 */
export function renderTemplate(
	template: string,
	values: Readonly<Record<string, string | (() => string) | undefined>>,
	mode: RenderMode,
	part: string,
	labels: FieldLabels = {},
): string {
	const known = new Set<string>(PLACEHOLDERS);
	const rendered = template.replace(PLACEHOLDER, (_whole, name: string) => {
		if (!known.has(name)) {
			throw new FieldError(part, `uses unknown placeholder {{${name}}}; known: ${[...known].join(', ')}`);
		}
		const entry = values[name];
		// Lazy values are parsed only when a template uses them.
		const value = typeof entry === 'function' ? entry() : entry;
		if (value === undefined || value === '') {
			throw new FieldError(labels[name] ?? name, `is empty, but the ${part} uses {{${name}}}`);
		}
		if (mode === 'header') assertHeaderSafe(value, labels[name] ?? name);
		return mode === 'html' ? escapeHtml(value) : value;
	});
	// The template itself (an ops override) must not span lines either.
	if (mode === 'header') assertHeaderSafe(rendered, part);
	return rendered;
}
