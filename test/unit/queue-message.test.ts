// The message envelope, the IRun outcome reading and the credential → connection options
// mapping (no broker).
import type { IRun } from 'n8n-workflow';
import {
	buildMessage,
	copyForRequeue,
	decodeMessage,
	describeParked,
	HEADERS,
	type IncomingMessage,
	MAX_JSON_DEPTH,
	messageUid,
	nestsDeeperThan,
	payloadOf,
} from '../../nodes/BillingQueue/helpers/message';
import { classifyRun } from '../../nodes/BillingQueue/helpers/outcome';
import { connectionOptions, normalisePem } from '../../nodes/BillingQueue/transport/settings';
import { connectionFromCredentials } from '../../nodes/BillingQueue/transport/credentials';
import { BrokerError, toBrokerError } from '../../nodes/BillingQueue/transport/errors';
import { FieldError, ServiceError, toNodeError } from '../../nodes/shared/errors';
import { NodeApiError, type INode } from 'n8n-workflow';

const ctx = { stage: 'invoice', exchange: 'billing', queue: 'billing.invoice', maxBytes: 1024 };
const incoming = (content: string | Buffer, properties: IncomingMessage['properties'] = {}, redelivered = false): IncomingMessage => ({
	content: Buffer.isBuffer(content) ? content : Buffer.from(content),
	properties,
	redelivered,
});

describe('envelope', () => {
	test('buildMessage: persistent JSON, billing key as messageId, run id as correlationId, attempt and a fresh publish id', () => {
		const a = buildMessage({ stage: 'email', routingKey: 'email', payload: { billingKey: 'K1', amountMinor: 100 }, billingKey: 'K1', correlationId: 'run-1', attempt: 1 });
		const b = buildMessage({ stage: 'email', routingKey: 'email', payload: {}, billingKey: 'K1', attempt: 1 });
		expect(a.properties).toMatchObject({ persistent: true, contentType: 'application/json', messageId: 'K1', correlationId: 'run-1', type: 'billing.email' });
		expect(a.properties.headers).toMatchObject({ [HEADERS.attempt]: 1, [HEADERS.stage]: 'email', [HEADERS.publishId]: a.publishId });
		expect(a.publishId).not.toBe(b.publishId);
		expect(b.properties).not.toHaveProperty('correlationId');
		expect(JSON.parse(a.content.toString())).toEqual({ billingKey: 'K1', amountMinor: 100 });
		expect(() => buildMessage({ stage: 'email', routingKey: 'email', payload: {}, billingKey: ' ', attempt: 1 })).toThrow(/Billing key is missing/);
	});

	test('errors and parking reasons go into headers, long messages truncated', () => {
		const m = buildMessage({
			stage: 'debit', routingKey: 'debit.parked', payload: {}, billingKey: 'K', attempt: 3,
			error: { message: 'x'.repeat(5000), node: 'Charge', time: '2024-01-01T00:00:00.000Z' }, parkedReason: 'max-attempts',
		});
		expect(String(m.properties.headers[HEADERS.errorMessage])).toHaveLength(2000);
		expect(m.properties.headers).toMatchObject({ [HEADERS.errorNode]: 'Charge', [HEADERS.errorTime]: '2024-01-01T00:00:00.000Z', [HEADERS.parkedReason]: 'max-attempts' });
		expect(m.properties.headers).not.toHaveProperty(HEADERS.errorCode);
		expect(() => buildMessage({ stage: 'email', routingKey: 'email', payload: {}, billingKey: 'K'.repeat(26), attempt: 1 })).toThrow(/longer than 25 characters/);
	});

	test('a failure’s code, field and retryability travel in headers and come back with the error; a requeue replaces them', () => {
		const m = buildMessage({
			stage: 'debit', routingKey: 'debit.retry.5s', payload: {}, billingKey: 'K', attempt: 2,
			error: { message: 'Declined', node: 'Debit', time: 't', code: '70000', field: 'amountMinor', retryable: false },
		});
		expect(m.properties.headers).toMatchObject({ [HEADERS.errorCode]: '70000', [HEADERS.errorField]: 'amountMinor', [HEADERS.errorRetryable]: false });
		const delivered = incoming(m.content, { messageId: 'K', headers: m.properties.headers });
		expect(decodeMessage(delivered, ctx)).toMatchObject({ ok: true, meta: { lastError: { message: 'Declined', node: 'Debit', time: 't', code: '70000', field: 'amountMinor', retryable: false } } });
		const again = copyForRequeue(delivered, { stage: 'debit', routingKey: 'debit.parked', attempt: 3, error: { message: 'execution failed', node: 'Trigger' } });
		expect(again.properties.headers).toMatchObject({ [HEADERS.errorMessage]: 'execution failed', [HEADERS.errorNode]: 'Trigger' });
		for (const stale of [HEADERS.errorCode, HEADERS.errorField, HEADERS.errorRetryable]) expect(again.properties.headers).not.toHaveProperty(stale);
	});

	test('decodeMessage: payload and _queue meta for a valid delivery', () => {
		const d = decodeMessage(
			incoming('{"billingKey":"K1","amountMinor":5,"_queue":{"stale":true}}', {
				messageId: 'K1', correlationId: 'run-2', timestamp: 1700000000,
				headers: { [HEADERS.attempt]: 2, [HEADERS.publishId]: 'p-1', [HEADERS.errorMessage]: 'boom', [HEADERS.errorNode]: 'Xero' },
			}, true),
			ctx,
		);
		expect(d).toEqual({
			ok: true,
			payload: { billingKey: 'K1', amountMinor: 5 },
			meta: {
				stage: 'invoice', exchange: 'billing', queue: 'billing.invoice', messageUid: 'p-1', billingKey: 'K1', attempt: 2,
				correlationId: 'run-2', redelivered: true, publishedAt: '2023-11-14T22:13:20.000Z', lastError: { message: 'boom', node: 'Xero', time: undefined },
			},
		});
	});

	test('decodeMessage: invalid messages carry the reason they are parked for', () => {
		const reason = (m: IncomingMessage) => {
			const d = decodeMessage(m, ctx);
			return d.ok ? 'ok' : d.reason;
		};
		expect(reason(incoming('nope', { messageId: 'K' }))).toMatch(/^Message body is not valid JSON/);
		expect(reason(incoming('"text"', { messageId: 'K' }))).toBe('Message body must be a JSON object, got string');
		expect(reason(incoming('null', { messageId: 'K' }))).toBe('Message body must be a JSON object, got null');
		expect(reason(incoming('[]', { messageId: 'K' }))).toBe('Message body must be a JSON object, got an array');
		expect(reason(incoming('{"a":1}'))).toMatch(/no billing key/);
		expect(reason(incoming(Buffer.alloc(2000, 32), { messageId: 'K' }))).toBe('Message body is 2000 bytes, over the 1024-byte limit');
		expect(reason(incoming('{"billingKey":"B7"}'))).toBe('ok'); // key from the body for foreign producers
		// The package's one billing-key rule (nodes/shared/billingKey.ts): 25 characters, letters, digits, "-_.".
		expect(reason(incoming('{}', { messageId: 'K'.repeat(25) }))).toBe('ok');
		expect(reason(incoming('{}', { messageId: 'K'.repeat(26) }))).toBe(`Billing key "${'K'.repeat(26)}" is longer than 25 characters (field "messageId")`);
		expect(reason(incoming('{"billingKey":"a/b"}'))).toMatch(/^Billing key "a\/b" may only hold letters, digits/);
		expect(reason(incoming('{}', { messageId: 'K1\r\nBcc: x@example.com' }))).toBe('Billing key (messageId) contains control characters such as line breaks');
	});

	test('decodeMessage: a messageId and a body billingKey that differ are parked, naming both; a body without a key takes the messageId', () => {
		const reason = (m: IncomingMessage) => {
			const d = decodeMessage(m, ctx);
			return d.ok ? `ok ${d.meta.billingKey}` : d.reason;
		};
		expect(reason(incoming('{"billingKey":"K2","amountMinor":1}', { messageId: 'K1' }))).toBe(
			'Message\'s messageId "K1" and its body\'s billingKey "K2" differ (field "messageId"); publish it again with the same billing key in both',
		);
		expect(reason(incoming('{"billingKey":null}', { messageId: 'K1' }))).toMatch(/^Message's messageId "K1" and its body's billingKey null \(null\) differ/);
		expect(reason(incoming('{"billingKey":{"id":"K1"}}', { messageId: 'K1' }))).toMatch(/billingKey \{"id":"K1"\} \(an object\) differ \(field "messageId"\)/);
		expect(reason(incoming('{"billingKey":"K1"}', { messageId: 'K1' }))).toBe('ok K1');
		expect(reason(incoming('{"amountMinor":1}', { messageId: 'K1' }))).toBe('ok K1');
		// Read by the package's one key rule, as the stage nodes read it: a number is its text.
		expect(reason(incoming('{"billingKey":12345}', { messageId: '12345' }))).toBe('ok 12345');
	});

	test('decodeMessage: a body nested deeper than MAX_JSON_DEPTH is parked without recursing; brackets inside strings do not count', () => {
		const nested = (levels: number) => `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;
		const big = { ...ctx, maxBytes: 1024 * 1024 };
		const reason = (body: string) => {
			const d = decodeMessage(incoming(body, { messageId: 'K' }), big);
			return d.ok ? 'ok' : d.reason;
		};
		expect(MAX_JSON_DEPTH).toBe(64);
		expect(reason(nested(64))).toBe('ok');
		expect(reason(nested(65))).toBe(
			'Message body (field "body") nests objects and arrays more than 64 levels deep; no billing item does, so it is refused before it can overflow the stack',
		);
		// The poison of issue 16: 60,000 levels (arrays this time).
		expect(reason(`${'['.repeat(60000)}${']'.repeat(60000)}`.replace(/^\[/, '{"a":[').replace(/\]$/, ']}'))).toMatch(/more than 64 levels deep/);
		const inString = JSON.stringify({ note: '{['.repeat(500), quote: 'say \\"{{{{\\" \\\\', nested: { a: [1] } });
		expect(reason(inString)).toBe('ok');
		expect(nestsDeeperThan(Buffer.from('{"x":"\\"[[[[","y":[[1]]}'), 3)).toBe(false);
		expect(nestsDeeperThan(Buffer.from('{"x":"\\"[[[[","y":[[[1]]]}'), 3)).toBe(true);
		// Peek shows such a body as text instead of building the deep object.
		expect(describeParked(incoming(nested(65), { messageId: 'K' }))).toMatchObject({ payload: null, raw: nested(65) });
	});

	test('identity survives redelivery: publish id, else a content hash', () => {
		const a = incoming('{"x":1}', { messageId: 'K', headers: { [HEADERS.attempt]: 1 } });
		expect(messageUid(a)).toBe(messageUid({ ...a, redelivered: true }));
		expect(messageUid(a)).not.toBe(messageUid(incoming('{"x":1}', { messageId: 'K', headers: { [HEADERS.attempt]: 2 } })));
		expect(messageUid(incoming('{}', { headers: { [HEADERS.publishId]: 'abc' } }))).toBe('abc');
	});

	test('copyForRequeue keeps bytes and properties, replaces attempt, error and publish id, drops x-death and x-delivery-count', () => {
		const original = incoming('raw{', {
			messageId: 'K', correlationId: 'r', contentType: 'text/plain',
			headers: { [HEADERS.publishId]: 'old', [HEADERS.attempt]: 1, 'x-death': [{ reason: 'expired' }], 'x-first-death-reason': 'expired', 'x-delivery-count': 7, custom: 'kept', [HEADERS.retryDelayMs]: 5 },
		});
		const c = copyForRequeue(original, { stage: 'invoice', routingKey: 'invoice.retry.5s', attempt: 2, error: { message: 'fail', node: 'N' }, retryDelayMs: 5000 });
		expect(c.content.toString()).toBe('raw{');
		expect(c.properties).toMatchObject({ messageId: 'K', correlationId: 'r', contentType: 'text/plain', persistent: true });
		expect(c.properties.headers).toMatchObject({ custom: 'kept', [HEADERS.attempt]: 2, [HEADERS.errorMessage]: 'fail', [HEADERS.retryDelayMs]: 5000 });
		expect(c.properties.headers[HEADERS.publishId]).toBe(c.publishId);
		expect(c.publishId).not.toBe('old');
		expect(c.properties.headers).not.toHaveProperty('x-death');
		expect(c.properties.headers).not.toHaveProperty('x-first-death-reason');
		expect(c.properties.headers).not.toHaveProperty('x-delivery-count');
	});

	test('payloadOf strips the meta object (and optional keys); describeParked reads broker reasons too', () => {
		expect(payloadOf({ a: 1, _queue: {}, error: 'e' }, ['error'])).toEqual({ a: 1 });
		const p = describeParked(incoming('{"billingKey":"K"}', { headers: { 'x-death': [{ reason: 'delivery_limit' }] } }));
		expect(p).toMatchObject({ billingKey: 'K', reason: 'broker: delivery_limit', error: null, payload: { billingKey: 'K' }, raw: null });
	});
});

describe('execution outcome (the IRun n8n resolves the donePromise with)', () => {
	const run = (status: string, error?: object) => ({ status, data: { resultData: { runData: {}, error, lastNodeExecuted: 'Last' } } }) as unknown as IRun;

	test('success and waiting count as done; error, crashed, canceled and no run as failed', () => {
		expect(classifyRun(run('success'))).toEqual({ ok: true, status: 'success' });
		expect(classifyRun(run('waiting'))).toEqual({ ok: true, status: 'waiting' });
		expect(classifyRun(run('error', { message: 'Xero 500', node: { name: 'Create Invoice' } }))).toMatchObject({ ok: false, error: { message: 'Xero 500', node: 'Create Invoice' } });
		expect(classifyRun(run('crashed'))).toMatchObject({ ok: false, error: { message: 'The execution ended with status "crashed"', node: 'Last' } });
		expect(classifyRun(run('canceled'))).toMatchObject({ ok: false });
		expect(classifyRun(undefined)).toMatchObject({ ok: false, error: { message: 'n8n reported that no execution ran for this batch' } });
	});
});

describe('credential → connection options', () => {
	const pem = '-----BEGIN CERTIFICATE-----\nMIIB\nAAAA\n-----END CERTIFICATE-----';

	test('plain AMQP with heartbeat and a named connection', () => {
		const s = connectionFromCredentials({ hostname: 'mq.example', port: 5672, vhost: 'billing', username: 'u', password: 'p', heartbeat: 15 });
		const o = connectionOptions(s, 'conn-name');
		expect(o.url).toEqual({ protocol: 'amqp', hostname: 'mq.example', port: 5672, vhost: 'billing', heartbeat: 15, username: 'u', password: 'p' });
		expect(o.socket).toMatchObject({ timeout: 10000, clientProperties: { connection_name: 'conn-name' } });
		expect(o.socket).not.toHaveProperty('ca');
	});

	test('TLS: amqps with CA, client cert/key, passphrase, reject-unauthorized and SNI; EXTERNAL login', () => {
		const s = connectionFromCredentials({
			hostname: 'mq.example', port: 5671, username: 'u', password: 'p', ssl: true, rejectUnauthorized: false,
			ca: pem, cert: pem.replace(/\n/g, ' '), key: 'k', passphrase: 'secret', externalAuth: true,
		});
		const o = connectionOptions(s, 'n');
		expect(o.url.protocol).toBe('amqps');
		expect(o.url).not.toHaveProperty('username');
		expect(o.socket).toMatchObject({ rejectUnauthorized: false, servername: 'mq.example', passphrase: 'secret' });
		expect((o.socket.ca as Buffer[])[0].toString()).toBe(`${pem}\n`);
		expect((o.socket.cert as Buffer).toString()).toBe(`${pem}\n`); // line breaks restored
		expect(o.socket.credentials?.mechanism).toBe('EXTERNAL');
		expect(connectionOptions(connectionFromCredentials({ hostname: '10.0.0.5', username: 'u', ssl: true }), 'n').socket).not.toHaveProperty('servername');
		expect(connectionFromCredentials({ hostname: 'h', username: 'u', ssl: true }).port).toBe(5671);
	});

	test('missing or invalid fields are FieldErrors naming the credential field', () => {
		const fieldOf = (data: Record<string, unknown>) => {
			try {
				connectionFromCredentials(data as never);
			} catch (error) {
				expect(error).toBeInstanceOf(FieldError);
				return { field: (error as FieldError).field, message: (error as FieldError).message };
			}
			return undefined;
		};
		expect(fieldOf({ hostname: ' ', username: 'u' })).toEqual({ field: 'hostname', message: 'Billing RabbitMQ credential: Host is empty' });
		expect(fieldOf({ hostname: 'h', port: 70000, username: 'u' })).toEqual({ field: 'port', message: 'Billing RabbitMQ credential: Port must be 1-65535, got 70000' });
		expect(fieldOf({ hostname: 'h', heartbeat: -1, username: 'u' })).toMatchObject({ field: 'heartbeat' });
		expect(fieldOf({ hostname: 'h', username: '' })).toEqual({ field: 'username', message: 'Billing RabbitMQ credential: User is empty' });
		expect(fieldOf({ hostname: 'h', ssl: true, externalAuth: true, cert: pem })).toMatchObject({ field: 'key', message: expect.stringContaining('Client Key') });
		expect(normalisePem(`${pem}`)).toBe(`${pem}\n`);
	});

	test('broker errors keep RabbitMQ’s text and get a kind', () => {
		const e = toBrokerError(
			Object.assign(new Error('Channel closed by server: 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - inequivalent arg \'x-queue-type\'"'), { code: 406 }),
			'Declaring queue "q"',
		);
		expect(e).toMatchObject({ kind: 'precondition', brokerMessage: "PRECONDITION_FAILED - inequivalent arg 'x-queue-type'" });
		expect(toBrokerError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'Connecting').kind).toBe('connect');
	});

	test('broker errors are ServiceErrors: code = AMQP reply code or kind, retryable by what heals by itself', () => {
		const precondition = toBrokerError(Object.assign(new Error('406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - x"'), { code: 406 }), 'Declaring');
		expect(precondition).toBeInstanceOf(ServiceError);
		expect(precondition).toMatchObject({ code: '406', retryable: false, description: 'RabbitMQ: PRECONDITION_FAILED - x' });
		expect(toBrokerError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'Connecting')).toMatchObject({ code: 'connect', retryable: true });
		expect(toBrokerError(new Error('Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused"'), 'Connecting')).toMatchObject({ code: '403', retryable: false });
		expect(new BrokerError('no confirm', 'timeout')).toMatchObject({ code: 'timeout', retryable: true });
		expect(new BrokerError('gone', 'not-found', { replyCode: 404 })).toMatchObject({ code: '404', retryable: false });

		const node = { name: 'Billing Queue' } as INode;
		const nodeError = toNodeError(node, precondition, 2);
		expect(nodeError).toBeInstanceOf(NodeApiError);
		expect(nodeError.message).toBe(`${precondition.message} [item 2]`);
		expect(nodeError.description).toBe('RabbitMQ: PRECONDITION_FAILED - x');
	});
});
