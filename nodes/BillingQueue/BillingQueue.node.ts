import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { resourceProperties, router } from './actions/router';
import { billingRabbitMqConnectionTest } from './helpers/credentialTest';

export class BillingQueue implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Billing Queue',
		name: 'billingQueue',
		icon: 'file:billingQueue.svg',
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] + ($parameter["stage"] ? ": " + $parameter["stage"] : "") }}',
		description: 'Forward, retry, park and replay billing items between the RabbitMQ stage queues of the billing pipeline',
		defaults: { name: 'Billing Queue' },
		inputs: ['main'],
		outputs: ['main'],
		credentials: [{ name: 'billingRabbitMqApi', required: true, testedBy: 'billingRabbitMqConnectionTest' }],
		properties: resourceProperties,
	};

	methods = { credentialTest: { billingRabbitMqConnectionTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
