// The node kit in nodes/shared: one field error, one failure shape, one router behaviour.
import { NodeApiError, NodeOperationError, type IExecuteFunctions, type INode, type INodeExecutionData } from 'n8n-workflow';
import {
	billingKey,
	choiceProperty,
	chunk,
	FieldError,
	forEachBatch,
	forEachItem,
	forOperation,
	hashedKey,
	ItemResults,
	KeyedLock,
	LockWaitAborted,
	operationProperty,
	optionsCollection,
	parseNumber,
	readPath,
	redactSecrets,
	resourceProperty,
	route,
	ServiceError,
	textField,
	toFailure,
	toNodeError,
	validateBillingKey,
	type OperationContext,
} from '../../nodes/shared';
import { assertHeaderSafe } from '../../nodes/BillingEmail/helpers/text';

const node: INode = { id: 'n', name: 'Kit Node', type: 'test.kit', typeVersion: 1, position: [0, 0], parameters: {} };
const items = (n: number): INodeExecutionData[] => Array.from({ length: n }, (_, i) => ({ json: { i } }));

function ctxFor(count: number, continueOnFail: boolean): OperationContext<null> {
	const list = items(count);
	return { fns: {} as IExecuteFunctions, node, items: list, client: null, results: new ItemResults(node, list, continueOnFail, 2) };
}

describe('errors', () => {
	it('turns a field error into a NodeOperationError naming the item, and a failure naming the field', () => {
		const error = toNodeError(node, new FieldError('billingKey', 'Billing key is missing (field "billingKey")'), 3);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toBe('Billing key is missing (field "billingKey") [item 3]');
		expect(toFailure(error)).toMatchObject({ message: error.message, field: 'billingKey', retryable: false });
	});

	it('turns a service error into a NodeApiError that keeps its code and retryability', () => {
		const error = toNodeError(node, new ServiceError('Xero answered 503', { code: 'server', retryable: true, httpCode: 503 }), 0);
		expect(error).toBeInstanceOf(NodeApiError);
		expect(toFailure(error)).toMatchObject({ code: 'server', retryable: true });
		expect(toFailure(error).message).toContain('Xero answered 503');
	});

	it('reads a failure object as it is and never returns a string', () => {
		expect(toFailure({ message: 'Declined', code: 70000, retryable: false })).toEqual({ message: 'Declined', code: '70000', retryable: false });
		expect(toFailure('boom')).toEqual({ message: 'boom' });
	});
});

describe('ItemResults', () => {
	it('puts every item on exactly one output, in input order, paired, with the one failure shape', () => {
		const ctx = ctxFor(3, true);
		ctx.results.success(2, { ok: 2 });
		ctx.results.failure(0, { message: 'declined', code: '70000', retryable: false }, { outcome: 'declined' });
		const [ok, failed] = ctx.results.toOutputs();
		expect(ok).toEqual([{ json: { ok: 2 }, pairedItem: { item: 2 } }]);
		expect(failed.map((f) => f.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(failed[0].json).toEqual({ outcome: 'declined', error: { message: 'declined', code: '70000', retryable: false } });
		// The forgotten item is a failure, never a success.
		expect(failed[1].json.error).toMatchObject({ message: expect.stringContaining('not processed') });
	});

	it('throws an error at once without Continue On Fail', () => {
		const ctx = ctxFor(1, false);
		expect(() => ctx.results.error(0, new FieldError('amount', 'amount: must be positive'))).toThrow('amount: must be positive [item 0]');
	});
});

describe('forEachItem and forEachBatch', () => {
	it('keeps going after one item fails and runs at most `concurrency` at once', async () => {
		const ctx = ctxFor(6, true);
		let inFlight = 0;
		let peak = 0;
		await forEachItem(
			ctx,
			async (item, i) => {
				inFlight++;
				peak = Math.max(peak, inFlight);
				await new Promise((resolve) => setTimeout(resolve, 5));
				inFlight--;
				if (i === 1) throw new Error('item 1 broke');
				ctx.results.success(i, item.json);
			},
			2,
		);
		const [ok, failed] = ctx.results.toOutputs();
		expect(peak).toBe(2);
		expect(ok).toHaveLength(5);
		expect(failed).toHaveLength(1);
		expect(failed[0].json.error).toMatchObject({ message: 'item 1 broke [item 1]' });
	});

	it('fails only the undecided items of the batch that threw', async () => {
		const ctx = ctxFor(5, true);
		await forEachBatch(ctx, chunk([0, 1, 2, 3, 4], 2), (i) => [i], async (batch) => {
			if (batch.includes(2)) {
				ctx.results.success(2, {});
				throw new ServiceError('Xero timed out', { retryable: true, code: 'timeout' });
			}
			for (const i of batch) ctx.results.success(i, {});
		});
		const [ok, failed] = ctx.results.toOutputs();
		expect(ok.map((o) => o.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }, { item: 4 }]);
		expect(failed).toHaveLength(1);
		expect(failed[0].json.error).toMatchObject({ code: 'timeout', retryable: true });
	});
});

describe('route', () => {
	function fns(continueOnFail: boolean, credentialError?: Error): IExecuteFunctions {
		return {
			getInputData: () => items(2),
			getNode: () => node,
			continueOnFail: () => continueOnFail,
			getNodeParameter: (name: string) => (name === 'operation' ? 'op' : 'res'),
			getCredentials: async () => {
				if (credentialError) throw credentialError;
				return { host: 'x' };
			},
		} as unknown as IExecuteFunctions;
	}

	it('puts every item on the failure output when the credential is unusable and the node continues on fail', async () => {
		const outputs = await route(fns(true), {
			credential: 'anything',
			connect: (_f, credentials) => {
				if (credentials) throw new FieldError('host', 'Test credential: Host is empty');
				return { client: null };
			},
			outputs: 2,
			operations: { res: { op: async (ctx) => ctx.items.forEach((item, i) => ctx.results.success(i, item.json)) } },
		});
		expect(outputs[0]).toEqual([]);
		expect(outputs[1].map((o) => o.json.error)).toEqual([
			expect.objectContaining({ field: 'host', message: 'Test credential: Host is empty' }),
			expect.objectContaining({ field: 'host' }),
		]);
	});

	it('throws the credential error without Continue On Fail, and releases what it connected', async () => {
		let released = 0;
		await expect(
			route(fns(false), {
				credential: 'anything',
				connect: () => ({ client: null, release: async () => void released++ }),
				outputs: 2,
				operations: { res: { op: async () => Promise.reject(new ServiceError('broker gone', { retryable: true })) } },
			}),
		).rejects.toBeInstanceOf(NodeApiError);
		expect(released).toBe(1);
	});
});

describe('parameters and item fields', () => {
	it('refuses a number out of range, naming the parameter, and never clamps', () => {
		expect(parseNumber('', 'options.concurrency', { default: 5, min: 1, max: 20 })).toBe(5);
		expect(parseNumber('7', 'options.concurrency', { default: 5, min: 1, max: 20 })).toBe(7);
		expect(() => parseNumber(50, 'options.concurrency', { default: 5, min: 1, max: 20, integer: true })).toThrow(
			'"options.concurrency" must be a whole number from 1 to 20, got 50',
		);
		expect(() => parseNumber(1.5, 'options.batchSize', { default: 5, min: 1, integer: true })).toThrow(FieldError);
	});

	it('reads dotted paths and refuses control characters in text', () => {
		expect(readPath({ client: { email: 'a@b.c' } }, 'client.email')).toBe('a@b.c');
		expect(readPath({ 'client.email': 'flat' }, 'client.email')).toBe('flat');
		expect(() => textField({ name: 'A\u2028B' }, 'name', 'Client name')).toThrow('Client name contains control characters such as line breaks (field "name")');
	});

	it('refuses in text every character the Billing Email node refuses in a header, at either end too', () => {
		const missed: string[] = [];
		for (let cp = 0; cp <= 0xffff; cp++) {
			const ch = String.fromCharCode(cp);
			let emailRefuses = false;
			try {
				assertHeaderSafe(`A${ch}B`, 'name');
			} catch {
				emailRefuses = true;
			}
			if (!emailRefuses) continue;
			for (const value of [`A${ch}B`, `Acme${ch}`, `${ch}Acme`]) {
				try {
					textField({ name: value }, 'name', 'Client name');
					missed.push(JSON.stringify(value));
				} catch (error) {
					expect(error).toBeInstanceOf(FieldError);
				}
			}
		}
		expect(missed).toEqual([]);
		// U+0085 (next line) is refused as well, though the email node lets it through.
		expect(() => textField({ name: 'A\u0085B' }, 'name', 'Client name')).toThrow(/control characters/);
		expect(textField({ name: '  Acme Ltd  ' }, 'name', 'Client name')).toBe('Acme Ltd');
	});
});

describe('billing key', () => {
	it('derives keys every stage accepts, and refuses what a Xero filter or header would break on', () => {
		expect(validateBillingKey(billingKey('C0012', '2026-11-16T00:00:00Z', '2026-11-19T00:00:00Z'))).toBe('C0012-20261116-20261119');
		expect(validateBillingKey(billingKey('client "\\ 7', '2026-11-16', '2026-11-19'))).toMatch(/^BK-[0-9a-f]{22}$/);
		for (const bad of ['A,B', 'A"B', 'A\\B', 'A\nB', 'x'.repeat(26), '']) expect(() => validateBillingKey(bad, 'billingKey')).toThrow(FieldError);
	});

	it('keeps the readable key only when both period bounds are UTC midnight, and hashes the full timestamps otherwise', () => {
		// Existing invoices carry the readable key: it must not change.
		expect(billingKey('C0012', '2026-11-16T00:00:00.000Z', '2026-11-19T00:00:00.000Z')).toBe('C0012-20261116-20261119');
		expect(billingKey('C0012', '2026-11-16', '2026-11-19')).toBe('C0012-20261116-20261119');
		expect(billingKey('C0012', '2026-11-16T01:00:00+01:00', '2026-11-19T00:00:00Z')).toBe('C0012-20261116-20261119');
		// Same dates, different times: different periods, different keys.
		const morning = billingKey('C0012', '2026-11-16T00:00:00Z', '2026-11-16T12:00:00Z');
		const afternoon = billingKey('C0012', '2026-11-16T12:00:00Z', '2026-11-16T23:00:00Z');
		const fromNoon = billingKey('C0012', '2026-11-16T12:00:00Z', '2026-11-19T00:00:00Z');
		expect(new Set([morning, afternoon, fromNoon, billingKey('C0012', '2026-11-16T00:00:00Z', '2026-11-19T00:00:00Z')]).size).toBe(4);
		for (const key of [morning, afternoon, fromNoon]) expect(validateBillingKey(key)).toMatch(/^BK-[0-9a-f]{22}$/);
		// A period read at another offset is the same period.
		expect(billingKey('C0012', '2026-11-16T13:00:00+01:00', '2026-11-19T00:00:00Z')).toBe(fromNoon);
		// Hashed keys of odd client ids are unchanged for the timestamps callers pass (toISOString()).
		expect(billingKey('client.with.dots', '2026-11-16T00:00:00.000Z', '2026-11-19T00:00:00.000Z')).toBe(hashedKey('BK', ['client.with.dots', '2026-11-16T00:00:00.000Z', '2026-11-19T00:00:00.000Z']));
		expect(() => billingKey('C0012', '2026-11-16T00:00:00', '2026-11-19T00:00:00Z')).toThrow(FieldError);
	});
});

describe('KeyedLock', () => {
	it('runs holders of one key one after another and lets a waiter give up', async () => {
		const lock = new KeyedLock();
		const order: string[] = [];
		let release!: () => void;
		const first = lock.run('k', () => new Promise<void>((resolve) => (release = () => (order.push('first'), resolve()))));
		const controller = new AbortController();
		const waiting = lock.run('k', async () => void order.push('never'), controller.signal);
		const second = lock.run('k', async () => void order.push('second'));
		controller.abort();
		await expect(waiting).rejects.toBeInstanceOf(LockWaitAborted);
		release();
		await Promise.all([first, second]);
		expect(order).toEqual(['first', 'second']);
		expect(lock.size).toBe(0);
	});
});

describe('description builders', () => {
	it('builds Resource and Operation, the Operation shown only for its resource', () => {
		const options = [{ name: 'Get', value: 'get' }];
		expect(resourceProperty(options, 'get')).toEqual({ displayName: 'Resource', name: 'resource', type: 'options', noDataExpression: true, options, default: 'get' });
		expect(operationProperty('invoice', options, 'get')).toMatchObject({ name: 'operation', noDataExpression: true, default: 'get', displayOptions: { show: { resource: ['invoice'] } } });
		expect(operationProperty(null, options, 'get')).not.toHaveProperty('displayOptions');
	});

	it('places parameters for one operation and keeps the conditions they carry', () => {
		const [plain, conditional] = forOperation('invoice', 'get', [
			{ displayName: 'A', name: 'a', type: 'string', default: '' },
			{ displayName: 'B', name: 'b', type: 'string', default: '', displayOptions: { show: { findBy: ['id'] } } },
		]);
		expect(plain.displayOptions).toEqual({ show: { resource: ['invoice'], operation: ['get'] } });
		expect(conditional.displayOptions).toEqual({ show: { findBy: ['id'], resource: ['invoice'], operation: ['get'] } });
		expect(forOperation(null, 'send', [{ displayName: 'C', name: 'c', type: 'string', default: '' }])[0].displayOptions).toEqual({ show: { operation: ['send'] } });
	});

	it('builds collections and dropdowns without keys the caller did not give', () => {
		const inner = [{ displayName: 'X', name: 'x', type: 'number' as const, default: 1 }];
		expect(optionsCollection(inner)).toEqual({ displayName: 'Options', name: 'options', type: 'collection', placeholder: 'Add Option', default: {}, options: inner });
		expect(optionsCollection(inner, { displayName: 'Queue Setup', name: 'queueSetup', placeholder: 'Add Setting', description: 'Same everywhere' })).toMatchObject({
			name: 'queueSetup',
			placeholder: 'Add Setting',
			description: 'Same everywhere',
		});
		expect(choiceProperty('Type', 'type', 'a', [{ name: 'A', value: 'a' }])).not.toHaveProperty('description');
		expect(choiceProperty('Type', 'type', 'a', [{ name: 'A', value: 'a' }], 'Which', { displayOptions: { show: { mode: ['x'] } } })).toMatchObject({
			type: 'options',
			default: 'a',
			description: 'Which',
			displayOptions: { show: { mode: ['x'] } },
		});
	});
});

describe('secrets in errors (issue 16, item 8)', () => {
	const secret = 'kit-Secret-42';
	const basic = Buffer.from(`client-id:${secret}`).toString('base64');

	it('toNodeError removes Authorization values from message, description, API answer, context and cause', () => {
		const service = new ServiceError(`Token request failed: echo Authorization: Basic ${basic}`, {
			code: 'auth',
			description: `Proxy said: Bearer 9f8E7d6C5b4A3`,
			details: { request: { headers: { authorization: `Basic ${basic}` } }, text: `password=${secret}` },
		});
		const error = toNodeError(node, service, 2);
		expect(error.message).toBe('Token request failed: echo Authorization: [redacted] [item 2]');
		expect(error.description).toBe('Proxy said: Bearer [redacted]');
		expect(JSON.stringify([error.errorResponse, error.context, error.messages, error.stack])).not.toMatch(new RegExp(`${basic}|${secret}|9f8E7d6C5b4A3`));
		expect(toFailure(error)).toMatchObject({ message: error.message, code: 'auth' });

		const plain = toNodeError(node, new Error(`socket closed after Authorization: Bearer ${basic}`));
		expect(plain.message).toBe('socket closed after Authorization: [redacted]');
		expect(JSON.stringify(plain)).not.toContain(basic);
		expect((plain.cause as Error).message).not.toContain(basic);
	});

	it('toFailure redacts a failure the node decided on, and errors passed as they are', () => {
		expect(toFailure({ message: `Refused: Bearer ${basic}`, code: `token=${basic}`, description: `client_secret=${secret}` })).toEqual({
			message: 'Refused: Bearer [redacted]',
			code: 'token=[redacted]',
			description: 'client_secret=[redacted]',
		});
		const nodeError = new NodeApiError(node, { message: 'x' }, { message: `n8n said Authorization: Basic ${basic}` });
		expect(toNodeError(node, nodeError).message).toBe('n8n said Authorization: [redacted]');
	});

	it('route redacts the credential’s secret values from failure items and thrown errors, for the execution only', async () => {
		const credFns = (continueOnFail: boolean) =>
			({
				getInputData: () => items(2),
				getNode: () => node,
				continueOnFail: () => continueOnFail,
				getNodeParameter: (name: string) => (name === 'operation' ? 'op' : 'res'),
				getCredentials: async () => ({ user: 'api-user', password: secret, url: 'https://service.example' }),
			}) as unknown as IExecuteFunctions;
		const table = {
			credential: 'anything',
			connect: () => ({ client: null }),
			outputs: 2 as const,
			operations: {
				res: {
					op: async (ctx: OperationContext<null>) => {
						ctx.results.failure(0, { message: `Service echoed ${secret}`, code: 'refused' });
						await forEachItem(ctx, async (_item, i) => {
							if (i === 1) throw new ServiceError(`Answer quoted ${Buffer.from(`api-user:${secret}`).toString('base64')} and ${secret}`);
						});
					},
				},
			},
		};
		const [ok, failed] = await route(credFns(true), table);
		expect(ok).toEqual([]);
		expect(failed.map((o) => (o.json.error as { message: string }).message)).toEqual(['Service echoed [redacted]', 'Answer quoted [redacted] and [redacted] [item 1]']);
		await expect(route(credFns(false), table)).rejects.toThrow('Answer quoted [redacted] and [redacted] [item 1]');
		// Outside the execution the value is an ordinary word again.
		expect(redactSecrets(`Service echoed ${secret}`)).toBe(`Service echoed ${secret}`);
	});
});

describe('inTimeZone (n8n date picker values)', () => {
	const { inTimeZone } = jest.requireActual('../../nodes/shared/itemFields') as typeof import('../../nodes/shared/itemFields');
	it('reads a date and time without a zone in the given IANA zone, across DST', () => {
		expect(inTimeZone('2026-11-16T00:00:00', 'Europe/London')).toBe('2026-11-16T00:00:00.000Z');
		expect(inTimeZone('2026-07-16T00:00:00', 'Europe/London')).toBe('2026-07-15T23:00:00.000Z');
		expect(inTimeZone('2026-11-16 09:30', 'America/New_York')).toBe('2026-11-16T14:30:00.000Z');
		expect(inTimeZone('2026-11-16T00:00:00', 'Asia/Tokyo')).toBe('2026-11-15T15:00:00.000Z');
	});
	it('leaves zoned times and bare days to their own rules', () => {
		expect(inTimeZone('2026-11-16T00:00:00Z', 'Asia/Tokyo')).toBeUndefined();
		expect(inTimeZone('2026-11-16', 'Asia/Tokyo')).toBeUndefined();
		expect(inTimeZone('soon', 'Asia/Tokyo')).toBeUndefined();
	});
});
