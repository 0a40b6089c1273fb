// The chaos run at CI size (`npm run test:chaos` runs it with 1000 invoices): the shipped
// workflows in a real n8n bill 150 clients while n8n is SIGKILLed twice and restarted, its own
// RabbitMQ node is restarted, Xero answers 5xx, a 429 storm and timeouts, the gateway loses answers
// after charging, answers 60010/50000 or only after the debit node gave up, its search lags 1.5 s,
// SMTP refuses 5% of mail, and a bookkeeper pays, part-pays, voids and credits invoices in Xero
// before they are charged. Judged from the sandbox's records: nothing invoiced or charged twice,
// every charge exactly what Xero had due at that moment, no AUTH after a hard decline, no "paid"
// notice without our payment in Xero, every item in exactly one final state, no duplicate email
// except one the SMTP server accepted in the instant n8n was killed, and no secret or card number
// anywhere n8n or the broker keeps data.
import { runChaos } from '../chaos/chaos';

describe('chaos run (CI size)', () => {
	it('bills every client exactly once through crashes, a broker restart and API faults, leaking no secret', async () => {
		const result = await runChaos({
			invoices: 150,
			seed: 11,
			// Smaller batches than the shipped 50, so the crashes strike with work in every stage.
			batchSize: 20,
			// More bookkeeping than the full run's 2/2/1/1 %, so 150 clients see every kind of change.
			bookkeeperRates: { pay: 0.04, partPay: 0.05, void: 0.03, credit: 0.04 },
			timeoutMs: 15 * 60_000,
			log: (line) => process.stdout.write(`${line}\n`),
		});
		process.stdout.write(`\n${result.table}\n`);
		expect(result.problems).toEqual([]);
		expect(result.figures.crashes).toBe(2);
		expect(result.figures.events.map((e) => e.name)).toEqual(['n8n SIGKILL #1', 'Xero 429 storm', 'RabbitMQ restart #1', 'n8n SIGKILL #2']);
		// The faults really struck.
		for (const fault of ['Xero 5xx', 'Xero 429', 'gateway drop-after-charge', 'gateway slow answer', 'SMTP 451']) expect({ fault, n: result.figures.faults[fault] > 0 }).toEqual({ fault, n: true });
		expect(result.figures.invoicedTwice).toBe(0);
		expect(result.figures.keysChargedTwice).toBe(0);
		expect(result.figures.unexplainedDuplicates).toEqual([]);
		// The bookkeeper really changed invoices before their charge, both kinds of end were reached,
		// and every charge was checked against what Xero had due at that moment.
		const touched = result.figures.bookkeeperActions;
		expect(touched.length).toBeGreaterThanOrEqual(5);
		expect(new Set(touched.map((a) => a.expect))).toEqual(new Set(['nothingToCharge', 'chargedRemainder']));
		expect(result.figures.touchedWrong).toEqual([]);
		expect(result.figures.touchedRight).toBe(touched.length);
		expect(result.figures.chargesChecked).toBe(result.figures.charged);
		expect(result.figures.wrongAmount).toEqual([]);
		expect(result.figures.chargedNothingDue).toBe(0);
		expect(result.figures.reattemptsAfterHardDecline).toBe(0);
		expect(result.figures.paidNotices).toBeGreaterThan(0);
		expect(result.figures.paidNoticesWithoutOurPayment).toEqual([]);
		expect(result.figures.exactlyOneFinalState).toBe(result.figures.billable + result.figures.malformed);
		expect(result.secrets.sources).toBeGreaterThan(10);
		expect(result.secrets.findings).toEqual([]);
	}, 20 * 60_000);
});
