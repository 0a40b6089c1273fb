// Reads node parameters into validated settings; bad input becomes a NodeOperationError that
// names the field (and the item, where there is one).
import { type IDataObject, type INode, NodeOperationError } from 'n8n-workflow';
import { MessageError } from './message';
import { DEFAULT_MAX_MESSAGE_BYTES } from './message';
import type { StageConsumerConfig } from './stageConsumer';
import {
	DEFAULT_EXCHANGE,
	DEFAULT_MAX_ATTEMPTS,
	DEFAULT_RETRY_DELAYS,
	parseDelays,
	TopologyError,
	type TopologyConfig,
	validateExchange,
	validateMaxAttempts,
	validateQueueType,
	validateStage,
} from './topology';

export type ParamGetter = (name: string, fallback?: unknown) => unknown;

/** Wraps our validation errors into the n8n error type for bad input. */
export function asOperationError(node: INode, error: unknown, itemIndex?: number): Error {
	if (error instanceof TopologyError || error instanceof MessageError) {
		const where = itemIndex === undefined ? '' : ` (item ${itemIndex})`;
		return new NodeOperationError(node, `${error.message}${where}`, {
			itemIndex,
			description: `Check the parameter "${error.field}".`,
		});
	}
	return error as Error;
}

export function readTopology(get: ParamGetter): TopologyConfig {
	const setup = (get('queueSetup', {}) ?? {}) as IDataObject;
	return {
		exchange: validateExchange(setup.exchange ?? DEFAULT_EXCHANGE, 'Queue Setup → Exchange'),
		queueType: validateQueueType(setup.queueType ?? 'quorum', 'Queue Setup → Queue Type'),
		retryDelaysMs: parseDelays(setup.retryDelays ?? DEFAULT_RETRY_DELAYS, 'Queue Setup → Retry Delays'),
	};
}

function positive(value: unknown, field: string, { min = 1, max = Number.MAX_SAFE_INTEGER, integer = true } = {}): number {
	const n = Number(value);
	if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
		throw new TopologyError(`"${field}" must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(value)}`, field);
	}
	return n;
}

export function readTriggerConfig(get: ParamGetter, nodeName: string): StageConsumerConfig {
	const topology = readTopology(get);
	const stage = validateStage(get('stage'), 'Stage');
	const single = get('mode', 'batch') === 'single';
	const batchSize = single ? 1 : positive(get('batchSize', 50), 'Batch Size', { max: 10000 });
	const batchWindowMs = single ? 0 : positive(get('batchWindowMs', 2000), 'Batch Window (ms)', { min: 0, max: 3600000 });
	const options = (get('options', {}) ?? {}) as IDataObject;
	const prefetch = options.prefetch === undefined ? batchSize : positive(options.prefetch, 'Prefetch', { max: 65535 });
	return {
		stage,
		topology,
		batchSize,
		batchWindowMs,
		prefetch,
		maxAttempts: validateMaxAttempts(options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, 'Max Attempts'),
		maxMessageBytes:
			options.maxMessageSizeKb === undefined
				? DEFAULT_MAX_MESSAGE_BYTES
				: Math.round(positive(options.maxMessageSizeKb, 'Max Message Size (KB)', { max: 512 * 1024, integer: false }) * 1024),
		executionWaitMs: Math.round(
			positive(options.executionWaitMinutes ?? 25, 'Execution Wait Limit (Minutes)', { min: 0.001, max: 24 * 60, integer: false }) * 60000,
		),
		closeWaitMs: Math.round(positive(options.closeWaitSeconds ?? 30, 'Close Wait (Seconds)', { min: 0, max: 3600, integer: false }) * 1000),
		nodeName,
	};
}
