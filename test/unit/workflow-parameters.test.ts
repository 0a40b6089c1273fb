// Every workflow built from scripts/workflows/builder.ts — the shipped ones, the end-to-end
// fixtures and the benchmark's — sets only parameters this package's nodes declare, and only
// choices their options offer: a parameter or operation renamed in a node's description fails here
// instead of being silently ignored by n8n. Collection and fixedCollection values are checked entry
// by entry. n8n's built-in node types are skipped.
import * as fs from 'fs';
import * as path from 'path';
import type { INodeProperties, INodePropertyCollection, INodePropertyOptions, INodeType } from 'n8n-workflow';
import { builtinWorkflow } from '../../bench/billing/builtins';
import { builtinWorkflow as builtinQueueWorkflow, oursWorkflow } from '../../bench/queue-workflows';
import { buildWorkflows } from '../../scripts/workflows/pipeline';
import type { Workflow } from '../../support/n8n';
import { allFixtureWorkflows } from '../e2e/fixtures';

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; n8n: { nodes: string[] } };

/** Node type (`<package>.<name>`) → its description's properties, from the TS sources. */
const propertiesByType = new Map<string, INodeProperties[]>(
	pkg.n8n.nodes.map((file) => {
		const mod = require(path.join(root, file.replace(/^dist\//, '').replace(/\.js$/, '.ts'))) as Record<string, new () => INodeType>;
		const node = new (Object.values(mod)[0])();
		return [`${pkg.name}.${node.description.name}`, node.description.properties];
	}),
);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const entries = (v: unknown): Array<Record<string, unknown>> => (Array.isArray(v) ? v.filter(isObject) : isObject(v) ? [v] : []);

/** Parameter paths in `params` that no property in `props` declares. */
function undeclared(props: INodeProperties[], params: Record<string, unknown>, where: string): string[] {
	const problems: string[] = [];
	for (const [key, value] of Object.entries(params)) {
		// A name may be declared several times (per resource/operation); any one declaration that fits will do.
		const candidates = props.filter((p) => p.name === key);
		if (candidates.length === 0) {
			problems.push(`${where}${key}`);
			continue;
		}
		const verdicts = candidates.map((p) => nested(p, value, `${where}${key}.`));
		if (!verdicts.some((v) => v.length === 0)) problems.push(...verdicts[0]);
	}
	return problems;
}

function nested(prop: INodeProperties, value: unknown, where: string): string[] {
	if (prop.type === 'options' && !(typeof value === 'string' && value.startsWith('='))) {
		// A fixed choice (resource, operation, mode…) must still be one the node offers.
		const values = ((prop.options ?? []) as INodePropertyOptions[]).map((o) => o.value);
		return values.includes(value as string | number | boolean) ? [] : [`${where.slice(0, -1)}=${JSON.stringify(value)}`];
	}
	if (prop.type === 'collection') {
		const options = (prop.options ?? []) as INodeProperties[];
		return entries(value).flatMap((entry) => undeclared(options, entry, where));
	}
	if (prop.type === 'fixedCollection') {
		const groups = (prop.options ?? []) as INodePropertyCollection[];
		return entries(value).flatMap((entry) =>
			Object.entries(entry).flatMap(([groupName, groupValue]) => {
				const group = groups.find((g) => g.name === groupName);
				if (!group) return [`${where}${groupName}`];
				return entries(groupValue).flatMap((item) => undeclared(group.values, item, `${where}${groupName}.`));
			}),
		);
	}
	return [];
}

interface WorkflowNode {
	name: string;
	type: string;
	parameters: Record<string, unknown>;
}

/** `node "name" (type): path` for every parameter of this package's nodes that is not declared. */
function problemsIn(workflow: Workflow): string[] {
	return (workflow.nodes as WorkflowNode[])
		.filter((n) => n.type.startsWith(`${pkg.name}.`))
		.flatMap((n) => {
			const props = propertiesByType.get(n.type);
			if (!props) return [`node "${n.name}": unknown type ${n.type}`];
			return undeclared(props, n.parameters, '').map((p) => `node "${n.name}" (${n.type}): ${p}`);
		});
}

const stage = { exchange: 'bench-check', queueType: 'quorum' as const, retryDelays: '5s' };
const workflows: Array<[string, Workflow]> = [
	...Object.entries(buildWorkflows()).map(([file, wf]): [string, Workflow] => [`shipped ${file}`, wf]),
	...allFixtureWorkflows().map((wf): [string, Workflow] => [`e2e fixture ${wf.name as string}`, wf]),
	['bench queue: built-in trigger', builtinQueueWorkflow('benchCheckBuiltin', 'bench-check', 20)],
	['bench queue: Billing Queue Trigger', oursWorkflow('benchCheckOurs01', stage, 50, 100)],
	[
		'bench billing: n8n built-in nodes',
		builtinWorkflow({ api: 'http://127.0.0.1:1/api.xro/2.0', gateway: { url: 'http://127.0.0.1:2', username: 'u', siteReference: 's' }, queue: 'q', pdf: true }),
	],
];

describe('workflow parameters exist in the node descriptions', () => {
	it('loads every node type of the package', () => {
		expect(propertiesByType.size).toBe(pkg.n8n.nodes.length);
	});

	it('sees the shipped workflows, every e2e fixture and the benchmarks, with nodes of this package in them', () => {
		expect(workflows.filter(([label]) => label.startsWith('shipped')).length).toBe(Object.keys(buildWorkflows()).length);
		expect(workflows.filter(([label]) => label.startsWith('e2e fixture')).length).toBe(13);
		const ours = workflows.flatMap(([, wf]) => (wf.nodes as WorkflowNode[]).filter((n) => n.type.startsWith(`${pkg.name}.`)));
		// Every node type of the package is used by at least one workflow, so every description is exercised.
		expect(new Set(ours.map((n) => n.type))).toEqual(new Set(propertiesByType.keys()));
	});

	it.each(workflows)('%s sets only declared parameters', (_label, workflow) => {
		expect(problemsIn(workflow)).toEqual([]);
	});

	it('reports a renamed parameter, a choice the node does not offer and an unknown option in a collection', () => {
		const [, base] = workflows.find(([label]) => label === 'e2e fixture E2E · Billing Queue · forward in → out')!;
		const wf = JSON.parse(JSON.stringify(base)) as Workflow;
		const trigger = (wf.nodes as WorkflowNode[]).find((n) => n.name === 'Billing Queue Trigger')!;
		trigger.parameters.batchSizeRenamed = 10;
		(trigger.parameters.options as Record<string, unknown>).maxAttemptz = 3;
		trigger.parameters.queueSetup = { ...(trigger.parameters.queueSetup as Record<string, unknown>), exchangeName: 'x' };
		trigger.parameters.mode = 'batches';
		const where = 'node "Billing Queue Trigger" (n8n-nodes-billing-pipeline.billingQueueTrigger): ';
		expect(problemsIn(wf).sort()).toEqual([`${where}batchSizeRenamed`, `${where}mode="batches"`, `${where}options.maxAttemptz`, `${where}queueSetup.exchangeName`]);
	});

	it('checks fixedCollection groups and their values (no node of the package has one yet)', () => {
		const props: INodeProperties[] = [
			{
				displayName: 'Headers',
				name: 'headers',
				type: 'fixedCollection',
				typeOptions: { multipleValues: true },
				default: {},
				options: [{ name: 'header', displayName: 'Header', values: [{ displayName: 'Name', name: 'name', type: 'string', default: '' }] }],
			},
		];
		expect(undeclared(props, { headers: { header: [{ name: 'a' }] } }, '')).toEqual([]);
		expect(undeclared(props, { headers: { header: [{ name: 'a', value: 'b' }], footer: {} } }, '').sort()).toEqual(['headers.footer', 'headers.header.value']);
	});
});
