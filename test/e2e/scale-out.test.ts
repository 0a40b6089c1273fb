// Scale-out: two real n8n instances (separate user folders and databases) run the same shipped
// stage workflows on the same queues against one sandbox. Both take stage work, and the sandbox's
// own records show nothing was done twice; then one instance is stopped gracefully mid-run and
// the other finishes every item: nothing lost, nothing charged twice.
import type { N8nInstance } from '../../support/n8n';
import { isSettled, PipelineRun, startPipeline } from '../../support/pipeline';

const MAX_CHARGES = 3; // first charge + two dunning charges ('2s, 3s' here)
const STAGE_WORKFLOWS = ['bpStage2Invoices', 'bpStage3EmailInv', 'bpStage4DebitCrd', 'bpStage5NotifyPy', 'bpStage6Dunning0'];

async function stageExecutions(n8n: N8nInstance): Promise<number> {
	let total = 0;
	for (const wf of STAGE_WORKFLOWS) total += (await n8n.executions(wf)).length;
	return total;
}

async function until(what: string, fn: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await fn())) {
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 300));
	}
}

describe('two n8n instances on the same queues', () => {
	let run: PipelineRun;

	beforeAll(async () => {
		run = await startPipeline({
			instances: 2,
			// Xero's own 60 calls/minute would make this a rate-limit test (covered elsewhere) lasting minutes.
			sandbox: { clients: 150, seed: 23, leadsPerClient: [1, 2], xeroLimits: { perMinute: 1000, concurrent: 10 } },
			// Small batches so deliveries spread over both instances' consumers.
			settings: { retryDelays: '1s, 2s, 4s', dunningDelays: '2s, 3s', batchSize: 10, batchWindowMs: 300, invoiceDocument: 'none' },
		});
	}, 300_000);

	afterAll(async () => {
		await run?.stop();
	}, 120_000);

	it('both instances take stage work, and every client is billed exactly once', async () => {
		expect(run.instances).toHaveLength(2);
		// 150 generated company names repeat (birthday odds): Ensure Contacts creates the later
		// clients as "Name (client id)", since Xero wants unique contact names.
		await run.requestRun();
		const ledger = await run.waitFor('every client settled', (l) => l.every((c) => isSettled(c, MAX_CHARGES)), 240_000);

		expect(ledger.filter((c) => c.expected !== 'rejected')).toHaveLength(150);
		// From the sandbox's records: one invoice per client, at most one successful charge per
		// billing key, no email sent twice (same Message-ID).
		expect(ledger.filter((c) => c.invoices > 1 || c.charges > 1 || c.payments > 1 || c.duplicateEmails > 0)).toEqual([]);
		const charged = new Map<string, number>();
		for (const t of run.sandbox.secureTrading.transactions()) {
			if (t.fields.requesttypedescription === 'AUTH' && t.charged) charged.set(String(t.fields.orderreference), (charged.get(String(t.fields.orderreference)) ?? 0) + 1);
		}
		expect([...charged.values()].filter((n) => n > 1)).toEqual([]);

		const [a, b] = await Promise.all(run.instances.map(stageExecutions));
		console.log(`stage executions: instance A ${a}, instance B ${b}`);
		expect(a).toBeGreaterThan(0);
		expect(b).toBeGreaterThan(0);
	});

	it('one instance stopped gracefully mid-run: the other finishes every item, none lost or charged twice', async () => {
		const { sandbox, instances } = run;
		const [survivor, leaving] = instances;
		const keys: string[] = [];
		const publishes: Array<Promise<void>> = [];
		for (let n = 1; n <= 60; n++) {
			const key = `SCALE2-${String(n).padStart(3, '0')}`;
			keys.push(key);
			const card = sandbox.secureTrading.addStoredCard({ behaviour: 'approve' });
			publishes.push(
				run.publish('invoice', {
					billingKey: key,
					billingRunId: 'BR-scale-2',
					clientId: `S2-${n}`,
					clientName: `Scale Two ${n} Ltd`,
					billingEmail: `ap+${n}@scale-two.example`,
					currency: 'GBP',
					cardReference: card,
					periodStart: sandbox.period.from,
					periodEnd: sandbox.period.to,
					lines: [{ leadId: `S2-${n}-L1`, description: `Lead S2-${n}`, quantity: 1, unitAmount: '10.00', unitAmountMinor: 1000, lineAmountMinor: 1000, deliveredAt: null }],
					leadCount: 1,
					totalMinor: 1000,
					total: '10.00',
					dunningAttempt: 1,
				}),
			);
		}
		await Promise.all(publishes);
		const paidMail = (key: string) => sandbox.smtp.messages().filter((m) => String(m.messageId).startsWith(`<billing.paid.k-${key}@`)).length;
		const invoiced = () => keys.filter((k) => sandbox.xero.invoicesByReference(k).length > 0).length;

		// Stop while work is in flight: some invoices exist, most payments are not taken yet.
		await until('the second run to be under way', () => invoiced() >= 10, 120_000);
		const leavingBefore = await stageExecutions(leaving);
		const inFlight = keys.filter((k) => paidMail(k) === 0).length;
		await leaving.stop();
		console.log(`instance B stopped gracefully with ${inFlight}/${keys.length} items not yet paid; it had run ${leavingBefore} stage executions`);
		expect(inFlight).toBeGreaterThan(0);

		await until('every second-run item paid and notified', () => keys.every((k) => paidMail(k) >= 1), 180_000);
		for (const key of keys) {
			expect({ key, invoices: sandbox.xero.invoicesByReference(key).length, charges: sandbox.secureTrading.chargesFor(key).length, paidMails: paidMail(key) }).toEqual({
				key,
				invoices: 1,
				charges: 1,
				paidMails: 1,
			});
		}
		// Nothing was parked on the way, in either run.
		const ex = run.settings.exchange;
		const depths = await run.queueDepths();
		for (const stage of ['invoice', 'email', 'debit', 'notify', 'dunning']) expect({ stage, parked: depths[`${ex}.${stage}.parked`] ?? 0 }).toEqual({ stage, parked: 0 });
		expect(await stageExecutions(survivor)).toBeGreaterThan(0);
	});
});
