// The Xero Billing router table. Operations work on the whole input in batches (Xero counts calls,
// not records) and record one outcome per item: successes to output 1, records Xero refused (or,
// with Continue On Fail, items that failed) to output 2, each with its pairedItem.
import type { ICredentialDataDecryptedObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { numberParameter, requiredTextParameter } from '../../shared/parameters';
import { route, type RouterTable } from '../../shared/router';
import { connectionFromCredentials, oauth2Connection, XERO_OAUTH2_CREDENTIAL, XeroTransport, type CallPolicy, type XeroLink } from '../transport';
import type { XeroClient } from '../helpers/client';
import { n8nOAuth2 } from '../helpers/oauth2';
import * as contact from './contact';
import * as invoice from './invoice';
import * as payment from './payment';

/** The call policy from the node's Options (one set for all items: read for item 0). */
function callPolicy(fns: IExecuteFunctions): CallPolicy {
	return {
		timeoutMs: numberParameter(fns, 'options.timeoutMs', 0, { default: 30_000, min: 100, label: 'Request Timeout (Ms)' }),
		maxRetries: numberParameter(fns, 'options.maxRetries', 0, { default: 4, min: 0, max: 10, integer: true, label: 'Max Retries' }),
		retryDelayMs: numberParameter(fns, 'options.retryDelayMs', 0, { default: 500, min: 0, label: 'Retry Delay (Ms)' }),
		maxRateLimitWaitMs: numberParameter(fns, 'options.maxRateLimitWaitSeconds', 0, { default: 180, min: 0, label: 'Max Rate-Limit Wait (Seconds)' }) * 1000,
		signal: fns.getExecutionCancelSignal?.(),
	};
}

/** The custom connection, or (OAuth2) the organisation chosen in the node through n8n's credential. */
function link(fns: IExecuteFunctions, credentials: ICredentialDataDecryptedObject | undefined, credentialType: string | undefined): XeroLink {
	if (credentialType !== XERO_OAUTH2_CREDENTIAL) return connectionFromCredentials(credentials);
	const tenantId = requiredTextParameter(fns, 'organizationId', 0, 'Organization');
	return oauth2Connection(credentials, tenantId, n8nOAuth2(fns));
}

/** Xero's PDF and the online invoice link are one call per invoice (no Batch Size option); a PDF rendered here reads 50 a call. */
function oneInvoicePerCall(fns: IExecuteFunctions, operation: string): boolean {
	if (operation === 'getOnlineInvoice') return true;
	return operation === 'getPdf' && fns.getNodeParameter('pdfSource', 0, 'xero') !== 'rendered';
}

const table: RouterTable<XeroClient> = {
	credential: { parameter: 'authentication', byValue: { customConnection: 'xeroCustomConnectionApi', oAuth2: XERO_OAUTH2_CREDENTIAL } },
	connect: (fns, credentials: ICredentialDataDecryptedObject | undefined, operation, credentialType) => {
		const transport = new XeroTransport(link(fns, credentials, credentialType), callPolicy(fns));
		const batchSize = oneInvoicePerCall(fns, operation) ? 1 : numberParameter(fns, 'options.batchSize', 0, { default: 50, min: 1, max: 50, integer: true, label: 'Batch Size' });
		return { client: { transport, batchSize } };
	},
	outputs: 2,
	usage: (client) => {
		const dayRemaining = client.transport.limiter.dayRemaining();
		return { xeroCalls: client.transport.callsMade, ...(dayRemaining !== undefined ? { xeroDayRemaining: dayRemaining } : {}) };
	},
	operations: {
		contact: { ensure: contact.ensure.execute },
		invoice: {
			create: invoice.create.execute,
			findUnbilled: invoice.findUnbilled.execute,
			get: invoice.get.execute,
			getOnlineInvoice: invoice.getOnlineInvoice.execute,
			getPdf: invoice.getPdf.execute,
			markSent: invoice.markSent.execute,
		},
		payment: { record: payment.record.execute },
	},
};

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await route(this, table);
}
