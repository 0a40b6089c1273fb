// Parameters both Billing Queue nodes show identically (so the two sides declare the same
// topology). Operations place them with forOperation (nodes/shared/descriptions).
import type { INodeProperties } from 'n8n-workflow';
import { choiceProperty, optionsCollection } from '../../shared/descriptions';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../helpers/message';
import { DEFAULT_EXCHANGE, DEFAULT_RETRY_DELAYS } from '../helpers/topology';

export const queueSetupProperty: INodeProperties = optionsCollection(
	[
		{
			displayName: 'Exchange',
			name: 'exchange',
			type: 'string',
			default: DEFAULT_EXCHANGE,
			description: 'Durable topic exchange of the pipeline; also the prefix of every queue name (e.g. billing.invoice)',
		},
		choiceProperty('Queue Type', 'queueType', 'quorum', [{ name: 'Quorum (Replicated)', value: 'quorum' }, { name: 'Classic', value: 'classic' }], 'Type of the stage and retry queues. The parking and hold queues are always classic.'),
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
	{
		displayName: 'Queue Setup',
		name: 'queueSetup',
		placeholder: 'Add Setting',
		description:
			'Must be identical on the Billing Queue Trigger and every Billing Queue node of the pipeline: RabbitMQ refuses to redeclare a queue with different settings',
	},
);

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

/** How many parked messages one run of Peek or Replay handles, oldest first. */
export function maxMessagesProperty(defaultValue: number, description: string): INodeProperties {
	return {
		displayName: 'Max Messages',
		name: 'maxMessages',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 10000 },
		default: defaultValue,
		description,
	};
}

export const maxAttemptsProperty: INodeProperties = {
	displayName: 'Max Attempts',
	name: 'maxAttempts',
	type: 'number',
	typeOptions: { minValue: 1, maxValue: 1000 },
	default: 5,
	description: 'Attempts a message gets in this stage before it is parked (the first try counts)',
};

const DEFAULT_MAX_MESSAGE_KB = DEFAULT_MAX_MESSAGE_BYTES / 1024;

/** One limit on both sides of a queue: the trigger parks larger messages, Publish refuses them. */
export function maxMessageSizeProperty(description: string): INodeProperties {
	return {
		displayName: 'Max Message Size (KB)',
		name: 'maxMessageSizeKb',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 512 * 1024 },
		default: DEFAULT_MAX_MESSAGE_KB,
		description,
	};
}
