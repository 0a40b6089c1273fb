import { fieldError, type FieldRef } from './fields';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
	return value.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]);
}

// CR/LF (and other controls) in a header value would let data add headers (e.g. Bcc).
// U+2028/2029 are refused too: some clients treat them as line breaks.
// eslint-disable-next-line no-control-regex -- matching control characters is the point: they are refused.
const HEADER_UNSAFE = /[\u0000-\u0008\u000A-\u001F\u007F\u2028\u2029]/;

/** Refuses values that could break out of a mail header. */
export function assertHeaderSafe(value: string, field: FieldRef): string {
	const match = HEADER_UNSAFE.exec(value);
	if (match) {
		const code = match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
		throw fieldError(field, `contains a line break or control character (U+${code}); refusing it in a mail header`);
	}
	return value;
}

// Pragmatic addr-spec check (dot-atom local part, dotted domain of letters/digits/hyphens,
// Unicode letters allowed for internationalised addresses). Quoted local parts are refused.
const LOCAL = /^[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+(\.[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+)*$/u;
const LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u;

export function isEmailAddress(value: string): boolean {
	if (value.length > 254) return false;
	const at = value.lastIndexOf('@');
	if (at <= 0 || at === value.length - 1) return false;
	const local = value.slice(0, at);
	const labels = value.slice(at + 1).split('.');
	return local.length <= 64 && LOCAL.test(local) && labels.length >= 2 && labels.every((l) => LABEL.test(l)) && !/^\d+$/.test(labels[labels.length - 1]);
}

export function requireEmailAddress(value: string, field: FieldRef): string {
	assertHeaderSafe(value, field);
	const trimmed = value.trim();
	if (!trimmed) throw fieldError(field, 'is empty; an email address is required');
	if (!isEmailAddress(trimmed)) throw fieldError(field, `"${trimmed}" is not a valid email address`);
	return trimmed;
}

/** Addresses separated by commas or semicolons (CRMs often store several in one field). */
export function parseAddressList(value: string, field: FieldRef, required: boolean): string[] {
	assertHeaderSafe(value, field);
	const parts = value.split(/[,;]/).map((p) => p.trim()).filter(Boolean);
	if (parts.length === 0 && required) throw fieldError(field, 'is empty; an email address is required');
	return parts.map((p) => requireEmailAddress(p, field));
}

/** Parses `Name <address>` or a bare address (the sender settings). */
export function parseMailbox(value: string, field: FieldRef): { name: string; address: string } {
	assertHeaderSafe(value, field);
	const trimmed = value.trim();
	const match = /^(.*?)\s*<([^<>]+)>$/.exec(trimmed);
	if (!match) return { name: '', address: requireEmailAddress(trimmed, field) };
	const name = match[1].trim().replace(/^"(.*)"$/, '$1');
	return { name, address: requireEmailAddress(match[2], field) };
}

/** A display name for a header: trimmed, refused if it could inject headers. */
export function headerName(value: string, field: FieldRef): string {
	return assertHeaderSafe(value, field).trim();
}
