// The Billing SMTP credential is read once per execution; its pooled transport is held for the
// run and released after it (the pool itself outlives executions, see transport/).
import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { route, type RouterTable } from '../../shared/router';
import { acquireSmtpPool, connectionFromCredentials, type SmtpClient } from '../transport';
import * as email from './email';

export const table: RouterTable<SmtpClient> = {
	credential: 'billingSmtp',
	connect: (_fns, credentials) => {
		const connection = connectionFromCredentials(credentials ?? {});
		const pool = acquireSmtpPool(connection);
		return { client: { connection, send: pool.send }, release: async () => pool.release() };
	},
	outputs: 2,
	operations: {
		email: {
			sendInvoice: email.sendInvoice.execute,
			sendPaymentNotice: email.sendPaymentNotice.execute,
			sendRunReport: email.sendRunReport.execute,
			sendAlert: email.sendAlert.execute,
		},
	},
	defaultResource: 'email',
};

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await route(this, table);
}
