// The n8n-core pieces a unit test needs to run nodes through n8n's real execution engine
// (WorkflowExecute), modelled on n8n's own NodeTestHarness (packages/core/nodes-testing): the DI
// services the engine looks up, a credentials helper that hands out the test's credentials, a
// node-type registry, and the execution's additional data. Binary data stays in memory (base64 in
// `data`), as in n8n's default binary mode.
// First: notes the package's axios defaults before n8n-core changes them (see package-axios.ts).
import { restorePackageAxios } from './package-axios';
import { Logger } from '@n8n/backend-common';
import { Container } from '@n8n/di';
import { BinaryDataService, ErrorReporter, ExecutionLifecycleHooks, InstanceSettings } from 'n8n-core';
import type { BinaryDataConfig } from 'n8n-core';
import type {
	ICredentialDataDecryptedObject,
	ICredentials,
	IDataObject,
	IHttpRequestOptions,
	INodeCredentialsDetails,
	INodeProperties,
	INodeType,
	INodeTypes,
	IVersionedNodeType,
	IWorkflowBase,
	IWorkflowExecuteAdditionalData,
} from 'n8n-workflow';
import { deepCopy, ICredentialsHelper, NodeHelpers, UnexpectedError } from 'n8n-workflow';

export { LoadOptionsContext, WorkflowExecute } from 'n8n-core';

// n8n-core has loaded (and set up axios its way, once): give the package its own set-up back.
restorePackageAxios();

const silent = () => undefined;

/** A logger that drops everything: the engine logs only what the test's assertions already see. */
const quietLogger = {
	error: silent,
	warn: silent,
	info: silent,
	debug: silent,
	verbose: silent,
	scoped() {
		return quietLogger;
	},
} as unknown as Logger;

let containerReady = false;

/**
 * Registers the services n8n-core's engine takes from the DI container, once per test file
 * (jest gives every file its own module registry, hence its own Container).
 * - Logger, ErrorReporter: silent (the harness mocks them as well).
 * - InstanceSettings: only `instanceId`, `n8nFolder` and the HMAC secret are read while a node
 *   runs; a stub avoids writing an instance config file into N8N_USER_FOLDER.
 * - BinaryDataService without managers: `prepareBinaryData` keeps data inline (base64), which is
 *   n8n's in-memory binary mode; nothing touches the disk.
 */
export function setUpContainer(): void {
	if (containerReady) return;
	Container.set(Logger, quietLogger);
	Container.set(ErrorReporter, { error: silent, warn: silent, info: silent } as unknown as ErrorReporter);
	Container.set(InstanceSettings, {
		instanceId: 'unit-test-instance',
		hmacSignatureSecret: 'unit-test-hmac-secret',
		encryptionKey: 'unit-test-encryption-key',
		get n8nFolder() {
			return `${process.env.N8N_USER_FOLDER ?? '/tmp'}/.n8n`;
		},
	} as unknown as InstanceSettings);
	Container.set(BinaryDataService, new BinaryDataService({} as BinaryDataConfig, Container.get(ErrorReporter), quietLogger));
	containerReady = true;
}

const notInUnitTests = (what: string) => new UnexpectedError(`${what} is not available in unit tests`);

/** Hands out the test's credentials by type, decrypted, as n8n's CredentialsHelper would. */
export class TestCredentialsHelper extends ICredentialsHelper {
	constructor(private readonly byType: Record<string, ICredentialDataDecryptedObject>) {
		super();
	}

	getParentTypes(): string[] {
		return [];
	}

	isCredentialUsableByNode(): boolean {
		return true;
	}

	async authenticate(_credentials: ICredentialDataDecryptedObject, _typeName: string, requestOptions: IHttpRequestOptions): Promise<IHttpRequestOptions> {
		return requestOptions;
	}

	async preAuthentication(): Promise<ICredentialDataDecryptedObject | undefined> {
		return undefined;
	}

	async runPreAuthentication(): Promise<ICredentialDataDecryptedObject | undefined> {
		return undefined;
	}

	async getCredentials(): Promise<ICredentials> {
		throw notInUnitTests('Encrypted credentials');
	}

	async getDecrypted(_additionalData: IWorkflowExecuteAdditionalData, _nodeCredentials: INodeCredentialsDetails, type: string): Promise<ICredentialDataDecryptedObject> {
		const data = this.byType[type];
		if (!data) throw new UnexpectedError(`No credentials of type "${type}" were given to runNode`);
		// A copy, as n8n decrypts afresh for every call: a node may not change the test's object.
		return deepCopy(data);
	}

	async updateCredentials(): Promise<void> {}

	/**
	 * n8n stores a refreshed OAuth2 token set with the credential: here in the test's own object,
	 * so the next read (and the test) sees the rotated tokens, as with n8n's database.
	 */
	async updateCredentialsOauthTokenData(_nodeCredentials: INodeCredentialsDetails, type: string, data: ICredentialDataDecryptedObject): Promise<void> {
		const stored = this.byType[type];
		if (!stored) throw new UnexpectedError(`No credentials of type "${type}" were given to runNode`);
		stored.oauthTokenData = deepCopy(data.oauthTokenData);
		this.tokenUpdates.push(type);
	}

	/** Credential types whose OAuth2 token n8n stored anew, in order. */
	readonly tokenUpdates: string[] = [];

	getCredentialsProperties(): INodeProperties[] {
		return [];
	}
}

/** A node-type registry holding exactly the given types, keyed by their full type name. */
export function nodeTypeRegistry(types: Record<string, INodeType | IVersionedNodeType>): INodeTypes {
	const byName = (name: string) => {
		const type = types[name];
		if (!type) throw new UnexpectedError(`Unknown node type "${name}"`);
		return type;
	};
	return {
		getByName: byName,
		getByNameAndVersion: (name, version) => NodeHelpers.getVersionedNodeType(byName(name), version),
		getKnownTypes: () => Object.fromEntries(Object.keys(types).map((name) => [name, { className: name, sourcePath: '' }])) as IDataObject,
	};
}

/** The execution's additional data: no server around, so every server-side service refuses. */
export function additionalData(credentialsHelper: ICredentialsHelper, hooks: ExecutionLifecycleHooks, executionId: string, workflowId: string): IWorkflowExecuteAdditionalData {
	const url = 'http://localhost:5678/';
	const data: Partial<IWorkflowExecuteAdditionalData> = {
		credentialsHelper,
		hooks,
		executionId,
		workflowId,
		currentNodeParameters: undefined,
		currentNodeExecutionIndex: 0,
		variables: {},
		restApiUrl: `${url}rest`,
		instanceBaseUrl: url,
		formBaseUrl: `${url}form`,
		formWaitingBaseUrl: `${url}form-waiting`,
		formTestBaseUrl: `${url}form-test`,
		webhookBaseUrl: `${url}webhook`,
		webhookWaitingBaseUrl: `${url}webhook-waiting`,
		webhookTestBaseUrl: `${url}webhook-test`,
		mcpBaseUrl: `${url}mcp`,
		mcpTestBaseUrl: `${url}mcp-test`,
		logAiEvent: silent,
		executeWorkflow: async () => {
			throw notInUnitTests('Executing a sub-workflow');
		},
		getRunExecutionData: async () => undefined,
		getRuntimeCredential: async () => undefined,
		startRunnerTask: async () => {
			throw notInUnitTests('The task runner');
		},
	};
	return data as IWorkflowExecuteAdditionalData;
}

/** Lifecycle hooks of one manual execution of the given workflow. */
export function executionHooks(executionId: string, workflowData: Pick<IWorkflowBase, 'id' | 'name' | 'nodes' | 'connections' | 'settings'>): ExecutionLifecycleHooks {
	const now = new Date();
	const base: IWorkflowBase = { ...workflowData, active: false, activeVersionId: null, isArchived: false, createdAt: now, updatedAt: now } as IWorkflowBase;
	return new ExecutionLifecycleHooks('manual', executionId, base);
}
