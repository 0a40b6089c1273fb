// Parameters both Billing Queue nodes show identically (so the two sides declare the same
// topology), and the one way an operation's parameters are shown only for it.
import { type INodeProperties, updateDisplayOptions } from 'n8n-workflow';
import { DEFAULT_EXCHANGE, DEFAULT_RETRY_DELAYS } from '../helpers/topology';

/** Shows `properties` only for `operation` of `resource` (n8n's updateDisplayOptions). */
export function forOperation(resource: string, operation: string, properties: INodeProperties[]): INodeProperties[] {
	return updateDisplayOptions({ show: { resource: [resource], operation: [operation] } }, properties);
}

export const queueSetupProperty: INodeProperties = {
	displayName: 'Queue Setup',
	name: 'queueSetup',
	type: 'collection',
	placeholder: 'Add Setting',
	default: {},
	description:
		'Must be identical on the Billing Queue Trigger and every Billing Queue node of the pipeline: RabbitMQ refuses to redeclare a queue with different settings',
	options: [
		{
			displayName: 'Exchange',
			name: 'exchange',
			type: 'string',
			default: DEFAULT_EXCHANGE,
			description: 'Durable topic exchange of the pipeline; also the prefix of every queue name (e.g. billing.invoice)',
		},
		{
			displayName: 'Queue Type',
			name: 'queueType',
			type: 'options',
			options: [
				{ name: 'Quorum (Replicated)', value: 'quorum' },
				{ name: 'Classic', value: 'classic' },
			],
			default: 'quorum',
			description: 'Type of the stage and retry queues. The parking queue is always classic.',
		},
		{
			displayName: 'Retry Delays',
			name: 'retryDelays',
			type: 'string',
			default: DEFAULT_RETRY_DELAYS,
			placeholder: '5s, 30s, 2m, 10m',
			description:
				'Delay before each retry, in order (units ms, s, m, h, d; max 49d); further retries reuse the last one. Each distinct delay gets its own queue, e.g. billing.invoice.retry.30s.',
		},
	],
};

export function stageProperty(overrides: Partial<INodeProperties> = {}): INodeProperties {
	return {
		displayName: 'Stage',
		name: 'stage',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. invoice',
		description: 'Stage name (letters, digits, _ and -), e.g. invoice; its queue is then billing.invoice with the default exchange',
		...overrides,
	} as INodeProperties;
}

export const maxAttemptsProperty: INodeProperties = {
	displayName: 'Max Attempts',
	name: 'maxAttempts',
	type: 'number',
	typeOptions: { minValue: 1, maxValue: 1000 },
	default: 5,
	description: 'Attempts a message gets in this stage before it is parked (the first try counts)',
};
