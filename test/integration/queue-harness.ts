// Test support for the Billing Queue nodes against the real RabbitMQ at 127.0.0.1:5672: an
// ITriggerFunctions double that records emits and settles the donePromise the way n8n does
// (resolve with an IRun, `data.resultData.error` set when the execution failed) and the Billing
// Queue node run in-process. The raw broker probe lives in support/broker.ts.
import { randomBytes } from 'crypto';
import type {
	IDataObject,
	INode,
	INodeExecutionData,
	IRun,
	ITriggerFunctions,
	ITriggerResponse,
} from 'n8n-workflow';
import { BillingQueue } from '../../nodes/BillingQueue/BillingQueue.node';
import { BillingQueueTrigger } from '../../nodes/BillingQueue/BillingQueueTrigger.node';
import { BROKER_CREDENTIALS, type StageSetup, waitUntil } from '../../support/broker';
import { runNode } from '../helpers/run-node';

export const CREDENTIALS = { billingRabbitMqApi: BROKER_CREDENTIALS };

export function unique(prefix: string): string {
	return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** waitUntil() polling fast: in-process nodes settle in milliseconds. */
export async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 20000, everyMs = 50): Promise<NonNullable<T>> {
	return await waitUntil(what, fn, timeoutMs, everyMs);
}

// ---------------------------------------------------------------------------------------------
// Trigger double

/** 'success', an Error (the execution failed), or a rejected donePromise. */
export type Verdict = 'success' | string | Error | { reject: Error };

export interface EmitRecord {
	index: number;
	at: number;
	items: INodeExecutionData[];
	json: IDataObject[];
	/** Settle the execution like n8n: success, failed run, or rejected donePromise. */
	succeed(): void;
	fail(message: string, nodeName?: string): void;
	reject(error: Error): void;
	settled: boolean;
}

export interface TriggerHarness {
	ctx: ITriggerFunctions;
	emits: EmitRecord[];
	emitErrors: Error[];
	/** Every line the trigger logged, as "<level> <message>". */
	logs: string[];
	response?: ITriggerResponse;
	start(): Promise<ITriggerResponse>;
	close(): Promise<void>;
}

export function successRun(): IRun {
	return {
		status: 'success',
		mode: 'trigger',
		startedAt: new Date(),
		stoppedAt: new Date(),
		storedAt: 'db',
		data: { resultData: { runData: {} } },
	} as unknown as IRun;
}

export function failedRun(message: string, nodeName: string): IRun {
	const error = Object.assign(new Error(message), { node: { name: nodeName } });
	return {
		status: 'error',
		mode: 'trigger',
		startedAt: new Date(),
		stoppedAt: new Date(),
		storedAt: 'db',
		data: { resultData: { runData: {}, error, lastNodeExecuted: nodeName } },
	} as unknown as IRun;
}

function get(source: unknown, path: string): unknown {
	return path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), source);
}

export function triggerHarness(opts: {
	parameters: IDataObject;
	mode?: 'trigger' | 'manual';
	nodeName?: string;
	/** Runs "the workflow" for each emit; its verdict settles the donePromise. Omit to settle by hand. */
	workflow?: (json: IDataObject[], record: EmitRecord) => Promise<Verdict> | Verdict;
	log?: boolean;
}): TriggerHarness {
	const node: INode = {
		id: unique('node'),
		name: opts.nodeName ?? 'Billing Queue Trigger',
		type: 'n8n-nodes-billing-pipeline.billingQueueTrigger',
		typeVersion: 1,
		position: [0, 0],
		parameters: opts.parameters as INode['parameters'],
	};
	const emits: EmitRecord[] = [];
	const emitErrors: Error[] = [];
	const logs: string[] = [];
	const line = (level: string, always = false) => (m: string) => {
		logs.push(`${level} ${m}`);
		if (opts.log || always) console.log(`[${level}]`, m);
	};
	const logger = { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error', true), verbose: () => undefined };
	const ctx = {
		getNode: () => node,
		getMode: () => opts.mode ?? 'trigger',
		getActivationMode: () => 'activate',
		getWorkflow: () => ({ id: 'wf-test', name: 'Billing stage', active: true }),
		getNodeParameter: (name: string, fallback?: unknown) => {
			const value = get(opts.parameters, name);
			return value === undefined ? fallback : value;
		},
		getCredentials: async (type: string) => {
			if (type !== 'billingRabbitMqApi') throw new Error(`no credentials of type ${type}`);
			return BROKER_CREDENTIALS;
		},
		logger,
		emitError: (error: Error) => emitErrors.push(error),
		saveFailedExecution: (error: Error) => emitErrors.push(error),
		helpers: {
			createDeferredPromise: <T>() => {
				const d = {} as { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void };
				d.promise = new Promise<T>((res, rej) => {
					d.resolve = res;
					d.reject = rej;
				});
				return d;
			},
			returnJsonArray: (data: IDataObject | IDataObject[]) => (Array.isArray(data) ? data : [data]).map((json) => ({ json })),
		},
		emit: (data: INodeExecutionData[][], _response?: unknown, done?: { resolve: (r: IRun) => void; reject: (e: Error) => void }) => {
			const items = data[0] ?? [];
			const record: EmitRecord = {
				index: emits.length,
				at: Date.now(),
				items,
				json: items.map((i) => i.json),
				settled: false,
				succeed() {
					if (record.settled) return;
					record.settled = true;
					done?.resolve(successRun());
				},
				fail(message, nodeName = 'Xero') {
					if (record.settled) return;
					record.settled = true;
					done?.resolve(failedRun(message, nodeName));
				},
				reject(error) {
					if (record.settled) return;
					record.settled = true;
					done?.reject(error);
				},
			};
			emits.push(record);
			if (!opts.workflow) return;
			const verdict = Promise.resolve().then(() => opts.workflow!(record.json, record));
			void verdict.then(
				(v) => {
					if (v === 'success') record.succeed();
					else if (v instanceof Error) record.fail(v.message);
					else if (typeof v === 'object' && 'reject' in v) record.reject(v.reject);
					else record.fail(`unexpected verdict ${String(v)}`);
				},
				(e: Error) => record.fail(e.message),
			);
		},
	} as unknown as ITriggerFunctions;

	const harness: TriggerHarness = {
		ctx,
		emits,
		emitErrors,
		logs,
		async start() {
			const response = await new BillingQueueTrigger().trigger.call(ctx);
			harness.response = response;
			return response;
		},
		async close() {
			await harness.response?.closeFunction?.();
		},
	};
	return harness;
}

/** A trigger double whose emit() throws, like n8n when it cannot start an execution. */
export function throwingEmit(harness: TriggerHarness, times: number): void {
	const original = harness.ctx.emit.bind(harness.ctx);
	let left = times;
	(harness.ctx as { emit: ITriggerFunctions['emit'] }).emit = (...args: Parameters<ITriggerFunctions['emit']>) => {
		if (left > 0) {
			left -= 1;
			harness.emits.push({ index: harness.emits.length, at: Date.now(), items: args[0][0], json: args[0][0].map((i) => i.json), settled: true } as EmitRecord);
			throw new Error('Workflow could not be started: simulated');
		}
		original(...args);
	};
}

// ---------------------------------------------------------------------------------------------
// Billing Queue node in-process

export type Setup = StageSetup;

export function setupFor(exchange: string, retryDelays = '300ms, 600ms', queueType: 'quorum' | 'classic' = 'quorum'): Setup {
	return { exchange, queueType, retryDelays };
}

export async function billingQueue(
	parameters: IDataObject,
	items: INodeExecutionData[] = [{ json: {} }],
	continueOnFail = false,
): Promise<INodeExecutionData[]> {
	const out = await runNode(new BillingQueue(), {
		parameters: parameters as never,
		items,
		credentials: CREDENTIALS,
		continueOnFail,
	});
	return out[0] ?? [];
}

/** Forwards trigger items to `stage` the way a stage workflow's last node does. */
export async function forward(items: IDataObject[], stage: string, setup: Setup): Promise<INodeExecutionData[]> {
	return billingQueue(
		{ resource: 'message', operation: 'publish', stage, billingKey: '', billingRunId: '', queueSetup: setup as never },
		items.map((json) => ({ json })),
	);
}

export function items(n: number, prefix = 'bk'): Array<{ billingKey: string; customer: string; amountMinor: number }> {
	return Array.from({ length: n }, (_, i) => ({ billingKey: `${prefix}-${i + 1}`, customer: `C${i + 1}`, amountMinor: 1000 + i }));
}
