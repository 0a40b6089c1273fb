import type { INodeProperties } from 'n8n-workflow';
import { operationProperty } from '../../../shared/descriptions';
import * as create from './create.operation';
import * as findUnbilled from './findUnbilled.operation';
import * as get from './get.operation';
import * as getOnlineInvoice from './getOnlineInvoice.operation';
import * as getPdf from './getPdf.operation';
import * as markSent from './markSent.operation';

export { create, findUnbilled, get, getOnlineInvoice, getPdf, markSent };

export const description: INodeProperties[] = [
	operationProperty(
		'invoice',
		[
			{ name: 'Create', value: 'create', action: 'Create invoices', description: 'Create sales invoices in batches, never twice per billing key' },
			{
				name: 'Find Unbilled Leads',
				value: 'findUnbilled',
				action: 'Find unbilled leads',
				description: 'Pass on only the leads of each request that no invoice bills yet (late leads on a supplementary invoice)',
			},
			{ name: 'Get', value: 'get', action: 'Get invoices', description: 'Get invoices by billing key or invoice ID' },
			{
				name: 'Get Online Invoice Link',
				value: 'getOnlineInvoice',
				action: 'Get an online invoice link',
				description: "Get the link to Xero's online invoice; costs one Xero call per invoice",
			},
			{ name: 'Get PDF', value: 'getPdf', action: 'Get an invoice PDF', description: "Xero's PDF of the invoice, or one rendered here from the invoice (fewer Xero calls)" },
			{ name: 'Mark as Sent', value: 'markSent', action: 'Mark invoices as sent', description: 'Set SentToContact on approved invoices' },
		],
		'create',
	),
	...create.description,
	...findUnbilled.description,
	...get.description,
	...getOnlineInvoice.description,
	...getPdf.description,
	...markSent.description,
];
