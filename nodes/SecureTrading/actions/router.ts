// Runs the chosen operation for every item, one at a time (sequential on purpose: two items with
// the same billing key must see each other's charge). Successes go to the first output,
// declined/failed items to the second; each keeps its pairedItem.
import type { ICredentialDataDecryptedObject, IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { connectionFromCredentials, CredentialError } from '../helpers/credentials';
import type { OperationContext } from '../helpers/api';
import { SUCCESS_OUTCOMES, type Outcome } from '../helpers/outcome';
import { InputError, numberOption } from '../helpers/params';
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

	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		const pairedItem = { item: itemIndex };
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
			const json = includeInput ? { ...result, input: items[itemIndex].json } : result;
			(SUCCESS_OUTCOMES.has(result.outcome as Outcome) ? succeeded : failed).push({ json, pairedItem });
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
			failed.push({ json: includeInput ? { ...json, input: items[itemIndex].json } : json, pairedItem });
		}
	}
	return [succeeded, failed];
}
