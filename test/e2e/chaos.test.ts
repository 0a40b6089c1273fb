// The chaos run at CI size (`npm run test:chaos` runs it with 1000 invoices): the shipped
// workflows in a real n8n bill 150 clients while n8n is SIGKILLed twice and restarted, its own
// RabbitMQ node is restarted, Xero answers 5xx, a 429 storm and timeouts, the gateway loses answers
// after charging and answers 60010/50000, and SMTP refuses 5% of mail. Judged from the sandbox's
// records: nothing invoiced or charged twice, every item in exactly one final state, no duplicate
// email except one the SMTP server accepted in the instant n8n was killed, and no secret or card
// number anywhere n8n or the broker keeps data.
import { runChaos } from '../chaos/chaos';

describe('chaos run (CI size)', () => {
	it('bills every client exactly once through crashes, a broker restart and API faults, leaking no secret', async () => {
		const result = await runChaos({
			invoices: 150,
			seed: 11,
			// Smaller batches than the shipped 50, so the crashes strike with work in every stage.
			batchSize: 20,
			timeoutMs: 15 * 60_000,
			log: (line) => process.stdout.write(`${line}\n`),
		});
		process.stdout.write(`\n${result.table}\n`);
		expect(result.problems).toEqual([]);
		expect(result.figures.crashes).toBe(2);
		expect(result.figures.events.map((e) => e.name)).toEqual(['n8n SIGKILL #1', 'Xero 429 storm', 'RabbitMQ restart #1', 'n8n SIGKILL #2']);
		// The faults really struck.
		for (const fault of ['Xero 5xx', 'Xero 429', 'gateway drop-after-charge', 'SMTP 451']) expect({ fault, n: result.figures.faults[fault] > 0 }).toEqual({ fault, n: true });
		expect(result.figures.invoicedTwice).toBe(0);
		expect(result.figures.keysChargedTwice).toBe(0);
		expect(result.figures.unexplainedDuplicates).toEqual([]);
		expect(result.figures.exactlyOneFinalState).toBe(result.figures.billable + result.figures.malformed);
		expect(result.secrets.sources).toBeGreaterThan(10);
		expect(result.secrets.findings).toEqual([]);
	}, 20 * 60_000);
});
