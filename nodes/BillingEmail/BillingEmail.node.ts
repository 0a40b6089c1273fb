import { NodeConnectionTypes, type IExecuteFunctions, type INodeExecutionData, type INodeType, type INodeTypeDescription } from 'n8n-workflow';
import { properties } from './actions/properties';
import { router } from './actions/router';
import { billingSmtpConnectionTest } from './methods/credentialTest';

// Not usableAsTool (n8n's type allows only `true`, so the property is absent): it emails clients
// about their money, which stays in a reviewed workflow, not an agent's choice.
// eslint-disable-next-line @n8n/community-nodes/node-usable-as-tool
export class BillingEmail implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Billing Email',
		name: 'billingEmail',
		icon: { light: 'file:billingEmail.svg', dark: 'file:billingEmail.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle: '={{ { sendInvoice: "Send invoice", sendRunReport: "Run report", sendAlert: "Alert" }[$parameter["operation"]] ?? "Payment notice: " + $parameter["noticeKind"] }}',
		description: 'Send invoice emails and payment notices (paid, declined, no card, final notice) over SMTP',
		defaults: { name: 'Billing Email' },
		inputs: [NodeConnectionTypes.Main],
		// Output 2 receives items whose email could not be sent, with the SMTP error, for retry.
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Sent', 'Failed'],
		credentials: [
			{
				// Named as the task specifies; SMTP is not an HTTP API, hence no -Api suffix.
				// eslint-disable-next-line n8n-nodes-base/node-class-description-credentials-name-unsuffixed
				name: 'billingSmtp',
				required: true,
				testedBy: 'billingSmtpConnectionTest',
			},
			// n8n's own Postgres credential (n8n-nodes-base), asked for only when Sent Record is
			// PostgreSQL: the record queue-mode workers share. n8n's lint forbids naming another
			// package's credential: a listed exception.
			// eslint-disable-next-line @n8n/community-nodes/no-credential-reuse, @n8n/community-nodes/valid-credential-references
			{ name: 'postgres', required: true, displayOptions: { show: { sentRecord: ['postgres'] } } },
		],
		properties,
	};

	methods = { credentialTest: { billingSmtpConnectionTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
