// Turning a received message source into a SinkMessage with mailparser (addresses, headers
// made JSON-friendly, attachments with their SHA-256), and Message-ID comparison.
import { createHash } from 'crypto';
import { simpleParser, type AddressObject, type HeaderValue } from 'mailparser';
import type { SessionEnvelope, SinkAddress, SinkMessage } from './types';

// Message-IDs compare exactly (RFC 5322 gives no case folding); only the brackets are optional.
export const bare = (messageId: string) => messageId.trim().replace(/^<|>$/g, '');

/**
 * Parses `raw`. `stamp` is called once parsing is done (so ids follow completion order) and
 * gives the message its sink id and the copy number of its Message-ID.
 */
export async function parseMessage(
	raw: Buffer,
	session: SessionEnvelope,
	stamp: (messageId: string | null) => { id: string; copy: number },
): Promise<SinkMessage> {
	const parsed = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true });
	const messageId = parsed.messageId ?? null;
	const { id, copy } = stamp(messageId);
	const headers: Record<string, unknown> = {};
	for (const [key, value] of parsed.headers) headers[key] = plainHeader(value);
	return {
		id,
		messageId,
		copy,
		envelope: {
			mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
			rcptTo: session.envelope.rcptTo.map((r) => r.address),
		},
		from: addresses(parsed.from)[0] ?? null,
		to: addresses(parsed.to),
		cc: addresses(parsed.cc),
		replyTo: addresses(parsed.replyTo),
		subject: parsed.subject ?? null,
		date: parsed.date ? parsed.date.toISOString() : null,
		html: parsed.html === false ? null : (parsed.html ?? null),
		text: parsed.text ?? null,
		headers,
		headerLines: parsed.headerLines.map((h) => ({ key: h.key, line: h.line })),
		attachments: parsed.attachments.map((a) => ({
			filename: a.filename ?? null,
			contentType: a.contentType,
			size: a.content.length,
			sha256: createHash('sha256').update(a.content).digest('hex'),
			contentId: a.contentId ?? null,
			content: a.content,
		})),
		raw: raw.toString('utf8'),
		size: raw.length,
		authUser: typeof session.user === 'string' ? session.user : null,
		receivedAt: new Date().toISOString(),
	};
}

function addresses(value: AddressObject | AddressObject[] | undefined): SinkAddress[] {
	if (!value) return [];
	const list = Array.isArray(value) ? value : [value];
	const out: SinkAddress[] = [];
	const walk = (entries: { address?: string; name: string; group?: unknown[] }[]) => {
		for (const entry of entries) {
			if (entry.group) walk(entry.group as typeof entries);
			else out.push({ address: entry.address ?? '', name: entry.name ?? '' });
		}
	};
	for (const object of list) walk(object.value);
	return out;
}

// Header values from mailparser can be Maps/Dates/objects; keep them JSON-friendly.
function plainHeader(value: HeaderValue): unknown {
	if (value instanceof Date) return value.toISOString();
	if (typeof value === 'string' || Array.isArray(value)) return value;
	if (value && typeof value === 'object') {
		if ('value' in value && 'params' in value) return { value: value.value, params: value.params };
		if ('text' in value) return (value as AddressObject).text;
	}
	return value;
}
