import { PLACEHOLDERS } from '../templates';
import { fieldError, nodeField, type FieldRef } from './fields';
import { assertHeaderSafe, escapeHtml } from './text';

export type RenderMode = 'html' | 'text' | 'header';

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** The field behind each placeholder, for errors ("Due Date is empty, but the subject uses {{dueDate}}"). */
export type FieldLabels = Partial<Record<string, FieldRef>>;

/**
 * Fills `{{name}}` placeholders. Values are HTML-escaped in 'html' mode; in 'header' mode the
 * result must stay on one line. An unknown placeholder, or a used one whose value is empty,
 * is an error, so no mail goes out with a hole in it. `part` names the template in messages
 * ("subject"); `partPath` is the parameter it came from when it was overridden.
 */
export function renderTemplate(
	template: string,
	values: Readonly<Record<string, string | (() => string) | undefined>>,
	mode: RenderMode,
	part: string,
	labels: FieldLabels = {},
	partPath = part,
): string {
	const templateField = { path: partPath, label: `The ${part}` };
	const known = new Set<string>(PLACEHOLDERS);
	const rendered = template.replace(PLACEHOLDER, (_whole, name: string) => {
		if (!known.has(name)) {
			throw fieldError(templateField, `uses unknown placeholder {{${name}}}; known: ${[...known].join(', ')}`);
		}
		const entry = values[name];
		// Lazy values are parsed only when a template uses them.
		const value = typeof entry === 'function' ? entry() : entry;
		const field = nodeField(labels[name] ?? name);
		if (value === undefined || value === '') throw fieldError(field, `is empty, but the ${part} uses {{${name}}}`);
		if (mode === 'header') assertHeaderSafe(value, field);
		return mode === 'html' ? escapeHtml(value) : value;
	});
	// The template itself (an ops override) must not span lines either.
	if (mode === 'header') assertHeaderSafe(rendered, templateField);
	return rendered;
}
