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
		credentials: [
			{ name: 'secureTradingApi', required: true, testedBy: 'secureTradingApiTest' },
			// n8n's own Postgres credential (n8n-nodes-base), asked for only when a debit's Charge Record
			// is PostgreSQL: the lock and record queue-mode workers share. n8n's lint forbids naming
			// another package's credential: a listed exception.
			// eslint-disable-next-line @n8n/community-nodes/no-credential-reuse, @n8n/community-nodes/valid-credential-references, n8n-nodes-base/node-class-description-credentials-name-unsuffixed
			{ name: 'postgres', required: true, displayOptions: { show: { resource: ['payment'], operation: ['debitStoredCard'], chargeRecord: ['postgres'] } } },
		],
		properties,
	};

	methods = { credentialTest };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
