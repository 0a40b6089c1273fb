import { NodeConnectionTypes, type IExecuteFunctions, type INodeExecutionData, type INodeType, type INodeTypeDescription } from 'n8n-workflow';
import { properties } from './actions/properties';
import { router } from './actions/router';
import { billingRabbitMqConnectionTest } from './methods/credentialTest';

// Not usableAsTool (n8n's type allows only `true`, so the property is absent): it forwards,
// parks and replays billing items between stages, which leads to charges and invoices.
// eslint-disable-next-line @n8n/community-nodes/node-usable-as-tool
export class BillingQueue implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Billing Queue',
		name: 'billingQueue',
		icon: { light: 'file:billingQueue.svg', dark: 'file:billingQueue.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] + ($parameter["stage"] ? ": " + $parameter["stage"] : "") }}',
		description: 'Forward, retry, park and replay billing items between the RabbitMQ stage queues of the billing pipeline',
		defaults: { name: 'Billing Queue' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'billingRabbitMqApi', required: true, testedBy: 'billingRabbitMqConnectionTest' }],
		properties,
	};

	methods = { credentialTest: { billingRabbitMqConnectionTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
