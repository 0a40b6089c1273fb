// n8n glue for the Billing Queue Trigger: one execution per batch via emit() with a
// donePromise, so the consumer learns when (and how) that execution finished.
import {
	type INodeExecutionData,
	type IRun,
	type ITriggerFunctions,
	type ITriggerResponse,
} from 'n8n-workflow';
import { brokerFailure } from './nodeErrors';
import { readSettings } from './credentials';
import { asOperationError, readTriggerConfig } from './config';
import { classifyRun, type ExecutionOutcome, outcomeFromRejection } from './outcome';
import { sampleStage } from './sampler';
import { StageConsumer } from './stageConsumer';

function runExecution(ctx: ITriggerFunctions, items: INodeExecutionData[]): Promise<ExecutionOutcome> {
	const done = ctx.helpers.createDeferredPromise<IRun>();
	// Read `emit` at call time: n8n replaces it after trigger() returned (manual mode).
	ctx.emit([items], undefined, done);
	return done.promise.then(classifyRun, (error) => outcomeFromRejection(error));
}

export async function billingQueueTrigger(this: ITriggerFunctions): Promise<ITriggerResponse> {
	const node = this.getNode();
	let cfg;
	try {
		cfg = readTriggerConfig((name, fallback) => this.getNodeParameter(name, fallback), node.name);
	} catch (error) {
		throw asOperationError(node, error);
	}
	const settings = await readSettings.call(this);

	if (this.getMode() === 'manual') {
		const abort = new AbortController();
		return {
			manualTriggerFunction: async () => {
				let items: INodeExecutionData[] | undefined;
				try {
					items = await sampleStage(settings, cfg, abort.signal);
				} catch (error) {
					throw brokerFailure(node, error);
				}
				if (items) this.emit([items]);
			},
			closeFunction: async () => abort.abort(),
		};
	}

	const consumer = new StageConsumer(cfg, {
		execute: (items) => runExecution(this, items),
		onFatal: (error) => this.emitError(brokerFailure(node, error)),
		log: this.logger,
	});
	try {
		await consumer.start(settings);
	} catch (error) {
		throw brokerFailure(node, error);
	}
	return { closeFunction: async () => await consumer.close() };
}
