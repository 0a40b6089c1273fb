// Runs a node's execute() in-process with a minimal IExecuteFunctions, for unit tests that
// need neither a database nor a server. The real n8n is exercised by test/e2e.
import type {
	IBinaryData,
	ICredentialDataDecryptedObject,
	IDataObject,
	IExecuteFunctions,
	INode,
	INodeExecutionData,
	INodeParameters,
	INodeType,
	IPairedItemData,
} from 'n8n-workflow';
import { deepCopy, NodeOperationError } from 'n8n-workflow';

/** Reads a dotted path such as `options.batchSize` from the node parameters. */
function get(source: unknown, path: string): unknown {
	return path.split('.').reduce<unknown>(
		(value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined),
		source,
	);
}

export interface RunNodeOptions {
	parameters: INodeParameters;
	items?: INodeExecutionData[];
	credentials?: Record<string, ICredentialDataDecryptedObject>;
	continueOnFail?: boolean;
	typeVersion?: number;
	nodeName?: string;
	/** Extra workflow static data, shared across calls when the same object is passed. */
	staticData?: IDataObject;
	/** Resolves a parameter value for one item (e.g. `={{ $json.x }}` expressions); default: as given. */
	resolve?: (value: unknown, itemIndex: number, item: INodeExecutionData | undefined) => unknown;
}

export async function runNode(nodeType: INodeType, opts: RunNodeOptions): Promise<INodeExecutionData[][]> {
	const items: INodeExecutionData[] = opts.items ?? [{ json: {} }];
	const node: INode = {
		id: 'test-node',
		name: opts.nodeName ?? nodeType.description.displayName,
		type: `n8n-nodes-billing-pipeline.${nodeType.description.name}`,
		typeVersion: opts.typeVersion ?? (Array.isArray(nodeType.description.version) ? Math.max(...nodeType.description.version) : nodeType.description.version),
		position: [0, 0],
		parameters: opts.parameters,
	};
	const staticData = opts.staticData ?? {};

	const defaultFor = (name: string): unknown => {
		const prop = nodeType.description.properties.find((p) => p.name === name);
		return prop?.default;
	};

	const fns = {
		getNode: () => node,
		getInputData: (inputIndex = 0) => (inputIndex === 0 ? items : []),
		getNodeParameter: (name: string, _itemIndex: number, fallback?: unknown, options?: { extractValue?: boolean }) => {
			let value = get(opts.parameters, name);
			if (value === undefined) value = fallback !== undefined ? fallback : defaultFor(name);
			if (opts.resolve) value = opts.resolve(value, _itemIndex, items[_itemIndex]);
			if (value === undefined) {
				throw new NodeOperationError(node, `Could not get parameter "${name}"`);
			}
			if (options?.extractValue && value && typeof value === 'object' && '__rl' in (value as object)) {
				return (value as IDataObject).value;
			}
			return deepCopy(value as IDataObject);
		},
		getCredentials: async (type: string) => {
			const creds = opts.credentials?.[type];
			if (!creds) throw new NodeOperationError(node, `Node does not have any credentials set for "${type}"`);
			return creds;
		},
		continueOnFail: () => opts.continueOnFail === true,
		getMode: () => 'manual',
		getExecutionId: () => 'test-execution',
		getWorkflow: () => ({ id: 'test-workflow', name: 'Test workflow', active: false }),
		getWorkflowStaticData: () => staticData,
		getTimezone: () => 'UTC',
		getExecutionCancelSignal: () => undefined,
		onExecutionCancellation: () => undefined,
		logger: { debug() {}, info() {}, warn() {}, error() {}, verbose() {} },
		sendMessageToUI: () => undefined,
		helpers: {
			returnJsonArray: (data: IDataObject | IDataObject[]) =>
				(Array.isArray(data) ? data : [data]).map((json) => ({ json })),
			constructExecutionMetaData: (
				data: INodeExecutionData[],
				{ itemData }: { itemData: IPairedItemData | IPairedItemData[] },
			) => data.map((item) => ({ ...item, pairedItem: itemData })),
			prepareBinaryData: async (buffer: Buffer, fileName?: string, mimeType?: string): Promise<IBinaryData> => ({
				data: buffer.toString('base64'),
				mimeType: mimeType ?? 'application/octet-stream',
				fileName,
				fileSize: String(buffer.length),
			}),
			getBinaryDataBuffer: async (itemIndex: number, propertyName: string) => {
				const binary = items[itemIndex]?.binary?.[propertyName];
				if (!binary) throw new NodeOperationError(node, `No binary data property "${propertyName}"`, { itemIndex });
				return Buffer.from(binary.data, 'base64');
			},
			assertBinaryData: (itemIndex: number, propertyName: string) => {
				const binary = items[itemIndex]?.binary?.[propertyName];
				if (!binary) throw new NodeOperationError(node, `No binary data property "${propertyName}"`, { itemIndex });
				return binary;
			},
			createDeferredPromise: <T>() => {
				let resolve!: (v: T) => void;
				let reject!: (e: Error) => void;
				const promise = new Promise<T>((res, rej) => {
					resolve = res;
					reject = rej;
				});
				return { promise, resolve, reject };
			},
		},
	} as unknown as IExecuteFunctions;

	if (!nodeType.execute) throw new Error(`${nodeType.description.name} has no execute()`);
	const result = await nodeType.execute.call(fns);
	return (result ?? []) as INodeExecutionData[][];
}
