// Pieces every Billing Queue operation uses.
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { queueSetupProperty } from '../helpers/descriptions';
import type { BrokerSettings, PooledConnection } from '../transport';

export interface OperationContext {
	settings: BrokerSettings;
	/** The pooled publisher connection of this credential. */
	connection: PooledConnection;
}

export type OperationExecute = (this: IExecuteFunctions, ctx: OperationContext) => Promise<INodeExecutionData[]>;

export function show(resource: string, operation: string[]): { show: { resource: string[]; operation: string[] } } {
	return { show: { resource: [resource], operation } };
}

/** The Queue Setup collection, shown for the given operations. */
export function queueSetupFor(resource: string, operation: string[]): INodeProperties {
	return { ...queueSetupProperty, displayOptions: show(resource, operation) };
}

export function errorItem(error: unknown, itemIndex: number, extra: IDataObject = {}): INodeExecutionData {
	const e = error as Error & { description?: string };
	return {
		json: { ...extra, error: e.message, ...(e.description ? { errorDescription: e.description } : {}) },
		pairedItem: { item: itemIndex },
	};
}

export function param(ctx: IExecuteFunctions, itemIndex: number) {
	return (name: string, fallback?: unknown) => ctx.getNodeParameter(name, itemIndex, fallback);
}

export const SAMPLE_SKIP_NOTE = 'Sample item from a manual run of the Billing Queue Trigger: not forwarded (it is still in its queue)';
