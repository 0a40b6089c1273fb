// The shipped pipeline in a real n8n on a 3-node RabbitMQ cluster (test/chaos/cluster.ts: own
// nodes and ports on this machine), the Billing RabbitMQ credential naming all three nodes. When
// about a third of the clients are invoiced, the node n8n's triggers are connected to is stopped,
// and started again some 10 s later. The triggers reconnect to a surviving node without an n8n
// restart, and the sandbox's own records show every client invoiced once, charged at most once and
// exactly what was due, and nothing parked except the malformed CRM row.
import { sleep } from 'n8n-workflow';
import { waitUntil } from '../../support/broker';
import { isSettled, type PipelineRun, startPipeline } from '../../support/pipeline';
import { RabbitCluster } from '../chaos/cluster';
import { chargeCents } from '../chaos/world';

const MAX_CHARGES = 3; // first charge + two dunning charges ('2s, 3s' here)
const CONSUMER = 'n8n-billing-queue/consumer/';

/** On a failure: the queues as the cluster sees them, and every node of every execution that saw an unsettled key. */
async function whereAreThey(r: PipelineRun, c: RabbitCluster): Promise<string> {
	const keys = new Set(r.ledger().filter((l) => !isSettled(l, MAX_CHARGES)).map((l) => l.billingKey));
	const lines = [`unsettled: ${[...keys].join(', ')}`];
	lines.push(`queues: ${JSON.stringify((await c.queues().catch(() => [])).filter((q) => q.name.startsWith(`${r.settings.exchange}.`) && q.ready + q.unacked + q.consumers > 0))}`);
	for (const e of await r.n8n.executions().catch(() => [])) {
		const { runData } = await r.n8n.execution(e.id).catch(() => ({ runData: {} as Record<string, Array<Record<string, any>>> }));
		const seen: string[] = [];
		for (const [node, runs] of Object.entries(runData)) {
			runs.forEach((run, n) =>
				((run.data?.main ?? []) as Array<Array<{ json: Record<string, any> }> | null>).forEach((out, o) => {
					const hit = (out ?? []).map((i) => String(i.json.billingKey ?? i.json._queue?.billingKey)).filter((k) => keys.has(k));
					if (hit.length) seen.push(`${node}#${n}[${o}]: ${hit.join(' ')}`);
				}),
			);
		}
		if (seen.length) lines.push(`${e.workflowId} ${e.id} ${e.status} ${e.startedAt}: ${seen.join(' | ')}`);
	}
	const log = r.n8n.logs(1_000_000).split('\n');
	lines.push(log.filter((l) => /Billing|rror|warn/i.test(l) && !/debug/.test(l)).slice(-100).join('\n'));
	// The trigger's debug trace (this test runs n8n at debug level): every line naming a key not settled.
	lines.push('trace of the unsettled keys:', ...log.filter((l) => [...keys].some((k) => l.includes(k))).slice(-200));
	return lines.join('\n');
}

describe('the pipeline on a 3-node RabbitMQ cluster', () => {
	let cluster: RabbitCluster | undefined;
	let run: PipelineRun | undefined;
	const started = Date.now();

	beforeAll(async () => {
		cluster = await RabbitCluster.start();
		console.log(`cluster up in ${Math.round((Date.now() - started) / 1000)} s: ${cluster.hosts}`);
		run = await startPipeline({
			broker: { url: cluster.url(0), hosts: cluster.hosts },
			// Xero's own 60 calls a minute would make this a rate-limit test lasting minutes.
			// 400 ms a Xero call paces the run, so the stop finds a third invoiced, not all.
			sandbox: { clients: 30, seed: 29, xeroLimits: { perMinute: 1000, concurrent: 10 }, latency: { xero: 400 } },
			// Small batches so the stop hits work in flight; retries long enough to outlast the node's
			// absence (a publish to a queue on the stopped node is retried, not parked).
			settings: { retryDelays: '2s, 5s, 10s, 20s', dunningDelays: '2s, 3s', batchSize: 5, batchWindowMs: 300, invoiceDocument: 'none' },
			// The triggers' per-batch trace, printed for the keys left unsettled should this fail.
			env: { N8N_LOG_LEVEL: 'debug' },
		});
	}, 300_000);

	afterAll(async () => {
		try {
			await run?.stop();
		} finally {
			await cluster?.close();
			console.log(`cluster test took ${Math.round((Date.now() - started) / 1000)} s`);
		}
	}, 240_000);

	it('loses the node its triggers are on mid-run: they move to a surviving node, every client billed once, nothing lost', async () => {
		const c = cluster!;
		const r = run!;
		const consumerNodes = async () => [...new Set((await c.connections()).filter((x) => x.name.startsWith(CONSUMER)).map((x) => x.node))];
		// Where the triggers are, found before the run (rabbitmqctl takes seconds).
		const nodes = await consumerNodes();
		expect(nodes).toHaveLength(1); // one n8n process: one consumer connection for all its triggers
		const node = nodes[0];

		await r.requestRun();
		const billable = r.ledger().filter((l) => l.expected !== 'rejected').length;
		const invoiced = () => r.ledger().filter((l) => l.invoices > 0).length;
		await r.waitFor('a third of the clients invoiced', () => invoiced() >= billable / 3, 180_000);
		const atStop = { invoiced: invoiced(), settled: r.ledger().filter((l) => isSettled(l, MAX_CHARGES)).length };
		await c.stopNode(node);
		const stoppedAt = Date.now();
		const { moved } = await waitUntil('the triggers on a surviving node', async () => {
			const now = await consumerNodes();
			return now.length === 1 && now[0] !== node ? { moved: now[0] } : undefined;
		}, 60_000, 500);
		await sleep(Math.max(0, 10_000 - (Date.now() - stoppedAt)));
		const whileDown = invoiced();
		await c.startNode(node);
		console.log(
			`node ${node + 1} (port ${c.port(node)}) stopped at ${atStop.invoiced}/${billable} invoiced, ${atStop.settled} settled; triggers moved to node ${moved + 1}; ` +
				`${whileDown} invoiced when it was started again after ${Math.round((Date.now() - stoppedAt) / 1000)} s`,
		);

		const ledger = await r.waitFor('every client settled', (l) => l.every((x) => isSettled(x, MAX_CHARGES)), 150_000).catch(async (error: Error) => {
			console.log(await whereAreThey(r, c));
			throw error;
		});
		// n8n said where its connection went.
		expect(r.n8n.logs(1_000_000)).toMatch(
			new RegExp(`Billing Queue: consumer connection reconnected to amqp://127\\.0\\.0\\.1:${c.port(moved)}/ \\(was amqp://127\\.0\\.0\\.1:${c.port(node)}/\\)`),
		);

		// From the sandbox's records: each billable client invoiced once, no billing key charged
		// twice, no email sent twice, every charge exactly the invoice's amount due.
		const bill = ledger.filter((l) => l.expected !== 'rejected');
		expect(bill).toHaveLength(30);
		expect(bill.filter((l) => l.invoices !== 1)).toEqual([]);
		expect(ledger.filter((l) => l.charges > 1 || l.payments > 1 || l.duplicateEmails > 0)).toEqual([]);
		const byKey = new Map(ledger.map((l) => [l.billingKey, l]));
		const charges = r.sandbox.secureTrading.transactions().filter((t) => t.charged && t.fields.requesttypedescription === 'AUTH');
		expect(charges.length).toBe(bill.filter((l) => l.expected === 'paid').length);
		const wrong = charges
			.map((t) => ({ key: String(t.fields.orderreference), charged: chargeCents(String(t.fields.baseamount), String(t.fields.currencyiso3a)), due: byKey.get(String(t.fields.orderreference))?.invoiceTotalCents }))
			.filter((x) => x.charged !== x.due);
		expect(wrong).toEqual([]);

		// Nothing parked but the malformed CRM row; nothing left in the stage queues.
		const depths = await r.queueDepths();
		const ex = r.settings.exchange;
		expect(depths[`${ex}.collect.parked`]).toBe(ledger.filter((l) => l.expected === 'rejected').length);
		for (const stage of ['collect', 'invoice', 'email', 'debit', 'notify', 'dunning']) {
			expect({ stage, ready: depths[`${ex}.${stage}`] ?? 0, parked: stage === 'collect' ? 0 : (depths[`${ex}.${stage}.parked`] ?? 0) }).toEqual({ stage, ready: 0, parked: 0 });
		}
	}, 360_000);
});
