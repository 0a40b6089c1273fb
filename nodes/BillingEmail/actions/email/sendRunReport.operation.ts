// Send Run Report: the billing run's report to finance/ops, CSV and JSON attached. Its Message-ID
// is the run's, so a report redelivered or offered twice (two workers completing the run at once)
// goes out once with a sent record.
import type { INodeProperties } from 'n8n-workflow';
import { forOperation } from '../../../shared/descriptions';
import type { OperationContext } from '../../../shared/operation';
import { deliverEmails } from '../../helpers/deliver';
import { composeOpsEmail } from '../../helpers/opsEmail';
import type { SmtpClient } from '../../transport';
import { optionFields, sentRecordFields } from '../common.descriptions';

const properties: INodeProperties[] = [
	{
		displayName: 'To',
		name: 'to',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'finance@yourcompany.example',
		description: 'Finance/ops address(es), comma-separated',
	},
	{
		displayName: 'Billing Run ID',
		name: 'runId',
		type: 'string',
		default: '={{ $json.runId }}',
		required: true,
		description: "The report's run (from Billing Report); its Message-ID is made from it",
	},
	{
		displayName: 'CSV Binary Property',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'report',
		description: "The binary property holding the report's CSV (Billing Report puts it in report)",
	},
	...sentRecordFields,
	...optionFields,
];

export const description = forOperation(null, 'sendRunReport', properties);

export async function execute(ctx: OperationContext<SmtpClient>): Promise<void> {
	await deliverEmails(ctx, { kindOf: () => 'runReport', compose: async (index) => await composeOpsEmail(ctx.fns, index, 'runReport', ctx.client.connection.defaultSender) });
}
