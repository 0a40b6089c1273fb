import { NodeConnectionTypes, type IExecuteFunctions, type INodeExecutionData, type INodeType, type INodeTypeDescription } from 'n8n-workflow';
import { properties } from './actions/properties';
import { router } from './actions/router';

// Not usableAsTool (n8n's type allows only `true`, so the property is absent): it decides what
// finance is told about a billing run, which stays in a reviewed workflow.
// eslint-disable-next-line @n8n/community-nodes/node-usable-as-tool
export class BillingReport implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Billing Report',
		name: 'billingReport',
		icon: { light: 'file:billingReport.svg', dark: 'file:billingReport.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["resource"] + ": " + $parameter["operation"] }}',
		description: "Billing runs' outcomes: the run report (JSON and CSV), alerts and the billing status page",
		defaults: { name: 'Billing Report' },
		inputs: [NodeConnectionTypes.Main],
		// Output 2: outcome items that could not be recorded, with the reason, for Retry or Park.
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Success', 'Failed'],
		credentials: [
			// n8n's own Postgres credential (n8n-nodes-base), asked for only when Store is PostgreSQL.
			// eslint-disable-next-line @n8n/community-nodes/no-credential-reuse, @n8n/community-nodes/valid-credential-references, n8n-nodes-base/node-class-description-credentials-name-unsuffixed
			{ name: 'postgres', required: true, displayOptions: { show: { store: ['postgres'] } } },
		],
		properties,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
