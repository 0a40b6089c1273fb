// Test support for the Billing Queue nodes against the real RabbitMQ at 127.0.0.1:5672:
// an ITriggerFunctions double that records emits and settles the donePromise the way n8n does
// (resolve with an IRun, `data.resultData.error` set when the execution failed), a raw amqplib
// probe to inspect queues independently of the code under test, and cleanup.
import { execFile } from 'child_process';
import { randomBytes } from 'crypto';
import { promisify } from 'util';
import { connect, type ChannelModel, type ConfirmChannel, type GetMessage, type Options } from 'amqplib';
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
import { formatDelay, parseDelays } from '../../nodes/BillingQueue/helpers/topology';
import { runNode } from '../helpers/run-node';

const run = promisify(execFile);

export const BROKER_CREDENTIALS = {
	hostname: '127.0.0.1',
	port: 5672,
	vhost: '/',
	username: 'guest',
	password: 'guest',
	heartbeat: 10,
	ssl: false,
};
export const CREDENTIALS = { billingRabbitMqApi: BROKER_CREDENTIALS };

export function unique(prefix: string): string {
	return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 20000, everyMs = 50): Promise<NonNullable<T>> {
	const until = Date.now() + timeoutMs;
	for (;;) {
		const value = await fn();
		if (value) return value as NonNullable<T>;
		if (Date.now() > until) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
		await sleep(everyMs);
	}
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
	const logger = {
		debug: (m: string) => opts.log && console.log('[debug]', m),
		info: (m: string) => opts.log && console.log('[info]', m),
		warn: (m: string) => opts.log && console.log('[warn]', m),
		error: (m: string) => console.log('[error]', m),
		verbose: () => undefined,
	};
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

export interface Setup {
	exchange: string;
	queueType: 'quorum' | 'classic';
	retryDelays: string;
}

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

// ---------------------------------------------------------------------------------------------
// Raw broker probe (plain amqplib, independent of the code under test)

export class Probe {
	private constructor(
		private readonly model: ChannelModel,
		private ch: ConfirmChannel,
	) {}

	static async open(): Promise<Probe> {
		const model = await connect({ hostname: '127.0.0.1', port: 5672, username: 'guest', password: 'guest', vhost: '/' });
		model.on('error', () => undefined);
		const ch = await model.createConfirmChannel();
		ch.on('error', () => undefined);
		return new Probe(model, ch);
	}

	private async channel(): Promise<ConfirmChannel> {
		try {
			// A 404 on a passive check closes the channel; reopen transparently.
			await this.ch.checkExchange('amq.topic');
		} catch {
			this.ch = await this.model.createConfirmChannel();
			this.ch.on('error', () => undefined);
		}
		return this.ch;
	}

	async publish(exchange: string, routingKey: string, body: unknown, props: Options.Publish = {}): Promise<void> {
		const ch = await this.channel();
		const content = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
		ch.publish(exchange, routingKey, content, { persistent: true, ...props });
		await ch.waitForConfirms();
	}

	/** Publishes billing items the way an upstream producer would. */
	async publishItems(exchange: string, stage: string, items: Array<{ billingKey: string; [k: string]: unknown }>, runId = 'run-1'): Promise<void> {
		const ch = await this.channel();
		for (const item of items) {
			ch.publish(exchange, stage, Buffer.from(JSON.stringify(item)), {
				persistent: true,
				contentType: 'application/json',
				messageId: item.billingKey,
				correlationId: runId,
				headers: { 'x-billing-attempt': 1 },
			});
		}
		await ch.waitForConfirms();
	}

	/** Ready messages (unacked ones are not counted); null if the queue does not exist. */
	async count(queue: string): Promise<number | null> {
		const ch = await this.channel();
		try {
			return (await ch.checkQueue(queue)).messageCount;
		} catch {
			return null;
		}
	}

	async consumers(queue: string): Promise<number> {
		const ch = await this.channel();
		return (await ch.checkQueue(queue)).consumerCount;
	}

	/** Takes (and acks) every ready message of a queue. */
	async drain(queue: string): Promise<GetMessage[]> {
		const ch = await this.channel();
		const out: GetMessage[] = [];
		for (;;) {
			const m = await ch.get(queue, { noAck: true });
			if (!m) return out;
			out.push(m);
		}
	}

	async deleteQueues(names: string[]): Promise<void> {
		for (const name of names) {
			const ch = await this.channel();
			await ch.deleteQueue(name).catch(() => undefined);
		}
	}

	async deleteExchange(name: string): Promise<void> {
		const ch = await this.channel();
		await ch.deleteExchange(name).catch(() => undefined);
	}

	/** Deletes everything a test's stages could have created. */
	async cleanup(exchange: string, stages: string[], retryDelays = '300ms, 600ms'): Promise<void> {
		const delays = parseDelays(retryDelays);
		const names = stages.flatMap((s) => [
			`${exchange}.${s}`,
			`${exchange}.${s}.parked`,
			...delays.map((d) => `${exchange}.${s}.retry.${formatDelay(d)}`),
		]);
		await this.deleteQueues(names);
		await this.deleteExchange(exchange);
	}

	async close(): Promise<void> {
		await this.model.close().catch(() => undefined);
	}
}

export function body(m: GetMessage): IDataObject {
	return JSON.parse(m.content.toString('utf8')) as IDataObject;
}

export function header(m: GetMessage, name: string): unknown {
	const v = m.properties.headers?.[name];
	return Buffer.isBuffer(v) ? v.toString('utf8') : v;
}

// ---------------------------------------------------------------------------------------------
// rabbitmqctl: force-close a connection by its client-provided name

export async function connectionPid(connectionName: string): Promise<string> {
	const { stdout } = await run('rabbitmqctl', ['-q', '--no-table-headers', 'list_connections', 'pid', 'client_properties'], { timeout: 30000 });
	const line = stdout.split('\n').find((l) => l.includes(`"${connectionName}"`));
	if (!line) throw new Error(`No broker connection named ${connectionName}`);
	return line.split('\t')[0].trim();
}

export async function closeConnectionPid(pid: string, reason = 'test: simulated network failure'): Promise<void> {
	await run('rabbitmqctl', ['-q', 'close_connection', pid, reason], { timeout: 30000 });
}

export function items(n: number, prefix = 'bk'): Array<{ billingKey: string; customer: string; amountMinor: number }> {
	return Array.from({ length: n }, (_, i) => ({ billingKey: `${prefix}-${i + 1}`, customer: `C${i + 1}`, amountMinor: 1000 + i }));
}
