// Reads node parameters into validated settings. Bad input is a FieldError naming the parameter
// path (`queueSetup.retryDelays`) with its editor label in the message; numbers out of range are
// refused, never clamped (the kit's parseNumber).
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { itemParameter } from '../../shared/itemParameter';
import { parseNumber } from '../../shared/parameters';
import { DEFAULT_MAX_MESSAGE_BYTES } from './message';
import type { StageConsumerConfig } from './stageConsumer';
import {
	DEFAULT_EXCHANGE,
	DEFAULT_MAX_ATTEMPTS,
	DEFAULT_RETRY_DELAYS,
	parseDelays,
	type TopologyConfig,
	validateExchange,
	validateMaxAttempts,
	validateQueueType,
	validateStage,
} from './topology';

export type ParamGetter = (name: string, fallback?: unknown) => unknown;

/** The parameters of one item, as the getter the readers below take. */
export function itemParameters(fns: IExecuteFunctions, itemIndex: number): ParamGetter {
	return (name, fallback) => itemParameter(fns, name, itemIndex, fallback);
}

export function readTopology(get: ParamGetter): TopologyConfig {
	const setup = (get('queueSetup', {}) ?? {}) as IDataObject;
	return {
		exchange: validateExchange(setup.exchange ?? DEFAULT_EXCHANGE, 'queueSetup.exchange', 'Queue Setup → Exchange'),
		queueType: validateQueueType(setup.queueType ?? 'quorum', 'queueSetup.queueType', 'Queue Setup → Queue Type'),
		retryDelaysMs: parseDelays(setup.retryDelays ?? DEFAULT_RETRY_DELAYS, 'queueSetup.retryDelays', 'Queue Setup → Retry Delays'),
	};
}

/**
 * Max Message Size (`options.maxMessageSizeKb`, KB) in bytes. The trigger parks larger bodies;
 * Publish refuses them with the same setting, so nothing is sent that the next stage would park.
 */
export function readMaxMessageBytes(raw: unknown): number {
	return Math.round(
		parseNumber(raw, 'options.maxMessageSizeKb', { default: DEFAULT_MAX_MESSAGE_BYTES / 1024, min: 1, max: 512 * 1024, label: 'Max Message Size (KB)' }) * 1024,
	);
}

export function readTriggerConfig(get: ParamGetter, nodeName: string): StageConsumerConfig {
	const topology = readTopology(get);
	const stage = validateStage(get('stage'), 'stage', 'Stage');
	const single = get('mode', 'batch') === 'single';
	const batchSize = single ? 1 : parseNumber(get('batchSize', 50), 'batchSize', { default: 50, min: 1, max: 10000, integer: true, label: 'Batch Size' });
	const batchWindowMs = single
		? 0
		: parseNumber(get('batchWindowMs', 2000), 'batchWindowMs', { default: 2000, min: 0, max: 3600000, integer: true, label: 'Batch Window (ms)' });
	const options = (get('options', {}) ?? {}) as IDataObject;
	const option = (name: string, spec: Parameters<typeof parseNumber>[2]) => parseNumber(options[name], `options.${name}`, spec);
	return {
		stage,
		topology,
		batchSize,
		batchWindowMs,
		// Unset prefetch follows the batch size (1 in single mode).
		prefetch: option('prefetch', { default: batchSize, min: 1, max: 65535, integer: true, label: 'Prefetch' }),
		maxAttempts: validateMaxAttempts(options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, 'options.maxAttempts', 'Max Attempts'),
		maxMessageBytes: readMaxMessageBytes(options.maxMessageSizeKb),
		executionWaitMs: Math.round(option('executionWaitMinutes', { default: 25, min: 0.001, max: 24 * 60, label: 'Execution Wait Limit (Minutes)' }) * 60000),
		closeWaitMs: Math.round(option('closeWaitSeconds', { default: 30, min: 0, max: 3600, label: 'Close Wait (Seconds)' }) * 1000),
		nodeName,
	};
}
