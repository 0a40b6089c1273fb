import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { router } from './actions/router';
import { versionDescription } from './actions/versionDescription';
import { billingSmtpConnectionTest } from './methods/credentialTest';

export class BillingEmail implements INodeType {
	description: INodeTypeDescription = versionDescription;

	methods = { credentialTest: { billingSmtpConnectionTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
