// The message envelope: how a billing item travels (persistent JSON body, messageId = billing
// key, correlationId = billing run id, attempt and last error in headers) and how a delivery
// turns back into an n8n item with its `_queue` meta object.
import { createHash, randomUUID } from 'crypto';
import type { IDataObject } from 'n8n-workflow';
import { validateBillingKey } from '../../shared/billingKey';
import { CONTROL_CHARACTERS } from '../../shared/itemFields';
import { type IncomingMessage, type OutgoingMessage, PUBLISH_ID_HEADER, type PublishProperties } from '../transport';

export type { IncomingMessage, OutgoingMessage, PublishProperties };

export const HEADERS = {
	attempt: 'x-billing-attempt',
	stage: 'x-billing-stage',
	/** A fresh id per physical publish: the delivery-tag-free identity of a message. */
	publishId: PUBLISH_ID_HEADER,
	errorMessage: 'x-billing-error-message',
	errorNode: 'x-billing-error-node',
	errorTime: 'x-billing-error-time',
	/** The failure's code, field and retryability, when the failed item carried them. */
	errorCode: 'x-billing-error-code',
	errorField: 'x-billing-error-field',
	errorRetryable: 'x-billing-error-retryable',
	retryDelayMs: 'x-billing-retry-delay-ms',
	parkedReason: 'x-billing-parked-reason',
	parkedAt: 'x-billing-parked-at',
	replayedAt: 'x-billing-replayed-at',
	replayCount: 'x-billing-replay-count',
} as const;

export const META_KEY = '_queue';
export const APP_ID = 'n8n-nodes-billing-pipeline';
export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024;
/**
 * Deepest nesting of objects and arrays a body may have (the body object itself is level 1).
 * Billing items are a few levels deep; a deeper body is refused before anything recursive (n8n's
 * deep copies, structuredClone, serialisers) can overflow the stack on it and fail its whole batch.
 */
export const MAX_JSON_DEPTH = 64;
const MAX_ERROR_TEXT = 2000;

export interface ErrorInfo extends IDataObject {
	message: string;
	node?: string;
	time?: string;
	code?: string;
	field?: string;
	retryable?: boolean;
}

/** The `_queue` object on every item the trigger emits. */
export interface QueueMeta extends IDataObject {
	stage: string;
	exchange: string;
	queue: string;
	messageUid: string;
	billingKey: string;
	attempt: number;
	correlationId: string | null;
	redelivered: boolean;
	publishedAt: string | null;
	lastError: ErrorInfo | null;
	/** Set on items emitted by a manual (editor) run; those are never forwarded. */
	sample?: boolean;
	invalidReason?: string;
}

function truncate(text: string, max = MAX_ERROR_TEXT): string {
	return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function headerString(value: unknown): string | undefined {
	if (value === undefined || value === null) return undefined;
	if (Buffer.isBuffer(value)) return value.toString('utf8');
	return String(value);
}

export function readAttempt(headers: Record<string, unknown> | undefined): number {
	const n = Number(headerString(headers?.[HEADERS.attempt]));
	return Number.isInteger(n) && n >= 1 ? n : 1;
}

export function readError(headers: Record<string, unknown> | undefined): ErrorInfo | null {
	const message = headerString(headers?.[HEADERS.errorMessage]);
	if (message === undefined) return null;
	const info: ErrorInfo = { message, node: headerString(headers?.[HEADERS.errorNode]), time: headerString(headers?.[HEADERS.errorTime]) };
	const code = headerString(headers?.[HEADERS.errorCode]);
	const field = headerString(headers?.[HEADERS.errorField]);
	const retryable = headerString(headers?.[HEADERS.errorRetryable]);
	if (code !== undefined) info.code = code;
	if (field !== undefined) info.field = field;
	if (retryable !== undefined) info.retryable = retryable === 'true';
	return info;
}

/** Writes the error headers, replacing every error header a previous failure left. */
function setErrorHeaders(headers: Record<string, string | number | boolean>, error: ErrorInfo): void {
	for (const name of [HEADERS.errorNode, HEADERS.errorCode, HEADERS.errorField, HEADERS.errorRetryable]) delete headers[name];
	headers[HEADERS.errorMessage] = truncate(error.message || 'Unknown error');
	if (error.node) headers[HEADERS.errorNode] = truncate(error.node, 200);
	headers[HEADERS.errorTime] = error.time ?? new Date().toISOString();
	if (error.code) headers[HEADERS.errorCode] = truncate(error.code, 200);
	if (error.field) headers[HEADERS.errorField] = truncate(error.field, 200);
	if (error.retryable !== undefined) headers[HEADERS.errorRetryable] = error.retryable;
}

/** The identity of a delivery that survives redelivery: our publish id, else a content hash. */
export function messageUid(msg: IncomingMessage): string {
	const id = headerString(msg.properties.headers?.[HEADERS.publishId]);
	if (id) return id;
	const hash = createHash('sha256')
		.update(String(msg.properties.messageId ?? ''))
		.update('\0')
		.update(String(msg.properties.correlationId ?? ''))
		.update('\0')
		.update(String(readAttempt(msg.properties.headers)))
		.update('\0')
		.update(msg.content)
		.digest('hex');
	return `sha256:${hash.slice(0, 32)}`;
}

export interface BuildOptions {
	stage: string;
	routingKey: string;
	payload: IDataObject;
	billingKey: string;
	correlationId?: string | null;
	attempt: number;
	error?: ErrorInfo | null;
	retryDelayMs?: number;
	parkedReason?: string;
	extraHeaders?: Record<string, string | number | boolean>;
}

export function buildMessage(opts: BuildOptions): OutgoingMessage {
	const billingKey = validateBillingKey(opts.billingKey);
	const publishId = randomUUID();
	const headers: Record<string, string | number | boolean> = {
		...(opts.extraHeaders ?? {}),
		[HEADERS.attempt]: opts.attempt,
		[HEADERS.stage]: opts.stage,
		[HEADERS.publishId]: publishId,
	};
	if (opts.error) setErrorHeaders(headers, opts.error);
	if (opts.retryDelayMs !== undefined) headers[HEADERS.retryDelayMs] = opts.retryDelayMs;
	if (opts.parkedReason) {
		headers[HEADERS.parkedReason] = opts.parkedReason;
		headers[HEADERS.parkedAt] = new Date().toISOString();
	}
	const properties: PublishProperties = {
		persistent: true,
		contentType: 'application/json',
		contentEncoding: 'utf-8',
		messageId: billingKey,
		timestamp: Math.floor(Date.now() / 1000),
		appId: APP_ID,
		type: `billing.${opts.stage}`,
		headers,
	};
	if (opts.correlationId) properties.correlationId = String(opts.correlationId);
	return { routingKey: opts.routingKey, content: Buffer.from(JSON.stringify(opts.payload)), properties, publishId };
}

/**
 * A copy of a delivery for the retry or parking queue: the original bytes and properties, a new
 * publish id, the new attempt number and the error. Used for messages we cannot or must not
 * re-encode (failed executions, unparseable bodies).
 */
export function copyForRequeue(
	msg: IncomingMessage,
	opts: {
		stage: string;
		routingKey: string;
		attempt: number;
		error: ErrorInfo;
		retryDelayMs?: number;
		parkedReason?: string;
	},
): OutgoingMessage {
	const publishId = randomUUID();
	const headers: Record<string, string | number | boolean> = {};
	for (const [key, value] of Object.entries(msg.properties.headers ?? {})) {
		// x-death & co. and a quorum queue's x-delivery-count describe the previous hop; RabbitMQ
		// adds fresh ones (a copied count would be shown on the copy's first delivery, not used).
		if (key.startsWith('x-death') || key.startsWith('x-first-death') || key.startsWith('x-last-death') || key === 'x-delivery-count') continue;
		if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') headers[key] = value;
		else if (Buffer.isBuffer(value)) headers[key] = value.toString('utf8');
	}
	headers[HEADERS.attempt] = opts.attempt;
	headers[HEADERS.stage] = opts.stage;
	headers[HEADERS.publishId] = publishId;
	setErrorHeaders(headers, opts.error);
	delete headers[HEADERS.retryDelayMs];
	delete headers[HEADERS.parkedReason];
	delete headers[HEADERS.parkedAt];
	if (opts.retryDelayMs !== undefined) headers[HEADERS.retryDelayMs] = opts.retryDelayMs;
	if (opts.parkedReason) {
		headers[HEADERS.parkedReason] = opts.parkedReason;
		headers[HEADERS.parkedAt] = new Date().toISOString();
	}
	const p = msg.properties;
	const properties: PublishProperties = {
		persistent: true,
		contentType: p.contentType ?? 'application/octet-stream',
		timestamp: p.timestamp ?? Math.floor(Date.now() / 1000),
		appId: p.appId ?? APP_ID,
		headers,
	};
	if (p.contentEncoding) properties.contentEncoding = p.contentEncoding;
	if (p.messageId) properties.messageId = p.messageId;
	if (p.correlationId) properties.correlationId = p.correlationId;
	if (p.type) properties.type = p.type;
	return { routingKey: opts.routingKey, content: msg.content, properties, publishId };
}

/**
 * Whether JSON text nests objects and arrays deeper than `max`, found by counting brackets outside
 * strings, without parsing and without recursion (so the check itself cannot overflow). Works on
 * the UTF-8 bytes: quote, backslash and brackets are ASCII and never part of a multi-byte character.
 */
export function nestsDeeperThan(content: Buffer, max: number): boolean {
	let depth = 0;
	let inString = false;
	for (let i = 0; i < content.length; i++) {
		const byte = content[i];
		if (inString) {
			if (byte === 0x5c) i++; // backslash: the next byte is escaped
			else if (byte === 0x22) inString = false;
		} else if (byte === 0x22) {
			inString = true;
		} else if (byte === 0x7b || byte === 0x5b) {
			if (++depth > max) return true;
		} else if (byte === 0x7d || byte === 0x5d) {
			depth--;
		}
	}
	return false;
}

/**
 * The key an item goes out under: a delivered item keeps its delivery's key, unless its stage
 * gave the body a new one (a supplementary invoice's), because the next stage reads the body's
 * key and parks a message whose messageId differs from it. Items not from a trigger use `given`.
 */
export function outgoingKey(meta: { billingKey?: unknown } | undefined | null, json: IDataObject, given: unknown): string {
	const bodyKey = json.billingKey;
	const delivered = typeof meta?.billingKey === 'string' ? meta.billingKey : '';
	const rekeyed = delivered !== '' && typeof bodyKey === 'string' && bodyKey.trim() !== '' && !sameBillingKey(bodyKey, delivered);
	return validateBillingKey(rekeyed ? bodyKey : delivered || given, 'billingKey');
}

/** Whether a body's billingKey value is `key` as the package's one rule reads keys (trimmed, numbers as text). */
export function sameBillingKey(bodyKey: unknown, key: string): boolean {
	try {
		return validateBillingKey(bodyKey) === key;
	} catch {
		return false;
	}
}

/** A value for a reason text: strings quoted, anything else as JSON with its type, kept short. */
function shown(value: unknown): string {
	if (typeof value === 'string') return JSON.stringify(truncate(value, 60));
	const json = JSON.stringify(value) ?? String(value);
	return `${truncate(json, 60)} (${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value === 'object' ? 'an object' : `a ${typeof value}`})`;
}

export type Decoded =
	| { ok: true; payload: IDataObject; meta: QueueMeta }
	| { ok: false; reason: string; meta: QueueMeta };

/** Parses and validates a delivery; invalid ones carry the reason they go to parking. */
export function decodeMessage(
	msg: IncomingMessage,
	ctx: { stage: string; exchange: string; queue: string; maxBytes: number },
): Decoded {
	const headers = msg.properties.headers;
	const meta: QueueMeta = {
		stage: ctx.stage,
		exchange: ctx.exchange,
		queue: ctx.queue,
		messageUid: messageUid(msg),
		billingKey: msg.properties.messageId ?? '',
		attempt: readAttempt(headers),
		correlationId: msg.properties.correlationId ?? null,
		redelivered: msg.redelivered,
		publishedAt: msg.properties.timestamp ? new Date(msg.properties.timestamp * 1000).toISOString() : null,
		lastError: readError(headers),
	};
	const fail = (reason: string): Decoded => ({ ok: false, reason, meta });

	if (msg.content.length > ctx.maxBytes) {
		return fail(`Message body is ${msg.content.length} bytes, over the ${ctx.maxBytes}-byte limit`);
	}
	if (nestsDeeperThan(msg.content, MAX_JSON_DEPTH)) {
		return fail(`Message body (field "body") nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep; no billing item does, so it is refused before it can overflow the stack`);
	}
	let payload: unknown;
	try {
		payload = JSON.parse(msg.content.toString('utf8'));
	} catch (error) {
		return fail(`Message body is not valid JSON: ${(error as Error).message}`);
	}
	if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
		return fail(`Message body must be a JSON object, got ${Array.isArray(payload) ? 'an array' : payload === null ? 'null' : typeof payload}`);
	}
	const body = payload as IDataObject;
	// Producers outside n8n may carry the key in the body instead of the messageId property.
	const key = msg.properties.messageId || (typeof body.billingKey === 'string' ? body.billingKey : '');
	if (!key || !key.trim()) {
		return fail('Message has no billing key (neither the messageId property nor a "billingKey" field)');
	}
	// Said first and plainly: a line break in a key is a header-injection attempt, not a typo.
	if (CONTROL_CHARACTERS.test(key)) return fail('Billing key (messageId) contains control characters such as line breaks');
	try {
		meta.billingKey = validateBillingKey(key, msg.properties.messageId ? 'messageId' : 'billingKey');
	} catch (error) {
		return fail((error as Error).message);
	}
	// Retries and parking follow the messageId, the stage nodes (Xero, Secure Trading) the body's
	// billingKey: a message where the two disagree would be billed under one key and retried under
	// the other, so neither is trusted.
	if (msg.properties.messageId && body.billingKey !== undefined && !sameBillingKey(body.billingKey, meta.billingKey)) {
		return fail(
			`Message's messageId ${shown(msg.properties.messageId)} and its body's billingKey ${shown(body.billingKey)} differ (field "messageId"); publish it again with the same billing key in both`,
		);
	}
	delete body[META_KEY];
	return { ok: true, payload: body, meta };
}

export function toItemJson(payload: IDataObject, meta: QueueMeta): IDataObject {
	return { ...payload, [META_KEY]: meta };
}

/** Reads a `_queue` object from an item, if it looks like one the trigger made. */
export function readQueueMeta(json: IDataObject): Partial<QueueMeta> | undefined {
	const meta = json[META_KEY];
	if (!meta || typeof meta !== 'object' || Array.isArray(meta)) return undefined;
	return meta as Partial<QueueMeta>;
}

/** The body to send for an item: everything but our meta object (and, optionally, n8n's `error`). */
export function payloadOf(json: IDataObject, dropKeys: string[] = []): IDataObject {
	const payload: IDataObject = { ...json };
	delete payload[META_KEY];
	for (const key of dropKeys) delete payload[key];
	return payload;
}

/** A readable view of a parked message for the "Peek parked" operation. */
export function describeParked(msg: IncomingMessage, maxPreviewBytes = 64 * 1024): IDataObject {
	const headers = msg.properties.headers ?? {};
	const deaths = Array.isArray(headers['x-death']) ? (headers['x-death'] as IDataObject[]) : [];
	const brokerReason = deaths.length ? headerString(deaths[0].reason) : headerString(headers['x-first-death-reason']);
	let payload: unknown = null;
	let raw: string | null = null;
	try {
		// A too-deep body would overflow n8n's copies of the output item: shown as text instead.
		if (nestsDeeperThan(msg.content, MAX_JSON_DEPTH)) throw new Error('too deep');
		payload = JSON.parse(msg.content.toString('utf8'));
	} catch {
		raw = msg.content.subarray(0, maxPreviewBytes).toString('utf8');
	}
	return {
		billingKey: msg.properties.messageId ?? (payload && typeof payload === 'object' ? ((payload as IDataObject).billingKey ?? null) : null),
		correlationId: msg.properties.correlationId ?? null,
		messageUid: messageUid(msg),
		stage: headerString(headers[HEADERS.stage]) ?? null,
		attempt: readAttempt(headers),
		reason: headerString(headers[HEADERS.parkedReason]) ?? (brokerReason ? `broker: ${brokerReason}` : null),
		parkedAt: headerString(headers[HEADERS.parkedAt]) ?? null,
		error: readError(headers),
		payload: payload as IDataObject,
		raw,
		bytes: msg.content.length,
	};
}

/** Why Publish and Retry or Park pass over items from a manual (editor) run of the trigger. */
export const SAMPLE_SKIP_NOTE = 'Sample item from a manual run of the Billing Queue Trigger: not forwarded (it is still in its queue)';
