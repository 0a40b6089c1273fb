// The router every action node uses: a table of its credential, how to connect, its outputs and
// its operations. It reads resource and operation, builds the client once for all items, runs the
// operation and returns its outputs. Under Continue On Fail nothing that fails here takes the
// success path: a credential or connection failure, or an operation that throws, puts every
// undecided item on the failure output with the error.
import type { ICredentialDataDecryptedObject, IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { FieldError, toNodeError } from './errors';
import { ItemResults, type OperationExecute } from './operation';
import { credentialSecrets, withSecrets } from './redact';

export interface ClientLease<TClient> {
	client: TClient;
	/** Called once the operation finished (or failed): close or return the connection. */
	release?: () => Promise<void>;
}

/** A credential chosen by a node parameter (e.g. `authentication`): its value → the credential type (null: none). */
export interface CredentialChoice {
	parameter: string;
	byValue: Readonly<Record<string, string | null>>;
}

export interface RouterTable<TClient> {
	/** The credential the node reads, or how a parameter chooses it (omit for a node without one). */
	credential?: string | CredentialChoice;
	/**
	 * Builds the client from the credential's data (and node parameters, read for item 0);
	 * `credentialType` is the credential that was read.
	 */
	connect: (
		fns: IExecuteFunctions,
		credentials: ICredentialDataDecryptedObject | undefined,
		operation: string,
		credentialType: string | undefined,
	) => Promise<ClientLease<TClient>> | ClientLease<TClient>;
	outputs: 1 | 2;
	/** resource → operation → execute. A node with one resource names it here all the same. */
	operations: Record<string, Record<string, OperationExecute<TClient>>>;
	/** The resource when the node has no Resource parameter. */
	defaultResource?: string;
	/** The operation when the node has no Operation parameter. */
	defaultOperation?: string;
	/**
	 * The service calls this execution made (measured after the operation): added to the `usage`
	 * of every output item of a billing run (items with a billingRunId), each its share, so the run
	 * report can say what a run cost. Counts add up; `xeroDayRemaining` is the latest reading.
	 */
	usage?: (client: TClient) => Readonly<Record<string, number>>;
	/**
	 * The credential fields redacted from every error of the execution. By default those named
	 * like a secret (password, passphrase, clientSecret, key, …; see redact.ts).
	 */
	secretFields?: readonly string[];
}

export async function route<TClient>(fns: IExecuteFunctions, table: RouterTable<TClient>): Promise<INodeExecutionData[][]> {
	const items = fns.getInputData();
	const node = fns.getNode();
	const results = new ItemResults(node, items, fns.continueOnFail(), table.outputs);
	if (items.length === 0) return results.toOutputs();

	const resource = table.defaultResource ?? (fns.getNodeParameter('resource', 0) as string);
	const operation = table.defaultOperation ?? (fns.getNodeParameter('operation', 0) as string);
	const execute = table.operations[resource]?.[operation];
	if (!execute) throw new NodeOperationError(node, `The operation "${operation}" on "${resource}" is not supported`);

	const all = items.map((_, i) => i);
	let credentials: ICredentialDataDecryptedObject | undefined;
	let credentialType: string | undefined;
	try {
		credentialType = credentialTypeOf(fns, table.credential);
		credentials = credentialType ? await fns.getCredentials<ICredentialDataDecryptedObject>(credentialType) : undefined;
	} catch (error) {
		results.errorAll(all, error);
		return results.toOutputs();
	}
	// From here on every error of this execution (thrown or a failure item) is redacted with the
	// credential's secrets: a service that echoes our request cannot put them into an error.
	return await withSecrets(credentialSecrets(credentials, table.secretFields), async () => {
		let lease: ClientLease<TClient>;
		try {
			lease = await table.connect(fns, credentials, operation, credentialType);
		} catch (error) {
			results.errorAll(all, error);
			return results.toOutputs();
		}
		try {
			await execute({ fns, node, items, client: lease.client, results });
		} catch (error) {
			if (!results.continueOnFail) throw toNodeError(node, error);
			results.errorAll(all, error);
		} finally {
			await lease.release?.();
		}
		const outputs = results.toOutputs();
		if (table.usage) attributeUsage(outputs, items.length, table.usage(lease.client));
		return outputs;
	});
}

/** Each billing-run output item gets an equal share of the calls (a batch call served them all). */
function attributeUsage(outputs: INodeExecutionData[][], inputCount: number, usage: Readonly<Record<string, number>>): void {
	const share = (n: number) => Math.round((n / Math.max(1, inputCount)) * 10000) / 10000;
	const add = (json: IDataObject): IDataObject => {
		const before = json.usage && typeof json.usage === 'object' && !Array.isArray(json.usage) ? (json.usage as Record<string, unknown>) : {};
		const next: Record<string, number> = {};
		for (const [name, value] of Object.entries(before)) if (typeof value === 'number') next[name] = value;
		for (const [name, value] of Object.entries(usage)) {
			next[name] = name.endsWith('Remaining') ? value : Math.round(((next[name] ?? 0) + share(value)) * 10000) / 10000;
		}
		return { ...json, usage: next };
	};
	for (const item of outputs.flat()) {
		if (typeof item.json.billingRunId === 'string') item.json = add(item.json);
		// Secure Trading answers beside the item it was given (`input`), which the workflow carries on.
		else if (item.json.input && typeof item.json.input === 'object' && typeof (item.json.input as IDataObject).billingRunId === 'string') {
			item.json = { ...item.json, input: add(item.json.input as IDataObject) };
		}
	}
}

/** The credential type to read: fixed, or the one the choosing parameter's value names. */
function credentialTypeOf(fns: IExecuteFunctions, credential: RouterTable<unknown>['credential']): string | undefined {
	if (credential === undefined || typeof credential === 'string') return credential;
	const value = fns.getNodeParameter(credential.parameter, 0) as unknown;
	const type = typeof value === 'string' ? credential.byValue[value] : undefined;
	if (type === null) return undefined;
	if (!type) throw new FieldError(credential.parameter, `${credential.parameter} "${String(value)}" is not one of: ${Object.keys(credential.byValue).join(', ')}`);
	return type;
}
