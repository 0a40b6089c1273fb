// Secrets and card data scan: after a run, nothing secret may appear in n8n's user folder (its
// SQLite database with workflows and execution data, its log, binary data), in any message left
// in the broker, or in the emails clients received. The secrets are random per run, so a hit is
// never a coincidence; card numbers are found by shape (issuer prefix, length, Luhn).
import * as fs from 'fs';
import * as path from 'path';

export interface Secret {
	name: string;
	value: string;
}

/**
 * The `Authorization: Basic` form of a user and password, base64("user:password"): an echo of our
 * request carries the password only in this form, which a search for the password itself misses.
 */
export function basicAuthSecret(name: string, user: string, password: string): Secret {
	return { name: `${name} (Basic user:password)`, value: Buffer.from(`${user}:${password}`, 'utf8').toString('base64') };
}

export interface ScanSource {
	/** Where the text came from (a file path, "queue billing.x.parked #3", "email <id>"). */
	where: string;
	text: string;
}

export interface Finding {
	where: string;
	what: string;
	/** A few characters around the hit, with the hit itself masked. */
	context: string;
}

export interface ScanReport {
	sources: number;
	bytes: number;
	findings: Finding[];
}

function luhn(digits: string): boolean {
	let sum = 0;
	for (let i = 0; i < digits.length; i++) {
		let d = digits.charCodeAt(digits.length - 1 - i) - 48;
		if (i % 2 === 1) {
			d *= 2;
			if (d > 9) d -= 9;
		}
		sum += d;
	}
	return sum % 10 === 0;
}

// Visa 13/16/19, Mastercard 51–55 and 2221–2720, Amex 34/37, Discover 6011/65, standing on its own:
// not inside a longer number or a hex id (a 16-digit Luhn-valid run turns up in random UUIDs), and
// not nodemailer's MIME boundary "----_NmP-<16 digits>-Part_1", which is random digits too.
const PAN = /(?<![0-9A-Za-z]|_NmP-)(?:4\d{12}(?:\d{3}){0,2}|5[1-5]\d{14}|2[2-7]\d{14}|3[47]\d{13}|6(?:011|5\d\d)\d{12})(?![0-9A-Za-z])/g;

export function findPans(text: string): string[] {
	return [...text.matchAll(PAN)].map((m) => m[0]).filter(luhn);
}

// A report must not leak either: the surroundings are masked too (another secret or a card
// number can sit within 40 characters of the hit).
function around(text: string, index: number, length: number, secrets: Secret[]): string {
	const mask = (part: string) => secrets.reduce((out, s) => out.split(s.value).join('*'.repeat(8)), part).replace(PAN, '*'.repeat(8));
	const before = mask(text.slice(Math.max(0, index - 40), index));
	const after = mask(text.slice(index + length, index + length + 40));
	return `${before}[${'*'.repeat(Math.min(length, 8))}]${after}`.replace(/[^\x20-\x7e]/g, '.');
}

export function scan(sources: ScanSource[], secrets: Secret[]): ScanReport {
	const findings: Finding[] = [];
	let bytes = 0;
	const wanted = secrets.filter((s) => s.value.length >= 8);
	for (const source of sources) {
		bytes += source.text.length;
		for (const secret of wanted) {
			let at = source.text.indexOf(secret.value);
			while (at >= 0) {
				findings.push({ where: source.where, what: secret.name, context: around(source.text, at, secret.value.length, wanted) });
				at = source.text.indexOf(secret.value, at + 1);
			}
		}
		for (const m of source.text.matchAll(PAN)) {
			if (luhn(m[0])) findings.push({ where: source.where, what: 'card number', context: around(source.text, m.index ?? 0, m[0].length, wanted) });
		}
	}
	return { sources: sources.length, bytes, findings };
}

/** Every file under `dir`, read as Latin-1 so binary files (SQLite pages) are searchable too. */
export function filesUnder(dir: string): ScanSource[] {
	const out: ScanSource[] = [];
	const walk = (d: string) => {
		for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
			const full = path.join(d, entry.name);
			// Code, not data: the installed package (our code and its dependencies), and the node type
			// descriptions n8n generates for its editor (the Stripe node's placeholder is a test PAN).
			if (entry.isDirectory()) {
				if (full.endsWith(`${path.sep}.n8n${path.sep}nodes`) || full.endsWith(path.join('.cache', 'n8n', 'public'))) continue;
				walk(full);
			} else if (entry.isFile()) {
				out.push({ where: full, text: fs.readFileSync(full).toString('latin1') });
			}
		}
	};
	if (fs.existsSync(dir)) walk(dir);
	return out;
}
