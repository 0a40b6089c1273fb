// Smoke test of the real-n8n harness: our packed package loads in n8n 2.x, a shipped workflow
// that uses one of our nodes is imported and published with the CLI, runs on a real webhook
// call, and its execution is read back from n8n.
import * as path from 'path';
import { loadWorkflow, N8nInstance, startN8n } from '../../support/n8n';
import { WORKFLOWS_DIR } from '../../support/paths';

describe('real n8n smoke', () => {
	let n8n: N8nInstance;
	const workflow = loadWorkflow(path.join(WORKFLOWS_DIR, '00-preview-invoices.json'));

	beforeAll(async () => {
		n8n = await startN8n({ workflows: [workflow], publish: [workflow.id as string], publishVia: 'cli' });
	});

	afterAll(async () => {
		await n8n?.dispose();
	});

	it('loads the package: our node types are known to n8n', async () => {
		// The editor loads node descriptions from this static file.
		const types = await n8n.getAsOwner<Array<{ name: string }>>('/types/nodes.json');
		const ours = types.map((t) => t.name).filter((n) => n.startsWith('n8n-nodes-billing-pipeline.'));
		expect(ours).toContain('n8n-nodes-billing-pipeline.invoicePreparation');
	});

	it('runs the published preview workflow on a webhook call and records the execution', async () => {
		const res = await fetch(`${n8n.url}/webhook/billing/preview`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({
				periodStart: '2026-11-16T00:00:00Z',
				periodEnd: '2026-11-19T00:00:00Z',
				rows: [
					{ leadId: 'L1', clientId: 'C1', clientName: 'Acme', billingEmail: 'ap@acme.example', currency: 'GBP', price: '10.50' },
					{ leadId: 'L2', clientId: 'C1', clientName: 'Acme', billingEmail: 'ap@acme.example', currency: 'GBP', price: '4.25' },
					{ leadId: 'L3', clientId: 'C2', clientName: 'Bad', billingEmail: 'nope', currency: 'GBP', price: '1.00' },
				],
			}),
		});
		const text = await res.text();
		expect(res.status).toBe(200);
		const invoices = JSON.parse(text);
		expect(invoices).toEqual([
			expect.objectContaining({ clientId: 'C1', billingKey: 'C1-20261116-20261119', totalMinor: 1475, total: '14.75', leadCount: 2 }),
		]);

		const [execution] = await n8n.waitForExecutions(workflow.id as string, 1);
		expect(execution.status).toBe('success');
		const [good, rejected] = await n8n.nodeOutput(execution.id, 'Invoice Preparation');
		expect(good).toHaveLength(1);
		// The one failure shape: the error names the field, `rejected` says which row and client.
		expect(rejected.map((r) => [r.json.error, r.json.rejected])).toEqual([
			[
				expect.objectContaining({ field: 'billingEmail', code: 'invalidRow', retryable: false }),
				expect.objectContaining({ row: 2, clientId: 'C2', billingKey: expect.stringMatching(/^RJ-[0-9a-f]{22}$/) }),
			],
		]);
	});
});
