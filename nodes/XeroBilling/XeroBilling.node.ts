import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { router } from './actions/router';
import { versionDescription } from './actions/versionDescription';
import { xeroCustomConnectionApiTest } from './methods/credentialTest';

export class XeroBilling implements INodeType {
	description: INodeTypeDescription = versionDescription;

	methods = { credentialTest: { xeroCustomConnectionApiTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
