// The Billing Report node's parameters: resources, operations, the store, and each operation's parameters.
import type { INodeProperties } from 'n8n-workflow';
import { operationProperty, optionsCollection, resourceProperty } from '../../shared/descriptions';
import * as check from './alert/check.operation';
import * as due from './run/due.operation';
import * as checkReplay from './page/checkReplay.operation';
import * as render from './page/render.operation';
import * as get from './run/get.operation';
import * as markReported from './run/markReported.operation';
import * as record from './run/record.operation';
import * as start from './run/start.operation';

export const properties: INodeProperties[] = [
	resourceProperty(
		[
			{ name: 'Alert', value: 'alert' },
			{ name: 'Billing Run', value: 'run' },
			{ name: 'Status Page', value: 'page' },
		],
		'run',
	),
	operationProperty(
		'run',
		[
			{ name: 'Start Run', value: 'start', action: 'Start a billing run', description: 'Record a run and the billing keys it expects (collect stage); items pass through' },
			{ name: 'Record Outcomes', value: 'record', action: 'Record outcomes', description: "Record the stages' outcome events; output the report of every run they completed" },
			{ name: 'Due Reports', value: 'due', action: 'Get due reports', description: 'Reports of runs that are complete or past their deadline and not yet sent' },
			{ name: 'Get Report', value: 'get', action: 'Get a run report', description: "A run's report as it stands, with its CSV" },
			{ name: 'Mark Reported', value: 'markReported', action: 'Mark a report as sent', description: 'Record that the run report went out' },
		],
		'record',
	),
	operationProperty(
		'page',
		[
			{
				name: 'Render Page',
				value: 'render',
				action: 'Render the billing status page',
				description: "One HTML page with the queue figures, the parked items with their errors and the latest runs' reports, for a Respond to Webhook node",
			},
			{
				name: 'Check Replay Request',
				value: 'checkReplay',
				action: 'Check a replay request',
				description: "Check what the page's Replay form posted (its token, the confirmation, stage and count) before anything is replayed",
			},
		],
		'render',
	),
	operationProperty(
		'alert',
		[
			{
				name: 'Check Conditions',
				value: 'check',
				action: 'Check alert conditions',
				description: 'Queue figures and outcome events since the last check: one item per alert due (parked, stalled or unconsumed stage, Xero budget, gateway errors, unknown charge)',
			},
		],
		'check',
	),
	{
		displayName: 'Store',
		name: 'store',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'File', value: 'file', description: "A folder in n8n's user folder: one n8n instance (regular mode)" },
			{ name: 'PostgreSQL', value: 'postgres', description: "Queue mode: every worker shares the ledger through n8n's Postgres credential" },
		],
		default: 'file',
		description: 'Where the run ledger is kept. Every Billing Report node of the pipeline must use the same store.',
	},
	...start.description,
	...record.description,
	...due.description,
	...get.description,
	...markReported.description,
	...check.description,
	...render.description,
	...checkReplay.description,
	optionsCollection([
		{
			displayName: 'Ledger Folder',
			name: 'ledgerFolder',
			type: 'string',
			default: '',
			displayOptions: { show: { '/store': ['file'] } },
			description: "Folder of the run ledger; empty: billing-run-ledger in n8n's user folder",
		},
	]),
];
