// "n8n built-ins": the billing run as an n8n user would build it from n8n's own nodes only. A
// RabbitMQ Trigger (ack when the execution succeeded, 5 messages in parallel to match Xero's 5
// concurrent calls) starts one execution per invoice: HTTP Request calls to Xero, one per invoice
// and step as n8n's Xero node makes them (find the contact, create the invoice, PDF when asked,
// record the payment), Send Email for
// the invoice and the outcome, and an HTTP Request to the gateway's JSON API. HTTP nodes retry on
// failure (a 429 or 5xx) as n8n offers: up to 5 tries, 5 s apart (the longest n8n allows).
import * as amqp from 'amqplib';
import { createHash } from 'crypto';
import type { BillingSandbox } from '../../sandbox';
import { fetchSandboxToken } from '../../sandbox/xero/sdk';
import { AMQP_URL } from '../../test/harness/pipeline';
import type { CredentialSeed } from '../../test/harness/n8n';
import type { invoiceRequests } from './systems';

type Json = Record<string, any>;

/** A stable node id (UUID-shaped) from the node's name. */
function nodeId(name: string): string {
	const h = createHash('md5').update(name).digest('hex');
	return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const CREDS = {
	rabbit: { id: 'bnchBuiltinRmq01', name: 'RabbitMQ (bench)' },
	xero: { id: 'bnchBuiltinXero1', name: 'Xero bearer (bench)' },
	gateway: { id: 'bnchBuiltinStApi', name: 'Secure Trading basic auth (bench)' },
	smtp: { id: 'bnchBuiltinSmtp1', name: 'SMTP (bench)' },
};

const trigger = "$('RabbitMQ Trigger').item.json";
const RETRY = { retryOnFail: true, maxTries: 5, waitBetweenTries: 5000 };

/** A node that retries on failure, as an n8n user sets up calls to rate-limited APIs. */
function retrying(name: string, type: string, typeVersion: number, x: number): Json {
	return { id: nodeId(name), name, type, typeVersion, position: [x, 0], ...RETRY };
}

function http(name: string, x: number, method: string, url: string, opts: { body?: string; auth: 'xero' | 'gateway'; pdf?: boolean }): Json {
	return {
		...retrying(name, 'n8n-nodes-base.httpRequest', 4.2, x),
		credentials: opts.auth === 'xero' ? { httpHeaderAuth: CREDS.xero } : { httpBasicAuth: CREDS.gateway },
		parameters: {
			method,
			url,
			authentication: 'genericCredentialType',
			genericAuthType: opts.auth === 'xero' ? 'httpHeaderAuth' : 'httpBasicAuth',
			sendHeaders: true,
			headerParameters: { parameters: [{ name: 'Accept', value: opts.pdf ? 'application/pdf' : 'application/json' }] },
			...(opts.body ? { sendBody: true, contentType: 'json', specifyBody: 'json', jsonBody: opts.body } : {}),
			options: opts.pdf ? { response: { response: { responseFormat: 'file', outputPropertyName: 'data' } } } : {},
		},
	};
}

/** An If node (v2.2) with one condition. */
function ifNode(name: string, x: number, leftValue: string, operator: Json, rightValue = ''): Json {
	return {
		id: nodeId(name),
		name,
		type: 'n8n-nodes-base.if',
		typeVersion: 2.2,
		position: [x, 0],
		parameters: {
			conditions: {
				options: { caseSensitive: true, leftValue: '', typeValidation: 'loose', version: 2 },
				conditions: [{ id: nodeId(`${name} condition`), leftValue, rightValue, operator }],
				combinator: 'and',
			},
			options: {},
		},
	};
}

function email(name: string, x: number, subject: string, text: string, attach: boolean): Json {
	return {
		...retrying(name, 'n8n-nodes-base.emailSend', 2.1, x),
		credentials: { smtp: CREDS.smtp },
		parameters: {
			fromEmail: 'accounts@billing.example',
			toEmail: `={{ ${trigger}.email }}`,
			subject,
			emailFormat: 'text',
			text,
			options: attach ? { attachments: 'data' } : {},
		},
	};
}

export async function builtinWorkflows(sandbox: BillingSandbox, queue: string, pdf: boolean): Promise<{ workflows: Json[]; credentials: CredentialSeed[] }> {
	const api = sandbox.xero.apiBaseUrl;
	const token = await fetchSandboxToken({ clientId: sandbox.xero.clientId, clientSecret: sandbox.xero.clientSecret, tokenUrl: sandbox.xero.tokenUrl });
	const st = sandbox.secureTrading;
	const invoice = "$('Create Invoice').item.json.Invoices[0]";
	const charged = "($('Charge Card').isExecuted && $('Charge Card').item.json.response[0].errorcode === '0')";
	const outcome = `($('Charge Card').isExecuted ? (${charged} ? 'paid' : 'declined') : 'noCardOnFile')`;
	const nodes: Json[] = [
		{
			id: 'b0b0b0b0-1000-4000-8000-000000000001',
			name: 'RabbitMQ Trigger',
			type: 'n8n-nodes-base.rabbitmqTrigger',
			typeVersion: 1,
			position: [0, 0],
			credentials: { rabbitmq: CREDS.rabbit },
			parameters: { queue, options: { acknowledge: 'executionFinishesSuccessfully', parallelMessages: 5, jsonParseBody: true, onlyContent: true } },
		},
		// The clients are billed twice a week: their contacts exist, found by ContactNumber.
		http('Find Contact', 200, 'GET', `={{ '${api}/Contacts?where=' + encodeURIComponent('ContactNumber=="' + $json.clientId + '"') }}`, { auth: 'xero' }),
		http('Create Invoice', 400, 'PUT', `${api}/Invoices`, {
			auth: 'xero',
			body:
				`={{ JSON.stringify({ Invoices: [{ Type: 'ACCREC', Status: 'AUTHORISED', Contact: { ContactID: $json.Contacts[0].ContactID }, Reference: ${trigger}.billingKey, ` +
				`CurrencyCode: ${trigger}.currency, DueDate: $now.plus(14, 'days').toFormat('yyyy-MM-dd'), LineAmountTypes: 'Exclusive', ` +
				`LineItems: ${trigger}.lines.map(l => ({ Description: l.description, Quantity: l.quantity, UnitAmount: l.unitAmount, AccountCode: '200', TaxType: 'NONE' })) }] }) }}`,
		}),
		...(pdf ? [http('Invoice PDF', 600, 'GET', `={{ '${api}/Invoices/' + $json.Invoices[0].InvoiceID }}`, { auth: 'xero', pdf: true })] : []),
		email('Email Invoice', 800, `={{ 'Invoice ' + ${invoice}.InvoiceNumber }}`, `={{ 'Dear ' + ${trigger}.name + ', please find invoice ' + ${invoice}.InvoiceNumber + '.' }}`, pdf),
		ifNode('Card on File?', 1000, `={{ ${trigger}.cardReference ?? '' }}`, { type: 'string', operation: 'notEmpty', singleValue: true }),
		http('Charge Card', 1200, 'POST', `${st.url}/json/`, {
			auth: 'gateway',
			body:
				`={{ JSON.stringify({ alias: '${st.username}', version: '1.00', request: [{ requesttypedescriptions: ['AUTH'], sitereference: '${st.siteReference}', ` +
				`accounttypedescription: 'RECUR', parenttransactionreference: ${trigger}.cardReference, credentialsonfile: '2', baseamount: String(${trigger}.totalMinor), ` +
				`currencyiso3a: ${trigger}.currency, orderreference: ${trigger}.billingKey }] }) }}`,
		}),
		ifNode('Paid?', 1400, '={{ $json.response[0].errorcode }}', { type: 'string', operation: 'equals' }, '0'),
		http('Record Payment', 1600, 'PUT', `${api}/Payments`, {
			auth: 'xero',
			body:
				`={{ JSON.stringify({ Payments: [{ Invoice: { InvoiceID: ${invoice}.InvoiceID }, Account: { Code: '090' }, Amount: ${invoice}.Total, ` +
				`Date: $now.toFormat('yyyy-MM-dd'), Reference: $json.response[0].transactionreference }] }) }}`,
		}),
		email('Email Outcome', 1800, `={{ 'Payment ' + ${outcome} + ' [' + ${trigger}.billingKey + ']' }}`, `={{ 'Dear ' + ${trigger}.name + ', invoice ' + ${invoice}.InvoiceNumber + ': ' + ${outcome} + '.' }}`, false),
	];
	const chain = ['RabbitMQ Trigger', 'Find Contact', 'Create Invoice', ...(pdf ? ['Invoice PDF'] : []), 'Email Invoice', 'Card on File?'];
	const connections: Json = {};
	const link = (from: string, to: string, output = 0) => {
		connections[from] ??= { main: [] };
		while (connections[from].main.length <= output) connections[from].main.push([]);
		connections[from].main[output].push({ node: to, type: 'main', index: 0 });
	};
	for (let i = 0; i + 1 < chain.length; i++) link(chain[i], chain[i + 1]);
	link('Card on File?', 'Charge Card', 0);
	link('Card on File?', 'Email Outcome', 1);
	link('Charge Card', 'Paid?');
	link('Paid?', 'Record Payment', 0);
	link('Paid?', 'Email Outcome', 1);
	link('Record Payment', 'Email Outcome');
	const workflow = { id: 'bnchBuiltinFlow1', name: 'Bench · billing with n8n built-in nodes', active: false, settings: { executionOrder: 'v1' }, nodes, connections, pinData: {} };
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
