// How the email helpers name a field in their errors: the kit's FieldError carries the parameter
// path (for `error.field`) and a whole sentence that starts with the label the editor shows.
import { FieldError } from '../../shared/errors';

export interface NodeField {
	/** Parameter path as the failure item names it, e.g. `recipientEmail`, `options.replyTo`. */
	path: string;
	/** The editor's label, e.g. `Recipient Email`. */
	label: string;
}

/** A bare string is both path and label (helpers used on their own). */
export type FieldRef = string | NodeField;

export function nodeField(ref: FieldRef): NodeField {
	return typeof ref === 'string' ? { path: ref, label: ref } : ref;
}

/** `problem` continues the label: fieldError(recipient, 'is empty') → "Recipient Email is empty". */
export function fieldError(ref: FieldRef, problem: string, description?: string): FieldError {
	const { path, label } = nodeField(ref);
	return new FieldError(path, `${label} ${problem}`, description);
}
