// n8n glue for the Billing Queue Trigger: one execution per batch via emit() with a
// donePromise, so the consumer learns when (and how) that execution finished.
import type { ICredentialDataDecryptedObject, INodeExecutionData, IRun, ITriggerFunctions, ITriggerResponse } from 'n8n-workflow';
import { toNodeError } from '../../shared/errors';
import { connectionFromCredentials, CREDENTIAL_TYPE } from '../transport';
import { readTriggerConfig } from './config';
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
	let settings;
	try {
		cfg = readTriggerConfig((name, fallback) => this.getNodeParameter(name, fallback), node.name);
		settings = connectionFromCredentials(await this.getCredentials<ICredentialDataDecryptedObject>(CREDENTIAL_TYPE));
	} catch (error) {
		throw toNodeError(node, error);
	}

	if (this.getMode() === 'manual') {
		const abort = new AbortController();
		return {
			manualTriggerFunction: async () => {
				let items: INodeExecutionData[] | undefined;
				try {
					items = await sampleStage(settings, cfg, abort.signal);
				} catch (error) {
					throw toNodeError(node, error);
				}
				if (items) this.emit([items]);
			},
			closeFunction: async () => abort.abort(),
		};
	}

	const consumer = new StageConsumer(cfg, {
		execute: (items) => runExecution(this, items),
		onFatal: (error) => this.emitError(toNodeError(node, error)),
		log: this.logger,
	});
	try {
		await consumer.start(settings);
	} catch (error) {
		throw toNodeError(node, error);
	}
	return { closeFunction: async () => await consumer.close() };
}
