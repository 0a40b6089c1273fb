// Secrets never travel in an error. A token endpoint, a proxy or an API that echoes our request
// puts `Authorization: Basic base64(id:secret)` or the Bearer token into its error answer; that
// text becomes an item's error, a parked message's header and a saved execution. Every error the
// kit turns into an n8n error or a failure item passes redactSecrets (errors.ts, failure.ts), with
// the credential values the router registered for the execution (withSecrets) and patterns for
// what no credential lists (a Bearer token, a password in a URL).
import { AsyncLocalStorage } from 'async_hooks';

export const REDACTED = '[redacted]';

/** Shorter values are not searched for: "1" or "" must not blank out every message. */
export const MIN_SECRET_LENGTH = 6;

// The credential values of the execution under way. n8n runs executions side by side in one
// process, so a module-level list would mix them up; async context follows each one.
const scope = new AsyncLocalStorage<readonly string[]>();

/** Runs `fn` with `secrets` redacted from every error it produces (in addition to any outer ones). */
export function withSecrets<T>(secrets: readonly string[], fn: () => T): T {
	return scope.run([...activeSecrets(), ...secrets.filter((s) => s.length >= MIN_SECRET_LENGTH)], fn);
}

/** The secrets registered for the execution under way (none outside one). */
export function activeSecrets(): readonly string[] {
	return scope.getStore() ?? [];
}

// Credential fields whose values are secret, by name: password, passphrase, clientSecret, apiKey,
// accessToken, privateKey, key. Not tokenUrl, username, clientId or host.
const SECRET_FIELD = /(password|passphrase|secret|token|apikey|privatekey)$|^key$/i;

/** The secret values of a credential's data (by field name, or the fields given). */
export function credentialSecrets(data: Record<string, unknown> | undefined, fields?: readonly string[]): string[] {
	if (!data) return [];
	return Object.entries(data)
		.filter(([name, value]) => typeof value === 'string' && (fields ? fields.includes(name) : SECRET_FIELD.test(name)))
		.map(([, value]) => value as string)
		.filter((value) => value.length >= MIN_SECRET_LENGTH);
}

/** The forms a secret takes in an echoed request: as is, URL-encoded (a form body), JSON-escaped. */
function forms(secret: string): string[] {
	return [...new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])].sort((a, b) => b.length - a.length);
}

// A run of base64 (or base64url) characters, long enough to hide "id:secret".
const BASE64_RUN = /[A-Za-z0-9+/_-]{8,}={0,2}/g;

/** Base64 runs whose decoded text holds a secret: `Basic base64(id:secret)`, SMTP AUTH PLAIN/LOGIN. */
function redactEncoded(text: string, secrets: readonly string[]): string {
	return text.replace(BASE64_RUN, (run) => {
		for (const encoding of ['base64', 'base64url'] as const) {
			const decoded = Buffer.from(run, encoding).toString('utf8');
			if (secrets.some((s) => decoded.includes(s))) return REDACTED;
		}
		return run;
	});
}

// A credential after an auth scheme, not an English word ("Basic authentication", "Bearer token").
const looksLikeCredential = (token: string) => token.length >= 8 && (/[^A-Za-z]/.test(token) || /[A-Z]/.test(token.slice(1)));

const SENSITIVE_NAMES = 'password|passwd|passphrase|pwd|pass|client_secret|clientsecret|secret|access_token|refresh_token|id_token|api_key|apikey|token';

const PATTERNS: Array<[RegExp, (...m: string[]) => string]> = [
	// Header values, as text (`Authorization: Basic …`) or JSON (`"authorization":"Bearer …"`): the
	// scheme and the credential after it, not the rest of the line (" [item 3]").
	[/\b((?:proxy-)?authorization\\?["']?\s*[:=][ \t]*\\?["']?)(?:[A-Za-z-]+[ \t]+)?[^\s"'\\,;}]+/gi, (_m, head) => `${head}${REDACTED}`],
	[/\b(Basic|Bearer)(\s+)([A-Za-z0-9\-._~+/]+=*)/gi, (m, scheme, space, token) => (looksLikeCredential(token) ? `${scheme}${space}${REDACTED}` : m)],
	// Query and form fields: password=…, client_secret=…, access_token=…
	[new RegExp(`\\b(${SENSITIVE_NAMES})=[^&\\s"'<>]*`, 'gi'), (_m, name) => `${name}=${REDACTED}`],
	// The same names as JSON members, also inside JSON quoted in a string.
	[new RegExp(`(\\\\?["'])(${SENSITIVE_NAMES})\\1(\\s*:\\s*)(\\\\?["']).*?\\4`, 'gi'), (_m, q, name, colon, vq) => `${q}${name}${q}${colon}${vq}${REDACTED}${vq}`],
	// A password in a URL: amqp://user:password@host
	[/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@"'<>]+):[^\s@/"'<>]+@/gi, (_m, head) => `${head}:${REDACTED}@`],
];

/**
 * `text` without secrets: the given credential values and those of the execution under way (as
 * they are, URL-encoded, JSON-escaped, or inside base64 such as `id:secret`), Authorization header
 * values, `Basic`/`Bearer` credentials, password/secret/token query, form and JSON fields, and
 * passwords in URLs.
 */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
	if (!text) return text;
	const known = [...new Set([...activeSecrets(), ...secrets])].filter((s) => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH);
	let out = text;
	if (known.length) {
		for (const form of known.flatMap(forms)) out = out.split(form).join(REDACTED);
		out = redactEncoded(out, known);
	}
	for (const [pattern, replace] of PATTERNS) out = out.replace(pattern, replace);
	return out;
}

// Members whose whole value is a secret, wherever they sit in an echoed body or headers object.
const SENSITIVE_KEY = /^(proxy-)?authorization$|^(set-)?cookie$|password|passwd|passphrase|secret|token|api[-_]?key/i;

/**
 * A JSON-like value with every string redacted and sensitive members (authorization, cookie,
 * password, secret, token, api key) blanked. A copy: the input is left as it is.
 */
export function redactDeep<T>(value: T, secrets: readonly string[] = [], seen = new WeakSet<object>()): T {
	if (typeof value === 'string') return redactSecrets(value, secrets) as T;
	if (!value || typeof value !== 'object') return value;
	// Plain data only: an Error, a Buffer or a Date is left to its owner (errors.ts redacts errors).
	const proto = Object.getPrototypeOf(value) as unknown;
	if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return value;
	if (seen.has(value)) return REDACTED as T;
	seen.add(value);
	if (Array.isArray(value)) return value.map((v) => redactDeep(v, secrets, seen)) as T;
	const out: Record<string, unknown> = {};
	for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
		out[key] = SENSITIVE_KEY.test(key) && (typeof v === 'string' || Array.isArray(v)) ? REDACTED : redactDeep(v, secrets, seen);
	}
	return out as T;
}

/** An answer's body named by its type and size, never quoted: `text/html (1.2 KB)`. */
export function bodySummary(contentType: string | null | undefined, bytes: number): string {
	const type = contentType?.split(';')[0].trim().toLowerCase() || 'no content type';
	const size = bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
	return `${type} (${size})`;
}
