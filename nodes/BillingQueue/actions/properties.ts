// The Billing Queue node's parameters: resources, operations and each operation's parameters.
// The description head (name, icon, inputs, outputs, credentials) is the literal in
// BillingQueue.node.ts, where n8n's lint rules read it.
import type { INodeProperties } from 'n8n-workflow';
import { operationProperty, resourceProperty } from '../../shared/descriptions';
import * as publish from './message/publish.operation';
import * as retryOrPark from './message/retryOrPark.operation';
import * as peek from './parked/peek.operation';
import * as replay from './parked/replay.operation';
import * as statistics from './stage/statistics.operation';

export const properties: INodeProperties[] = [
	resourceProperty(
		[
			{ name: 'Message', value: 'message' },
			{ name: 'Parked Message', value: 'parked' },
			{ name: 'Stage', value: 'stage' },
		],
		'message',
	),
	operationProperty(
		'message',
		[
			{
				name: 'Publish to Stage',
				value: 'publish',
				action: 'Publish items to a stage',
				description: 'Forward each item to a stage queue; an item counts as forwarded once RabbitMQ confirmed it',
			},
			{
				name: 'Retry or Park',
				value: 'retryOrPark',
				action: 'Retry or park failed items',
				description: 'Send failed items to the retry path with attempt + 1, or to parking at max attempts',
			},
		],
		'publish',
	),
	operationProperty(
		'parked',
		[
			{
				name: 'Peek',
				value: 'peek',
				action: 'Peek at parked messages',
				description: 'List parked messages with their errors without removing them',
			},
			{
				name: 'Replay',
				value: 'replay',
				action: 'Replay parked messages',
				description: 'Move parked messages back into their stage with the attempt count reset',
			},
		],
		'peek',
	),
	operationProperty(
		'stage',
		[
			{
				name: 'Queue Statistics',
				value: 'statistics',
				action: 'Get queue statistics',
				description: 'Ready, consumers, retrying and parked counts per stage',
			},
		],
		'statistics',
	),
	...publish.description,
	...retryOrPark.description,
	...peek.description,
	...replay.description,
	...statistics.description,
];
