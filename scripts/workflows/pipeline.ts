// The shipped billing pipeline as n8n workflows. One function per workflow; every stage node
// shares the same queue setup and credential references, so ops never have to keep them in sync
// by hand. Settings exist so tests can run the very same workflows with short delays.
import type { INodeProperties } from 'n8n-workflow';
import { queueSetupProperty } from '../../nodes/BillingQueue/actions/common.descriptions';
import { parseDelays } from '../../nodes/BillingQueue/helpers/topology';
import { alertsWorkflow } from './alerts';
import { equals, isTrue, notEmpty, PKG, Workflow } from './builder';
import { statusPageWorkflow } from './statusPage';
import type { WfNode } from './builder';

export const INVOICE_DOCUMENTS = ['xeroPdf', 'renderedPdf', 'onlineLink', 'none'] as const;
export type InvoiceDocument = (typeof INVOICE_DOCUMENTS)[number];

export interface PipelineSettings {
	exchange: string;
	queueType: 'quorum' | 'classic';
	/** Retry delays for technical failures, per attempt. */
	retryDelays: string;
	/** Maximum attempts before an item is parked. */
	maxAttempts: number;
	/** Dunning: waits between charge attempts after a soft decline (3 and 7 days by default). */
	dunningDelays: string;
	/** An unknown charge outcome is queried again after each of these, then parked for review. */
	settleDelays: string;
	/** Debit node: minutes before an unknown charge may be re-sent (unset: the node's default). */
	settleWindowMinutes?: number;
	/** Debit node: gateway request timeout in ms (unset: the node's default). */
	debitTimeoutMs?: number;
	batchSize: number;
	batchWindowMs: number;
	/**
	 * How the invoice email hands the client the invoice: Xero's PDF attached (one Xero call per
	 * invoice), a PDF rendered here attached (one call per 50 invoices, 2 per run), Xero's online
	 * invoice link (one call per invoice, nothing attached), or the email alone.
	 */
	invoiceDocument: InvoiceDocument;
	/** Xero account code payments are recorded against. */
	paymentAccountCode: string;
	/** Xero revenue account code for invoice lines. */
	salesAccountCode: string;
	dueInDays: number;
	/**
	 * When cards are charged: right after the invoice email (the pipeline's flow), or held until
	 * the invoice's due date. The invoice email promises the same.
	 */
	chargeTiming: 'onInvoicing' | 'onDueDate';
	/** CRM base URL, set in workflow 1's Billing Settings node (the sandbox's CRM by default). */
	crmBaseUrl: string;
	/** Cron for the Collect stage: Monday and Thursday, 07:00. */
	collectCron: string;
	monitorCron: string;
	/** Journal Folder of both Billing Email nodes; unset keeps the node's default (n8n's user folder). Not with sharedRecords (no file then). */
	emailJournalFolder?: string;
	/**
	 * Queue mode / several instances: the Billing Email nodes' sent record and the debit node's
	 * charge record in PostgreSQL (credential `Billing Records (PostgreSQL)`), shared by every
	 * worker, instead of the user folder and the process's memory.
	 */
	sharedRecords?: boolean;
	/** Stage triggers' Execution Wait Limit (unset: the node's default, 25 minutes). */
	executionWaitMinutes?: number;
	/** Where the run report and alerts go (finance/ops). */
	opsEmail: string;
	/** The run report goes out when every billing key is final, or this long after collect at the latest. */
	reportDeadlineMinutes: number;
	/** Folder of the run ledger (Billing Report, store file); unset: n8n's user folder. Not with sharedRecords. */
	ledgerFolder?: string;
}

/**
 * The Billing Queue nodes' own Queue Setup defaults (what a node uses when its Queue Setup is
 * empty). The shipped workflows leave Queue Setup empty wherever these apply, so ops change the
 * pipeline's exchange, queue type or retry delays in one place (the nodes' defaults) instead of
 * in 22 nodes that must all match.
 */
export const QUEUE_SETUP_DEFAULTS = Object.fromEntries(
	((queueSetupProperty.options ?? []) as INodeProperties[]).map((o) => [o.name, o.default]),
) as { exchange: string; queueType: 'quorum' | 'classic'; retryDelays: string };

export const DEFAULT_SETTINGS: PipelineSettings = {
	exchange: QUEUE_SETUP_DEFAULTS.exchange,
	queueType: QUEUE_SETUP_DEFAULTS.queueType,
	retryDelays: QUEUE_SETUP_DEFAULTS.retryDelays,
	maxAttempts: 5,
	dunningDelays: '3d, 7d',
	settleDelays: '5m, 5m, 10m, 20m',
	batchSize: 50,
	batchWindowMs: 2000,
	invoiceDocument: 'xeroPdf',
	paymentAccountCode: '090',
	salesAccountCode: '200',
	dueInDays: 14,
	chargeTiming: 'onInvoicing',
	crmBaseUrl: 'http://127.0.0.1:4612',
	collectCron: '0 7 * * 1,4',
	monitorCron: '*/5 * * * *',
	opsEmail: 'finance@example.com',
	reportDeadlineMinutes: 240,
};

export const CREDENTIALS = {
	rabbit: { billingRabbitMqApi: { id: 'bpRabbitMq000001', name: 'Billing RabbitMQ' } },
	secureTrading: { secureTradingApi: { id: 'bpSecureTrading1', name: 'Secure Trading' } },
	xero: { xeroCustomConnectionApi: { id: 'bpXeroConnect001', name: 'Xero' } },
	smtp: { billingSmtp: { id: 'bpBillingSmtp001', name: 'Billing SMTP' } },
	/** n8n's own PostgreSQL credential type, for the shared sent and charge records. */
	records: { postgres: { id: 'bpSharedRecordPg', name: 'Billing Records (PostgreSQL)' } },
};

export const STAGES = { collect: 'collect', invoice: 'invoice', email: 'email', debit: 'debit', dunning: 'dunning', notify: 'notify', report: 'report' };

/** Every stage queue of the pipeline, for statistics and the status page. */
export const ALL_STAGES = [STAGES.collect, STAGES.invoice, STAGES.email, STAGES.debit, STAGES.dunning, STAGES.notify, STAGES.report];

const T = {
	trigger: `${PKG}.billingQueueTrigger`,
	queue: `${PKG}.billingQueue`,
	xero: `${PKG}.xeroBilling`,
	st: `${PKG}.secureTrading`,
	email: `${PKG}.billingEmail`,
	prepare: `${PKG}.invoicePreparation`,
	report: `${PKG}.billingReport`,
};

/** A Billing Report node's store: PostgreSQL (shared by every worker) with sharedRecords, else n8n's user folder. */
export function reportStore(s: PipelineSettings): { params: Record<string, unknown>; extra: Partial<WfNode> } {
	if (s.sharedRecords) return { params: { store: 'postgres' }, extra: { credentials: CREDENTIALS.records } };
	return { params: s.ledgerFolder ? { options: { ledgerFolder: s.ledgerFolder } } : {}, extra: {} };
}

/**
 * `{ queueSetup }` with only the settings that differ from the node's defaults (in the shipped
 * workflows only the dunning and settle delays; in tests also their own exchange and delays).
 */
export function queueSetup(s: Pick<PipelineSettings, 'exchange' | 'queueType'>, retryDelays: string): { queueSetup?: Record<string, string> } {
	const wanted = { exchange: s.exchange, queueType: s.queueType, retryDelays };
	const differs = Object.fromEntries(Object.entries(wanted).filter(([key, value]) => value !== QUEUE_SETUP_DEFAULTS[key as keyof typeof wanted]));
	return Object.keys(differs).length ? { queueSetup: differs } : {};
}

function helpers(s: PipelineSettings) {
	const setup = (retryDelays = s.retryDelays) => queueSetup(s, retryDelays);
	const rabbit = { credentials: CREDENTIALS.rabbit };
	return {
		trigger: (wf: Workflow, name: string, stage: string, col: number, row: number, retryDelays?: string, mode: 'batch' | 'single' = 'batch') =>
			wf.add(name, T.trigger, 1, col, row, {
				stage,
				mode,
				batchSize: s.batchSize,
				batchWindowMs: s.batchWindowMs,
				// Two batches in flight: the next one fills while the last is still being acknowledged.
				options: {
					maxAttempts: s.maxAttempts,
					prefetch: s.batchSize * 2,
					...(s.executionWaitMinutes !== undefined ? { executionWaitMinutes: s.executionWaitMinutes } : {}),
				},
				...setup(retryDelays),
			}, rabbit),
		publish: (wf: Workflow, name: string, stage: string, col: number, row: number, options: Record<string, unknown> = {}) =>
			// A message the next stage would refuse (too large, nested too deep) leaves on the error
			// output, which every workflow links to its Retry or Park: never acked and lost.
			wf.add(name, T.queue, 1, col, row, { resource: 'message', operation: 'publish', stage, ...setup(), ...(Object.keys(options).length ? { options } : {}) }, { ...rabbit, ...ITEM_ERRORS }),
		retryOrPark: (wf: Workflow, name: string, col: number, row: number, extra: Record<string, unknown> = {}, retryDelays?: string) =>
			wf.add(name, T.queue, 1, col, row, {
				resource: 'message',
				operation: 'retryOrPark',
				maxAttempts: s.maxAttempts,
				...extra,
				...setup(retryDelays),
			}, rabbit),
		/** Edit Fields in raw JSON mode: the item becomes the object the expression returns. */
		shape: (wf: Workflow, name: string, col: number, row: number, expression: string, extra: Partial<WfNode> = {}) =>
			wf.add(name, 'n8n-nodes-base.set', 3.4, col, row, { mode: 'raw', jsonOutput: `={{ ${expression} }}`, options: {} }, extra),
		xeroOptions: { maxRateLimitWaitSeconds: 180 },
	};
}

// Stage nodes whose second output feeds Retry or Park: a bad item goes there on its own instead
// of failing the execution, which would retry (and finally park) every good item of its batch.
// "Continue (using error output)": should a node still fail as a whole, n8n sends its items to a
// third output (also to Retry or Park), never on down the success path as continueRegularOutput
// would.
const ITEM_ERRORS = { onError: 'continueErrorOutput' } as const;
/** The error output n8n adds after a two-output node's own outputs. */
const ERROR_OUTPUT = 2;
/** Billing Email options: only a Journal Folder set in the settings (tests point it elsewhere). */
const emailOptions = (s: PipelineSettings) => (s.emailJournalFolder && !s.sharedRecords ? { journalFolder: s.emailJournalFolder } : {});
/** Queue mode: the sent record (Billing Email) in PostgreSQL, and its credential; else the node's default (user folder). */
const sentRecord = (s: PipelineSettings) => (s.sharedRecords ? { sentRecord: 'postgres' } : {});
const emailCredentials = (s: PipelineSettings) => ({ ...CREDENTIALS.smtp, ...(s.sharedRecords ? CREDENTIALS.records : {}) });

export const COLLECT_WORKFLOW_ID = 'bpStage1Collect0';

export function collectWorkflow(s: PipelineSettings): Workflow {
	const h = helpers(s);
	const wf = new Workflow(COLLECT_WORKFLOW_ID, 'Billing · 1 · Collect billable items');
	wf.note(900, [
		'## 1 · Collect billable items',
		'Runs Monday and Thursday at 07:00 (and from **Execute workflow**, or when a run request is published to the `collect` stage). It reads the leads delivered in the billing period that ended last from the CRM, turns them into one invoice request per client with **Invoice Preparation**, and publishes each to the **invoice** stage. *Run Summary* shows the run\'s counts and totals in the execution log.',
		'',
		'**Your CRM\'s address** is `crmBaseUrl` in *Billing Settings*.',
		'',
		'Running a period again is safe: stage 2 bills only the leads no invoice bills yet (late leads go on a supplementary invoice), never a lead twice. Rows the CRM got wrong are parked in `collect.parked` with the field and reason; that client is not invoiced until they are fixed.',
		'',
		'**Swap the CRM:** replace *Read CRM* with your CRM node (HubSpot, Pipedrive, Postgres…) and map its fields in *Invoice Preparation*.',
	].join('\n'));
	const schedule = wf.add('Monday & Thursday 07:00', 'n8n-nodes-base.scheduleTrigger', 1.2, 0, 0, {
		rule: { interval: [{ field: 'cronExpression', expression: s.collectCron }] },
	});
	const manual = wf.add('Run Now', 'n8n-nodes-base.manualTrigger', 1, 0, 1, {});
	const request = h.trigger(wf, 'Run Requests', STAGES.collect, 0, 2, undefined, 'single');
	// Where ops set the CRM's address: one node at the start, passing each trigger's item on
	// (a run request's period) with the settings added. Not $env: n8n 2.x blocks it in nodes.
	const settings = wf.add('Billing Settings', 'n8n-nodes-base.set', 3.4, 1, 1, {
		mode: 'manual',
		assignments: { assignments: [{ id: 'c0a8d7e2-5f3b-4c1e-9a6d-000000000001', name: 'crmBaseUrl', value: s.crmBaseUrl, type: 'string' }] },
		includeOtherFields: true,
		options: {},
	});
	// The period that ended last: Monday 00:00 → Thursday 00:00, or Thursday → Monday (UTC),
	// unless a run request names one.
	const period = h.shape(wf, 'Billing Period', 2, 1, [
		'(() => {',
		"const today = $now.setZone('UTC').startOf('day');",
		'const back = Math.min((today.weekday + 6) % 7, (today.weekday + 3) % 7);',
		'const end = $json.periodEnd ? DateTime.fromISO($json.periodEnd, { zone: "utc" }) : today.minus({ days: back });',
		'const start = $json.periodStart ? DateTime.fromISO($json.periodStart, { zone: "utc" }) : end.minus({ days: end.weekday === 1 ? 4 : 3 });',
		"const compact = (d) => d.toFormat('yyyyLLdd');",
		"return { periodStart: start.toISO(), periodEnd: end.toISO(), billingRunId: 'BR-' + compact(start) + '-' + compact(end) + '-' + $execution.id };",
		'})()',
	].join(' '));
	wf.link(schedule, settings).link(manual, settings).link(request, settings).link(settings, period);
	const crm = wf.add('Read CRM', 'n8n-nodes-base.httpRequest', 4.2, 3, 1, {
		url: "={{ $('Billing Settings').first().json.crmBaseUrl.replace(/\\/+$/, '') + '/api/billable-leads' }}",
		sendQuery: true,
		queryParameters: {
			parameters: [
				{ name: 'from', value: '={{ $json.periodStart }}' },
				{ name: 'to', value: '={{ $json.periodEnd }}' },
				{ name: 'limit', value: '500' },
			],
		},
		options: {
			pagination: {
				pagination: {
					parameters: { parameters: [{ name: 'cursor', value: '={{ $response.body.pagination.nextCursor }}' }] },
					paginationCompleteWhen: 'other',
					completeExpression: '={{ !$response.body.pagination.nextCursor }}',
					limitPagesFetched: true,
					maxRequests: 1000,
				},
			},
		},
	}, { executeOnce: true });
	const rows = wf.add('Lead Rows', 'n8n-nodes-base.splitOut', 1, 4, 1, { fieldToSplitOut: 'data', options: {} });
	const prepare = wf.add('Invoice Preparation', T.prepare, 1, 5, 1, {
		periodStart: "={{ $('Billing Period').first().json.periodStart }}",
		periodEnd: "={{ $('Billing Period').first().json.periodEnd }}",
		priceIn: 'major',
		fields: {},
		options: {},
	});
	// runKey: the key the run report follows the request by, whatever key stage 2 bills it under.
	const stamp = h.shape(wf, 'Stamp Billing Run', 6, 0.5, "{ ...$json, billingRunId: $('Billing Period').first().json.billingRunId, runKey: $json.billingKey, dunningAttempt: 1 }");
	// The ledger learns the run and every key it expects before any request can reach an outcome.
	const store = reportStore(s);
	const startRun = wf.add('Start Run Report', T.report, 1, 7, 0.5, {
		resource: 'run',
		operation: 'start',
		...store.params,
		deadlineMinutes: s.reportDeadlineMinutes,
	}, { ...store.extra });
	// Every request goes on, also for a period that ran before: stage 2 compares its leads with
	// what Xero already bills, so late leads are billed and billed ones never again.
	const toInvoice = h.publish(wf, 'To Invoice Stage', STAGES.invoice, 8, 0.5);
	// Runs after the branch above has finished (n8n runs branches top to bottom), so the counts
	// are final; it does not depend on either path having had items. Not published anywhere:
	// nothing consumed a summary queue, which only grew. Its output stays in the execution log.
	const summary = h.shape(wf, 'Run Summary', 8, 1.7, [
		'{',
		"billingKey: $('Billing Period').first().json.billingRunId,",
		"billingRunId: $('Billing Period').first().json.billingRunId,",
		"periodStart: $('Billing Period').first().json.periodStart,",
		"periodEnd: $('Billing Period').first().json.periodEnd,",
		"invoiceRequests: $('Stamp Billing Run').all().length,",
		"rowsRejected: $('Invoice Preparation').all(1).length,",
		"totalsMinorByCurrency: $('Stamp Billing Run').all().reduce((t, i) => ({ ...t, [i.json.currency]: (t[i.json.currency] ?? 0) + i.json.totalMinor }), {})",
		'}',
	].join(' '), { executeOnce: true });
	const rejected = h.shape(wf, 'Rejected Row', 6, 2.5, `{ ...$json, billingKey: $json.rejected?.billingKey ?? $('Billing Period').first().json.billingRunId, billingRunId: $('Billing Period').first().json.billingRunId }`);
	const park = h.retryOrPark(wf, 'Park Rejected Row', 7, 2.5, { stage: STAGES.collect, parkNow: true, failedNode: 'Invoice Preparation' });
	wf.link(period, crm).link(crm, rows).link(rows, prepare).link(prepare, stamp, 0).link(stamp, startRun).link(startRun, toInvoice, 0);
	wf.link(stamp, summary);
	wf.link(prepare, rejected, 1).link(rejected, park);
	// Parked in collect.parked with Publish's reason; a replay runs the request's period again.
	const parkUnsent = h.retryOrPark(wf, 'Park Unpublished Request', 9, 1.1, { stage: STAGES.collect, parkNow: true, failedNode: '={{ $prevNode.name }}' });
	wf.link(toInvoice, parkUnsent, 1);
	return wf;
}

const switchRules = (rules: Array<{ key: string; conditions: unknown }>, fallback: string) => ({
	rules: { values: rules.map((r) => ({ conditions: r.conditions, renameOutput: true, outputKey: r.key })) },
	options: { fallbackOutput: 'extra', renameFallbackOutput: fallback },
});

export function invoiceWorkflow(s: PipelineSettings): Workflow {
	const h = helpers(s);
	const wf = new Workflow('bpStage2Invoices', 'Billing · 2 · Create invoices in Xero');
	wf.note(1000, [
		'## 2 · Create invoices in Xero',
		`Takes up to ${s.batchSize} invoice requests at a time from the **invoice** queue, finds or creates the clients' Xero contacts, and creates the invoices in one call per batch. The billing key is the invoice number, which Xero never gives two invoices: an invoice that already exists for a key is returned, never created again, so redeliveries and reruns are safe.`,
		'',
		"**Leads, not periods, are billed.** Every invoice line names its lead. *Find Unbilled Leads* reads the clients' invoices dated from the period's start (one call per batch) and passes on only the leads no invoice bills yet: a lead delivered late, after its period was invoiced, goes on a **supplementary invoice** (billing key `SP-…`, the same on every rerun). A lead already billed in another currency or amount is parked for review, never billed again. What Xero holds is checked against what is billed after every create; a difference is parked before anything is emailed or charged.",
		'',
		'Created invoices go on to the **email** stage. Xero validation errors are parked at once (they need a fix); rate limits, outages and timeouts are retried with growing delays, then parked.',
	].join('\n'));
	const trigger = h.trigger(wf, 'Invoice Requests', STAGES.invoice, 0, 0);
	const contacts = wf.add('Ensure Contacts', T.xero, 1, 1, 0, { resource: 'contact', operation: 'ensure', options: h.xeroOptions }, { credentials: CREDENTIALS.xero, ...ITEM_ERRORS });
	const unbilled = wf.add('Find Unbilled Leads', T.xero, 1, 2, 0, {
		resource: 'invoice',
		operation: 'findUnbilled',
		datedFrom: "={{ ($json.periodStart ?? '').slice(0, 10) }}",
		lateLeads: 'supplementary',
		options: h.xeroOptions,
	}, { credentials: CREDENTIALS.xero, ...ITEM_ERRORS });
	const anything = wf.add('Anything to Bill?', 'n8n-nodes-base.if', 2.2, 3, 0, { conditions: isTrue("={{ $json.billing?.status !== 'billed' }}"), options: {} });
	// Nothing new to bill (a rerun): that key's part in this run is over; the run report says so.
	const billed = h.shape(wf, 'Already Billed', 4, -1, "{ ...$json, outcome: { state: 'alreadyBilled', stage: 'invoice' } }");
	const billedReport = h.publish(wf, 'Report Already Billed', STAGES.report, 5, -1.6);
	const create = wf.add('Create Invoices', T.xero, 1, 4, 0, {
		resource: 'invoice',
		operation: 'create',
		duplicateCheck: 'invoiceNumber',
		accountCode: s.salesAccountCode,
		dueInDays: s.dueInDays,
		status: 'AUTHORISED',
		lineAmountTypes: 'Exclusive',
		options: h.xeroOptions,
	}, { credentials: CREDENTIALS.xero, ...ITEM_ERRORS });
	// Someone made another invoice for this key by hand: a person decides before the client gets two.
	const duplicate = wf.add('Duplicate in Xero?', 'n8n-nodes-base.if', 2.2, 5, 0, { conditions: isTrue('={{ ($json.xeroInvoice?.alsoFoundInXero ?? 0) > 0 }}'), options: {} });
	const parkDuplicate = h.retryOrPark(wf, 'Park Duplicate Invoice', 6, -1, {
		parkNow: true,
		errorMessage: "={{ 'Xero holds ' + $json.xeroInvoice.alsoFoundInXero + ' other invoice(s) for billing key ' + $json.billingKey + ': void the extra one, then replay' }}",
		failedNode: 'Create Invoices',
	});
	const facts = h.shape(wf, 'Invoice Facts', 6, 0, '{ ...$json, invoiceNumber: $json.xeroInvoice.invoiceNumber, amountMinor: $json.xeroInvoice.totalMinor, dueDate: $json.xeroInvoice.dueDate }');
	const toEmail = h.publish(wf, 'To Email Stage', STAGES.email, 7, 0);
	const retry = h.retryOrPark(wf, 'Retry or Park', 5, 1.2, { parkNow: '={{ $json.error?.retryable === false || (Array.isArray($json.xeroErrors) && $json.xeroErrors.length > 0) }}' });
	wf.link(billed, billedReport).link(billedReport, retry, 1);
	wf.link(trigger, contacts).link(contacts, unbilled).link(unbilled, anything).link(anything, create, 0).link(anything, billed, 1);
	wf.link(create, duplicate).link(duplicate, parkDuplicate, 0).link(duplicate, facts, 1).link(facts, toEmail).link(toEmail, retry, 1);
	wf.link(contacts, retry, 1).link(unbilled, retry, 1).link(create, retry, 1);
	wf.link(contacts, retry, ERROR_OUTPUT).link(unbilled, retry, ERROR_OUTPUT).link(create, retry, ERROR_OUTPUT);
	return wf;
}

export function emailWorkflow(s: PipelineSettings): Workflow {
	const h = helpers(s);
	const wf = new Workflow('bpStage3EmailInv', 'Billing · 3 · Email invoices');
	const howHandedOver: Record<InvoiceDocument, string> = {
		xeroPdf: "Fetches each invoice's PDF from Xero (one call per invoice), emails it,",
		renderedPdf:
			"Reads the invoices back from Xero (one call per 50; a voided or deleted one is not emailed: it ends parked), renders each PDF here with the organisation's name, address and logo (read from Xero once per run), emails it,",
		onlineLink: "Asks Xero for each invoice's online link (one call per invoice), emails the link,",
		none: 'Emails each invoice (no PDF),',
	};
	wf.note(1100, [
		'## 3 · Email invoices',
		`${howHandedOver[s.invoiceDocument]} and marks the invoice as sent in Xero (one call per batch).` +
			" A message redelivered after a crash does not email the client twice: **Email Invoice** records what the SMTP server accepted (*Sent Record*: a file in n8n's user folder; in queue mode, with workers, set it to **PostgreSQL** in this node and in stage 5, and *Charge Record* in stage 4).",
		'',
		s.chargeTiming === 'onDueDate'
			? "Then the invoice goes on to the **debit** stage, held in `debit.hold` until its due date: the email tells clients with a card that it is charged on or after the due date."
			: 'Then the invoice goes on to the **debit** stage at once: the email tells clients with a card that it is charged today.',
		'Failures are retried with growing delays, then parked.',
	].join('\n'));
	const trigger = h.trigger(wf, 'Invoices to Email', STAGES.email, 0, 0);
	const retry = h.retryOrPark(wf, 'Retry or Park', 3, 1.3);
	let beforeEmail = trigger;
	const attach = s.invoiceDocument === 'xeroPdf' || s.invoiceDocument === 'renderedPdf';
	if (s.invoiceDocument !== 'none') {
		const params =
			s.invoiceDocument === 'onlineLink'
				? { resource: 'invoice', operation: 'getOnlineInvoice', options: h.xeroOptions }
				: { resource: 'invoice', operation: 'getPdf', ...(s.invoiceDocument === 'renderedPdf' ? { pdfSource: 'rendered' } : {}), binaryPropertyName: 'data', options: h.xeroOptions };
		const name = s.invoiceDocument === 'onlineLink' ? 'Online Invoice Link' : 'Invoice PDF';
		const doc = wf.add(name, T.xero, 1, 1, 0, params, { credentials: CREDENTIALS.xero, ...ITEM_ERRORS });
		wf.link(trigger, doc).link(doc, retry, 1).link(doc, retry, ERROR_OUTPUT);
		beforeEmail = doc;
	}
	// The email promises the charge timing the debit stage keeps (see To Debit Stage).
	const email = wf.add('Email Invoice', T.email, 1, 2, 0, { operation: 'sendInvoice', attachInvoice: attach, ...(attach ? { binaryPropertyName: 'data' } : {}), chargeTiming: s.chargeTiming, templateOverrides: {}, ...sentRecord(s), options: emailOptions(s) }, { credentials: emailCredentials(s), ...ITEM_ERRORS });
	const sent = wf.add('Mark as Sent', T.xero, 1, 3, 0, { resource: 'invoice', operation: 'markSent', options: h.xeroOptions }, { credentials: CREDENTIALS.xero, ...ITEM_ERRORS });
	// Charged on the due date: the debit message waits in the debit stage's hold queue until then.
	const toDebit = h.publish(wf, 'To Debit Stage', STAGES.debit, 4, 0, s.chargeTiming === 'onDueDate' ? { deliverNotBefore: '={{ $json.dueDate }}' } : {});
	wf.link(beforeEmail, email).link(email, sent).link(sent, toDebit).link(toDebit, retry, 1);
	wf.link(email, retry, 1).link(sent, retry, 1).link(email, retry, ERROR_OUTPUT).link(sent, retry, ERROR_OUTPUT);
	return wf;
}

export function debitWorkflow(s: PipelineSettings): Workflow {
	const h = helpers(s);
	const maxCharges = s.dunningDelays.split(',').filter((d) => d.trim()).length + 1;
	const dunningDelaysMs = parseDelays(s.dunningDelays, 'dunningDelays');
	const settleChecks = s.settleDelays.split(',').filter((d) => d.trim()).length + 1;
	const wf = new Workflow('bpStage4DebitCrd', 'Billing · 4 · Debit cards');
	wf.note(1500, [
		'## 4 · Debit cards (Secure Trading)',
		"First the invoices are read back from Xero (one call per 50): only what Xero says is due **now** is charged, in the invoice's currency. An invoice a bookkeeper paid, voided or credited meanwhile is not charged (the client is told why); a part-paid one is charged the remainder.",
		'Clients without a stored card go to the **notify** stage as *no card on file*. Others are charged merchant-initiated (unscheduled, credential on file). The node asks the gateway first whether this billing key was already charged or finally declined, so a card is **never charged twice**.',
		'',
		`Paid: the payment is recorded in Xero and the client is notified; Xero paid by other means meanwhile → parked for a refund review. Soft declines are charged again through the **dunning** stage (${s.dunningDelays}), ${maxCharges} charges in all, then a final notice. Hard declines are final. An outcome the gateway has not settled (a timeout after sending) is only queried again (${s.settleDelays}), never re-sent blindly, then parked for review. Gateway trouble is retried, then parked.`,
	].join('\n'));
	const trigger = h.trigger(wf, 'Invoices to Charge', STAGES.debit, 0, 0);
	// A failure's own error first: an item Record Payment refused still carries the paid charge's
	// reason ("authorised, pending settlement"), which must not stand in for Xero's refusal. Those
	// items arrive through "Paid Elsewhere Meanwhile?", so name the node that failed.
	const retry = h.retryOrPark(wf, 'Retry or Park', 7, 3.2, {
		errorMessage: "={{ $json.error?.message ?? $json.payment?.reason ?? '' }}",
		parkNow: '={{ $json.error?.retryable === false }}',
		failedNode: "={{ $prevNode.name === 'Paid Elsewhere Meanwhile?' ? 'Record Payment in Xero' : $prevNode.name }}",
	});
	// What Xero says is due now, 50 invoices a call; the message's own amount is history.
	const read = wf.add('Read Invoice from Xero', T.xero, 1, 1, 0, {
		resource: 'invoice',
		operation: 'get',
		findBy: 'invoiceId',
		invoiceIdField: 'xeroInvoice.invoiceId',
		currencyField: 'currency',
		includeLineItems: false,
		options: h.xeroOptions,
	}, { credentials: CREDENTIALS.xero, ...ITEM_ERRORS });
	const due = wf.add('Anything to Charge?', 'n8n-nodes-base.if', 2.2, 2, 0, { conditions: isTrue('={{ $json.chargeable?.charge === true }}'), options: {} });
	const hasCard = wf.add('Card on File?', 'n8n-nodes-base.if', 2.2, 3, 0, { conditions: notEmpty('={{ $json.cardReference ?? "" }}'), options: {} });
	const debit = wf.add('Debit Stored Card', T.st, 1, 4, 0, {
		resource: 'payment',
		operation: 'debitStoredCard',
		storedCardReference: '={{ $json.cardReference }}',
		billingKey: '={{ $json.billingKey }}',
		amount: '={{ $json.chargeable.amountDueMinor }}',
		amountUnit: 'minor',
		currency: '={{ $json.chargeable.currency }}',
		// Two batches of 50 in flight; a query and an AUTH take about a second each.
		options: {
			concurrency: 25,
			// A dunning attempt redelivered after a crash returns its decline instead of a new AUTH.
			chargeAttempt: '={{ $json.dunningAttempt ?? 1 }}',
			...(s.settleWindowMinutes !== undefined ? { settleWindowMinutes: s.settleWindowMinutes } : {}),
			...(s.debitTimeoutMs !== undefined ? { timeoutMs: s.debitTimeoutMs } : {}),
		},
		// Queue mode: the charge lock and record in PostgreSQL, shared by every worker.
		...(s.sharedRecords ? { chargeRecord: 'postgres' } : {}),
	}, { credentials: { ...CREDENTIALS.secureTrading, ...(s.sharedRecords ? CREDENTIALS.records : {}) }, ...ITEM_ERRORS });
	// The gateway already holds a charge for this key, but not of what Xero says is due now (a
	// currency corrected, a bookkeeper's payment meanwhile): never recorded as this invoice's payment.
	const differs = wf.add('Existing Charge Differs?', 'n8n-nodes-base.if', 2.2, 5, -2, { conditions: isTrue('={{ $json.existingChargeMismatch === true }}'), options: {} });
	const parkDiffers = h.retryOrPark(wf, 'Park Differing Charge', 6, -2, { parkNow: true, errorMessage: "={{ 'The gateway already charged this billing key differently: ' + $json.reason }}", failedNode: 'Debit Stored Card' });
	// Notices state what was charged (or what is due now), never the amount frozen at invoicing.
	const paid = h.shape(wf, 'Paid', 5, -1,
		"{ ...$json.input, outcome: { state: 'paid', stage: 'debit' }, notice: $json.input.chargeable?.state === 'due' ? 'paid' : 'chargedRemainder', attempt: $json.input.dunningAttempt ?? 1, amountMinor: $json.amountMinor, chargedMinor: $json.amountMinor, transactionreference: $json.transactionreference, payment: { outcome: $json.outcome, reason: $json.reason, transactionreference: $json.transactionreference, authcode: $json.authcode, maskedpan: $json.maskedpan, paymenttypedescription: $json.paymenttypedescription, settlestatus: $json.settlestatus, reusedExisting: $json.reusedExisting, amountMinor: $json.amountMinor } }");
	const record = wf.add('Record Payment in Xero', T.xero, 1, 6, -1, {
		resource: 'payment',
		operation: 'record',
		accountCode: s.paymentAccountCode,
		// Exactly what the card was charged.
		amountField: 'chargedMinor',
		amountUnit: 'minor',
		referenceField: 'transactionreference',
		// The invoice was read just before the charge; Xero itself refuses a second payment.
		lookupFirst: false,
		options: h.xeroOptions,
	}, { credentials: CREDENTIALS.xero, ...ITEM_ERRORS });
	const refundCase = wf.add('Paid Elsewhere Meanwhile?', 'n8n-nodes-base.if', 2.2, 7, -1, {
		conditions: isTrue("={{ ['paidElsewhereAfterCharge', 'invoiceClosedAfterCharge'].includes($json.error?.code) }}"),
		options: {},
	});
	const refundReview = h.retryOrPark(wf, 'Park for Refund Review', 8, -1.5, { parkNow: true, failedNode: 'Record Payment in Xero' });
	const toNotify = h.publish(wf, 'To Notify Stage', STAGES.notify, 9, 0.7);
	const noCard = h.shape(wf, 'No Card on File', 4, 1.2, "{ ...$json, outcome: { state: 'noCard', stage: 'debit' }, amountMinor: $json.chargeable?.amountDueMinor ?? $json.amountMinor, notice: 'noCardOnFile', attempt: $json.dunningAttempt ?? 1, payment: { outcome: 'noCard', reason: 'no card on file' } }");
	// Nothing due: paid, credited or voided in Xero. Was it our own earlier charge (a redelivery)?
	const closed = wf.add('Paid, Credited or Voided?', 'n8n-nodes-base.if', 2.2, 3, 2.2, {
		conditions: isTrue("={{ ['paid', 'credited', 'voided'].includes($json.chargeable?.state) }}"),
		options: {},
	});
	const ours = wf.add('Charged by Us?', T.st, 1, 4, 2.2, { resource: 'transaction', operation: 'query', queryBy: 'orderReference', references: '={{ $json.billingKey }}' }, { credentials: CREDENTIALS.secureTrading, ...ITEM_ERRORS });
	// Our own earlier charge (a redelivery, or a duplicate execution that got there first) is told
	// as that charge was: the remainder when it was less than the invoice's total, so both copies
	// send the same notice (one Message-ID), never "paid" and "charged the remainder".
	const nothing = h.shape(wf, 'Nothing to Charge', 5, 2.2,
		"(() => { const charge = ($json.records ?? []).find((r) => r.requesttypedescription === 'AUTH' && r.outcome === 'paid'); return charge ? { ...$json.input, outcome: { state: 'paid', stage: 'debit' }, notice: Number(charge.baseamount) < ($json.input.xeroInvoice?.totalMinor ?? 0) ? 'chargedRemainder' : 'paid', amountMinor: Number(charge.baseamount), chargedMinor: Number(charge.baseamount), paidBeforeChargeMinor: ($json.input.xeroInvoice?.amountPaidMinor ?? 0) + ($json.input.xeroInvoice?.amountCreditedMinor ?? 0) - Number(charge.baseamount), attempt: $json.input.dunningAttempt ?? 1, transactionreference: charge.transactionreference, payment: { outcome: 'paid', reason: 'charged earlier for this billing key', transactionreference: charge.transactionreference, authcode: charge.authcode, maskedpan: charge.maskedpan, reusedExisting: true } } : { ...$json.input, outcome: { state: 'nothingToCharge', stage: 'debit' }, notice: 'nothingToCharge', payment: { outcome: 'nothingToCharge', reason: $json.input.chargeable.reason } }; })()");
	const notApproved = h.retryOrPark(wf, 'Park Unapproved Invoice', 4, 3.4, { parkNow: true, errorMessage: '={{ $json.chargeable?.reason }}', failedNode: 'Read Invoice from Xero' });
	const result = h.shape(wf, 'Payment Result', 5, 0.6,
		"{ ...$json.input, amountMinor: $json.input.chargeable?.amountDueMinor ?? $json.input.amountMinor, attempt: $json.input.dunningAttempt ?? 1, declineReason: $json.reason, acquirerResponseCode: $json.acquirerresponsecode ?? '', payment: { outcome: $json.outcome, retryable: $json.retryable, reason: $json.reason, errorcode: $json.errorcode, errormessage: $json.errormessage, errordata: $json.errordata, acquirerresponsecode: $json.acquirerresponsecode, field: $json.field ?? $json.error?.field, settle: $json.settle, chargeAttempts: $json.chargeAttempts } }");
	const route = wf.add('Outcome', 'n8n-nodes-base.switch', 3.2, 6, 0.6, switchRules([
		{ key: 'Declined', conditions: equals('={{ $json.payment.outcome }}', 'declined') },
		{ key: 'Invalid', conditions: equals('={{ $json.payment.outcome }}', 'invalid') },
		{ key: 'Unknown', conditions: equals('={{ $json.payment.outcome }}', 'unknown') },
	], 'Try Again'));
	const soft = wf.add('Charge Again Later?', 'n8n-nodes-base.if', 2.2, 7, 0.2, {
		conditions: isTrue(`={{ $json.payment.retryable === true && ($json.dunningAttempt ?? 1) < ${maxCharges} }}`),
		options: {},
	});
	// The next charge's time, from the dunning delays: the client's notice names its day and the attempts left (the next one included); the run report lists it as in flight.
	const declinedNotice = h.shape(wf, 'Declined Notice', 8, 0.7, `(() => { const nextAttemptAt = $now.plus(${JSON.stringify(dunningDelaysMs)}[($json.dunningAttempt ?? 1) - 1] ?? 0, 'milliseconds').toUTC().toISO(); return { ...$json, notice: 'declined', nextAttemptAt, attemptsRemaining: ${maxCharges} - ($json.dunningAttempt ?? 1), outcome: { state: 'retryScheduled', stage: 'debit', nextAttemptAt } }; })()`);
	// Nothing is charged again on this branch (a never-approve or data-quality decline, or the last attempt used): always the final notice, with the attempts actually made.
	const finalNotice = h.shape(wf, 'Final or Hard Decline', 8, 1.7, `{ ...$json, outcome: { state: 'declined', stage: 'debit' }, notice: 'finalNotice', attempt: Math.max($json.dunningAttempt ?? 1, $json.payment.chargeAttempts ?? 0) }`);
	const dunning = h.retryOrPark(wf, 'Schedule Next Charge', 8, -0.3, {
		stage: STAGES.dunning,
		attempt: '={{ $json.dunningAttempt ?? 1 }}',
		maxAttempts: maxCharges,
		errorMessage: "={{ 'Declined: ' + $json.payment.reason }}",
		failedNode: 'Debit Stored Card',
	}, s.dunningDelays);
	const parkInvalid = h.retryOrPark(wf, 'Park Invalid Charge', 7, 1.2, { parkNow: true, errorMessage: '={{ $json.payment.reason }}', failedNode: 'Debit Stored Card' });
	// Not known whether the card was charged: come back to this stage only to query (the node
	// never re-sends an AUTH before its settle window has passed), then park with the evidence.
	const settle = h.retryOrPark(wf, 'Settle Unknown Charge', 8, 2.7, {
		attempt: '={{ $json.payment.settle?.checks ?? 1 }}',
		maxAttempts: settleChecks,
		errorMessage: "={{ 'Charge outcome unknown: ' + $json.payment.reason }}",
		failedNode: 'Debit Stored Card',
	}, s.settleDelays);
	wf.link(trigger, read).link(read, due, 0).link(read, retry, 1).link(read, retry, ERROR_OUTPUT);
	wf.link(due, hasCard, 0).link(due, closed, 1);
	wf.link(hasCard, debit, 0).link(hasCard, noCard, 1).link(noCard, toNotify);
	wf.link(closed, ours, 0).link(closed, notApproved, 1).link(ours, nothing, 0).link(ours, retry, 1).link(ours, retry, ERROR_OUTPUT).link(nothing, toNotify);
	wf.link(debit, differs, 0).link(differs, parkDiffers, 0).link(differs, paid, 1).link(paid, record).link(record, toNotify, 0).link(record, refundCase, 1).link(record, retry, ERROR_OUTPUT);
	wf.link(refundCase, refundReview, 0).link(refundCase, retry, 1);
	wf.link(debit, result, 1).link(debit, retry, ERROR_OUTPUT).link(result, route);
	// The failure's code marks it for the report and the unknown-charge alert.
	const unknown = h.shape(wf, 'Outcome Unknown', 7, 2.2, "{ ...$json, error: { message: 'Charge outcome unknown: ' + ($json.payment?.reason ?? ''), code: 'unknownOutcome', retryable: true } }");
	wf.link(route, soft, 0).link(route, parkInvalid, 1).link(route, unknown, 2).link(unknown, settle).link(route, retry, 3);
	wf.link(soft, declinedNotice, 0).link(soft, dunning, 0).link(soft, finalNotice, 1);
	wf.link(declinedNotice, toNotify).link(finalNotice, toNotify).link(toNotify, retry, 1);
	return wf;
}

export function notifyWorkflow(s: PipelineSettings): Workflow {
	const h = helpers(s);
	const wf = new Workflow('bpStage5NotifyPy', 'Billing · 5 · Payment notifications');
	wf.note(900, [
		'## 5 · Payment notifications',
		'Emails each client the outcome of the charge: **paid**, **declined** (with the reason, e.g. insufficient funds, and when we will try again), **no card on file**, or the **final notice** after the last dunning attempt. Message-IDs are derived from the billing key, kind and attempt, so a resend is recognisable. Failed sends are retried, then parked.',
	].join('\n'));
	const trigger = h.trigger(wf, 'Outcomes to Notify', STAGES.notify, 0, 0);
	const email = wf.add('Email Payment Notice', T.email, 1, 1, 0, {
		operation: 'sendPaymentNotice',
		noticeKind: '={{ $json.notice }}',
		attachInvoice: false,
		templateOverrides: {},
		...sentRecord(s),
		options: emailOptions(s),
	}, { credentials: emailCredentials(s), ...ITEM_ERRORS });
	// The client has been told: the outcome goes to the run report (the item carries it from stage 4).
	const done = h.publish(wf, 'To Report Stage', STAGES.report, 2, -0.5);
	const retry = h.retryOrPark(wf, 'Retry or Park', 2, 0.6);
	wf.link(trigger, email).link(email, done, 0).link(email, retry, 1).link(email, retry, ERROR_OUTPUT).link(done, retry, 1);
	return wf;
}

export function dunningWorkflow(s: PipelineSettings): Workflow {
	const h = helpers(s);
	const wf = new Workflow('bpStage6Dunning0', 'Billing · 6 · Dunning');
	wf.note(900, [
		'## 6 · Dunning',
		`Soft declines wait in the **dunning** stage's delay queues (${s.dunningDelays}: change *Retry Delays* here **and** on *Schedule Next Charge* in stage 4, they must match). When a wait is over, the invoice goes back to the **debit** stage for the next charge, with the attempt number, and the client is notified again of the outcome. Hard declines never come here.`,
	].join('\n'));
	const trigger = h.trigger(wf, 'Charges Due Again', STAGES.dunning, 0, 0, s.dunningDelays);
	const next = h.shape(wf, 'Next Charge Attempt', 1, 0, '{ ...$json, dunningAttempt: ($json.dunningAttempt ?? 1) + 1 }');
	const toDebit = h.publish(wf, 'To Debit Stage', STAGES.debit, 2, 0);
	const retry = h.retryOrPark(wf, 'Retry or Park', 3, 0.8, { parkNow: '={{ $json.error?.retryable === false }}' }, s.dunningDelays);
	wf.link(trigger, next).link(next, toDebit).link(toDebit, retry, 1);
	return wf;
}

export function reportWorkflow(s: PipelineSettings): Workflow {
	const h = helpers(s);
	const store = reportStore(s);
	const wf = new Workflow('bpRunReport00001', 'Billing · 7 · Run report');
	wf.note(1100, [
		'## 7 · Run report',
		"Every stage reports each billing key's outcome to the **report** stage (paid, declined, no card on file, nothing to charge, already billed, a scheduled retry; Retry or Park reports every retry and park). **Record Outcomes** keeps them in the run ledger (n8n's user folder; PostgreSQL in queue mode) and, when every key of a run has reached a final state, emails the **run report** to finance: counts and sums per currency, declines by reason, no-card clients, parked items with their error and how to replay, API calls used, duration. The CSV of every billing key is attached, and the report's JSON is this node's output: send it to Slack, Google Sheets or a database with n8n's own nodes.",
		'',
		`A run that is not complete ${s.reportDeadlineMinutes} minutes after collect (soft declines wait days for their next charge) is reported by **Due Reports** at that deadline, listing what is still in flight. Each report goes out once: its Message-ID is the run's, and the sent record remembers it.`,
		'',
		"**Change the address** in *Email Run Report*'s To.",
	].join('\n'));
	const trigger = h.trigger(wf, 'Stage Outcomes', STAGES.report, 0, 0);
	const record = wf.add('Record Outcomes', T.report, 1, 1, 0, { resource: 'run', operation: 'record', ...store.params }, { ...store.extra, ...ITEM_ERRORS });
	const every = wf.add('Every 5 Minutes', 'n8n-nodes-base.scheduleTrigger', 1.2, 0, 1.5, { rule: { interval: [{ field: 'cronExpression', expression: s.monitorCron }] } });
	const due = wf.add('Due Reports', T.report, 1, 1, 1.5, { resource: 'run', operation: 'due', ...store.params }, { ...store.extra });
	const email = wf.add('Email Run Report', T.email, 1, 2, 0.7, {
		operation: 'sendRunReport',
		to: s.opsEmail,
		...sentRecord(s),
		options: emailOptions(s),
	}, { credentials: emailCredentials(s), ...ITEM_ERRORS });
	const mark = wf.add('Mark Reported', T.report, 1, 3, 0.3, {
		resource: 'run',
		operation: 'markReported',
		to: '={{ $json.emailDelivery?.to?.join(", ") }}',
		reason: "={{ $json.reportDue === 'deadline' ? 'deadline' : 'complete' }}",
		...store.params,
	}, { ...store.extra });
	// Not sent (SMTP down): not marked, so Due Reports offers it again in 5 minutes.
	const unsent = wf.add('Report Not Sent', 'n8n-nodes-base.noOp', 1, 3, 1.3, {});
	// An outcome that cannot be recorded (no run, no key) is parked with the reason, never dropped.
	const park = h.retryOrPark(wf, 'Park Unrecorded Outcome', 2, -0.7, { parkNow: true, reportStage: '', failedNode: 'Record Outcomes' });
	wf.link(trigger, record).link(record, email, 0).link(record, park, 1).link(record, park, ERROR_OUTPUT);
	wf.link(every, due).link(due, email, 0);
	wf.link(email, mark, 0).link(email, unsent, 1).link(email, unsent, ERROR_OUTPUT);
	return wf;
}

export function previewWorkflow(): Workflow {
	const wf = new Workflow('bpPreviewInvoices', 'Billing · 0 · Preview invoices');
	wf.note(620, [
		'## Preview invoices',
		'POST CRM rows to `/webhook/billing/preview` as `{ "periodStart", "periodEnd", "rows": [...] }` and get back the invoice requests the pipeline would create: one per client, with its deterministic billing key. Rejected rows (field and reason) show on the second output in the execution log. Nothing is invoiced, charged or emailed.',
	].join('\n'));
	const hook = wf.add('Preview Request', 'n8n-nodes-base.webhook', 2, 0, 0, {
		httpMethod: 'POST',
		path: 'billing/preview',
		responseMode: 'lastNode',
		responseData: 'allEntries',
		options: {},
	}, { webhookId: '6f1d5a52-55a7-4f44-9a8e-5b0e0e0a0001' });
	const rows = wf.add('Rows', 'n8n-nodes-base.splitOut', 1, 1, 0, { fieldToSplitOut: 'body.rows', options: {} });
	const prepare = wf.add('Invoice Preparation', T.prepare, 1, 2, 0, {
		periodStart: "={{ $('Preview Request').first().json.body.periodStart }}",
		periodEnd: "={{ $('Preview Request').first().json.body.periodEnd }}",
		priceIn: 'major',
		fields: {},
		options: {},
	});
	wf.link(hook, rows).link(rows, prepare);
	return wf;
}

/** Every shipped workflow, keyed by file name. */
export function buildWorkflows(overrides: Partial<PipelineSettings> = {}): Record<string, Record<string, unknown>> {
	const s = { ...DEFAULT_SETTINGS, ...overrides };
	return {
		'00-preview-invoices.json': previewWorkflow().toJSON(),
		'01-collect.json': collectWorkflow(s).toJSON(),
		'02-create-invoices.json': invoiceWorkflow(s).toJSON(),
		'03-email-invoices.json': emailWorkflow(s).toJSON(),
		'04-debit-cards.json': debitWorkflow(s).toJSON(),
		'05-payment-notifications.json': notifyWorkflow(s).toJSON(),
		'06-dunning.json': dunningWorkflow(s).toJSON(),
		'07-run-report.json': reportWorkflow(s).toJSON(),
		'08-alerts.json': alertsWorkflow(s).toJSON(),
		'09-status-page.json': statusPageWorkflow(s).toJSON(),
	};
}
