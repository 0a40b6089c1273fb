// Runs one node through n8n-core's real execution engine (WorkflowExecute), in-process, for unit
// tests that need neither a database nor a server: a two-node workflow, a start node holding the
// test's items feeding the node under test, executed as n8n executes a manual run. So parameters
// get their defaults and `={{ }}` expressions are resolved by n8n, "On Error" (continueOnFail),
// paired items, credentials and binary data (in memory) behave exactly as in n8n.
// The real n8n server is exercised by test/e2e.
import { isDeepStrictEqual } from 'util';
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IExecuteFunctions,
	INode,
	INodeCredentials,
	INodeExecutionData,
	INodeParameters,
	INodePropertyOptions,
	INodeType,
	IVersionedNodeType,
	IConnections,
} from 'n8n-workflow';
import { createRunExecutionData, deepCopy, NodeConnectionTypes, NodeHelpers, Workflow } from 'n8n-workflow';
// n8n-core only through n8n-engine, which must load first (see package-axios.ts).
import { additionalData, executionHooks, LoadOptionsContext, nodeTypeRegistry, setUpContainer, TestCredentialsHelper, WorkflowExecute } from './n8n-engine';

export interface RunNodeOptions {
	/** The node's parameters as a workflow stores them; n8n adds the defaults and resolves `={{ }}`. */
	parameters: INodeParameters;
	/** The node's input items (default: one empty item). */
	items?: INodeExecutionData[];
	/** Decrypted credential data by credential type name. */
	credentials?: Record<string, ICredentialDataDecryptedObject>;
	/** n8n's "On Error: Continue" (`onError: continueRegularOutput`, as the shipped workflows use). */
	continueOnFail?: boolean;
	/** n8n's "On Error" setting itself; wins over continueOnFail. */
	onError?: INode['onError'];
	typeVersion?: number;
	nodeName?: string;
	/**
	 * The workflow's static data, shared across calls when the same object is passed. n8n keeps a
	 * node's data under `node:<node name>` and the global data under `global`.
	 */
	staticData?: IDataObject;
	/**
	 * Legacy: resolves a parameter's stored value for one item before n8n sees it. Where it returns
	 * something else than the stored value, the node gets that; otherwise n8n's own resolution
	 * (defaults, expressions) applies. New tests write n8n expressions (`={{ $json.x }}`) instead.
	 */
	resolve?: (value: unknown, itemIndex: number, item: INodeExecutionData | undefined) => unknown;
}

const PACKAGE = 'n8n-nodes-billing-pipeline';
const ITEMS_TYPE = 'n8n-nodes-unit-test.items';
const ITEMS_NODE = 'Test Items';

/** The start node: outputs the items the run begins with, as a Manual Trigger with pinned data would. */
const itemsNodeType: INodeType = {
	description: {
		displayName: 'Test Items',
		name: 'items',
		group: ['trigger'],
		version: 1,
		description: 'Starts the run with the test\'s items',
		defaults: { name: ITEMS_NODE },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		properties: [],
	},
	async execute(this: IExecuteFunctions) {
		// New item objects (same json and binary), as a trigger emits: n8n adds pairedItem to them,
		// which must not show up in the test's own items.
		return [this.getInputData().map((item) => ({ ...item }))];
	},
};

function readPath(source: unknown, path: string): unknown {
	return path.split('.').reduce<unknown>(
		(value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined),
		source,
	);
}

/** The execute context with `getNodeParameter` answering from `resolve` where it has an answer. */
function withResolve(fns: IExecuteFunctions, resolve: NonNullable<RunNodeOptions['resolve']>): IExecuteFunctions {
	const original = fns.getNodeParameter.bind(fns) as (...args: unknown[]) => unknown;
	const getNodeParameter = (name: string, itemIndex: number, fallback?: unknown, options?: { extractValue?: boolean }) => {
		let stored = readPath(fns.getNode().parameters, name);
		if (stored === undefined) stored = fallback;
		const resolved = resolve(stored, itemIndex, fns.getInputData()[itemIndex]);
		if (resolved === undefined || isDeepStrictEqual(resolved, stored)) return original(name, itemIndex, fallback, options);
		if (options?.extractValue && resolved && typeof resolved === 'object' && '__rl' in resolved) {
			return (resolved as IDataObject).value;
		}
		return deepCopy(resolved);
	};
	return new Proxy(fns, {
		get(target, property) {
			if (property === 'getNodeParameter') return getNodeParameter;
			const value: unknown = Reflect.get(target, property, target);
			return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
		},
	});
}

function latestVersion(nodeType: INodeType | IVersionedNodeType): number {
	if ('nodeVersions' in nodeType) return nodeType.currentVersion;
	const { version } = nodeType.description;
	return Array.isArray(version) ? Math.max(...version) : version;
}

function outputCount(nodeType: INodeType): number {
	const { outputs } = nodeType.description;
	return Array.isArray(outputs) ? outputs.length : 1;
}

export async function runNode(nodeType: INodeType | IVersionedNodeType, opts: RunNodeOptions): Promise<INodeExecutionData[][]> {
	setUpContainer();
	const typeVersion = opts.typeVersion ?? latestVersion(nodeType);
	const versioned = NodeHelpers.getVersionedNodeType(nodeType, typeVersion);
	if (!versioned.execute) throw new Error(`${versioned.description.name} has no execute()`);
	const execute = versioned.execute;

	// The node under test runs as registered, wrapped only to keep the error instance it threw:
	// n8n records a plain copy of it, but tests assert on the class (NodeApiError, ...).
	let thrown: unknown;
	const underTest: INodeType = {
		description: versioned.description,
		methods: versioned.methods,
		async execute(this: IExecuteFunctions) {
			try {
				return await execute.call(opts.resolve ? withResolve(this, opts.resolve) : this);
			} catch (error) {
				thrown = error;
				throw error;
			}
		},
	};
	const type = `${PACKAGE}.${versioned.description.name}`;
	const nodeTypes = nodeTypeRegistry({ [ITEMS_TYPE]: itemsNodeType, [type]: underTest });

	const credentials: INodeCredentials = {};
	for (const name of Object.keys(opts.credentials ?? {})) credentials[name] = { id: `test-${name}`, name };
	const onError = opts.onError ?? (opts.continueOnFail ? 'continueRegularOutput' : undefined);
	const node: INode = {
		id: 'test-node',
		name: opts.nodeName ?? versioned.description.displayName,
		type,
		typeVersion,
		position: [250, 0],
		parameters: deepCopy(opts.parameters),
		...(Object.keys(credentials).length ? { credentials } : {}),
		...(onError ? { onError } : {}),
	};
	const start: INode = { id: 'test-items', name: ITEMS_NODE, type: ITEMS_TYPE, typeVersion: 1, position: [0, 0], parameters: {} };
	const connections: IConnections = { [ITEMS_NODE]: { main: [[{ node: node.name, type: NodeConnectionTypes.Main, index: 0 }]] } };
	const settings = { executionOrder: 'v1' as const, timezone: 'UTC' };
	const workflow = new Workflow({
		id: 'test-workflow',
		name: 'Test workflow',
		nodes: [start, node],
		connections,
		nodeTypes,
		staticData: opts.staticData,
		settings,
		active: false,
	});

	const executionId = 'test-execution';
	const hooks = executionHooks(executionId, { id: workflow.id, name: workflow.name ?? '', nodes: [start, node], connections, settings });
	const data = additionalData(new TestCredentialsHelper(opts.credentials ?? {}), hooks, executionId, workflow.id);
	const runExecutionData = createRunExecutionData({
		executionData: { nodeExecutionStack: [{ node: start, data: { main: [opts.items ?? [{ json: {} }]] }, source: null }] },
	});
	const run = await new WorkflowExecute(data, 'manual', runExecutionData).processRunExecutionData(workflow);

	const task = run.data.resultData.runData[node.name]?.[0];
	// Under "On Error: Continue" n8n records the node's error and still gives the node an output
	// (its input items, on output 1): that output is the result. Otherwise an error fails the run.
	const recorded = task?.data ? undefined : (task?.error ?? run.data.resultData.error);
	if (recorded) {
		if (thrown instanceof Error && thrown.message === recorded.message) throw thrown;
		// Failed outside the node's execute() (e.g. in the engine): rebuild what n8n recorded.
		throw Object.assign(new Error(recorded.message), recorded);
	}
	// n8n does not run a node that gets no items.
	if (!task) return Array.from({ length: outputCount(versioned) }, () => []);
	return (task.data?.[NodeConnectionTypes.Main] ?? []).map((output) => output ?? []);
}

export interface LoadOptionsRun {
	/** The node's parameters as the editor holds them when it asks for the list. */
	parameters: INodeParameters;
	/** Decrypted credential data by credential type name (token updates are written back into it). */
	credentials?: Record<string, ICredentialDataDecryptedObject>;
	/** The parameter whose list is asked for (the method's `path`). */
	path?: string;
}

/**
 * Runs one of the node's loadOptions methods as the editor asks n8n for a list: in n8n-core's own
 * LoadOptionsContext (credentials, request helpers, OAuth2 refresh), for the node as configured.
 */
export async function runLoadOptions(nodeType: INodeType, method: string, opts: LoadOptionsRun): Promise<INodePropertyOptions[]> {
	setUpContainer();
	const fn = nodeType.methods?.loadOptions?.[method];
	if (!fn) throw new Error(`${nodeType.description.name} has no loadOptions method "${method}"`);
	const type = `${PACKAGE}.${nodeType.description.name}`;
	const credentials: INodeCredentials = {};
	for (const name of Object.keys(opts.credentials ?? {})) credentials[name] = { id: `test-${name}`, name };
	const version = Array.isArray(nodeType.description.version) ? Math.max(...nodeType.description.version) : nodeType.description.version;
	const node: INode = {
		id: 'test-node',
		name: nodeType.description.displayName,
		type,
		typeVersion: version,
		position: [0, 0],
		parameters: deepCopy(opts.parameters),
		...(Object.keys(credentials).length ? { credentials } : {}),
	};
	const workflow = new Workflow({ id: 'test-workflow', nodes: [node], connections: {}, nodeTypes: nodeTypeRegistry({ [type]: nodeType }), active: false });
	const hooks = executionHooks('test-load-options', { id: workflow.id, name: 'Test workflow', nodes: [node], connections: {}, settings: {} });
	const data = additionalData(new TestCredentialsHelper(opts.credentials ?? {}), hooks, 'test-load-options', workflow.id);
	const context = new LoadOptionsContext(workflow, node, data, opts.path ?? `parameters.${method}`);
	return await fn.call(context);
}
