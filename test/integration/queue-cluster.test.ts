// The Billing Queue Trigger and the Billing Queue node against a real 3-node RabbitMQ cluster
// (test/chaos/cluster.ts, own nodes and ports), the credential naming all three nodes. 300
// messages published with the Billing Queue publish path flow through a stage whose "workflow"
// forwards each batch to the next stage with the Billing Queue node, as a shipped stage does.
// Mid-run the node the trigger is connected to is stopped, then the node leading the stage's
// quorum queue; each is started again later.
//
// The guarantee under test is at-least-once delivery with an exactly-once effect through the
// billing key: every message reaches an execution at least once and none is lost (the queues end
// empty, nothing parked); a key's execution succeeds more than once only for a copy the trigger
// flagged as redelivered (`_queue.redelivered`), which the stages absorb by billing key; and the
// next stage receives every key, a key more than once only if it was executed more than once.
import type { ICredentialDataDecryptedObject, IDataObject, INodeExecutionData } from 'n8n-workflow';
import { LoggerProxy, sleep } from 'n8n-workflow';
import { BillingQueue } from '../../nodes/BillingQueue/BillingQueue.node';
import { closeAllConnections, pooledConnections } from '../../nodes/BillingQueue/transport';
import { BrokerProbe, countKeys } from '../../support/broker';
import { RabbitCluster } from '../chaos/cluster';
import { runNode } from '../helpers/run-node';
import { items, setupFor, triggerHarness, unique, waitFor } from './queue-harness';

const TOTAL = 300;
const exchange = unique('bq-cluster');
const setup = setupFor(exchange, '300ms, 600ms');
const stage = 'invoice';
const next = 'email';

let cluster: RabbitCluster;
let credential: ICredentialDataDecryptedObject;

/** Publishes items to a stage with the Billing Queue node (publish operation), as a stage's last node does. */
async function publish(to: string, batch: INodeExecutionData[]): Promise<void> {
	await runNode(new BillingQueue(), {
		// Items from the trigger carry their key in `_queue`; fresh ones in their billingKey field.
		parameters: { resource: 'message', operation: 'publish', stage: to, billingKey: '={{ $json.billingKey }}', billingRunId: 'run-cluster', queueSetup: setup as never },
		items: batch,
		credentials: { billingRabbitMqApi: credential },
	});
}

/** A probe on a node that is up (the one it uses may be stopped later). */
async function withProbe<T>(fn: (probe: BrokerProbe) => Promise<T>): Promise<T> {
	const i = [0, 1, 2].find((n) => cluster.isUp(n));
	if (i === undefined) throw new Error('no cluster node is up');
	const probe = await BrokerProbe.open('billing-queue-cluster-probe', cluster.url(i));
	try {
		return await fn(probe);
	} finally {
		await probe.close();
	}
}

function consumer() {
	return pooledConnections().find((c) => c.role === 'consumer');
}

/** The cluster node (index) behind an endpoint such as amqp://127.0.0.1:41234/. */
function nodeOf(endpoint: string): number {
	const port = Number(/:(\d+)\/$/.exec(endpoint)?.[1]);
	const i = [0, 1, 2].find((n) => cluster.port(n) === port);
	if (i === undefined) throw new Error(`${endpoint} is not a node of the cluster`);
	return i;
}

/** What the transport logged (n8n's logger, here a recorder). */
const logged: string[] = [];

beforeAll(async () => {
	const record = (message: string) => void logged.push(message);
	LoggerProxy.init({ error: record, warn: record, info: record, debug: () => undefined } as never);
	cluster = await RabbitCluster.start();
	credential = { hostname: cluster.hosts, port: 5672, vhost: '/', username: cluster.username, password: cluster.password, heartbeat: 5, ssl: false };
}, 240_000);

afterAll(async () => {
	await closeAllConnections();
	await cluster?.close();
}, 180_000);

describe('Billing Queue Trigger on a 3-node RabbitMQ cluster', () => {
	test('a node stops mid-run (the one the trigger is on, then the quorum leader): the trigger moves to a surviving node, nothing is lost or doubled', async () => {
		const sent = items(TOTAL, 'cl');
		for (let i = 0; i < TOTAL; i += 100) await publish(stage, sent.slice(i, i + 100).map((json) => ({ json })));

		// What the stage's executions did, per billing key.
		const runs = new Map<string, Array<{ ok: boolean; redelivered: boolean }>>();
		const succeeded = () => [...runs.values()].filter((r) => r.some((x) => x.ok)).length;
		// Executions wait here while a node is being stopped or started, so the run does not finish first.
		let gate: { promise: Promise<void>; open(): void } | undefined;
		const pause = () => {
			if (gate) return;
			let open!: () => void;
			const promise = new Promise<void>((r) => (open = r));
			gate = { promise, open: () => ((gate = undefined), open()) };
		};
		const resume = () => gate?.open();

		const h = triggerHarness({
			parameters: { stage, batchSize: 10, batchWindowMs: 100, queueSetup: setup, options: { prefetch: 30 } },
			workflow: async (json) => {
				while (gate) await gate.promise;
				await sleep(30);
				let ok = true;
				try {
					await publish(next, json.map((j) => ({ json: j })));
				} catch {
					ok = false;
				}
				for (const j of json) {
					const key = String(j.billingKey);
					const list = runs.get(key) ?? [];
					list.push({ ok, redelivered: (j._queue as IDataObject).redelivered === true });
					runs.set(key, list);
				}
				return ok ? 'success' : new Error('forwarding failed');
			},
		});
		(h.ctx as unknown as { getCredentials: () => Promise<ICredentialDataDecryptedObject> }).getCredentials = async () => credential;

		const moves: Array<{ from: string; to: string }> = [];
		try {
			await h.start();

			// 1. The node the trigger's connection is on stops while batches are in their executions.
			await waitFor('a third done', () => succeeded() >= 100, 60_000);
			pause();
			const before = consumer()!;
			const first = nodeOf(before.endpoint);
			await cluster.stopNode(first);
			resume();
			await waitFor('the trigger on a surviving node', () => {
				const now = consumer();
				return now?.connected && now.generation > before.generation ? now : undefined;
			}, 60_000);
			moves.push({ from: before.endpoint, to: consumer()!.endpoint });
			// The broker agrees: the connection is on the node the transport names.
			const onBroker = (await cluster.connections()).find((c) => c.name === consumer()!.name);
			expect(onBroker?.node).toBe(nodeOf(consumer()!.endpoint));
			expect(onBroker?.node).not.toBe(first);
			const whileDown = succeeded();
			await waitFor('progress while the node is down', () => succeeded() >= Math.min(whileDown + 30, 160), 60_000);
			pause();
			await cluster.startNode(first);
			resume();

			// 2. The node leading the stage's quorum queue stops (the trigger may or may not be on it).
			await waitFor('two thirds done', () => succeeded() >= 200, 60_000);
			pause();
			const leader = await cluster.leaderOf(`${exchange}.${stage}`);
			const onLeader = consumer()!;
			await cluster.stopNode(leader);
			resume();
			const afterLeader = succeeded();
			await waitFor('progress after the leader stopped', () => succeeded() >= Math.min(afterLeader + 30, TOTAL), 90_000);
			if (nodeOf(onLeader.endpoint) === leader) {
				// On a loaded machine the loss may be noticed after that progress: wait for the move itself.
				const moved = await waitFor('the trigger off the stopped leader', () => {
					const now = consumer();
					return now?.connected && now.generation > onLeader.generation ? now : undefined;
				}, 60_000);
				moves.push({ from: onLeader.endpoint, to: moved.endpoint });
			}
			pause();
			await cluster.startNode(leader);
			resume();

			await waitFor('every key executed successfully', () => succeeded() === TOTAL, 120_000);
			await waitFor('the stage queue empty', () => withProbe(async (p) => (await p.count(`${exchange}.${stage}`)) === 0), 30_000);
			await sleep(1000); // a copy still coming back would show up by now
		} finally {
			resume();
			await h.close();
		}

		// Reconnected to a surviving node each time its node went away, and the log says where.
		expect(moves.length).toBeGreaterThanOrEqual(1);
		for (const m of moves) {
			expect(m.to).not.toBe(m.from);
			expect(logged).toContainEqual(expect.stringMatching(new RegExp(`^Billing Queue: consumer connection to ${m.from} lost`)));
			expect(logged).toContainEqual(`Billing Queue: consumer connection reconnected to ${m.to} (was ${m.from})`);
		}

		// Every billing key reached an execution; none lost.
		expect([...runs.keys()].sort()).toEqual(sent.map((s) => s.billingKey).sort());
		// A second successful execution of a key only for a copy the trigger reported as redelivered.
		const doubled = [...runs].filter(([, r]) => r.filter((x) => x.ok && !x.redelivered).length > 1);
		expect(doubled).toEqual([]);

		const { left, forwarded } = await withProbe(async (p) => {
			const queues = [stage, next].flatMap((s) => [`${exchange}.${s}`, `${exchange}.${s}.retry.300ms`, `${exchange}.${s}.retry.600ms`, `${exchange}.${s}.parked`]);
			const depth: Record<string, number | null> = {};
			for (const q of queues.filter((q) => q !== `${exchange}.${next}`)) depth[q] = await p.count(q);
			const out = countKeys(await p.drain(`${exchange}.${next}`));
			await p.deleteStages({ exchange, retryDelays: setup.retryDelays }, [stage, next]);
			return { left: depth, forwarded: out };
		});
		// Nothing left in the stage, its retry queues or parking (the next stage's retry and parking too).
		expect(Object.values(left).every((n) => n === 0)).toBe(true);
		// The next stage got every key; a key twice only where it was executed twice.
		expect([...forwarded.keys()].sort()).toEqual(sent.map((s) => s.billingKey).sort());
		const extra = [...forwarded].filter(([key, n]) => n > (runs.get(key)?.length ?? 0));
		expect(extra).toEqual([]);
		const redelivered = [...runs.values()].flat().filter((x) => x.redelivered).length;
		const copies = [...forwarded.values()].reduce((a, b) => a + b, 0) - TOTAL;
		console.log(
			`cluster run: ${TOTAL} keys, trigger moved ${moves.map((m) => `${m.from} → ${m.to}`).join(', ')}; ${redelivered} redelivered copies executed, ${copies} extra copies forwarded\n${logged.filter((l) => l.startsWith('Billing Queue')).join('\n')}`,
		);
	}, 420_000);
});
