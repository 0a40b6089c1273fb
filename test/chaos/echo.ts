// The echoing proxy of the secrets scan: a Xero token endpoint and API that answer with an error
// quoting our request (headers and body), as some proxies and misconfigured endpoints do. The token
// request carries `Authorization: Basic base64(id:secret)`, every API call the Bearer token. The
// real Xero Billing node runs against it in-process (n8n's own engine, test/helpers/run-node.ts),
// with and without Continue On Fail, and its failure items go to the real Billing Queue node's
// Retry or Park, which parks them in RabbitMQ. What comes out (item errors, the error n8n saves,
// parked headers and bodies) is returned for the scan; none of it may hold a secret.
import { randomBytes } from 'crypto';
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';
import { stringify as flatted } from 'flatted';
import { closeAllConnections } from '../../nodes/BillingQueue/transport';
import { forgetXeroOrganisations } from '../../nodes/XeroBilling/transport';
import { startXeroSandbox } from '../../sandbox/xero';
import { BROKER_URL, BrokerProbe, headerOf } from '../../support/broker';
import { startXeroTokenProxy, type EchoOptions, type EchoTarget } from '../../support/xero-token-proxy';
import { runNode } from '../helpers/run-node';
import { basicAuthSecret, type ScanSource, type Secret } from './secrets';

// With the extension: under tsx (the chaos CLI) "X.node" resolves to the codex X.node.json first.
/* eslint-disable @typescript-eslint/no-require-imports */
const { BillingQueue } = require('../../nodes/BillingQueue/BillingQueue.node.ts') as typeof import('../../nodes/BillingQueue/BillingQueue.node');
const { XeroBilling } = require('../../nodes/XeroBilling/XeroBilling.node.ts') as typeof import('../../nodes/XeroBilling/XeroBilling.node');
/* eslint-enable @typescript-eslint/no-require-imports */

export interface EchoBroker {
	hostname: string;
	port: number;
	username: string;
	password: string;
	vhost: string;
}

export interface EchoProbeReport {
	/** What the nodes let out: item errors, saved errors, Retry or Park's items, parked messages. */
	sources: ScanSource[];
	/** The Xero client secret, its Basic form and every access token issued. */
	secrets: Secret[];
	/** The proxy's echo answers as sent: they do hold the secrets (the scan must find them there). */
	echoes: ScanSource[];
	/** Messages parked by Retry or Park (one per failed item). */
	parked: number;
	/** The failure items' error messages, for a reader of the report. */
	itemErrors: string[];
}

const SCENARIOS: Array<{ target: EchoTarget; format: NonNullable<EchoOptions['format']> }> = [
	{ target: 'token', format: 'json' },
	{ target: 'token', format: 'html' },
	{ target: 'token', format: 'text' },
	{ target: 'api', format: 'json' },
	{ target: 'api', format: 'html' },
	{ target: 'api', format: 'text' },
];

/** The chaos broker's AMQP URL as a Billing RabbitMQ credential. */
export function brokerFromUrl(amqpUrl: string): EchoBroker {
	const url = new URL(amqpUrl);
	return {
		hostname: url.hostname,
		port: Number(url.port || 5672),
		username: decodeURIComponent(url.username),
		password: decodeURIComponent(url.password),
		vhost: decodeURIComponent(url.pathname.slice(1)) || '/',
	};
}

/** Everything of an error n8n may keep: its JSON form (what it saves) and every own field. */
function errorText(error: unknown): string {
	if (!(error instanceof Error)) return String(error);
	const own: Record<string, unknown> = {};
	for (const key of Object.getOwnPropertyNames(error)) own[key] = (error as unknown as Record<string, unknown>)[key];
	const cause = error.cause instanceof Error ? `${error.cause.message}\n${error.cause.stack ?? ''}` : '';
	return [flatted(error), flatted(own), error.stack ?? '', cause].join('\n');
}

export async function echoProbe(opts: { broker?: EchoBroker } = {}): Promise<EchoProbeReport> {
	const broker = opts.broker ?? BROKER_URL;
	const clientId = randomBytes(16).toString('hex').toUpperCase();
	const clientSecret = randomBytes(24).toString('base64url');
	const sandbox = await startXeroSandbox({ clientId, clientSecret });
	const proxy = await startXeroTokenProxy(sandbox.tokenUrl, sandbox.apiBaseUrl);
	const exchange = `echo-probe-${randomBytes(4).toString('hex')}`;
	const stage = 'echo';
	const retryDelays = '300ms, 600ms';
	const probe = await BrokerProbe.open('echo-probe', broker);
	const sources: ScanSource[] = [];
	const itemErrors: string[] = [];
	const failed: INodeExecutionData[] = [];
	try {
		const credentials = {
			xeroCustomConnectionApi: { clientId, clientSecret, endpoints: 'custom', tokenUrl: proxy.tokenUrl, apiBaseUrl: proxy.apiBaseUrl ?? '' },
		};
		const parameters = { resource: 'contact', operation: 'ensure', matchByEmail: true, options: { retryDelayMs: 20, timeoutMs: 5000 } };
		for (const [n, { target, format }] of SCENARIOS.entries()) {
			const item = { billingKey: `ECHO-${n}`, clientId: `C${n}`, clientName: `Client ${n} Ltd`, billingEmail: `billing${n}@client.test` };
			for (const continueOnFail of [true, false]) {
				const where = `Xero Billing, ${target} echo as ${format}${continueOnFail ? ', continue on fail' : ''}`;
				// A fresh token each time: the API scenarios need one fetched through the proxy.
				forgetXeroOrganisations();
				proxy.echo(target, { format });
				try {
					const outputs = await runNode(new XeroBilling(), { parameters, items: [{ json: item }], credentials, continueOnFail });
					sources.push({ where: `${where}: output items`, text: JSON.stringify(outputs) }, { where: `${where}: saved output`, text: flatted(outputs) });
					for (const out of outputs[1] ?? []) {
						itemErrors.push(String((out.json.error as IDataObject | undefined)?.message));
						failed.push({ json: out.json });
					}
				} catch (error) {
					itemErrors.push((error as Error).message);
					sources.push({ where: `${where}: thrown and saved error`, text: errorText(error) });
				} finally {
					proxy.echo(false);
				}
			}
		}
		// n8n's own error output puts the message text in `error`: a node outside this package could
		// pass the echo on as it came. Retry or Park must still not store the credentials in it.
		const raw = proxy.echoes.find((e) => e.startsWith('Rejected request:') && /authorization: Basic/i.test(e));
		if (raw) failed.push({ json: { billingKey: 'ECHO-RAW', error: raw } });

		await probe.declareStage({ exchange, queueType: 'quorum', retryDelays }, stage);
		const parked = await runNode(new BillingQueue(), {
			parameters: {
				resource: 'message',
				operation: 'retryOrPark',
				stage,
				errorMessage: '',
				failedNode: 'Xero Billing',
				parkNow: true,
				maxAttempts: 3,
				billingKey: '={{ $json.billingKey }}',
				billingRunId: '',
				queueSetup: { exchange, queueType: 'quorum', retryDelays } as never,
			},
			items: failed,
			credentials: { billingRabbitMqApi: { ...broker, heartbeat: 10, ssl: false } },
		});
		sources.push({ where: 'Retry or Park: output items', text: JSON.stringify(parked) });
		const messages = await probe.drain(`${exchange}.${stage}.parked`);
		for (const m of messages) {
			sources.push({ where: `parked ${String(m.properties.messageId)}: headers`, text: JSON.stringify(m.properties.headers ?? {}) });
			sources.push({ where: `parked ${String(m.properties.messageId)}: body`, text: m.content.toString('utf8') });
		}
		if (messages.some((m) => typeof headerOf(m, 'x-billing-error-message') !== 'string')) throw new Error('echo probe: a parked message has no x-billing-error-message header');

		const secrets: Secret[] = [
			{ name: 'Xero client secret', value: clientSecret },
			basicAuthSecret('Xero client id and secret', clientId, clientSecret),
			...[...new Set([...proxy.issued, ...sandbox.issuedTokens()])].map((value, i) => ({ name: `Xero access token #${i + 1}`, value })),
		];
		const echoes = proxy.echoes.map((text, i) => ({ where: `echo #${i + 1}`, text }));
		return { sources, secrets, echoes, parked: messages.length, itemErrors };
	} finally {
		await probe.cleanup(exchange, [stage], retryDelays).catch(() => undefined);
		await probe.close();
		await closeAllConnections();
		await proxy.close();
		await sandbox.close();
	}
}
