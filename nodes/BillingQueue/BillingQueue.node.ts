import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { router } from './actions/router';
import { versionDescription } from './actions/versionDescription';
import { billingRabbitMqConnectionTest } from './methods/credentialTest';

export class BillingQueue implements INodeType {
	description: INodeTypeDescription = versionDescription;

	methods = { credentialTest: { billingRabbitMqConnectionTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
