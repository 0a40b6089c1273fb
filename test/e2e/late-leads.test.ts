// Leads, not periods, are billed. With the shipped workflows in a real n8n: a period is billed,
// then the CRM gains leads for it (a late delivery) and the period is run again: exactly the late
// leads are billed, on a supplementary invoice that is emailed and charged once; nothing else is
// invoiced again. Then a manual run over an overlapping period bills only the leads no invoice
// bills yet. Judged on the sandbox's records: every lead is on exactly one Xero invoice line.
import { leadOf } from '../../nodes/XeroBilling/helpers/leads';
import { isSettled, PipelineRun, startPipeline } from '../../support/pipeline';

const MAX_CHARGES = 3;

describe('late leads and overlapping periods', () => {
	let run: PipelineRun;

	beforeAll(async () => {
		run = await startPipeline({
			sandbox: { clients: 6, seed: 23 },
			settings: { retryDelays: '1s, 2s, 4s', dunningDelays: '2s, 3s', settleDelays: '2s, 2s', batchWindowMs: 300 },
		});
	}, 300_000);

	afterAll(async () => {
		await run?.stop();
	});

	/** Lead id → the invoice numbers whose lines bill it. */
	const billedLeads = () => {
		const on = new Map<string, string[]>();
		for (const inv of run.sandbox.xero.invoices()) {
			for (const line of (inv.LineItems as Array<{ Description?: string }> | undefined) ?? []) {
				const lead = leadOf(line.Description);
				if (lead) on.set(lead, [...(on.get(lead) ?? []), String(inv.InvoiceNumber)]);
			}
		}
		return on;
	};
	const chargesFor = (key: string) =>
		run.sandbox.secureTrading.transactions().filter((t) => t.fields.requesttypedescription === 'AUTH' && t.charged && t.fields.orderreference === key).length;
	const invoiceKeys = () => run.sandbox.xero.invoices().map((i) => String(i.Reference));

	it('bills exactly the late leads on a supplementary invoice, and each lead once across overlapping periods', async () => {
		const { sandbox } = run;
		// One client with 600 leads and long descriptions: about 200 KB at stage 1. Its messages must
		// stay under the 256 KB every stage accepts all the way (the lines travel once, not again
		// in Xero's copy), or it would be parked after its invoice exists.
		const big = sandbox.scenario.find((c) => c.expected === 'paid')!;
		const bigTemplate = sandbox.crm.leads().find((l) => l.clientId === big.clientId)!;
		const inside = new Date(Date.parse(sandbox.period.from) + 3_600_000).toISOString();
		sandbox.crm.addLeads(...Array.from({ length: 600 - sandbox.crm.leads().filter((l) => l.clientId === big.clientId).length }, (_, n) => ({
			...bigTemplate,
			leadId: `${bigTemplate.leadId}-BULK${n}`,
			description: `Qualified enquiry ${n} from the long-form landing page, with the visitor's answers summarised: ${'budget confirmed, timeline this quarter; '.repeat(2)}`,
			price: '3',
			quantity: 1,
			deliveredAt: inside,
		})));
		await run.requestRun();
		const first = await run.waitFor('first run settled', (l) => l.every((c) => isSettled(c, MAX_CHARGES)));
		expect(first.find((c) => c.clientId === big.clientId)).toMatchObject({ invoices: 1, charges: 1, invoiceStatus: 'PAID' });
		const payer = first.find((c) => c.expected === 'paid');
		expect(payer).toBeDefined();
		const keysBefore = new Set(invoiceKeys());
		const leadsBefore = billedLeads();
		expect([...leadsBefore.values()].every((numbers) => numbers.length === 1)).toBe(true);

		// The CRM gains two leads for the paying client, delivered inside the period already billed.
		const template = sandbox.crm.leads().find((l) => l.clientId === payer!.clientId)!;
		const inPeriod = new Date(Date.parse(sandbox.period.to) - 3_600_000).toISOString();
		const late = [
			{ ...template, leadId: `${template.leadId}-LATE1`, price: '12', quantity: 1, deliveredAt: inPeriod },
			{ ...template, leadId: `${template.leadId}-LATE2`, price: '7', quantity: 2, deliveredAt: inPeriod },
		];
		sandbox.crm.addLeads(...late);

		await run.requestRun();
		const supplementary = await waitForValue('the supplementary invoice charged', () => {
			const inv = sandbox.xero.invoices().find((i) => !keysBefore.has(String(i.Reference)));
			return inv && chargesFor(String(inv.Reference)) === 1 && inv.Status === 'PAID' ? inv : undefined;
		});
		// Give the rerun time to (wrongly) bill anything else, then judge the records.
		await sleep(5_000);

		const newKeys = invoiceKeys().filter((k) => !keysBefore.has(k));
		expect(newKeys).toEqual([supplementary.Reference]);
		expect(String(supplementary.Reference)).toMatch(/^SP-/);
		const lines = supplementary.LineItems as Array<{ Description: string; LineAmount: number }>;
		expect(lines.map((l) => leadOf(l.Description)).sort()).toEqual(late.map((l) => l.leadId).sort());
		// Whole prices, so the check holds in every currency the sandbox's clients use.
		expect(lines.reduce((sum, l) => sum + Number(l.LineAmount), 0)).toBeCloseTo(12 + 2 * 7, 6);
		const supplementaryMails = sandbox.smtp.messages().filter((m) => String(m.messageId).includes(`.k-${supplementary.Reference}@`));
		expect(supplementaryMails.map((m) => String(m.messageId).split('.')[1]).sort()).toEqual(['invoice', 'paid']);
		// The period's own invoice was charged once and not touched again.
		expect(chargesFor(payer!.billingKey)).toBe(1);

		// A manual run over an overlapping period (the same start, a day longer) with one new lead
		// delivered in the extra day: only that lead is billed.
		const other = first.find((c) => c.expected === 'paid' && c.clientId !== payer!.clientId)!;
		const otherTemplate = sandbox.crm.leads().find((l) => l.clientId === other.clientId)!;
		const extraDay = new Date(Date.parse(sandbox.period.to) + 3_600_000).toISOString();
		sandbox.crm.addLeads({ ...otherTemplate, leadId: `${otherTemplate.leadId}-NEXT`, price: '30', quantity: 1, deliveredAt: extraDay });
		const keysBeforeOverlap = new Set(invoiceKeys());
		const periodEnd = new Date(Date.parse(sandbox.period.to) + 86_400_000).toISOString();
		await run.publish('collect', { billingKey: `RUN-overlap-${Date.now().toString(36)}`, periodStart: sandbox.period.from, periodEnd });
		const overlap = await waitForValue('the overlapping period invoiced and charged', () => {
			const inv = sandbox.xero.invoices().find((i) => !keysBeforeOverlap.has(String(i.Reference)));
			return inv && chargesFor(String(inv.Reference)) === 1 ? inv : undefined;
		});
		await sleep(5_000);
		expect(invoiceKeys().filter((k) => !keysBeforeOverlap.has(k))).toEqual([overlap.Reference]);
		const overlapLeads = (overlap.LineItems as Array<{ Description: string }>).map((l) => leadOf(l.Description));
		expect(overlapLeads).toEqual([`${otherTemplate.leadId}-NEXT`]);

		// Every lead the CRM has for the billed clients is on exactly one invoice line.
		const billed = billedLeads();
		const twice = [...billed.entries()].filter(([, numbers]) => numbers.length > 1);
		expect(twice).toEqual([]);
		for (const lead of [...late, { leadId: `${otherTemplate.leadId}-NEXT` }]) expect(billed.get(lead.leadId)).toHaveLength(1);
	}, 600_000);
});

function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitForValue<T>(what: string, probe: () => T | undefined, timeoutMs = 180_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = probe();
		if (value !== undefined) return value;
		if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
		await sleep(500);
	}
}
