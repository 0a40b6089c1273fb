// Bad input through the shipped workflows in a real n8n: every hostile CRM record kind in the
// CRM, plus the table's e2e cases (test/bad-input/cases.ts) published on every stage queue among
// good items. Judged from the sandbox's records and the parking queues: each hostile item is
// parked with a reason naming its field, nothing is invoiced, charged or emailed for it, and the
// good items settle.
import * as amqp from 'amqplib';
import type { IDataObject } from 'n8n-workflow';
import { CASES, keyOf, type BadInputCase } from '../bad-input/cases';
import { Stages } from '../bad-input/stages';
import { AMQP_URL, isSettled, PipelineRun, startPipeline } from '../../support/pipeline';

const MAX_CHARGES = 3;
const STAGE_OF_QUEUE_CASES = 'debit';
// Hostile CRM kinds that are legal data and must bill (cards: none, so a no-card notice).
const CRM_ACCEPTED = ['HX-unicodeName', 'HX-rtlName', 'HX-htmlName', 'HX-lowercaseCurrency'];

describe('hostile input through the shipped workflows', () => {
	let run: PipelineRun;

	beforeAll(async () => {
		run = await startPipeline({
			sandbox: { clients: 8, seed: 5, hostile: true },
			settings: { retryDelays: '1s, 2s', maxAttempts: 2, dunningDelays: '2s, 3s', batchWindowMs: 300 },
		});
	}, 300_000);

	afterAll(async () => {
		await run?.stop();
	}, 120_000);

	it('parks each hostile item with its reason, and every good item settles', async () => {
		const { sandbox } = run;
		const stages = new Stages(sandbox);
		const card = () => sandbox.secureTrading.addStoredCard({ behaviour: 'approve' });
		const request = (key: string, n: number): IDataObject => ({
			billingKey: key,
			billingRunId: 'BR-e2e-bad',
			clientId: `E2E-${n}`,
			clientName: `E2E Client ${n} Ltd`,
			billingEmail: `ap+${n}@e2e-client.example`,
			currency: 'GBP',
			cardReference: card(),
			periodStart: sandbox.period.from,
			periodEnd: sandbox.period.to,
			lines: [{ leadId: `${key}-L1`, description: `Lead ${n}`, quantity: 1, unitAmount: '20.00', unitAmountMinor: 2000, lineAmountMinor: 2000, deliveredAt: null }],
			leadCount: 1,
			totalMinor: 2000,
			total: '20.00',
			dunningAttempt: 1,
		});
		const cases = CASES.filter((c) => c.e2e && c.stage !== 'crm');
		const later = cases.filter((c) => ['email', 'debit', 'notify'].includes(c.stage));
		// Email, debit and notify messages refer to a real invoice: made in Xero from clean data.
		const made = await stages.invoice(later.map((c, i) => request(keyOf(c), 100 + i)));
		expect(made.failed).toEqual([]);
		const invoiced = new Map(made.ok.map((j) => [String(j.billingKey), j]));
		const base = (c: BadInputCase, i: number): IDataObject => {
			if (c.stage === 'invoice') return request(keyOf(c), 200 + i);
			const j = { ...invoiced.get(keyOf(c))! };
			return c.stage === 'notify' ? { ...j, notice: 'paid', attempt: 1, payment: { outcome: 'paid' } } : j;
		};

		await run.requestRun();
		// One good item straight onto the invoice queue too, beside the hostile ones.
		await run.publish('invoice', request('E2E-GOOD-1', 1));
		for (const [i, c] of cases.entries()) {
			if (c.stage === 'queue') await publishRaw(run, STAGE_OF_QUEUE_CASES, c);
			else await run.publish(c.stage, c.item!(base(c, i)));
		}
		await run.publish('invoice', request('E2E-GOOD-2', 2));

		// Good CRM clients and the two good stage items settle.
		const good = (l: ReturnType<PipelineRun['ledger']>) => l.filter((c) => c.expected !== 'rejected');
		await run.waitFor('good clients settled', (l) => good(l).every((c) => isSettled(c, MAX_CHARGES)), 180_000);
		const paidMail = (key: string) => sandbox.smtp.messages().filter((m) => String(m.messageId).startsWith(`<billing.paid.k-${key}@`)).length;
		await until('good stage items paid', () => paidMail('E2E-GOOD-1') === 1 && paidMail('E2E-GOOD-2') === 1, 120_000);

		// Odd but legal stage messages go through: paid (or the no-card notice), names escaped.
		const accepted = cases.filter((c) => 'accept' in c.expect);
		const kindOf = (c: BadInputCase) => ('accept' in c.expect && c.expect.accept === 'noCard' ? 'noCardOnFile' : 'paid');
		const mailOf = (c: BadInputCase) => sandbox.smtp.messages().filter((m) => new RegExp(`^<billing\\.${kindOf(c)}\\.(a\\d+\\.)?k-${keyOf(c)}@`).test(String(m.messageId)));
		await until('accepted stage items settled', () => accepted.every((c) => mailOf(c).length === 1), 120_000, () =>
			accepted.filter((c) => mailOf(c).length !== 1).map((c) => `${c.id}: ${mailOf(c).length} ${kindOf(c)} email(s), ${sandbox.secureTrading.chargesFor(keyOf(c)).length} charge(s)`).join('; '),
		);
		for (const c of accepted) {
			expect(String(mailOf(c)[0].html)).not.toMatch(/<script|<b>Bold/);
			// A notice published straight to notify charges nothing; the others went through the debit stage.
			expect({ id: c.id, charges: sandbox.secureTrading.chargesFor(keyOf(c)).length }).toEqual({ id: c.id, charges: kindOf(c) === 'paid' && c.stage !== 'notify' ? 1 : 0 });
			if ('accept' in c.expect && c.expect.accept === 'chargedWhatIsDue') {
				// The message's hostile amount is history: the card is charged what Xero says is due.
				const [invoice] = sandbox.xero.invoicesByReference(keyOf(c)) as Array<{ Total: number }>;
				expect({ id: c.id, charged: sandbox.secureTrading.chargesFor(keyOf(c))[0].fields.baseamount }).toEqual({ id: c.id, charged: String(Math.round(invoice.Total * 100)) });
			}
		}

		// Accepted CRM oddities bill like anyone else (they have no card: a no-card notice).
		const ledger = run.ledger();
		for (const id of CRM_ACCEPTED) {
			const c = ledger.find((x) => x.clientId === id)!;
			expect({ id, invoices: c.invoices, charges: c.charges, invoiceMail: c.emails.invoice, noCard: c.emails.noCardOnFile }).toEqual({ id, invoices: 1, charges: 0, invoiceMail: 1, noCard: 1 });
		}
		const htmlKey = ledger.find((x) => x.clientId === 'HX-htmlName')!.billingKey;
		const htmlMails = sandbox.smtp.messages().filter((m) => String(m.messageId).includes(`.k-${htmlKey}@`));
		expect(htmlMails.length).toBeGreaterThanOrEqual(2);
		for (const m of htmlMails) {
			expect(String(m.html)).not.toContain('<script>');
			expect(String(m.html)).toContain('&lt;script&gt;');
		}

		// Every hostile item ends parked, with a reason naming its field.
		// Collect: the rejected hostile clients, plus the orphan lead (its client is not in the scenario).
		const expectedParked: Record<string, number> = { collect: ledger.filter((c) => c.expected === 'rejected' && !CRM_ACCEPTED.includes(c.clientId)).length + 1 };
		for (const c of cases.filter((x) => 'reject' in x.expect)) {
			const stage = c.stage === 'queue' ? STAGE_OF_QUEUE_CASES : c.stage;
			expectedParked[stage] = (expectedParked[stage] ?? 0) + 1;
		}
		const ex = run.settings.exchange;
		await until(
			`parking queues to hold ${JSON.stringify(expectedParked)}`,
			async () => {
				const depths = await run.queueDepths();
				return Object.entries(expectedParked).every(([s, n]) => (depths[`${ex}.${s}.parked`] ?? 0) >= n);
			},
			120_000,
		);
		const parked = await peekParked(ex, Object.keys(expectedParked));
		for (const c of cases) {
			const key = keyOf(c);
			if ('reject' in c.expect) {
				const stage = c.stage === 'queue' ? STAGE_OF_QUEUE_CASES : c.stage;
				const p = parked[stage].find((m) => (c.raw ? m.body === String(c.raw.body) || (!!c.raw.messageId && m.key === c.raw.messageId) : m.key === key));
				expect({ id: c.id, parked: !!p }).toEqual({ id: c.id, parked: true });
				expect({ id: c.id, error: p!.error }).toEqual({ id: c.id, error: expect.stringMatching(c.expect.reject.message) });
				if (c.stage !== 'queue') expect(p!.error).toContain(c.expect.reject.field);
			}
			// No partial invoice, no charge, no email for a rejected record.
			if ('reject' in c.expect) {
				if (c.stage === 'invoice') expect(sandbox.xero.invoicesByReference(key)).toHaveLength(0);
				if (c.stage === 'email') expect(sandbox.xero.invoicesByReference(key)[0]?.SentToContact).not.toBe(true);
				expect(sandbox.secureTrading.chargesFor(key)).toHaveLength(0);
				if (c.stage !== 'debit') expect(sandbox.smtp.messages().filter((m) => String(m.messageId).includes(`.k-${key}@`))).toHaveLength(0);
			}
		}
		// CRM rows: every rejected hostile record is parked in collect, naming its field.
		const collect = parked.collect.map((m) => `${m.key}: ${m.error}`).join('\n');
		const fieldOf: Record<string, string> = {
			missingEmail: 'billingEmail',
			invalidEmail: 'billingEmail',
			headerInjectionEmail: 'billingEmail',
			badCurrency: 'currency',
			negativePrice: 'price',
			fractionalQuantity: 'quantity',
			crlfName: 'clientName',
			veryLongName: 'clientName',
		};
		for (const [kind, field] of Object.entries(fieldOf)) expect(collect).toMatch(new RegExp(`RJ-[0-9a-f]{22}: .*\\(client HX-${kind}\\).*${field}`));
		expect(collect).not.toMatch(/HX-(unicodeName|rtlName|htmlName)/);
		// No email anywhere carries an injected header or a second recipient. Alerts and run reports to
		// ops quote the refused values (that is what ops must fix), escaped on one line of the body.
		for (const m of sandbox.smtp.messages()) {
			expect(m.envelope.rcptTo).toHaveLength(1);
			if (/^<billing\.(alert|runReport)\./.test(String(m.messageId))) {
				expect(m.headerLines.map((h) => h.line).join('\n')).not.toContain('evil.example');
				expect(String(m.text).split('\n').filter((line) => /^\s*Bcc:/i.test(line))).toEqual([]);
			} else expect(m.raw).not.toContain('evil.example');
		}
	});
});

async function until(what: string, fn: () => boolean | Promise<boolean>, timeoutMs: number, explain?: () => string): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await fn())) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${explain ? `: ${explain()}` : ''}`);
		await new Promise((r) => setTimeout(r, 500));
	}
}

async function publishRaw(run: PipelineRun, stage: string, c: BadInputCase): Promise<void> {
	const conn = await amqp.connect(AMQP_URL);
	try {
		const ch = await conn.createConfirmChannel();
		ch.publish(run.settings.exchange, stage, Buffer.from(c.raw!.body), { persistent: true, ...(c.raw!.messageId ? { messageId: c.raw!.messageId } : {}) });
		await ch.waitForConfirms();
	} finally {
		await conn.close();
	}
}

/** Reads every parked message without removing it (get, then nack with requeue on close). */
async function peekParked(exchange: string, stages: string[]): Promise<Record<string, Array<{ key: string; error: string; reason: string; body: string }>>> {
	const conn = await amqp.connect(AMQP_URL);
	const out: Record<string, Array<{ key: string; error: string; reason: string; body: string }>> = {};
	try {
		for (const stage of stages) {
			const ch = await conn.createChannel();
			out[stage] = [];
			for (;;) {
				const m = await ch.get(`${exchange}.${stage}.parked`, { noAck: false });
				if (!m) break;
				const h = (name: string) => {
					const v = m.properties.headers?.[name] as unknown;
					return Buffer.isBuffer(v) ? v.toString('utf8') : String(v ?? '');
				};
				out[stage].push({ key: String(m.properties.messageId ?? ''), error: h('x-billing-error-message'), reason: h('x-billing-parked-reason'), body: m.content.toString('utf8') });
			}
			await ch.close(); // unacked: back in the queue
		}
	} finally {
		await conn.close();
	}
	return out;
}
