// The two no-op stages bench/queue.ts compares, built with the shipped workflows' builder and
// n8n's default workflow settings: n8n's own RabbitMQ Trigger, and our Billing Queue Trigger in
// batch mode, each followed by a No Operation node.
import { PKG, Workflow as WorkflowBuilder } from '../scripts/workflows/builder';
import type { StageSetup } from '../support/broker';
import { RABBIT_CREDENTIAL, type Workflow } from '../support/n8n';

export const BUILTIN_CREDENTIAL = {
	id: 'bqBenchRabbitMq1',
	name: 'RabbitMQ (bench)',
	type: 'rabbitmq',
	data: { hostname: '127.0.0.1', port: 5672, username: 'guest', password: 'guest', vhost: '/', ssl: false },
};

/** n8n's defaults (execution data saving as the instance is configured), not the shipped ones. */
const SETTINGS = { executionOrder: 'v1' };

export function builtinWorkflow(id: string, queue: string, parallel: number): Workflow {
	const wf = new WorkflowBuilder(id, 'Bench · built-in RabbitMQ Trigger → No-op', {}, SETTINGS);
	const trigger = wf.add(
		'RabbitMQ Trigger',
		'n8n-nodes-base.rabbitmqTrigger',
		1,
		-1,
		0,
		// Same work as ours: parse the JSON body; ack only after a successful execution.
		{ queue, options: { acknowledge: 'executionFinishesSuccessfully', parallelMessages: parallel, jsonParseBody: true } },
		{ credentials: { rabbitmq: { id: BUILTIN_CREDENTIAL.id, name: BUILTIN_CREDENTIAL.name } } },
	);
	wf.link(trigger, wf.add('No Operation', 'n8n-nodes-base.noOp', 1, 0, 0, {}));
	return wf.toJSON();
}

export function oursWorkflow(id: string, setup: StageSetup, batchSize: number, prefetch?: number): Workflow {
	const wf = new WorkflowBuilder(id, 'Bench · Billing Queue Trigger (batch) → No-op', {}, SETTINGS);
	const trigger = wf.add(
		'Billing Queue Trigger',
		`${PKG}.billingQueueTrigger`,
		1,
		-1,
		0,
		{
			stage: 'bench',
			mode: 'batch',
			batchSize,
			options: prefetch ? { prefetch } : {},
			queueSetup: { exchange: setup.exchange, queueType: setup.queueType, retryDelays: setup.retryDelays },
		},
		{ credentials: { billingRabbitMqApi: { id: RABBIT_CREDENTIAL.id, name: RABBIT_CREDENTIAL.name } } },
	);
	wf.link(trigger, wf.add('No Operation', 'n8n-nodes-base.noOp', 1, 0, 0, {}));
	return wf.toJSON();
}
