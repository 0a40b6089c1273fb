// The node kit in nodes/shared: one field error, one failure shape, one router behaviour.
import { NodeApiError, NodeConnectionTypes, NodeOperationError, type IExecuteFunctions, type INode, type INodeExecutionData } from 'n8n-workflow';
import {
	billingKey,
	choiceProperty,
	chunk,
	FieldError,
	forEachBatch,
	forEachItem,
	forOperation,
	ItemResults,
	KeyedLock,
	LockWaitAborted,
	nodeDescription,
	operationProperty,
	optionsCollection,
	parseNumber,
	readPath,
	resourceProperty,
	route,
	ServiceError,
	textField,
	toFailure,
	toNodeError,
	validateBillingKey,
	type NodeHead,
	type OperationContext,
} from '../../nodes/shared';

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
});

describe('billing key', () => {
	it('derives keys every stage accepts, and refuses what a Xero filter or header would break on', () => {
		expect(validateBillingKey(billingKey('C0012', '2026-11-16T00:00:00Z', '2026-11-19T00:00:00Z'))).toBe('C0012-20261116-20261119');
		expect(validateBillingKey(billingKey('client "\\ 7', '2026-11-16', '2026-11-19'))).toMatch(/^BK-[0-9a-f]{22}$/);
		for (const bad of ['A,B', 'A"B', 'A\\B', 'A\nB', 'x'.repeat(26), '']) expect(() => validateBillingKey(bad, 'billingKey')).toThrow(FieldError);
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
	const head: NodeHead = { displayName: 'Kit', name: 'kit', icon: 'file:kit.svg', group: ['transform'], subtitle: '={{ $parameter["operation"] }}', description: 'Kit node' };

	it('builds the node head: version 1, defaults, one input, one output per output name', () => {
		const two = nodeDescription({ ...head, outputNames: ['Success', 'Failed'], usableAsTool: true }, []);
		expect(two).toMatchObject({ version: 1, defaults: { name: 'Kit' }, usableAsTool: true, outputNames: ['Success', 'Failed'], properties: [] });
		expect(two.inputs).toEqual([NodeConnectionTypes.Main]);
		expect(two.outputs).toEqual([NodeConnectionTypes.Main, NodeConnectionTypes.Main]);
		const trigger = nodeDescription({ ...head, group: ['trigger'], trigger: true }, []);
		expect(trigger.inputs).toEqual([]);
		expect(trigger.outputs).toEqual([NodeConnectionTypes.Main]);
		expect(trigger).not.toHaveProperty('outputNames');
		expect(trigger).not.toHaveProperty('usableAsTool');
		expect(trigger).not.toHaveProperty('credentials');
	});

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
