// "n8n built-ins": the billing run as an n8n user would build it from n8n's own nodes only. A
// RabbitMQ Trigger (ack when the execution succeeded, 5 messages in parallel to match Xero's 5
// concurrent calls) starts one execution per invoice: HTTP Request calls to Xero, one per invoice
// and step as n8n's Xero node makes them (find the contact, create the invoice, PDF when asked,
// record the payment), Send Email for
// the invoice and the outcome, and an HTTP Request to the gateway's JSON API. HTTP nodes retry on
// failure (a 429 or 5xx) as n8n offers: up to 5 tries, 5 s apart (the longest n8n allows).
import * as amqp from 'amqplib';
import type { BillingSandbox } from '../../sandbox';
import { fetchSandboxToken } from '../../sandbox/xero/sdk';
import { condition, equals, notEmpty, Workflow as WorkflowBuilder } from '../../scripts/workflows/builder';
import type { CredentialSeed, Workflow } from '../../support/n8n';
import { AMQP_URL } from '../../support/pipeline';
import type { invoiceRequests } from './systems';

/** Credential references (id and name) of the seeds below. */
const CREDS = {
	rabbit: { id: 'bnchBuiltinRmq01', name: 'RabbitMQ (bench)' },
	xero: { id: 'bnchBuiltinXero1', name: 'Xero bearer (bench)' },
	gateway: { id: 'bnchBuiltinStApi', name: 'Secure Trading basic auth (bench)' },
	smtp: { id: 'bnchBuiltinSmtp1', name: 'SMTP (bench)' },
};

const trigger = "$('RabbitMQ Trigger').item.json";
/** Retry on failure, as an n8n user sets up calls to rate-limited APIs. */
const RETRY = { retryOnFail: true, maxTries: 5, waitBetweenTries: 5000 };

/** Where the built-in workflow sends its calls (the sandbox's addresses and gateway account). */
export interface BuiltinTargets {
	/** Xero API base URL. */
	api: string;
	gateway: { url: string; username: string; siteReference: string };
	queue: string;
	pdf: boolean;
}

/** The billing run from n8n's own nodes only: one execution per invoice request on `queue`. */
export function builtinWorkflow({ api, gateway, queue, pdf }: BuiltinTargets): Workflow {
	// n8n's default workflow settings: the benchmark measures n8n as it ships.
	const wf = new WorkflowBuilder('bnchBuiltinFlow1', 'Bench · billing with n8n built-in nodes', {}, { executionOrder: 'v1' });
	let col = 0;
	const http = (name: string, method: string, url: string, opts: { body?: string; auth: 'xero' | 'gateway'; pdf?: boolean }) =>
		wf.add(
			name,
			'n8n-nodes-base.httpRequest',
			4.2,
			col++,
			0,
			{
				method,
				url,
				authentication: 'genericCredentialType',
				genericAuthType: opts.auth === 'xero' ? 'httpHeaderAuth' : 'httpBasicAuth',
				sendHeaders: true,
				headerParameters: { parameters: [{ name: 'Accept', value: opts.pdf ? 'application/pdf' : 'application/json' }] },
				...(opts.body ? { sendBody: true, contentType: 'json', specifyBody: 'json', jsonBody: opts.body } : {}),
				options: opts.pdf ? { response: { response: { responseFormat: 'file', outputPropertyName: 'data' } } } : {},
			},
			{ ...RETRY, credentials: opts.auth === 'xero' ? { httpHeaderAuth: CREDS.xero } : { httpBasicAuth: CREDS.gateway } },
		);
	const ifNode = (name: string, conditions: ReturnType<typeof condition>) => wf.add(name, 'n8n-nodes-base.if', 2.2, col++, 0, { conditions, options: {} });
	const email = (name: string, subject: string, text: string, attach: boolean) =>
		wf.add(
			name,
			'n8n-nodes-base.emailSend',
			2.1,
			col++,
			0,
			{ fromEmail: 'accounts@billing.example', toEmail: `={{ ${trigger}.email }}`, subject, emailFormat: 'text', text, options: attach ? { attachments: 'data' } : {} },
			{ ...RETRY, credentials: { smtp: CREDS.smtp } },
		);

	const invoice = "$('Create Invoice').item.json.Invoices[0]";
	const charged = "($('Charge Card').isExecuted && $('Charge Card').item.json.response[0].errorcode === '0')";
	const outcome = `($('Charge Card').isExecuted ? (${charged} ? 'paid' : 'declined') : 'noCardOnFile')`;
	const chain = [
		wf.add('RabbitMQ Trigger', 'n8n-nodes-base.rabbitmqTrigger', 1, col++, 0, {
			queue,
			options: { acknowledge: 'executionFinishesSuccessfully', parallelMessages: 5, jsonParseBody: true, onlyContent: true },
		}, { credentials: { rabbitmq: CREDS.rabbit } }),
		// The clients are billed twice a week: their contacts exist, found by ContactNumber.
		http('Find Contact', 'GET', `={{ '${api}/Contacts?where=' + encodeURIComponent('ContactNumber=="' + $json.clientId + '"') }}`, { auth: 'xero' }),
		http('Create Invoice', 'PUT', `${api}/Invoices`, {
			auth: 'xero',
			body:
				`={{ JSON.stringify({ Invoices: [{ Type: 'ACCREC', Status: 'AUTHORISED', Contact: { ContactID: $json.Contacts[0].ContactID }, Reference: ${trigger}.billingKey, ` +
				`CurrencyCode: ${trigger}.currency, DueDate: $now.plus(14, 'days').toFormat('yyyy-MM-dd'), LineAmountTypes: 'Exclusive', ` +
				`LineItems: ${trigger}.lines.map(l => ({ Description: l.description, Quantity: l.quantity, UnitAmount: l.unitAmount, AccountCode: '200', TaxType: 'NONE' })) }] }) }}`,
		}),
		...(pdf ? [http('Invoice PDF', 'GET', `={{ '${api}/Invoices/' + $json.Invoices[0].InvoiceID }}`, { auth: 'xero', pdf: true })] : []),
		email('Email Invoice', `={{ 'Invoice ' + ${invoice}.InvoiceNumber }}`, `={{ 'Dear ' + ${trigger}.name + ', please find invoice ' + ${invoice}.InvoiceNumber + '.' }}`, pdf),
		ifNode('Card on File?', notEmpty(`={{ ${trigger}.cardReference ?? '' }}`)),
	];
	http('Charge Card', 'POST', `${gateway.url}/json/`, {
		auth: 'gateway',
		body:
			`={{ JSON.stringify({ alias: '${gateway.username}', version: '1.00', request: [{ requesttypedescriptions: ['AUTH'], sitereference: '${gateway.siteReference}', ` +
			`accounttypedescription: 'ECOM', initiationreason: 'C', parenttransactionreference: ${trigger}.cardReference, credentialsonfile: '2', baseamount: String(${trigger}.totalMinor), ` +
			`currencyiso3a: ${trigger}.currency, orderreference: ${trigger}.billingKey }] }) }}`,
	});
	ifNode('Paid?', equals('={{ $json.response[0].errorcode }}', '0'));
	http('Record Payment', 'PUT', `${api}/Payments`, {
		auth: 'xero',
		body:
			`={{ JSON.stringify({ Payments: [{ Invoice: { InvoiceID: ${invoice}.InvoiceID }, Account: { Code: '090' }, Amount: ${invoice}.Total, ` +
			`Date: $now.toFormat('yyyy-MM-dd'), Reference: $json.response[0].transactionreference }] }) }}`,
	});
	email('Email Outcome', `={{ 'Payment ' + ${outcome} + ' [' + ${trigger}.billingKey + ']' }}`, `={{ 'Dear ' + ${trigger}.name + ', invoice ' + ${invoice}.InvoiceNumber + ': ' + ${outcome} + '.' }}`, false);
	for (let i = 0; i + 1 < chain.length; i++) wf.link(chain[i], chain[i + 1]);
	wf.link('Card on File?', 'Charge Card', 0);
	wf.link('Card on File?', 'Email Outcome', 1);
	wf.link('Charge Card', 'Paid?');
	wf.link('Paid?', 'Record Payment', 0);
	wf.link('Paid?', 'Email Outcome', 1);
	wf.link('Record Payment', 'Email Outcome');
	return wf.toJSON();
}

export async function builtinWorkflows(sandbox: BillingSandbox, queue: string, pdf: boolean): Promise<{ workflows: Workflow[]; credentials: CredentialSeed[] }> {
	const token = await fetchSandboxToken({ clientId: sandbox.xero.clientId, clientSecret: sandbox.xero.clientSecret, tokenUrl: sandbox.xero.tokenUrl });
	const st = sandbox.secureTrading;
	const workflow = builtinWorkflow({ api: sandbox.xero.apiBaseUrl, gateway: { url: st.url, username: st.username, siteReference: st.siteReference }, queue, pdf });
	const rabbit = new URL(AMQP_URL);
	const credentials: CredentialSeed[] = [
		{ ...CREDS.rabbit, type: 'rabbitmq', data: { hostname: rabbit.hostname, port: Number(rabbit.port || 5672), username: decodeURIComponent(rabbit.username), password: decodeURIComponent(rabbit.password), vhost: '/', ssl: false } },
		{ ...CREDS.xero, type: 'httpHeaderAuth', data: { name: 'Authorization', value: `Bearer ${token.access_token}` } },
		{ ...CREDS.gateway, type: 'httpBasicAuth', data: { user: st.username, password: st.password } },
		{ ...CREDS.smtp, type: 'smtp', data: { host: sandbox.smtp.host, port: sandbox.smtp.port, secure: false, disableStartTls: true, user: '', password: '' } },
	];
	return { workflows: [workflow], credentials };
}

/** Declares the queue and publishes one message per invoice; `null` deletes the queue. */
export async function publishInvoiceRequests(queue: string, invoices: ReturnType<typeof invoiceRequests> | null): Promise<void> {
	const conn = await amqp.connect(AMQP_URL);
	try {
		const ch = await conn.createConfirmChannel();
		if (invoices === null) {
			await ch.deleteQueue(queue);
			return;
		}
		await ch.assertQueue(queue, { durable: true });
		for (const inv of invoices) ch.sendToQueue(queue, Buffer.from(JSON.stringify(inv)), { persistent: true, contentType: 'application/json' });
		await ch.waitForConfirms();
	} finally {
		await conn.close();
	}
}
