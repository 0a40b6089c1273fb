// Dispatches resource/operation and lends each operation the pooled publisher connection.
import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { readSettings } from '../helpers/credentials';
import { brokerFailure } from '../helpers/nodeErrors';
import { acquireConnection } from '../transport';
import * as publish from './message/publish.operation';
import * as retryOrPark from './message/retryOrPark.operation';
import * as peek from './parked/peek.operation';
import * as replay from './parked/replay.operation';
import type { OperationExecute } from './shared';
import * as statistics from './stage/statistics.operation';

/** Idle pooled connections close after this long, so back-to-back executions reuse them. */
const CONNECTION_LINGER_MS = 60000;

const operations: Record<string, Record<string, OperationExecute>> = {
	message: { publish: publish.execute, retryOrPark: retryOrPark.execute },
	parked: { replay: replay.execute, peek: peek.execute },
	stage: { statistics: statistics.execute },
};

export const resourceProperties: INodeProperties[] = [
	{
		displayName: 'Resource',
		name: 'resource',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Message', value: 'message' },
			{ name: 'Parked Message', value: 'parked' },
			{ name: 'Stage', value: 'stage' },
		],
		default: 'message',
	},
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['message'] } },
		options: [
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
		default: 'publish',
	},
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['parked'] } },
		options: [
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
		default: 'peek',
	},
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['stage'] } },
		options: [
			{
				name: 'Queue Statistics',
				value: 'statistics',
				action: 'Get queue statistics',
				description: 'Ready, consumers, retrying and parked counts per stage',
			},
		],
		default: 'statistics',
	},
	...publish.description,
	...retryOrPark.description,
	...peek.description,
	...replay.description,
	...statistics.description,
];

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as string;
	const run = operations[resource]?.[operation];
	if (!run) {
		throw new NodeOperationError(this.getNode(), `The operation "${operation}" of resource "${resource}" is not supported`);
	}
	const settings = await readSettings.call(this);
	let lease;
	try {
		lease = await acquireConnection(settings, 'publisher');
	} catch (error) {
		throw brokerFailure(this.getNode(), error);
	}
	try {
		return [await run.call(this, { settings, connection: lease.connection })];
	} finally {
		await lease.release({ lingerMs: CONNECTION_LINGER_MS });
	}
}
