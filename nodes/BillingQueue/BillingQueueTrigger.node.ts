import { NodeConnectionTypes, type INodeType, type INodeTypeDescription, type ITriggerFunctions, type ITriggerResponse } from 'n8n-workflow';
import { choiceProperty, optionsCollection } from '../shared/descriptions';
import { maxAttemptsProperty, maxMessageSizeProperty, queueSetupProperty, stageProperty } from './actions/common.descriptions';
import { billingQueueTrigger } from './helpers/trigger';
import { billingRabbitMqConnectionTest } from './methods/credentialTest';

export class BillingQueueTrigger implements INodeType {
	// Stage, Max Attempts and Queue Setup are the Billing Queue node's own, so both sides declare the same topology.
	description: INodeTypeDescription = {
		displayName: 'Billing Queue Trigger',
		name: 'billingQueueTrigger',
		icon: { light: 'file:billingQueue.svg', dark: 'file:billingQueue.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{ "stage: " + $parameter["stage"] }}',
		description:
			'Consumes billing items from a RabbitMQ stage queue and acknowledges them only after the workflow execution finished',
		defaults: { name: 'Billing Queue Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'billingRabbitMqApi', required: true, testedBy: 'billingRabbitMqConnectionTest' }],
		properties: [
			{
				displayName:
					'Messages are acknowledged only after the execution finished. If it fails, each half of the batch is run again on its own to find the message that fails it; that message (or, when every part fails, each message) goes to the retry queue (or to parking after Max Attempts). Forward items with the Billing Queue node. Test runs in the editor put the messages back.',
				name: 'notice',
				type: 'notice',
				default: '',
			},
			stageProperty({ description: 'Stage to consume, e.g. invoice (queue billing.invoice with the default exchange)' }),
			choiceProperty('Mode', 'mode', 'batch', [
				{ name: 'Batch', value: 'batch', description: 'One execution receives up to Batch Size messages' },
				{ name: 'Single Message', value: 'single', description: 'One execution per message' },
			], 'Batch lets one execution handle many messages at once (one Xero call for 50 invoices); each message is still acknowledged only after its execution forwarded it'),
			{
				displayName: 'Batch Size',
				name: 'batchSize',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 10000 },
				default: 50,
				description: 'Most messages per execution',
				displayOptions: { show: { mode: ['batch'] } },
			},
			{
				displayName: 'Batch Window (Ms)',
				name: 'batchWindowMs',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 2000,
				description: 'How long a batch waits for more messages after its first one before it starts an execution',
				displayOptions: { show: { mode: ['batch'] } },
			},
			optionsCollection([
				{
					displayName: 'Close Wait (Seconds)',
					name: 'closeWaitSeconds',
					type: 'number',
					typeOptions: { minValue: 0 },
					default: 30,
					description: 'On deactivation, how long running executions get to finish before unsettled messages are returned to the queue',
				},
				{
					displayName: 'Execution Wait Limit (Minutes)',
					name: 'executionWaitMinutes',
					type: 'number',
					typeOptions: { minValue: 0.001 },
					default: 25,
					description:
						"If an execution has not reported back by then, its batch is treated as failed. Keep it below RabbitMQ's consumer_timeout (30 minutes by default).",
				},
				{ ...maxAttemptsProperty },
				maxMessageSizeProperty(
					'Larger messages are parked as invalid. Keep it equal to Max Message Size of the Billing Queue nodes that publish to this stage (they refuse larger items).',
				),
				{
					displayName: 'Prefetch',
					name: 'prefetch',
					type: 'number',
					typeOptions: { minValue: 1, maxValue: 65535 },
					default: 50,
					description:
						'Most unacknowledged messages this trigger holds (defaults to the batch size, or 1 in single mode). More than the batch size lets executions overlap.',
				},
			]),
			queueSetupProperty,
		],
	};

	methods = { credentialTest: { billingRabbitMqConnectionTest } };

	async trigger(this: ITriggerFunctions): Promise<ITriggerResponse> {
		return await billingQueueTrigger.call(this);
	}
}
