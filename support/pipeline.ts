// Runs the shipped pipeline for tests, the demo and the chaos run: the sandbox, a real n8n with
// every stage workflow published, run requests on the collect queue, and a ledger read from the
// sandbox's own records (never from the pipeline's) that says where every client ended up.
import { sleep } from 'n8n-workflow';
import { billingKey } from '../nodes/shared/billingKey';
import { parseDelays, stageTopology } from '../nodes/BillingQueue/helpers/topology';
import { buildWorkflows, DEFAULT_SETTINGS, STAGES } from '../scripts/workflows/pipeline';
import type { PipelineSettings } from '../scripts/workflows/pipeline';
import { startBillingSandbox } from '../sandbox';
import type { BillingSandbox, BillingSandboxOptions, ExpectedOutcome } from '../sandbox';
import { BrokerProbe } from './broker';
import { N8nInstance, startN8n } from './n8n';
import { QueueModeBackend } from './queue-mode';

export const AMQP_URL = process.env.BILLING_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export interface ClientLedger {
	clientId: string;
	expected: ExpectedOutcome;
	billingKey: string;
	invoices: number;
	invoiceStatus: string | null;
	charges: number;
	declinedAuths: number;
	payments: number;
	/** Xero payments on the client's invoice whose Reference is one of the gateway's charges for the key (ours). */
	ourPayments: number;
	/** Other Xero payments on it (a bookkeeper's bank transfers). */
	otherPayments: number;
	/** The invoice's total and what is still due, in Xero's cents (null without exactly one invoice). */
	invoiceTotalCents: number | null;
	amountDueCents: number | null;
	/** Emails received by kind (invoice, paid, declined, noCardOnFile, finalNotice), counted by distinct Message-ID. */
	emails: Record<string, number>;
	duplicateEmails: number;
}

export interface PipelineRun {
	sandbox: BillingSandbox;
	n8n: N8nInstance;
	/** Every n8n running the workflows (`n8n` first); more than one with the `instances` option. */
	instances: N8nInstance[];
	/** Queue mode: the workers that run the executions (the main instance, `n8n`, runs the triggers). */
	workers: N8nInstance[];
	/** Queue mode: this run's PostgreSQL database and Redis keys. */
	backend?: QueueModeBackend;
	/** Queue mode: starts one more worker on the same database and Redis (own user folder). */
	addWorker(): Promise<N8nInstance>;
	settings: PipelineSettings;
	requestRun(): Promise<void>;
	/** Publishes one item to a stage's queue, as an upstream stage would. */
	publish(stage: string, item: Record<string, unknown>): Promise<void>;
	ledger(): ClientLedger[];
	/** Polls until `done(ledger)` holds; throws with the last ledger on timeout. */
	waitFor(what: string, done: (ledger: ClientLedger[]) => boolean, timeoutMs?: number): Promise<ClientLedger[]>;
	/** Messages left in the pipeline's queues, by queue name. */
	queueDepths(): Promise<Record<string, number>>;
	stop(): Promise<void>;
}

/** The stages the shipped workflows declare queues for: the generator's own list. */
const STAGE_NAMES = Object.values(STAGES);

/** The status page's credential as the workflow names it, and the login the harness gives it. */
export const STATUS_PAGE_CREDENTIAL = { id: 'bpStatusPageAuth', name: 'Billing Status Page' } as const;
export const STATUS_PAGE_LOGIN = { user: 'ops', password: 'status-page-demo' } as const;

function emailKind(messageId: string): { kind: string; key: string } | null {
	// <billing.<kind>[.a<attempt>].k-<billingKey>@domain>
	const m = /^<?billing\.([A-Za-z]+)(?:\.a(\d+))?\.k-([^@]+)@/.exec(messageId);
	return m ? { kind: m[1], key: m[3] } : null;
}

export function ledgerOf(sandbox: BillingSandbox): ClientLedger[] {
	const { from, to } = sandbox.period;
	// Index the sandbox's records once by billing key: the chaos run asks for this ledger of
	// thousands of clients every few hundred ms.
	const emailsByKey = new Map<string, string[]>();
	for (const msg of sandbox.smtp.messages()) {
		const id = String(msg.messageId ?? '');
		const parsed = emailKind(id);
		if (!parsed) continue;
		const list = emailsByKey.get(parsed.key) ?? [];
		list.push(id);
		emailsByKey.set(parsed.key, list);
	}
	const charges = new Map<string, number>();
	const declines = new Map<string, number>();
	// Gateway references of money-taking AUTHs: a Xero payment with one as Reference is ours.
	const chargeRefs = new Set<string>();
	for (const t of sandbox.secureTrading.transactions()) {
		if (t.fields.requesttypedescription !== 'AUTH') continue;
		const ref = String(t.fields.orderreference);
		if (t.charged) {
			charges.set(ref, (charges.get(ref) ?? 0) + 1);
			if (t.fields.transactionreference) chargeRefs.add(t.fields.transactionreference);
		}
		else if (t.fields.errorcode === '70000') declines.set(ref, (declines.get(ref) ?? 0) + 1);
	}
	const paymentsByInvoice = new Map<string, number>();
	const ourPaymentsByInvoice = new Map<string, number>();
	for (const p of sandbox.xero.payments()) {
		const id = (p.Invoice as { InvoiceID?: string } | undefined)?.InvoiceID;
		if (!id) continue;
		paymentsByInvoice.set(id, (paymentsByInvoice.get(id) ?? 0) + 1);
		if (chargeRefs.has(String(p.Reference ?? ''))) ourPaymentsByInvoice.set(id, (ourPaymentsByInvoice.get(id) ?? 0) + 1);
	}
	const invoicesByKey = new Map<string, Array<Record<string, unknown>>>();
	for (const inv of sandbox.xero.invoices()) {
		const list = invoicesByKey.get(String(inv.Reference)) ?? [];
		list.push(inv);
		invoicesByKey.set(String(inv.Reference), list);
	}
	return sandbox.scenario.map((client) => {
		const key = billingKey(client.clientId, new Date(from).toISOString(), new Date(to).toISOString());
		const invoices = invoicesByKey.get(key) ?? [];
		const emails: Record<string, number> = {};
		const seen = new Set<string>();
		let duplicateEmails = 0;
		for (const id of emailsByKey.get(key) ?? []) {
			if (seen.has(id)) {
				duplicateEmails++;
				continue;
			}
			seen.add(id);
			const kind = emailKind(id)!.kind;
			emails[kind] = (emails[kind] ?? 0) + 1;
		}
		const payments = invoices.reduce((n, i) => n + (paymentsByInvoice.get(String(i.InvoiceID)) ?? 0), 0);
		const ourPayments = invoices.reduce((n, i) => n + (ourPaymentsByInvoice.get(String(i.InvoiceID)) ?? 0), 0);
		const cents = (v: unknown) => (invoices.length === 1 ? Math.round(Number(v) * 100) : null);
		return {
			clientId: client.clientId,
			expected: client.expected,
			billingKey: key,
			invoices: invoices.length,
			invoiceStatus: invoices.length === 1 ? String(invoices[0].Status) : null,
			charges: charges.get(key) ?? 0,
			declinedAuths: declines.get(key) ?? 0,
			payments,
			ourPayments,
			otherPayments: payments - ourPayments,
			invoiceTotalCents: cents(invoices[0]?.Total),
			amountDueCents: cents(invoices[0]?.AmountDue),
			emails,
			duplicateEmails,
		};
	});
}

/** What "done" means for each expected outcome, judged on the sandbox's records. */
export function isSettled(c: ClientLedger, maxCharges: number): boolean {
	const e = c.emails;
	if (c.expected !== 'rejected' && (e.nothingToCharge || e.chargedRemainder)) return settledAfterBookkeeper(c);
	switch (c.expected) {
		case 'paid':
			return c.invoices === 1 && c.invoiceStatus === 'PAID' && c.charges === 1 && c.payments === 1 && e.invoice === 1 && e.paid === 1;
		case 'no-card':
			return c.invoices === 1 && c.charges === 0 && e.invoice === 1 && e.noCardOnFile === 1;
		case 'declined-retried':
			// Declined once ("do not honour"), told the date of the next charge, charged then, paid.
			return c.invoices === 1 && c.invoiceStatus === 'PAID' && c.charges === 1 && c.declinedAuths === 1 && c.payments === 1 && e.invoice === 1 && e.declined === 1 && e.paid === 1 && !e.finalNotice;
		case 'declined-hard':
			// Never charged again, and told so: the final notice, no "we will try again".
			return c.invoices === 1 && c.invoiceStatus === 'AUTHORISED' && c.charges === 0 && c.declinedAuths === 1 && e.invoice === 1 && e.finalNotice === 1 && !e.declined;
		case 'declined-soft':
			return (
				c.invoices === 1 && c.invoiceStatus === 'AUTHORISED' && c.charges === 0 && c.declinedAuths === maxCharges &&
				e.invoice === 1 && e.declined === maxCharges - 1 && e.finalNotice === 1
			);
		case 'rejected':
			return c.invoices === 0 && c.charges === 0 && Object.keys(e).length === 0;
	}
}

/** Notices that tell a client the outcome of the debit stage. */
export const PAYMENT_NOTICE_KINDS = ['paid', 'declined', 'noCardOnFile', 'finalNotice', 'nothingToCharge', 'chargedRemainder'] as const;

/**
 * Done for an invoice a bookkeeper changed in Xero before the charge: paid, credited or voided in
 * full → not charged and told so; paid or credited in part → charged the rest once, that payment
 * recorded in Xero, and told so. No other payment notice in either case.
 */
export function settledAfterBookkeeper(c: ClientLedger): boolean {
	const e = c.emails;
	const others = PAYMENT_NOTICE_KINDS.filter((k) => k !== 'nothingToCharge' && k !== 'chargedRemainder' && (e[k] ?? 0) > 0);
	if (c.invoices !== 1 || e.invoice !== 1 || others.length) return false;
	if (e.nothingToCharge === 1 && !e.chargedRemainder) return c.charges === 0 && c.ourPayments === 0;
	if (e.chargedRemainder === 1 && !e.nothingToCharge) return c.invoiceStatus === 'PAID' && c.charges === 1 && c.ourPayments === 1;
	return false;
}

export async function startPipeline(opts: {
	sandbox?: BillingSandboxOptions;
	settings?: Partial<PipelineSettings>;
	nodesTemplate?: string;
	port?: number;
	/** How many n8n instances (own user folders) run the same active workflows on the same queues; default 1. */
	instances?: number;
	/**
	 * Another broker than the shared one (the chaos run restarts its own): its AMQP URL and Erlang
	 * node name; `hosts` (e.g. `127.0.0.1:5673, 127.0.0.1:5674`) replaces the credential's Host, for a cluster.
	 */
	broker?: { url: string; node?: string; hosts?: string };
	/** Extra environment for n8n. */
	env?: Record<string, string>;
	/**
	 * n8n's queue mode: one main instance (triggers) and `workers` workers (executions) on a
	 * PostgreSQL database and Redis keys of this run's own; `ownRedis` starts a throwaway
	 * redis-server (to restart it). Default: BILLING_E2E_N8N_MODE=queue runs every pipeline
	 * test this way with two workers.
	 */
	queueMode?: { workers?: number; ownRedis?: boolean } | false;
} = {}): Promise<PipelineRun> {
	const amqpUrl = opts.broker?.url ?? AMQP_URL;
	const brokerUrl = new URL(amqpUrl);
	const queueMode = opts.queueMode ?? (process.env.BILLING_E2E_N8N_MODE === 'queue' ? { workers: 2 } : false);
	const sandbox = await startBillingSandbox(opts.sandbox);
	const backend = queueMode ? await QueueModeBackend.create({ ownRedis: queueMode.ownRedis, encryptionKey: opts.env?.N8N_ENCRYPTION_KEY }) : undefined;
	const settings: PipelineSettings = {
		...DEFAULT_SETTINGS,
		exchange: `billing-e2e-${process.pid}-${Date.now().toString(36)}`,
		// Written into workflow 1's Billing Settings node, as ops would set their CRM's address.
		crmBaseUrl: sandbox.crm.url,
		// Workers do not share a user folder or a process: the records live in n8n's database.
		...(backend ? { sharedRecords: true } : {}),
		...opts.settings,
	};
	const workflows = Object.values(buildWorkflows(settings));
	const env = { ...opts.env, ...backend?.env() };
	const credentials = [
		...sandbox.credentials({
			hostname: opts.broker?.hosts ?? brokerUrl.hostname,
			port: Number(brokerUrl.port || 5672),
			username: decodeURIComponent(brokerUrl.username || 'guest'),
			password: decodeURIComponent(brokerUrl.password || 'guest'),
		}),
		...(backend ? [backend.postgresCredential()] : []),
		// The billing status page's basic auth (workflow 9), an n8n credential like any other.
		{ ...STATUS_PAGE_CREDENTIAL, type: 'httpBasicAuth', data: { user: STATUS_PAGE_LOGIN.user, password: STATUS_PAGE_LOGIN.password } },
	];
	// Queue mode: one main instance on the shared database (it imports and publishes); the workers
	// start after it, so n8n's migrations run once.
	const count = backend ? 1 : Math.max(1, opts.instances ?? 1);
	const starting = Array.from({ length: count }, (_, i) =>
		startN8n({
			nodesTemplate: opts.nodesTemplate,
			port: i === 0 ? opts.port : undefined,
			credentials,
			env,
			workflows,
			publish: workflows.map((w) => w.id as string),
		}),
	);
	const workers: N8nInstance[] = [];
	const addWorker = async () => {
		if (!backend) throw new Error('addWorker(): not a queue-mode run');
		const worker = await startN8n({ nodesTemplate: opts.nodesTemplate, env, command: 'worker' });
		workers.push(worker);
		return worker;
	};
	const settled = await Promise.allSettled(starting);
	const instances = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
	let failed: unknown = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason;
	if (!failed && queueMode) {
		const started = await Promise.allSettled(Array.from({ length: queueMode.workers ?? 2 }, () => addWorker()));
		failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason;
	}
	if (failed) {
		await Promise.all([...instances, ...workers].map((i) => i.dispose().catch(() => undefined)));
		await sandbox.close();
		await backend?.dispose();
		throw failed;
	}
	const n8n = instances[0];

	// The queues the workflows can declare, named as the nodes name them, and kept when they
	// exist: read over AMQP, so a broker in a container or on another host works (no rabbitmqctl).
	const candidateQueues = (): string[] => {
		const delaysMs = [...new Set([settings.retryDelays, settings.dunningDelays, settings.settleDelays].flatMap((d) => parseDelays(d)))];
		const cfg = { exchange: settings.exchange, queueType: settings.queueType, retryDelaysMs: delaysMs };
		return STAGE_NAMES.flatMap((stage) => stageTopology(cfg, stage).queues.map((q) => q.name));
	};
	const queueNames = async (probe: BrokerProbe): Promise<string[]> => {
		const names: string[] = [];
		for (const q of candidateQueues()) if ((await probe.check(q)) !== null) names.push(q);
		return names;
	};

	const run: PipelineRun = {
		sandbox,
		n8n,
		instances,
		workers,
		backend,
		addWorker,
		settings,
		async requestRun() {
			// A valid billing key (at most 25 characters): RUN-<period start>-<time in base 36>.
			const key = `RUN-${new Date(sandbox.period.from).toISOString().slice(0, 10).replace(/-/g, '')}-${Date.now().toString(36)}`;
			await run.publish('collect', { billingKey: key, periodStart: sandbox.period.from, periodEnd: sandbox.period.to });
		},
		async publish(stage, item) {
			// A connection per call: the chaos run restarts the broker between calls.
			const probe = await BrokerProbe.open('billing-pipeline-run', amqpUrl);
			try {
				await probe.publish(settings.exchange, stage, item, {
					messageId: String(item.billingKey),
					contentType: 'application/json',
					headers: { 'x-billing-attempt': 1, 'x-billing-stage': stage },
				});
			} finally {
				await probe.close();
			}
		},
		ledger: () => ledgerOf(sandbox),
		async waitFor(what, done, timeoutMs = 180_000) {
			const deadline = Date.now() + timeoutMs;
			let last = ledgerOf(sandbox);
			while (Date.now() < deadline) {
				last = ledgerOf(sandbox);
				if (done(last)) return last;
				await sleep(500);
			}
			throw new Error(`timed out waiting for ${what}:\n${JSON.stringify(last, null, 1)}\n--- n8n log ---\n${n8n.logs(40)}`);
		},
		async queueDepths() {
			const probe = await BrokerProbe.open('billing-pipeline-run', amqpUrl);
			try {
				const depths: Record<string, number> = {};
				for (const q of await queueNames(probe)) depths[q] = (await probe.count(q)) ?? 0;
				return depths;
			} finally {
				await probe.close();
			}
		},
		async stop() {
			// Main first: its triggers stop handing out batches, then the workers finish theirs.
			await Promise.all(instances.map((i) => i.dispose()));
			await Promise.all(workers.map((w) => w.dispose()));
			await sandbox.close();
			await backend?.dispose();
			// Remove this run's queues and exchange so the broker stays clean.
			const probe = await BrokerProbe.open('billing-pipeline-run', amqpUrl);
			try {
				await probe.deleteQueues(await queueNames(probe));
				await probe.deleteExchange(settings.exchange);
			} finally {
				await probe.close();
			}
		},
	};
	return run;
}

export { STAGE_NAMES };
