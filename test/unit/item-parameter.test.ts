// itemParameter's fast path must answer exactly what n8n's getNodeParameter answers. Checked here
// against n8n-workflow's own expression resolution (the legacy engine: isolated-vm, n8n's default
// engine, needs Node 22+); the e2e suites run the same nodes in a real n8n on its vm engine.
import type { IDataObject, IExecuteFunctions, INode, INodeExecutionData, INodeParameters, INodeType } from 'n8n-workflow';
import { createRunExecutionData, Workflow } from 'n8n-workflow';
import { itemParameter, plainJsonPath } from '../../nodes/shared/itemParameter';
import { nodeTypeRegistry } from '../helpers/n8n-engine';

const TYPE = 'n8n-nodes-unit-test.params';
const nodeType: INodeType = {
	description: {
		displayName: 'Params',
		name: 'params',
		group: ['transform'],
		version: 1,
		description: '',
		defaults: { name: 'Params' },
		inputs: ['main'],
		outputs: ['main'],
		properties: [
			{ displayName: 'Value', name: 'value', type: 'string', default: '' },
			{ displayName: 'Options', name: 'options', type: 'collection', default: {}, options: [{ displayName: 'Inner', name: 'inner', type: 'string', default: '' }] },
		],
	},
};

/** An execute context whose getNodeParameter is n8n's own resolution, counting its calls. */
function context(parameters: INodeParameters, items: INodeExecutionData[]) {
	const node: INode = { id: 'p', name: 'Params', type: TYPE, typeVersion: 1, position: [0, 0], parameters };
	const workflow = new Workflow({ id: 'w', nodes: [node], connections: {}, nodeTypes: nodeTypeRegistry({ [TYPE]: nodeType }), active: false });
	const runData = createRunExecutionData();
	const calls: string[] = [];
	const read = (path: string, fallback: unknown) => path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as IDataObject)[k] : undefined), node.parameters) ?? fallback;
	const fns = {
		getNode: () => node,
		getInputData: () => items,
		getNodeParameter: (name: string, itemIndex: number, fallback?: unknown) => {
			calls.push(name);
			return workflow.expression.getParameterValue(read(name, fallback) as never, runData, 0, itemIndex, node.name, items, 'manual', {});
		},
	} as unknown as IExecuteFunctions;
	return { fns, calls };
}

const ITEMS: INodeExecutionData[] = [
	{ json: { billingKey: 'ACME-2026-W48', amount: 1999, paid: false, none: null, nested: { deep: { code: 'GBP' } }, 'odd key': 'x y', list: [1, 2], obj: { a: 1 } } },
	{ json: { billingKey: "O'Brien & Söhne/42", amount: 0, paid: true, nested: {} } },
	{ json: {} },
];

describe('itemParameter', () => {
	it.each([
		'={{ $json.billingKey }}',
		'={{$json.amount}}',
		'={{ $json.paid }}',
		'={{ $json.none }}',
		'={{ $json.nested.deep.code }}',
		'={{ $json.nested?.deep?.code }}',
		'={{ $json["odd key"] }}',
		"={{ $json['billingKey'] }}",
		'={{ $json.missing ?? "fallback" }}',
		'={{ $json.billingKey.toUpperCase() }}',
		'={{ $json.amount + 1 }}',
		'={{ $json.list }}',
		'={{ $json.obj }}',
		'=key {{ $json.billingKey }}',
		'={{ $json.nested.deep }}',
		'plain text',
		'=',
	])('answers %s as n8n does for every item', (expression) => {
		for (let i = 0; i < ITEMS.length; i++) {
			const { fns } = context({ value: expression }, ITEMS);
			let expected: unknown;
			let expectedError: string | undefined;
			try {
				expected = fns.getNodeParameter('value', i, '');
			} catch (error) {
				expectedError = (error as Error).message;
			}
			if (expectedError !== undefined) expect(() => itemParameter(fns, 'value', i, '')).toThrow(expectedError);
			else expect(itemParameter(fns, 'value', i, '')).toEqual(expected);
		}
	});

	it('reads plain field reads and constants itself, and leaves everything else to n8n', () => {
		const { fns, calls } = context({ value: '={{ $json.billingKey }}', options: { inner: '={{ $json.nested.deep.code }}' } }, ITEMS);
		expect(itemParameter(fns, 'value', 0)).toBe('ACME-2026-W48');
		expect(itemParameter(fns, 'options.inner', 0)).toBe('GBP');
		expect(calls).toEqual([]);
		// A missing field, an object and a computed expression go to n8n (its errors and fallbacks apply).
		expect(itemParameter(fns, 'value', 2, 'dflt')).toEqual(fns.getNodeParameter('value', 2, 'dflt'));
		expect(itemParameter(fns, 'options', 0)).toEqual({ inner: 'GBP' });
		expect(calls).toEqual(['value', 'value', 'options']);
		const constant = context({ value: 'fixed', options: {} }, ITEMS);
		expect(itemParameter(constant.fns, 'value', 1)).toBe('fixed');
		expect(itemParameter(constant.fns, 'options.inner', 1, 'fb')).toBe(constant.fns.getNodeParameter('options.inner', 1, 'fb'));
		expect(constant.calls).toEqual(['options.inner', 'options.inner']);
	});

	it('recognises only plain $json reads as paths', () => {
		expect(plainJsonPath('={{ $json.a.b_c.$d }}')).toEqual(['a', 'b_c', '$d']);
		expect(plainJsonPath('={{ $json?.a?.["b c"] }}')).toEqual(['a', 'b c']);
		expect(plainJsonPath("={{ $json['a'].b }}")).toEqual(['a', 'b']);
		for (const other of ['={{ $json }}', '={{ $json.a() }}', '={{ $json.a || 1 }}', '={{ $json[a] }}', '={{ $json.a }} ', '={{ $input.item.json.a }}', '={{ $json.a }}{{ $json.b }}', '$json.a', '={{ $json.0 }}']) {
			expect(plainJsonPath(other)).toBeNull();
		}
	});
});
