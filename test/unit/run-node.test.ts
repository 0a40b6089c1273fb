// runNode runs a node through n8n-core's engine: a probe node shows what n8n does around it.
import type { IExecuteFunctions, INodeExecutionData, INodeType } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { runNode } from '../helpers/run-node';

const probe: INodeType = {
	description: {
		displayName: 'Probe',
		name: 'probe',
		group: ['transform'],
		version: [1, 2],
		description: 'Echoes what n8n gives a node',
		defaults: { name: 'Probe' },
		inputs: ['main'],
		outputs: ['main', 'main'],
		credentials: [{ name: 'probeApi', required: true }],
		properties: [
			{ displayName: 'Value', name: 'value', type: 'string', default: '={{ $json.v }}' },
			{
				displayName: 'Mode',
				name: 'mode',
				type: 'options',
				options: ['ok', 'decline', 'api', 'plain', 'binary'].map((value) => ({ name: value, value })),
				default: 'ok',
			},
			{ displayName: 'Options', name: 'options', type: 'collection', default: {}, options: [{ displayName: 'N', name: 'n', type: 'number', default: 1 }] },
		],
	},
	async execute(this: IExecuteFunctions) {
		const items = this.getInputData();
		const ok: INodeExecutionData[] = [];
		const failed: INodeExecutionData[] = [];
		const credentials = await this.getCredentials('probeApi');
		for (let i = 0; i < items.length; i++) {
			const mode = this.getNodeParameter('mode', i) as string;
			if (mode === 'decline') {
				if (!this.continueOnFail()) throw new NodeOperationError(this.getNode(), 'declined', { itemIndex: i });
				failed.push({ json: { error: { message: 'declined' } }, pairedItem: { item: i } });
				continue;
			}
			if (mode === 'api') throw new NodeApiError(this.getNode(), { message: 'remote' }, { httpCode: '401', message: 'remote said no' });
			if (mode === 'plain') throw new Error('plain failure');
			const input = items[i].binary?.data ? (await this.helpers.getBinaryDataBuffer(i, 'data')).toString() : null;
			const json = {
				value: this.getNodeParameter('value', i),
				n: this.getNodeParameter('options.n', i, 7),
				user: credentials.user,
				timezone: this.getTimezone(),
				mode: this.getMode(),
				input,
			};
			const binary = mode === 'binary' ? { data: await this.helpers.prepareBinaryData(Buffer.from('hello'), 'a.txt', 'text/plain') } : undefined;
			ok.push({ json, ...(binary ? { binary } : {}), pairedItem: { item: i } });
			const staticData = this.getWorkflowStaticData('node');
			staticData.count = ((staticData.count as number | undefined) ?? 0) + 1;
		}
		return [ok, failed];
	},
};
const credentials = { probeApi: { user: 'u1' } };

describe('runNode (n8n-core engine)', () => {
	it('resolves defaults and expressions, hands out credentials, keeps binary data in memory and static data per node', async () => {
		const staticData = {};
		const items = [{ json: { v: 'a' } }, { json: { v: 'b' }, binary: { data: { data: Buffer.from('in').toString('base64'), mimeType: 'text/plain' } } }];
		const [ok, failed] = await runNode(probe, { parameters: { mode: 'binary' }, items, credentials, staticData });
		expect(ok.map((i) => i.json)).toEqual([
			{ value: 'a', n: 7, user: 'u1', timezone: 'UTC', mode: 'manual', input: null },
			{ value: 'b', n: 7, user: 'u1', timezone: 'UTC', mode: 'manual', input: 'in' },
		]);
		expect(ok.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(ok[0].binary?.data).toMatchObject({ data: Buffer.from('hello').toString('base64'), fileName: 'a.txt', mimeType: 'text/plain', bytes: 5 });
		expect(failed).toEqual([]);
		expect(staticData).toEqual({ 'node:Probe': { count: 2 } });
	});

	it('evaluates expressions with n8n, or takes the legacy resolve option where it answers', async () => {
		const [upper] = await runNode(probe, { parameters: { value: '={{ $json.v.toUpperCase() }}-x', options: { n: 3 } }, items: [{ json: { v: 'a' } }], credentials, typeVersion: 1 });
		expect(upper[0].json).toMatchObject({ value: 'A-x', n: 3 });
		const [legacy] = await runNode(probe, {
			parameters: { value: '={{x}}' },
			items: [{ json: { x: 5 } }],
			credentials,
			resolve: (value, _i, item) => (value === '={{x}}' ? item?.json.x : value),
		});
		expect(legacy[0].json).toMatchObject({ value: 5, n: 7 });
	});

	it('does not run a node without input items', async () => {
		expect(await runNode(probe, { parameters: {}, items: [], credentials })).toEqual([[], []]);
	});

	it('rethrows the error the node threw, with its class', async () => {
		await expect(runNode(probe, { parameters: { mode: 'decline' }, credentials })).rejects.toBeInstanceOf(NodeOperationError);
		await expect(runNode(probe, { parameters: { mode: 'api' }, credentials })).rejects.toBeInstanceOf(NodeApiError);
		await expect(runNode(probe, { parameters: { mode: 'plain' }, credentials })).rejects.toThrow('plain failure');
		await expect(runNode(probe, { parameters: {} })).rejects.toThrow('Node does not have any credentials set');
	});

	it('under continueOnFail, the node routes its failures; a throw passes the input on, as n8n does', async () => {
		const [ok, failed] = await runNode(probe, { parameters: { mode: 'decline' }, credentials, continueOnFail: true });
		expect(ok).toEqual([]);
		expect(failed).toEqual([{ json: { error: { message: 'declined' } }, pairedItem: { item: 0 } }]);
		const passed = await runNode(probe, { parameters: { mode: 'api' }, items: [{ json: { id: 1 } }], credentials, continueOnFail: true });
		expect(passed).toEqual([[{ json: { id: 1 }, pairedItem: { item: 0 } }]]);
	});
});
