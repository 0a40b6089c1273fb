// Runs the chosen operation for every item, several at once for debits (an AUTH waits about a
// second on the acquirer). Two items with the same billing key still see each other's charge:
// the debit holds a per-key lock from its query to its outcome, taken in item order. Successes
// go to the first output, declined/failed items to the second; each keeps its pairedItem.
import type { ICredentialDataDecryptedObject, IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { connectionFromCredentials, CredentialError } from '../helpers/credentials';
import type { OperationContext } from '../helpers/api';
import { SUCCESS_OUTCOMES, type Outcome } from '../helpers/outcome';
import { InputError, numberOption } from '../helpers/params';
import { mapLimit } from '../../shared/concurrency';
import * as payment from './payment';
import * as transaction from './transaction';

type OperationFn = (ctx: OperationContext) => Promise<IDataObject>;

const operations: Record<string, Record<string, OperationFn>> = {
	payment: {
		debitStoredCard: payment.debitStoredCard.execute,
		refund: payment.refund.execute,
		accountCheck: payment.accountCheck.execute,
	},
	transaction: {
		query: transaction.query.execute,
	},
};

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const succeeded: INodeExecutionData[] = [];
	const failed: INodeExecutionData[] = [];
	if (items.length === 0) return [succeeded, failed];

	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as string;
	const run = operations[resource]?.[operation];
	if (!run) throw new NodeOperationError(this.getNode(), `The operation "${operation}" on "${resource}" is not supported`);

	let connection;
	try {
		connection = connectionFromCredentials(await this.getCredentials<ICredentialDataDecryptedObject>('secureTradingApi'));
	} catch (error) {
		if (error instanceof CredentialError) throw new NodeOperationError(this.getNode(), error.message, { description: `Credential field: ${error.field}` });
		throw error;
	}

	const concurrency = operation === 'debitStoredCard' ? numberOption(this, 0, 'concurrency', 10, 1) : 1;
	const outcomes = await mapLimit(items, concurrency, async (item, itemIndex): Promise<{ ok: boolean; json: IDataObject }> => {
		let includeInput = true;
		try {
			includeInput = this.getNodeParameter('options.includeInputData', itemIndex, true) as boolean;
			const ctx: OperationContext = {
				fns: this,
				itemIndex,
				connection,
				transport: {
					...connection.transport,
					timeoutMs: numberOption(this, itemIndex, 'timeoutMs', 60_000, 100),
					connectTimeoutMs: numberOption(this, itemIndex, 'connectTimeoutMs', 10_000, 50),
					signal: this.getExecutionCancelSignal?.(),
				},
			};
			const result = await run(ctx);
			const json = includeInput ? { ...result, input: item.json } : result;
			return { ok: SUCCESS_OUTCOMES.has(result.outcome as Outcome), json };
		} catch (error) {
			if (!this.continueOnFail()) throw error;
			const json: IDataObject = {
				outcome: error instanceof InputError ? 'invalid' : 'error',
				retryable: false,
				reason: (error as Error).message,
				error: (error as Error).message,
				...(error instanceof InputError && error.field ? { field: error.field } : {}),
				...((error as { description?: string }).description ? { errorDescription: (error as { description?: string }).description } : {}),
			};
			return { ok: false, json: includeInput ? { ...json, input: item.json } : json };
		}
	});
	outcomes.forEach(({ ok, json }, itemIndex) => (ok ? succeeded : failed).push({ json, pairedItem: { item: itemIndex } }));
	return [succeeded, failed];
}
