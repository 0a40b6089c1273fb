// Dispatches resource/operation. Operations work on the whole input in batches (Xero counts calls,
// not records), and return one outcome per item: successes to output 1, records Xero refused (or,
// with Continue On Fail, items that failed) to output 2, each with its pairedItem.
import type { ICredentialDataDecryptedObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { XeroTransport, type CallPolicy } from '../transport';
import { connectionFromCredentials, CredentialError } from '../helpers/credentials';
import type { OperationContext, Results } from '../helpers/context';
import * as contact from './contact';
import * as invoice from './invoice';
import * as payment from './payment';

type OperationFn = (ctx: OperationContext) => Promise<Results>;

const operations: Record<string, Record<string, OperationFn>> = {
	contact: { ensure: contact.ensure.execute },
	invoice: {
		create: invoice.create.execute,
		get: invoice.get.execute,
		getPdf: invoice.getPdf.execute,
		markSent: invoice.markSent.execute,
	},
	payment: { record: payment.record.execute },
};

function option(fns: IExecuteFunctions, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
	const raw = fns.getNodeParameter(`options.${name}`, 0, fallback) as unknown;
	const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
	if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
		throw new NodeOperationError(fns.getNode(), `Option "${name}" must be a number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
	}
	return value;
}

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	if (items.length === 0) return [[], []];
	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as string;
	const run = operations[resource]?.[operation];
	if (!run) throw new NodeOperationError(this.getNode(), `The operation "${operation}" on "${resource}" is not supported`);

	let connection;
	try {
		connection = connectionFromCredentials(await this.getCredentials<ICredentialDataDecryptedObject>('xeroCustomConnectionApi'));
	} catch (error) {
		if (error instanceof CredentialError) throw new NodeOperationError(this.getNode(), error.message, { description: `Credential field: ${error.field}` });
		throw error;
	}
	const policy: CallPolicy = {
		timeoutMs: option(this, 'timeoutMs', 30_000, 100),
		maxRetries: option(this, 'maxRetries', 4, 0, 10),
		retryDelayMs: option(this, 'retryDelayMs', 500, 0),
		maxRateLimitWaitMs: option(this, 'maxRateLimitWaitSeconds', 180, 0) * 1000,
		signal: this.getExecutionCancelSignal?.(),
	};
	const ctx: OperationContext = {
		fns: this,
		items,
		transport: new XeroTransport(connection, policy),
		batchSize: operation === 'getPdf' ? 1 : option(this, 'batchSize', 50, 1, 50),
		continueOnFail: this.continueOnFail(),
	};
	const results = await run(ctx);
	return results.toOutputs();
}
