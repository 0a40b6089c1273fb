// The chaos run: a full billing run through the shipped workflows in a real n8n, against the
// sandbox, while n8n is SIGKILLed and restarted, RabbitMQ is restarted, Xero answers 5xx, 429
// storms and timeouts, the gateway loses answers after charging, answers 60010/50000 or only after
// the debit node gave up, its search lags its charges, and the SMTP server refuses mail
// temporarily. Meanwhile a bookkeeper pays, part-pays, voids and credits invoices in Xero before
// they are charged (world.ts): every charge must be exactly what Xero had due at that moment,
// and each of those clients must end told what really happened. The verdict is read from the sandbox's own records (Xero's
// invoices and payments, the gateway's transactions, the mailbox) and the parked queues, never
// from what the pipeline says about itself. Then n8n's files, the broker's messages and the
// emails are scanned for secrets and card numbers.
import * as amqp from 'amqplib';
import { randomBytes } from 'crypto';
import { seededRandom } from '../../sandbox/common/http';
import { sleep } from 'n8n-workflow';
import { ledgerOf, PAYMENT_NOTICE_KINDS, settledAfterBookkeeper, startPipeline } from '../../support/pipeline';
import type { ClientLedger, PipelineRun } from '../../support/pipeline';
import { ChaosBroker } from './broker';
import { basicAuthSecret, filesUnder, scan } from './secrets';
import type { ScanReport, ScanSource, Secret } from './secrets';
import { Bookkeeper, chargeCents } from './world';
import type { BookkeeperAction, BookkeeperRates } from './world';

export interface ChaosOptions {
	/** Billable clients, one invoice each (plus the CRM's malformed rows, which must be parked). */
	invoices: number;
	seed?: number;
	/** n8n SIGKILLs (each followed by a restart). Default 2. */
	kills?: number;
	/** RabbitMQ restarts (stop_app / start_app). Default 1. */
	brokerRestarts?: number;
	/** Give up after this long. */
	timeoutMs?: number;
	/** Xero's rate-limit minute, compressed so a large run does not take hours (default 10 s). */
	xeroMinuteMs?: number;
	batchSize?: number;
	nodesTemplate?: string;
	/** Shares of invoices the bookkeeper pays, part-pays, voids and credits before the charge (default 2, 2, 1, 1 %). */
	bookkeeperRates?: BookkeeperRates;
	/** Share of charges whose answer comes after the debit node's timeout (default 2 %, at least 3). */
	slowAnswerShare?: number;
	/**
	 * n8n's queue mode: a main instance (triggers) and two workers on a PostgreSQL database and a
	 * throwaway Redis of the run's own. The SIGKILLs then strike a worker and the main instance in
	 * turn, and Redis is restarted once.
	 */
	queueMode?: boolean;
	log?: (line: string) => void;
}

export interface ChaosEvent {
	name: string;
	/** Seconds since the run was requested. */
	at: number;
	/** Progress when it struck: share of clients invoiced / notified. */
	invoiced: number;
	notified: number;
}

export interface ChaosFigures {
	billable: number;
	malformed: number;
	seconds: number;
	events: ChaosEvent[];
	crashes: number;
	states: Record<string, number>;
	invoicedOnce: number;
	invoicedTwice: number;
	keysChargedTwice: number;
	charged: number;
	chargedWithOnePayment: number;
	invoiced: number;
	invoiceEmails: number;
	paymentNotices: number;
	/** Not parked, yet missing the invoice email / the payment notice. */
	missingInvoiceEmail: number;
	missingNotice: number;
	exactlyOneFinalState: number;
	parked: Array<{ key: string; stage: string; reason: string }>;
	duplicateEmails: number;
	/**
	 * Duplicates a crash does not explain. The only email a SIGKILL may repeat is one the SMTP
	 * server accepted in the instant before n8n could journal it, so the first copy must have
	 * arrived within DUPLICATE_WINDOW of a kill; anything else is a bug.
	 */
	unexplainedDuplicates: Array<{ messageId: string; firstReceivedAt: string }>;
	wrongOutcome: Array<{ clientId: string; expected: string; got: string }>;
	faults: Record<string, number>;
	xeroCalls: number;
	gatewayCalls: number;
	/** What the bookkeeper did, by kind (tooLate: planned, but the invoice was already read for charging). */
	bookkeeper: Record<string, number>;
	bookkeeperActions: BookkeeperAction[];
	/** Charges whose amount differs from what was due in Xero when the gateway took it. */
	wrongAmount: Array<{ key: string; chargedCents: number; dueCents: number }>;
	chargesChecked: number;
	/** Charges of invoices paid, credited or voided in full before the charge. */
	chargedNothingDue: number;
	reattemptsAfterHardDecline: number;
	/** Clients told "paid" / "charged the remainder" without a Xero payment from one of our charges. */
	paidNoticesWithoutOurPayment: string[];
	paidNotices: number;
	/** Bookkeeper-touched clients in exactly their one right final state. */
	touchedRight: number;
	touchedWrong: Array<{ clientId: string; expected: string; got: string }>;
	slowAnswers: number;
}

export interface ChaosResult {
	ok: boolean;
	problems: string[];
	figures: ChaosFigures;
	secrets: ScanReport;
	table: string;
}

const PAYMENT_NOTICES: readonly string[] = PAYMENT_NOTICE_KINDS;

/** The final states a client is in, by the sandbox's records and the parked queues. */
function finalStates(c: ClientLedger, parked: boolean): string[] {
	const e = c.emails;
	const states: string[] = [];
	if (c.expected === 'rejected') return parked && c.invoices === 0 && c.charges === 0 ? ['rejected and parked'] : [];
	if (c.charges >= 1 && c.ourPayments >= 1 && e.paid >= 1) states.push('paid and notified');
	// A bookkeeper paid, credited or voided the invoice before the charge.
	if (c.charges === 0 && e.nothingToCharge >= 1) states.push('nothing to charge and notified');
	if (c.charges >= 1 && c.ourPayments >= 1 && e.chargedRemainder >= 1) states.push('charged the remainder and notified');
	// A soft decline is final only after the last dunning charge (final notice).
	if (c.charges === 0 && c.declinedAuths >= 1 && (e.finalNotice >= 1 || (c.expected !== 'declined-soft' && e.declined >= 1))) {
		states.push('declined and notified');
	}
	if (c.charges === 0 && c.declinedAuths === 0 && e.noCardOnFile >= 1) states.push('no card and notified');
	if (parked) states.push('parked with a reason');
	return states;
}

const EXPECTED_STATE: Record<string, string> = {
	paid: 'paid and notified',
	'declined-retried': 'paid and notified',
	'declined-soft': 'declined and notified',
	'declined-hard': 'declined and notified',
	'no-card': 'no card and notified',
	rejected: 'rejected and parked',
};

const TOUCHED_STATE: Record<BookkeeperAction['expect'], string> = {
	nothingToCharge: 'nothing to charge and notified',
	chargedRemainder: 'charged the remainder and notified',
};

/** Parked items (billing key → stage and reason), read without taking them off their queues. */
async function readParked(url: string, queues: string[]): Promise<Map<string, { stage: string; reason: string }>> {
	const parked = new Map<string, { stage: string; reason: string }>();
	const conn = await amqp.connect(url);
	try {
		const ch = await conn.createChannel();
		for (const q of queues) {
			for (;;) {
				const msg = await ch.get(q, { noAck: false });
				if (!msg) break;
				const h = msg.properties.headers ?? {};
				const key = String(msg.properties.messageId ?? '');
				// The error says what is wrong; the parked reason says why it stopped (park-now, max-attempts).
				parked.set(key, { stage: q, reason: `${String(h['x-billing-error-message'] ?? '')} (${String(h['x-billing-parked-reason'] ?? '')})` });
			}
		}
		// Closing the channel returns every unacknowledged message to its queue.
		await ch.close();
	} finally {
		await conn.close();
	}
	return parked;
}

async function queueMessages(url: string, queues: string[]): Promise<ScanSource[]> {
	const out: ScanSource[] = [];
	const conn = await amqp.connect(url);
	try {
		const ch = await conn.createChannel();
		for (const q of queues) {
			for (let n = 1; ; n++) {
				const msg = await ch.get(q, { noAck: false });
				if (!msg) break;
				out.push({ where: `queue ${q} #${n}`, text: `${JSON.stringify(msg.properties)}\n${msg.content.toString('utf8')}` });
			}
		}
		await ch.close();
	} finally {
		await conn.close();
	}
	return out;
}

function pct(n: number, of: number): string {
	return of ? `${((100 * n) / of).toFixed(1)}%` : '-';
}

export function renderTable(f: ChaosFigures, secrets: ScanReport): string {
	const rows: Array<[string, string, string]> = [];
	const check = (what: string, value: string, ok: boolean) => rows.push([what, value, ok ? 'ok' : 'FAIL']);
	check('Billable clients with exactly one invoice in Xero', `${f.invoicedOnce} / ${f.billable}`, f.invoicedTwice === 0);
	check('Invoices created twice', String(f.invoicedTwice), f.invoicedTwice === 0);
	check('Billing keys charged more than once', String(f.keysChargedTwice), f.keysChargedTwice === 0);
	check('Charged invoices with exactly one payment from us in Xero', `${f.chargedWithOnePayment} / ${f.charged}`, f.chargedWithOnePayment === f.charged);
	check('Charges of the amount due in Xero at charge time', `${f.chargesChecked - f.wrongAmount.length} / ${f.chargesChecked}`, f.wrongAmount.length === 0);
	check('Charges of invoices paid, credited or voided before', String(f.chargedNothingDue), f.chargedNothingDue === 0);
	check('AUTHs after a hard decline', String(f.reattemptsAfterHardDecline), f.reattemptsAfterHardDecline === 0);
	check(
		'Paid notices without a Xero payment from our charge',
		`${f.paidNoticesWithoutOurPayment.length} (of ${f.paidNotices})`,
		f.paidNoticesWithoutOurPayment.length === 0,
	);
	check(
		'Bookkeeper-touched clients in their one right final state',
		`${f.touchedRight} / ${f.bookkeeperActions.length}`,
		f.touchedRight === f.bookkeeperActions.length,
	);
	check('Invoiced clients who received their invoice email', `${f.invoiceEmails} / ${f.invoiced}`, f.missingInvoiceEmail === 0);
	check('Billable clients who received their payment notice', `${f.paymentNotices} / ${f.billable}`, f.missingNotice === 0);
	check('Items in exactly one final state', `${f.exactlyOneFinalState} / ${f.billable + f.malformed}`, f.exactlyOneFinalState === f.billable + f.malformed);
	for (const [state, n] of Object.entries(f.states)) rows.push([`  ${state}`, String(n), '']);
	check('Outcome differs from the client\'s card behaviour', String(f.wrongOutcome.length), f.wrongOutcome.length === 0);
	check(
		`Duplicate emails not explained by a crash (${f.crashes} SIGKILLs)`,
		`${f.unexplainedDuplicates.length} (of ${f.duplicateEmails} duplicates)`,
		f.unexplainedDuplicates.length === 0,
	);
	check('Secrets or card numbers found', `${secrets.findings.length} in ${secrets.sources} sources (${(secrets.bytes / 1e6).toFixed(1)} MB)`, secrets.findings.length === 0);
	rows.push(['Faults injected', Object.entries(f.faults).map(([k, v]) => `${k} ${v}`).join(', '), '']);
	rows.push(['Bookkeeper before the charge', Object.entries(f.bookkeeper).map(([k, v]) => `${k} ${v}`).join(', '), '']);
	rows.push(['Chaos events', f.events.map((e) => `${e.name} at ${e.at}s (${pct(e.invoiced, 1)} invoiced, ${pct(e.notified, 1)} notified)`).join('; '), '']);
	rows.push(['Run time', `${f.seconds} s for ${f.billable} invoices`, '']);
	rows.push(['Xero calls per invoice', (f.xeroCalls / Math.max(1, f.billable)).toFixed(3), '']);
	const w0 = Math.max(...rows.map((r) => r[0].length));
	const w1 = Math.max(...rows.map((r) => r[1].length));
	return rows.map(([a, b, c]) => `${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`).join('\n');
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosResult> {
	const log = opts.log ?? ((line: string) => console.log(line));
	const seed = opts.seed ?? 7;
	const random = seededRandom(seed * 7919);
	const between = (lo: number, hi: number) => lo + (hi - lo) * random();
	const kills = opts.kills ?? 2;
	const brokerRestarts = opts.brokerRestarts ?? 1;
	const redisRestarts = opts.queueMode ? 1 : 0;

	// Unique, random secrets for this run: a hit in the scan can only be a leak.
	const stSecret = { username: `ws-${randomBytes(4).toString('hex')}@billing.example`, password: `St!${randomBytes(15).toString('base64url')}` };
	const smtpSecret = { user: `mailer-${randomBytes(3).toString('hex')}`, password: `Smtp!${randomBytes(15).toString('base64url')}` };

	log(`chaos: starting a throwaway RabbitMQ node`);
	const broker = await ChaosBroker.start();
	let run: PipelineRun | undefined;
	let bookkeeperStop: (() => void) | undefined;
	try {
		run = await startPipeline({
			nodesTemplate: opts.nodesTemplate,
			broker: { url: broker.url, node: broker.node },
			env: { N8N_ENCRYPTION_KEY: randomBytes(24).toString('base64url') },
			queueMode: opts.queueMode ? { workers: 2, ownRedis: true } : false,
			sandbox: {
				clients: opts.invoices,
				seed,
				leadsPerClient: [1, 3],
				hostile: true,
				xeroLimits: { minuteMs: opts.xeroMinuteMs ?? 10_000 },
				secureTradingUser: stSecret,
				smtpAuth: smtpSecret,
				// The gateway's search shows a charge only 1.5 s after it was made.
				secureTradingQueryVisibilityDelayMs: 1500,
			},
			settings: {
				retryDelays: '1s, 2s, 4s, 8s, 15s',
				maxAttempts: 6,
				dunningDelays: '3s, 6s',
				// Unknown outcomes settle within the run: short checks, a one-minute window.
				settleDelays: '20s, 20s, 30s, 40s',
				settleWindowMinutes: 1,
				// Slow answers (below) come after this, so the node really does not know.
				debitTimeoutMs: SLOW_TIMEOUT_MS,
				batchSize: opts.batchSize ?? 50,
				batchWindowMs: 1000,
				invoiceDocument: 'xeroPdf',
				// Queue mode: a batch whose job died with Redis is retried after 2 minutes, not 25.
				...(opts.queueMode ? { executionWaitMinutes: 2 } : {}),
			},
		});
		const { sandbox } = run;
		const n8n = run.n8n;

		// Faults, all seeded. Xero: 10% 5xx (before or after the work is done), some calls hang
		// past the client's timeout. Gateway: 5% of AUTHs charge and then lose the answer; some
		// answer 60010 (half of those did charge) or 50000. SMTP: 5% refused with 451.
		sandbox.xero.setFaults({ seed, errorRate: 0.1, errorStatuses: [500, 502, 503, 504], timeoutRate: 0.01, hangMs: 35_000, phase: 'random' });
		sandbox.secureTrading.setFaults({ dropAfterCharge: 0.05, bankError: 0.02, bankErrorCharged: 0.5, socketError: 0.02 });
		sandbox.smtp.setRefuseFraction(0.05, { code: 451, message: '4.3.0 Mailbox temporarily unavailable, try again later', stage: 'data' });

		const billable = sandbox.scenario.filter((c) => c.expected !== 'rejected').length;
		const malformed = sandbox.scenario.length - billable;
		const expectedByKey = new Map(ledgerOf(sandbox).map((c) => [c.billingKey, c.expected as string]));
		const bookkeeper = new Bookkeeper(sandbox, expectedByKey, seed, opts.bookkeeperRates);
		bookkeeper.start();
		bookkeeperStop = () => bookkeeper.stop();
		// Slow acquirer: now and then an AUTH is charged at once but answered after the node gave up.
		const slowCount = Math.max(3, Math.round((opts.slowAnswerShare ?? 0.02) * billable));
		const slowAt = Array.from({ length: slowCount }, (_, i) => 0.05 + (0.8 * i) / slowCount);
		const progress = (ledger: ClientLedger[]) => {
			const bill = ledger.filter((c) => c.expected !== 'rejected');
			return {
				invoiced: bill.filter((c) => c.invoices > 0).length / billable,
				notified: bill.filter((c) => PAYMENT_NOTICES.some((k) => (c.emails[k] ?? 0) > 0)).length / billable,
			};
		};

		const t0 = Date.now();
		const events: ChaosEvent[] = [];
		let crashes = 0;
		const killedAt: number[] = [];
		// In queue mode the kills alternate: a worker (its running executions die with it) and then
		// the main instance (its triggers' unacknowledged batches return to RabbitMQ while the
		// workers go on running what it had queued).
		let kill = 0;
		const crash = async () => {
			const victim = opts.queueMode && kill++ % 2 === 0 ? run!.workers[0] : n8n;
			killedAt.push(Date.now());
			await victim.kill();
			crashes++;
			await sleep(between(1000, 4000));
			await victim.start(180_000);
		};
		type Planned = { name: string; due: (p: { invoiced: number; notified: number }) => boolean; act: () => Promise<void> };
		const plan: Planned[] = [];
		const killAt = [between(0.1, 0.3), between(0.15, 0.45)];
		const killName = (i: number) => (opts.queueMode ? `n8n ${i % 2 === 1 ? 'worker' : 'main'} SIGKILL #${i}` : `n8n SIGKILL #${i}`);
		if (kills >= 1) plan.push({ name: killName(1), due: (p) => p.invoiced >= killAt[0], act: crash });
		plan.push({
			name: 'Xero 429 storm',
			due: (p) => p.invoiced >= Math.min(0.95, killAt[0] + 0.1),
			// The next 12 calls (within 30 s) are answered 429 with Retry-After.
			act: async () => sandbox.xero.storm429({ calls: 12, ms: 30_000, retryAfterSeconds: 2 }),
		});
		for (let i = 0; i < brokerRestarts; i++) {
			const at = between(0.45, 0.7);
			plan.push({ name: `RabbitMQ restart #${i + 1}`, due: (p) => p.invoiced >= at, act: () => broker.restart(3000) });
		}
		for (let i = 2; i <= kills; i++) {
			const at = killAt[1];
			plan.push({ name: killName(i), due: (p) => p.notified >= at, act: crash });
		}
		for (let i = 0; i < redisRestarts; i++) {
			const at = between(0.3, 0.6);
			plan.push({ name: 'Redis restart', due: (p) => p.notified >= at, act: () => run!.backend!.ownRedis!.restart(2000) });
		}

		await run.requestRun();
		log(`chaos: billing run requested for ${billable} clients (+${malformed} malformed CRM rows)`);
		const deadline = Date.now() + (opts.timeoutMs ?? 45 * 60_000);
		const activeQueues = async () => (await broker.queues()).filter((q) => q.name.startsWith(`${run!.settings.exchange}.`));
		let parked = new Map<string, { stage: string; reason: string }>();
		let quietSince = 0;
		let stuckSince = 0;
		let lastReport = 0;
		for (;;) {
			if (Date.now() > deadline) throw new Error(`chaos run did not settle in time:\n${JSON.stringify(progress(ledgerOf(sandbox)))}\n${n8n.logs(60)}`);
			const ledger = ledgerOf(sandbox);
			const p = progress(ledger);
			while (slowAt.length && slowAt[0] <= p.notified) {
				slowAt.shift();
				sandbox.secureTrading.injectFault({ kind: 'slowAnswer', delayMs: SLOW_TIMEOUT_MS + 5000 });
			}
			while (plan.length && plan[0].due(p)) {
				const ev = plan.shift()!;
				events.push({ name: ev.name, at: Math.round((Date.now() - t0) / 1000), ...p });
				log(`chaos: ${ev.name} at ${(100 * p.invoiced).toFixed(0)}% invoiced, ${(100 * p.notified).toFixed(0)}% notified`);
				await ev.act();
			}
			if (Date.now() - lastReport > 15_000) {
				lastReport = Date.now();
				const waiting = (await activeQueues()).filter((q) => !/\.(parked|summary)$/.test(q.name) && q.ready + q.unacked > 0);
				log(
					`chaos: ${Math.round((Date.now() - t0) / 1000)} s: ${(100 * p.invoiced).toFixed(0)}% invoiced, ${(100 * p.notified).toFixed(0)}% notified; ` +
						`in queues: ${waiting.map((q) => `${q.name.slice(run!.settings.exchange.length + 1)} ${q.ready}+${q.unacked}`).join(', ') || 'none'}`,
				);
			}
			const queues = await activeQueues();
			// Parked items are a final state; run summaries wait for ops, nobody consumes them.
			const busy = queues.filter((q) => !/\.(parked|summary)$/.test(q.name) && q.ready + q.unacked > 0);
			if (busy.length === 0 && plan.length === 0) {
				parked = await readParked(broker.url, queues.filter((q) => q.name.endsWith('.parked') && q.ready > 0).map((q) => q.name));
				const unsettled = ledger.filter((c) => finalStates(c, isParked(c, parked)).length === 0);
				if (unsettled.length && Date.now() - lastReport > 14_000) log(`chaos: queues are empty but ${unsettled.length} items have no final state, e.g. ${JSON.stringify(unsettled.slice(0, 3))}`);
				if (unsettled.length === 0) {
					// Quiet for a while: late duplicates (if any) would have arrived.
					if (!quietSince) quietSince = Date.now();
					if (Date.now() - quietSince > 5000) break;
				} else {
					quietSince = 0;
					// Nothing queued or waiting in a delay queue, yet items lack a final state: nothing
					// will ever move them. Judge now; the verdict names them instead of timing out.
					if (!stuckSince) stuckSince = Date.now();
					if (Date.now() - stuckSince > STUCK_MS) {
						log(`chaos: queues empty for ${STUCK_MS / 1000} s with ${unsettled.length} items in no final state; judging now`);
						break;
					}
				}
			} else {
				quietSince = 0;
				stuckSince = 0;
			}
			await sleep(1000);
		}
		const seconds = Math.round((Date.now() - t0) / 1000);
		bookkeeper.stop();
		log(`chaos: settled after ${seconds} s`);

		// ----------------------------------------------------------------- verdict
		const ledger = ledgerOf(sandbox);
		const states: Record<string, number> = {};
		let exactlyOne = 0;
		const wrongOutcome: ChaosFigures['wrongOutcome'] = [];
		const touched = new Map(bookkeeper.actions.map((a) => [a.billingKey, a]));
		const touchedWrong: ChaosFigures['touchedWrong'] = [];
		for (const c of ledger) {
			const s = finalStates(c, isParked(c, parked));
			if (s.length === 1) exactlyOne++;
			const label = s.join(' + ') || 'no final state';
			states[label] = (states[label] ?? 0) + 1;
			const action = touched.get(c.billingKey);
			if (action) {
				// Parking is no right end here: the bookkeeper's change is what the pipeline must handle.
				const want = TOUCHED_STATE[action.expect];
				if (s.length !== 1 || s[0] !== want || !settledAfterBookkeeper(c)) touchedWrong.push({ clientId: c.clientId, expected: `${action.kind} → ${want}`, got: label });
			} else if (s.length === 1 && s[0] !== 'parked with a reason' && s[0] !== EXPECTED_STATE[c.expected]) {
				wrongOutcome.push({ clientId: c.clientId, expected: c.expected, got: s[0] });
			}
		}
		// What was due in Xero at the instant of each charge: the total less the bookkeeper's
		// transfers and credits before it, nothing after a void.
		const byKey = new Map(ledger.map((c) => [c.billingKey, c]));
		const wrongAmount: ChaosFigures['wrongAmount'] = [];
		let chargesChecked = 0;
		let chargedNothingDue = 0;
		for (const t of sandbox.secureTrading.transactions()) {
			if (!t.charged || t.fields.requesttypedescription !== 'AUTH') continue;
			const c = byKey.get(String(t.fields.orderreference));
			if (!c || c.invoiceTotalCents === null) continue;
			chargesChecked++;
			const before = bookkeeper.actions.filter((a) => a.billingKey === c.billingKey && a.at <= t.createdAtMs);
			const dueCents = before.some((a) => a.kind === 'void') ? 0 : c.invoiceTotalCents - before.reduce((n, a) => n + a.cents, 0);
			const charged = chargeCents(t.fields.baseamount, t.fields.currencyiso3a);
			if (dueCents <= 0) chargedNothingDue++;
			if (charged !== dueCents) wrongAmount.push({ key: c.billingKey, chargedCents: charged, dueCents });
		}
		const toldPaid = ledger.filter((c) => (c.emails.paid ?? 0) + (c.emails.chargedRemainder ?? 0) > 0);
		const bill = ledger.filter((c) => c.expected !== 'rejected');
		const chargeCounts = sandbox.secureTrading.chargeCounts();
		const stFaults = sandbox.secureTrading.callCounts().faults;
		const figures: ChaosFigures = {
			billable,
			malformed,
			seconds,
			events,
			crashes,
			states,
			invoicedOnce: bill.filter((c) => c.invoices === 1).length,
			invoicedTwice: ledger.filter((c) => c.invoices > 1).length,
			keysChargedTwice: Object.values(chargeCounts).filter((n) => n > 1).length,
			charged: bill.filter((c) => c.charges > 0).length,
			chargedWithOnePayment: bill.filter((c) => c.charges > 0 && c.ourPayments === 1).length,
			invoiced: bill.filter((c) => c.invoices > 0).length,
			invoiceEmails: bill.filter((c) => (c.emails.invoice ?? 0) > 0).length,
			paymentNotices: bill.filter((c) => PAYMENT_NOTICES.some((k) => (c.emails[k] ?? 0) > 0)).length,
			missingInvoiceEmail: bill.filter((c) => c.invoices > 0 && !(c.emails.invoice > 0) && !isParked(c, parked)).length,
			missingNotice: bill.filter((c) => !PAYMENT_NOTICES.some((k) => (c.emails[k] ?? 0) > 0) && !isParked(c, parked)).length,
			exactlyOneFinalState: exactlyOne,
			parked: [...parked.entries()].map(([key, v]) => ({ key, ...v })),
			duplicateEmails: ledger.reduce((n, c) => n + c.duplicateEmails, 0),
			unexplainedDuplicates: unexplainedDuplicates(sandbox.smtp.messages(), killedAt),
			wrongOutcome,
			faults: {
				'Xero 5xx': sandbox.xero.faults.injected.error,
				'Xero timeouts': sandbox.xero.faults.injected.timeout,
				'Xero 429': sandbox.xero.faults.injected.rateLimited,
				'gateway drop-after-charge': stFaults.dropAfterCharge ?? 0,
				'gateway 60010': stFaults.bankError ?? 0,
				'gateway 50000': stFaults.socketError ?? 0,
				'gateway slow answer': stFaults.slowAnswer ?? 0,
				'SMTP 451': sandbox.smtp.stats().refused,
			},
			xeroCalls: sandbox.xero.callCount(),
			gatewayCalls: sandbox.secureTrading.callCounts().http,
			bookkeeper: bookkeeper.counts(),
			bookkeeperActions: bookkeeper.actions,
			wrongAmount,
			chargesChecked,
			chargedNothingDue,
			reattemptsAfterHardDecline: sandbox.secureTrading.reattemptsAfterHardDecline(),
			paidNoticesWithoutOurPayment: toldPaid.filter((c) => c.ourPayments === 0).map((c) => c.billingKey),
			paidNotices: toldPaid.length,
			touchedRight: bookkeeper.actions.length - touchedWrong.length,
			touchedWrong,
			slowAnswers: stFaults.slowAnswer ?? 0,
		};

		// ----------------------------------------------------------------- secrets
		// Stop n8n first so its database and log are complete on disk.
		await n8n.stop();
		await Promise.all(run.workers.map((w) => w.stop()));
		// The echoing proxy: a Xero token endpoint and API that quote our request (Authorization
		// header included) in their error answers; the real nodes run against it in-process and park
		// their failures on this run's broker (echo.ts). Loaded only now: it brings n8n's engine.
		log('chaos: echoing Xero proxy: running the Xero Billing and Billing Queue nodes against it');
		const { brokerFromUrl, echoProbe } = await import('./echo');
		const echo = await echoProbe({ broker: brokerFromUrl(broker.url) });
		const secrets: Secret[] = [
			{ name: 'RabbitMQ password', value: broker.password },
			{ name: 'Secure Trading password', value: stSecret.password },
			basicAuthSecret('Secure Trading user and password', stSecret.username, stSecret.password),
			{ name: 'SMTP password', value: smtpSecret.password },
			{ name: 'Xero client secret', value: sandbox.xero.clientSecret },
			basicAuthSecret('Xero client id and secret', sandbox.xero.clientId, sandbox.xero.clientSecret),
			...sandbox.xero.issuedTokens().map((value, i) => ({ name: `Xero access token #${i + 1}`, value })),
			...echo.secrets.map((s) => ({ ...s, name: `echo probe: ${s.name}` })),
		];
		const allQueues = (await broker.queues()).map((q) => q.name);
		// Queue mode: n8n's executions, credentials and our sent and charge records are in PostgreSQL.
		const database = run.backend ? [{ where: `PostgreSQL database ${run.backend.database}`, text: await run.backend.dump() }] : [];
		const sources: ScanSource[] = [
			...filesUnder(n8n.userFolder),
			...run.workers.flatMap((w) => filesUnder(w.userFolder)),
			...database,
			...(await queueMessages(broker.url, allQueues)),
			...sandbox.smtp.messages().map((m) => ({ where: `email ${m.messageId ?? m.id}`, text: m.raw })),
			...echo.sources.map((s) => ({ ...s, where: `echo probe: ${s.where}` })),
		];
		const secretsReport = scan(sources, secrets);

		const problems: string[] = [];
		if (figures.invoicedTwice) problems.push(`${figures.invoicedTwice} clients have more than one invoice`);
		if (figures.keysChargedTwice) problems.push(`${figures.keysChargedTwice} billing keys were charged more than once`);
		if (figures.chargedWithOnePayment !== figures.charged) problems.push(`${figures.charged - figures.chargedWithOnePayment} charged invoices lack exactly one Xero payment`);
		if (figures.missingInvoiceEmail) problems.push(`${figures.missingInvoiceEmail} invoiced clients never received their invoice email`);
		if (figures.missingNotice) problems.push(`${figures.missingNotice} clients never received a payment notice`);
		if (exactlyOne !== ledger.length) {
			const stray = ledger.filter((c) => finalStates(c, isParked(c, parked)).length !== 1);
			problems.push(`${ledger.length - exactlyOne} items are not in exactly one final state: ${JSON.stringify(states)}; e.g. ${JSON.stringify(stray.slice(0, 5))}`);
		}
		if (wrongOutcome.length) problems.push(`${wrongOutcome.length} clients ended in the wrong state: ${JSON.stringify(wrongOutcome.slice(0, 5))}`);
		if (wrongAmount.length) problems.push(`${wrongAmount.length} charges differ from what Xero had due at that moment: ${JSON.stringify(wrongAmount.slice(0, 5))}`);
		if (chargedNothingDue) problems.push(`${chargedNothingDue} invoices were charged after being paid, credited or voided in full`);
		if (figures.reattemptsAfterHardDecline) problems.push(`${figures.reattemptsAfterHardDecline} AUTHs were sent after a hard decline for the same billing key`);
		if (figures.paidNoticesWithoutOurPayment.length) {
			problems.push(`${figures.paidNoticesWithoutOurPayment.length} clients were told they paid without a Xero payment from our charge: ${figures.paidNoticesWithoutOurPayment.slice(0, 5).join(', ')}`);
		}
		if (touchedWrong.length) problems.push(`${touchedWrong.length} bookkeeper-touched clients are not in their right final state: ${JSON.stringify(touchedWrong.slice(0, 5))}`);
		if (figures.unexplainedDuplicates.length) problems.push(`${figures.unexplainedDuplicates.length} duplicate emails not sent at a crash: ${JSON.stringify(figures.unexplainedDuplicates.slice(0, 5))}`);
		if (secretsReport.findings.length) problems.push(`secrets found: ${JSON.stringify(secretsReport.findings.slice(0, 5))}`);
		if (events.length !== kills + brokerRestarts + redisRestarts + 1) problems.push(`only ${events.length} chaos events struck`);
		const table = renderTable(figures, secretsReport);
		return { ok: problems.length === 0, problems, figures, secrets: secretsReport, table };
	} finally {
		bookkeeperStop?.();
		await run?.stop().catch((e: Error) => log(`chaos: cleanup: ${e.message}`));
		await broker.close();
	}
}

/** Queues empty this long while items still lack a final state: they never will. */
const STUCK_MS = 90_000;

/** The debit node's gateway timeout in the chaos run; slow answers come 5 s after it. */
const SLOW_TIMEOUT_MS = 10_000;

// The server accepts, then n8n hears the reply and fsyncs its journal: a kill in that gap (or a
// message already written to the socket when the process died) repeats the email.
const DUPLICATE_WINDOW = { beforeMs: 2000, afterMs: 1000 };

function unexplainedDuplicates(messages: Array<{ messageId: string | null; copy: number; receivedAt: string }>, killedAt: number[]) {
	const first = new Map<string, string>();
	for (const m of messages) if (m.messageId && m.copy === 1) first.set(m.messageId, m.receivedAt);
	const out: Array<{ messageId: string; firstReceivedAt: string }> = [];
	for (const m of messages) {
		if (!m.messageId || m.copy < 2) continue;
		const at = first.get(m.messageId) ?? m.receivedAt;
		const t = Date.parse(at);
		if (!killedAt.some((k) => t >= k - DUPLICATE_WINDOW.beforeMs && t <= k + DUPLICATE_WINDOW.afterMs)) out.push({ messageId: m.messageId, firstReceivedAt: at });
	}
	return out;
}

function isParked(c: ClientLedger, parked: Map<string, { reason: string }>): boolean {
	if (parked.has(c.billingKey)) return true;
	if (c.expected !== 'rejected') return false;
	// A rejected CRM row is parked under a hashed key; its error names the client.
	for (const { reason } of parked.values()) if (reason.includes(`(client ${c.clientId})`)) return true;
	return false;
}
