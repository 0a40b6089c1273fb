// The shipped workflow JSON is generated from scripts/workflows/pipeline.ts; these checks keep the
// files current and safe to import.
import * as fs from 'fs';
import * as path from 'path';
import { buildWorkflows, DEFAULT_SETTINGS } from '../../scripts/workflows/pipeline';

const dir = path.resolve(__dirname, '..', '..', 'workflows');
const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8'));
const ourTypes = new Set(
	(pkg.n8n.nodes as string[]).map((file) => {
		// eslint-disable-next-line @typescript-eslint/no-var-requires
		const mod = require(path.resolve(__dirname, '..', '..', file.replace(/^dist\//, '').replace(/\.js$/, '.ts')));
		const Cls = Object.values(mod)[0] as new () => { description: { name: string } };
		return `n8n-nodes-billing-pipeline.${new Cls().description.name}`;
	}),
);

describe('shipped workflows', () => {
	const built = buildWorkflows();

	it.each(Object.keys(built))('%s is up to date with its generator (run `npm run workflows`)', (file) => {
		const onDisk = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
		expect(onDisk).toEqual(JSON.parse(JSON.stringify(built[file])));
	});

	it('has no other workflow files than the generated ones', () => {
		expect(fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()).toEqual(Object.keys(built).sort());
	});

	it.each(Object.keys(built))('%s uses only node types this package ships or n8n has, wired to existing nodes', (file) => {
		const wf = built[file] as { nodes: Array<{ name: string; type: string; credentials?: Record<string, { id: string; name: string }> }>; connections: Record<string, { main: Array<Array<{ node: string }>> }> };
		const names = new Set(wf.nodes.map((n) => n.name));
		for (const n of wf.nodes) {
			if (n.type.startsWith('n8n-nodes-billing-pipeline.')) expect(ourTypes).toContain(n.type);
			else expect(n.type).toMatch(/^n8n-nodes-base\./);
			for (const ref of Object.values(n.credentials ?? {})) expect(Object.keys(ref).sort()).toEqual(['id', 'name']);
		}
		for (const [from, { main }] of Object.entries(wf.connections)) {
			expect(names).toContain(from);
			for (const target of main.flat()) expect(names).toContain(target.node);
		}
	});

	it('holds no secrets: credentials are referenced by id and name only', () => {
		const text = JSON.stringify(built);
		expect(text).not.toMatch(/"(password|clientSecret|client_secret|accessToken|access_token|apiKey)"\s*:/);
	});

	it('keeps the dunning delays identical on both sides of the delay queue', () => {
		const delaysIn = (file: string, node: string) =>
			((built[file] as { nodes: Array<{ name: string; parameters: { queueSetup?: { retryDelays?: string } } }> }).nodes.find((n) => n.name === node)!.parameters.queueSetup!.retryDelays);
		expect(delaysIn('04-debit-cards.json', 'Schedule Next Charge')).toBe(DEFAULT_SETTINGS.dunningDelays);
		expect(delaysIn('06-dunning.json', 'Charges Due Again')).toBe(DEFAULT_SETTINGS.dunningDelays);
	});

	// What the invoice email promises and when the debit stage charges come from one setting.
	it.each(['onInvoicing', 'onDueDate'] as const)('with charge timing %s, the invoice email promises exactly what the debit hand-over does', (chargeTiming) => {
		type Node = { name: string; onError?: string; parameters: Record<string, unknown> & { options?: Record<string, unknown> } };
		const wf = buildWorkflows({ ...DEFAULT_SETTINGS, chargeTiming })['03-email-invoices.json'] as { nodes: Node[] };
		const node = (name: string) => wf.nodes.find((n) => n.name === name)!;
		expect(node('Email Invoice').parameters.chargeTiming).toBe(chargeTiming);
		const holdUntil = node('To Debit Stage').parameters.options?.deliverNotBefore;
		if (chargeTiming === 'onDueDate') expect(holdUntil).toBe('={{ $json.dueDate }}');
		else expect(holdUntil).toBeUndefined();
	});

	it('never lets a failing money or mail node continue down its success path', () => {
		for (const [file, wf] of Object.entries(built)) {
			const { nodes, connections } = wf as { nodes: Array<{ name: string; type: string; onError?: string }>; connections: Record<string, { main: Array<Array<{ node: string }>> }> };
			for (const n of nodes.filter((x) => /\.(xeroBilling|secureTrading|billingEmail)$/.test(x.type) && x.onError)) {
				expect({ file, node: n.name, onError: n.onError }).toEqual({ file, node: n.name, onError: 'continueErrorOutput' });
				// Its error output (after Success and Failed) leads somewhere: Retry or Park.
				const errorOutput = connections[n.name]?.main[2] ?? [];
				expect({ file, node: n.name, errorOutputTo: errorOutput.map((t) => t.node) }).toEqual({ file, node: n.name, errorOutputTo: ['Retry or Park'] });
			}
		}
	});
});
