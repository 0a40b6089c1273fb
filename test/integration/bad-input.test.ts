// The bad-input table (test/bad-input/cases.ts) through the real nodes in-process, with the
// shipped workflows' parameters, against one billing sandbox and the real RabbitMQ. Every hostile
// item travels in a batch beside good items. Outcomes are judged from the sandbox's own records:
// Xero invoices, gateway transactions, and the SMTP sink's raw messages.
import type { IDataObject } from 'n8n-workflow';
import { billingKey } from '../../nodes/shared/billingKey';
import { startBillingSandbox, type BillingSandbox } from '../../sandbox';
import type { SinkMessage } from '../../sandbox/smtp';
import { CASES, keyOf, type BadInputCase, type CrmRow, type Stage } from '../bad-input/cases';
import { errorText, Stages } from '../bad-input/stages';
import { bodyOf as body, BrokerProbe as Probe, headerOf as header } from '../../support/broker';
import { setupFor, triggerHarness, unique, waitFor } from './queue-harness';

jest.setTimeout(180_000);

let sb: BillingSandbox;
let stages: Stages;
const GOOD_PER_STAGE = 2;

/** Per billing key: what came out of the stage under test. */
const outcome = new Map<string, { ok?: IDataObject; failed?: IDataObject; noCard?: boolean; prepared?: IDataObject; rejections?: IDataObject[] }>();
const parkedByCase = new Map<string, { reason: unknown; error: unknown; key: unknown }>();

const byStage = (stage: Stage) => CASES.filter((c) => c.stage === stage);
const mailsFor = (key: string): SinkMessage[] => sb.smtp.messages().filter((m) => String(m.messageId ?? '').includes(`.k-${key}@`));
const crmKey = (c: BadInputCase) => billingKey(keyOf(c), new Date(sb.period.from).toISOString(), new Date(sb.period.to).toISOString());
const keyFor = (c: BadInputCase) => (c.stage === 'crm' ? crmKey(c) : keyOf(c));

function record(items: IDataObject[], field: 'ok' | 'failed'): void {
	for (const j of items) {
		const key = String(j.billingKey ?? (j.input as IDataObject | undefined)?.billingKey ?? '');
		outcome.set(key, { ...outcome.get(key), [field]: j });
	}
}

function goodRequest(key: string, n: number, card: string | null): IDataObject {
	return {
		billingKey: key,
		billingRunId: 'BR-bad-input',
		clientId: `CL-${n}-${key}`.slice(0, 50),
		clientName: `Good Client ${n} ${key} Ltd`,
		billingEmail: `ap+${n}@good-client.example`,
		currency: 'GBP',
		cardReference: card,
		periodStart: sb.period.from,
		periodEnd: sb.period.to,
		lines: [{ leadId: `${key}-L1`, description: `Lead for ${key}`, quantity: 1, unitAmount: '12.50', unitAmountMinor: 1250, lineAmountMinor: 1250, deliveredAt: null }],
		leadCount: 1,
		totalMinor: 1250,
		total: '12.50',
		dunningAttempt: 1,
	};
}

const paidNotice = (j: IDataObject): IDataObject => ({ ...j, notice: 'paid', attempt: 1, transactionreference: '1-2-3', payment: { outcome: 'paid' } });

/** Headers of a raw message, unfolded, as [name, value]. */
function rawHeaders(raw: string): Array<[string, string]> {
	const head = raw.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
	return head.split(/\r?\n/).map((l) => {
		const i = l.indexOf(':');
		return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()];
	});
}

beforeAll(async () => {
	sb = await startBillingSandbox({ clients: 0, seed: 7, hostile: false });
	stages = new Stages(sb);
	const card = () => sb.secureTrading.addStoredCard({ behaviour: 'approve' });

	// ---- stage 1: CRM rows, good clients beside every hostile one, in one Invoice Preparation run.
	const t = Date.parse(sb.period.from) + 3_600_000;
	const row = (clientId: string, n: number): CrmRow => ({
		leadId: `${clientId}-L1`,
		clientId,
		clientName: `Client ${n} Ltd`,
		billingEmail: `accounts+${n}@client.example`,
		currency: 'GBP',
		cardReference: card(),
		description: 'Quote request from Leeds',
		price: '25.00',
		quantity: 1,
		deliveredAt: new Date(t + n * 1000).toISOString(),
	});
	const rows: CrmRow[] = [];
	for (let n = 0; n < GOOD_PER_STAGE; n++) rows.push(row(`BI-good-crm-${n}`, n));
	byStage('crm').forEach((c, i) => rows.push(...c.rows!(row(keyOf(c), 100 + i))));
	const prepared = await stages.prepare(rows as IDataObject[]);
	for (const j of prepared.ok) outcome.set(String(j.billingKey), { prepared: j });
	for (const j of prepared.failed) {
		// The failure (message, field) and which row and client it was.
		const e = { ...(j.error as IDataObject), ...(j.rejected as IDataObject) };
		const key = billingKey(String(e.clientId), new Date(sb.period.from).toISOString(), new Date(sb.period.to).toISOString());
		const o = outcome.get(key);
		outcome.set(key, { ...o, failed: o?.failed ?? j, rejections: [...(o?.rejections ?? []), e] });
	}
	// What was accepted goes on through every stage, as stages 2–5 would take it.
	const accepted = prepared.ok.map((j) => ({ ...j, billingRunId: 'BR-bad-input', dunningAttempt: 1 }));
	await runToTheEnd(accepted);

	// ---- stages 2–5: one batch per stage, hostile messages beside good ones.
	const stageItems = (stage: Stage, base: (key: string, n: number) => IDataObject) => [
		...Array.from({ length: GOOD_PER_STAGE }, (_, n) => base(`BI-good-${stage}-${n}`, n)),
		...byStage(stage).map((c, i) => c.item!(base(keyOf(c), 100 + i))),
	];
	const inv = await stages.invoice(stageItems('invoice', (k, n) => goodRequest(k, n, card())));
	record(inv.ok, 'ok');
	record(inv.failed, 'failed');

	// The email, debit and notify cases need a real invoice in Xero first (made from clean data).
	const clean = await stages.invoice([...byStage('email'), ...byStage('debit'), ...byStage('notify')].map((c, i) => goodRequest(keyOf(c), 200 + i, card()))
		.concat(['email', 'debit', 'notify'].flatMap((s) => Array.from({ length: GOOD_PER_STAGE }, (_, n) => goodRequest(`BI-good-${s}-${n}`, 300 + n, card())))));
	expect(clean.failed).toEqual([]);
	const invoiced = new Map(clean.ok.map((j) => [String(j.billingKey), j]));
	const fromInvoiced = (k: string) => ({ ...invoiced.get(k)! });

	const em = await stages.emailInvoice(stageItems('email', fromInvoiced));
	record(em.ok, 'ok');
	record(em.failed, 'failed');

	const debit = await stages.debit(stageItems('debit', fromInvoiced));
	for (const key of debit.noCard.map((j) => String(j.billingKey))) outcome.set(key, { ...outcome.get(key), noCard: true });
	record(debit.ok, 'ok');
	record([...debit.failed, ...debit.declined], 'failed');

	const notify = await stages.notify(stageItems('notify', (k) => paidNotice(fromInvoiced(k))));
	record(notify.ok, 'ok');
	record(notify.failed, 'failed');

	// ---- raw deliveries on a stage queue, through the real Billing Queue Trigger and broker.
	await queueCases();
});

afterAll(async () => {
	await sb?.close();
});

/** Stages 2–5 for items accepted at the CRM boundary; records each key's end. */
async function runToTheEnd(items: IDataObject[]): Promise<void> {
	const inv = await stages.invoice(items);
	record(inv.failed, 'failed');
	const em = await stages.emailInvoice(inv.ok);
	record(em.failed, 'failed');
	const debit = await stages.debit(em.ok);
	record([...debit.failed, ...debit.declined], 'failed');
	for (const j of debit.noCard) outcome.set(String(j.billingKey), { ...outcome.get(String(j.billingKey)), noCard: true });
	const notices = [...debit.ok.map((j) => paidNotice(j.input as IDataObject)), ...debit.noCard.map((j) => ({ ...j, notice: 'noCardOnFile', attempt: 1 }))];
	const notify = await stages.notify(notices);
	record(notify.failed, 'failed');
	record(notify.ok, 'ok');
}

async function queueCases(): Promise<void> {
	const exchange = unique('bi-queue');
	const stage = 'invoice';
	const setup = setupFor(exchange);
	const probe = await Probe.open();
	const h = triggerHarness({ parameters: { stage, mode: 'batch', batchSize: 10, batchWindowMs: 200, queueSetup: setup as never }, workflow: () => 'success' });
	const cases = byStage('queue');
	try {
		await h.start();
		const goodKeys = Array.from({ length: GOOD_PER_STAGE }, (_, n) => `BI-good-queue-${n}`);
		await probe.publishItems(exchange, stage, [{ billingKey: goodKeys[0] }]);
		for (const c of cases) await probe.publish(exchange, stage, c.raw!.body, c.raw!.messageId ? { messageId: c.raw!.messageId } : {});
		await probe.publishItems(exchange, stage, [{ billingKey: goodKeys[1] }]);
		await waitFor('the good items emitted', () => goodKeys.every((k) => h.emits.some((e) => e.json.some((j) => (j._queue as IDataObject).billingKey === k))), 60_000);
		const parked: ReturnType<typeof body>[] = [];
		const messages = await waitFor(
			'every bad delivery parked',
			async () => {
				const got = await probe.drain(`${exchange}.${stage}.parked`);
				parked.push(...(got as never[]));
				return parked.length >= cases.length ? parked : null;
			},
			60_000,
		);
		for (const m of messages as unknown as Parameters<typeof header>[0][]) {
			const text = m.content.toString('utf8');
			const c = cases.find((x) => (x.raw!.messageId ? m.properties.messageId === x.raw!.messageId : text === String(x.raw!.body)));
			if (c) parkedByCase.set(c.id, { reason: header(m, 'x-billing-parked-reason'), error: header(m, 'x-billing-error-message'), key: m.properties.messageId ?? null });
		}
		for (const k of goodKeys) outcome.set(k, { ok: { billingKey: k } });
		// Nothing bad reached "the workflow".
		const emitted = h.emits.flatMap((e) => e.json.map((j) => (j._queue as IDataObject).billingKey));
		expect(emitted.sort()).toEqual([...goodKeys].sort());
	} finally {
		await h.close();
		await probe.cleanup(exchange, [stage], setup.retryDelays);
		await probe.close();
	}
}

describe.each(['crm', 'queue', 'invoice', 'email', 'debit', 'notify'] as Stage[])('%s', (stage) => {
	it('the good items beside the hostile ones are unaffected', () => {
		for (let n = 0; n < GOOD_PER_STAGE; n++) {
			const key = stage === 'crm' ? billingKey(`BI-good-crm-${n}`, new Date(sb.period.from).toISOString(), new Date(sb.period.to).toISOString()) : `BI-good-${stage}-${n}`;
			const o = outcome.get(key);
			expect({ key, failed: o?.failed ? errorText(o.failed) : undefined }).toEqual({ key, failed: undefined });
			if (stage === 'queue') continue;
			expect(sb.xero.invoicesByReference(key)).toHaveLength(1);
			if (stage === 'invoice') continue;
			if (stage !== 'debit') expect(mailsFor(key).length).toBeGreaterThanOrEqual(1);
			if (stage === 'crm' || stage === 'debit') expect(sb.secureTrading.chargesFor(key)).toHaveLength(1);
		}
	});

	const cases = CASES.filter((c) => c.stage === stage);
	it.each(cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
		const key = keyFor(c);
		const o = outcome.get(key);
		if ('reject' in c.expect) {
			const { field, message } = c.expect.reject;
			if (stage === 'queue') {
				const p = parkedByCase.get(c.id);
				expect(p).toMatchObject({ reason: 'invalid-message' });
				expect(String(p!.error)).toMatch(message);
				if (c.raw!.messageId) expect(p!.key).toBe(c.raw!.messageId);
				return;
			}
			expect(o?.failed).toBeDefined();
			// At the CRM boundary a client may have several rejected rows: the one naming the field counts.
			const text =
				stage === 'crm'
					? o!.rejections!.map((e) => `${String(e.message)} field=${String(e.field)}`).find((t) => message.test(t)) ?? String((o!.failed!.error as IDataObject).message)
					: errorText(o!.failed!);
			expect(text).toMatch(message);
			if (field) expect(text).toContain(field);
			if (stage === 'crm') expect(String((o!.failed!.error as IDataObject).message)).toContain(keyOf(c)); // names the record
			expect(o?.ok).toBeUndefined();
			// No partial invoice, no charge, no email for the record.
			if (stage === 'crm' || stage === 'invoice') expect(sb.xero.invoicesByReference(key)).toHaveLength(0);
			if (stage === 'email') expect(sb.xero.invoicesByReference(key)[0]?.SentToContact).not.toBe(true);
			expect(sb.secureTrading.chargesFor(key)).toHaveLength(0);
			if (stage !== 'debit') expect(mailsFor(key)).toHaveLength(0);
			return;
		}
		expect(o?.failed ? errorText(o.failed) : undefined).toBeUndefined();
		if (stage !== 'notify') expect(sb.xero.invoicesByReference(key)).toHaveLength(1);
		if (c.expect.accept === 'noCard') {
			expect(o?.noCard).toBe(true);
			expect(sb.secureTrading.chargesFor(key)).toHaveLength(0);
			return;
		}
		if (c.expect.accept === 'chargedWhatIsDue') {
			// The message's amount is ignored: one charge of exactly what Xero says is due.
			const [invoice] = sb.xero.invoicesByReference(key) as Array<{ AmountDue: number; Total: number }>;
			const charges = sb.secureTrading.chargesFor(key);
			expect(charges.map((t) => t.fields.baseamount)).toEqual([String(Math.round(invoice.Total * 100))]);
			return;
		}
		if (stage === 'crm') {
			expect(sb.secureTrading.chargesFor(key)).toHaveLength(1);
			expect(o?.prepared?.leadCount).toBe(1);
		}
		if (stage === 'invoice') return;
		const mails = mailsFor(key);
		expect(mails.length).toBeGreaterThanOrEqual(1);
		for (const m of mails) {
			const html = String(m.html ?? '');
			expect(html).not.toMatch(/<script|<b>Bold|<img /i);
			expect(String(m.text ?? '') + html).not.toContain('attacker@evil.example');
		}
	});
});

it('no email anywhere has an injected header or an extra recipient (raw SMTP messages)', () => {
	const all = sb.smtp.messages();
	expect(all.length).toBeGreaterThan(10);
	for (const m of all) {
		const headers = rawHeaders(m.raw);
		expect({ id: m.messageId, bcc: headers.filter(([n]) => n === 'bcc' || n === 'cc') }).toEqual({ id: m.messageId, bcc: [] });
		expect(headers.filter(([n]) => n === 'to')).toHaveLength(1);
		expect(m.envelope.rcptTo).toHaveLength(1);
		expect(m.raw).not.toContain('evil.example');
	}
	// HTML names arrive escaped in the HTML part and intact in the text part.
	const html = all.filter((m) => String(m.text ?? '').includes('<script>alert("x")</script>'));
	expect(html.length).toBeGreaterThan(0);
	for (const m of html) expect(String(m.html)).toContain('&lt;script&gt;');
});
