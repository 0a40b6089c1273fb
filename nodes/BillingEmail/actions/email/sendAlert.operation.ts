// Send Alert: one alert to ops. The alert key (condition + period) is its Message-ID, so the same
// condition in the same period is emailed once even if two checks raise it.
import type { INodeProperties } from 'n8n-workflow';
import { forOperation } from '../../../shared/descriptions';
import type { OperationContext } from '../../../shared/operation';
import { deliverEmails } from '../../helpers/deliver';
import { composeOpsEmail } from '../../helpers/opsEmail';
import type { SmtpClient } from '../../transport';
import { optionFields, sentRecordFields } from '../common.descriptions';

const properties: INodeProperties[] = [
	{ displayName: 'To', name: 'to', type: 'string', default: '', required: true, placeholder: 'ops@yourcompany.example', description: 'Ops address(es), comma-separated' },
	{ displayName: 'Alert Key', name: 'alertKey', type: 'string', default: '={{ $json.alertKey }}', required: true, description: 'Condition and period; one email per key' },
	{ displayName: 'Subject', name: 'subject', type: 'string', default: '={{ $json.subject }}', required: true, description: "The alert's subject line" },
	{
		displayName: 'Text',
		name: 'text',
		type: 'string',
		typeOptions: { rows: 6 },
		default: "={{ $json.text + '\\n\\nWhat to do: ' + $json.whatToDo }}",
		description: 'What happened and what to do',
	},
	...sentRecordFields,
	...optionFields,
];

export const description = forOperation(null, 'sendAlert', properties);

export async function execute(ctx: OperationContext<SmtpClient>): Promise<void> {
	await deliverEmails(ctx, { kindOf: () => 'alert', compose: async (index) => await composeOpsEmail(ctx.fns, index, 'alert', ctx.client.connection.defaultSender) });
}
