import { NodeConnectionTypes, type IExecuteFunctions, type INodeExecutionData, type INodeType, type INodeTypeDescription } from 'n8n-workflow';
import { properties } from './actions/properties';
import { router } from './actions/router';
import { credentialTest } from './methods';

// Deliberately not usableAsTool (n8n's type allows only `true`, so the property is absent): moving
// money must stay in a reviewed workflow, not an agent's choice.
// eslint-disable-next-line @n8n/community-nodes/node-usable-as-tool
export class SecureTrading implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Secure Trading',
		name: 'secureTrading',
		icon: { light: 'file:secureTrading.svg', dark: 'file:secureTrading.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: 'Charge stored cards, refund and query payments with Secure Trading (Trust Payments) webservices',
		defaults: { name: 'Secure Trading' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Success', 'Declined / Failed'],
		credentials: [{ name: 'secureTradingApi', required: true, testedBy: 'secureTradingApiTest' }],
		properties,
	};

	methods = { credentialTest };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
