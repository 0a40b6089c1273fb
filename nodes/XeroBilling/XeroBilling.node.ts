import { NodeConnectionTypes, type IExecuteFunctions, type INodeExecutionData, type INodeType, type INodeTypeDescription } from 'n8n-workflow';
import { properties } from './actions/properties';
import { router } from './actions/router';
import { xeroCustomConnectionApiTest } from './methods/credentialTest';
import { getTenants } from './methods/loadOptions';

export class XeroBilling implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Xero Billing',
		name: 'xeroBilling',
		icon: { light: 'file:xeroBilling.svg', dark: 'file:xeroBilling.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: 'Create invoices, contacts and payments in Xero in rate-limited batches, never twice',
		defaults: { name: 'Xero Billing' },
		// An AI agent may look invoices up or create them: both are idempotent by billing key.
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Success', 'Rejected / Failed'],
		credentials: [
			{ name: 'xeroCustomConnectionApi', required: true, testedBy: 'xeroCustomConnectionApiTest', displayOptions: { show: { authentication: ['customConnection'] } } },
			// n8n's own Xero OAuth2 credential (n8n-nodes-base), so users keep the Xero connections they
			// have (issue 17, item 5); n8n tests it by its token, the Organization list checks the
			// connection. n8n's lint forbids naming another package's credential: a listed exception.
			// eslint-disable-next-line @n8n/community-nodes/no-credential-reuse, @n8n/community-nodes/valid-credential-references
			{ name: 'xeroOAuth2Api', required: true, displayOptions: { show: { authentication: ['oAuth2'] } } },
		],
		properties,
	};

	methods = { credentialTest: { xeroCustomConnectionApiTest }, loadOptions: { getTenants } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
