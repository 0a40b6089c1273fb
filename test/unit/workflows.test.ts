// The shipped workflow JSON is generated from scripts/workflows/pipeline.ts; these checks keep the
// files current and safe to import.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { readTopology } from '../../nodes/BillingQueue/helpers/config';
import { parseDelays } from '../../nodes/BillingQueue/helpers/topology';
import type { INodeProperties } from 'n8n-workflow';
import { ITEM_FIELDS } from '../../nodes/BillingEmail/helpers/compose';
import { XeroBilling } from '../../nodes/XeroBilling/XeroBilling.node';
import { buildWorkflows, DEFAULT_SETTINGS, INVOICE_DOCUMENTS, QUEUE_SETUP_DEFAULTS, type InvoiceDocument } from '../../scripts/workflows/pipeline';

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

	type QueueNode = { name: string; type: string; parameters: Record<string, unknown> & { queueSetup?: Record<string, string>; stage?: string; operation?: string } };
	const queueNodes = (workflows: Record<string, Record<string, unknown>>) =>
		Object.entries(workflows).flatMap(([file, wf]) =>
			(wf.nodes as QueueNode[]).filter((n) => /\.billingQueue(Trigger)?$/.test(n.type)).map((n) => ({ file, ...n })),
		);

	it("leaves Queue Setup to the nodes' defaults, which are the shipped values, and writes only what differs", () => {
		// What a node with an empty Queue Setup uses is what its description shows as defaults.
		const topology = readTopology((name, fallback) => (name === 'queueSetup' ? {} : fallback));
		expect(topology).toEqual({ exchange: QUEUE_SETUP_DEFAULTS.exchange, queueType: QUEUE_SETUP_DEFAULTS.queueType, retryDelaysMs: parseDelays(QUEUE_SETUP_DEFAULTS.retryDelays) });
		expect({ exchange: DEFAULT_SETTINGS.exchange, queueType: DEFAULT_SETTINGS.queueType, retryDelays: DEFAULT_SETTINGS.retryDelays }).toEqual(QUEUE_SETUP_DEFAULTS);

		const nodes = queueNodes(built);
		expect(nodes.length).toBeGreaterThanOrEqual(22);
		const written = nodes.filter((n) => n.parameters.queueSetup).map((n) => ({ file: n.file, node: n.name, queueSetup: n.parameters.queueSetup }));
		// Only the delay queues of dunning and of unknown charges have delays of their own.
		expect(written).toEqual([
			{ file: '04-debit-cards.json', node: 'Schedule Next Charge', queueSetup: { retryDelays: DEFAULT_SETTINGS.dunningDelays } },
			{ file: '04-debit-cards.json', node: 'Settle Unknown Charge', queueSetup: { retryDelays: DEFAULT_SETTINGS.settleDelays } },
			{ file: '06-dunning.json', node: 'Charges Due Again', queueSetup: { retryDelays: DEFAULT_SETTINGS.dunningDelays } },
			{ file: '06-dunning.json', node: 'Retry or Park', queueSetup: { retryDelays: DEFAULT_SETTINGS.dunningDelays } },
		]);
	});

	it('still writes settings that differ from the defaults (tests: their own exchange and short delays) into every queue node', () => {
		const nodes = queueNodes(buildWorkflows({ exchange: 'billing-test', queueType: 'classic', retryDelays: '1s, 2s' }));
		for (const n of nodes) {
			expect({ node: `${n.file} ${n.name}`, exchange: n.parameters.queueSetup?.exchange, queueType: n.parameters.queueSetup?.queueType }).toEqual({
				node: `${n.file} ${n.name}`,
				exchange: 'billing-test',
				queueType: 'classic',
			});
		}
		const retryOrPark = nodes.find((n) => n.file === '02-create-invoices.json' && n.name === 'Retry or Park')!;
		expect(retryOrPark.parameters.queueSetup?.retryDelays).toBe('1s, 2s');
	});

	it('publishes only to stages a workflow consumes (no queue that only grows)', () => {
		const nodes = queueNodes(built);
		const consumed = new Set(nodes.filter((n) => n.type.endsWith('Trigger')).map((n) => n.parameters.stage));
		const published = nodes.filter((n) => n.parameters.operation === 'publish').map((n) => ({ node: `${n.file} ${n.name}`, consumed: consumed.has(n.parameters.stage) }));
		expect(published.length).toBeGreaterThan(0);
		for (const p of published) expect(p).toEqual({ node: p.node, consumed: true });
		// The run summary stays in the collect execution's log.
		expect((built['01-collect.json'].nodes as QueueNode[]).map((n) => n.name)).toContain('Run Summary');
	});

	it("reads the CRM's address from the Billing Settings node at the start of workflow 1, never from $env (blocked on a stock n8n 2.x)", () => {
		type Node = { name: string; type: string; parameters: Record<string, any> };
		const collect = (settings = {}) => buildWorkflows(settings)['01-collect.json'] as { nodes: Node[]; connections: Record<string, { main: Array<Array<{ node: string }>> }> };
		const wf = collect();
		expect(JSON.stringify(built)).not.toContain('$env');
		const crmUrl = (w: ReturnType<typeof collect>) =>
			w.nodes.find((n) => n.name === 'Billing Settings')!.parameters.assignments.assignments.find((a: { name: string }) => a.name === 'crmBaseUrl').value;
		expect(crmUrl(wf)).toBe('http://127.0.0.1:4612');
		expect(crmUrl(collect({ crmBaseUrl: 'https://crm.example.com' }))).toBe('https://crm.example.com');
		expect(wf.nodes.find((n) => n.name === 'Read CRM')!.parameters.url).toContain("$('Billing Settings').first().json.crmBaseUrl");
		// Every trigger leads into it, so every run reads the same setting.
		for (const trigger of wf.nodes.filter((n) => /trigger/i.test(n.type))) {
			expect({ trigger: trigger.name, next: wf.connections[trigger.name].main[0].map((t) => t.node) }).toEqual({ trigger: trigger.name, next: ['Billing Settings'] });
		}
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
				// Its error output (after Success and Failed) leads where its failures go: Retry or Park, or
				// for the run report, the node that leaves it for Due Reports to offer again.
				const errorOutput = connections[n.name]?.main[2] ?? [];
				const expected = file === '07-run-report.json' ? ['Report Not Sent'] : ['Retry or Park'];
				expect({ file, node: n.name, errorOutputTo: errorOutput.map((t) => t.node) }).toEqual({ file, node: n.name, errorOutputTo: expected });
				if (file === '07-run-report.json') expect((connections[n.name]?.main[1] ?? []).map((t) => t.node)).toEqual(expected);
			}
		}
	});
});

describe('workflow screenshots (docs/images)', () => {
	const images = path.resolve(__dirname, '..', '..', 'docs', 'images');
	const hashFile = path.join(images, 'workflows.sha256');

	// The browser test (test/e2e/editor-browser.test.ts) saves each screenshot together with the
	// hash of the workflow file it showed, in `sha256sum` format (`sha256sum -c` from the repo root).
	it('show every workflow as it is now (after changing one, run `npm run build && npm run test:browser`)', () => {
		const recorded = new Map(
			(fs.existsSync(hashFile) ? fs.readFileSync(hashFile, 'utf8') : '')
				.split('\n')
				.filter(Boolean)
				.map((line) => {
					const [hash, file] = line.split(/\s+\*?/);
					return [file, hash] as const;
				}),
		);
		for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
			const hash = createHash('sha256').update(fs.readFileSync(path.join(dir, file))).digest('hex');
			const png = path.join(images, file.replace(/\.json$/, '.png'));
			expect({ file, screenshot: fs.existsSync(png), current: recorded.get(`workflows/${file}`) === hash }).toEqual({ file, screenshot: true, current: true });
		}
	});
});

describe('icons', () => {
	const root = path.resolve(__dirname, '..', '..');
	const credentialFiles = (pkg.n8n.credentials as string[]).map((f) => f.replace(/^dist\//, '').replace(/\.js$/, '.ts'));
	const nodeFiles = (pkg.n8n.nodes as string[]).map((f) => f.replace(/^dist\//, '').replace(/\.js$/, '.ts'));
	const iconOf = (file: string): unknown => {
		const Cls = Object.values(require(path.join(root, file)))[0] as new () => { icon?: unknown; description?: { icon?: unknown } };
		const instance = new Cls();
		return instance.description?.icon ?? instance.icon;
	};

	// n8n shows `dark` on its dark theme; gulp copies every *.svg next to the compiled file.
	it.each([...nodeFiles, ...credentialFiles])('%s has a light and a dark icon, both files present', (file) => {
		const icon = iconOf(file) as { light?: string; dark?: string };
		expect(icon).toEqual({ light: expect.stringMatching(/^file:.+\.svg$/), dark: expect.stringMatching(/^file:.+\.dark\.svg$/) });
		for (const ref of [icon.light!, icon.dark!]) {
			expect(fs.existsSync(path.join(root, path.dirname(file), ref.slice('file:'.length)))).toBe(true);
		}
	});
});

describe('money paths of the shipped workflows (issue 16)', () => {
	type Wf = { nodes: Array<{ name: string; type: string; parameters: Record<string, unknown>; onError?: string }>; connections: Record<string, { main: Array<Array<{ node: string }>> }> };
	const built = buildWorkflows();
	const wf = (file: string) => built[file] as unknown as Wf;
	const next = (w: Wf, from: string, output: number) => (w.connections[from]?.main[output] ?? []).map((c) => c.node);
	const node = (w: Wf, name: string) => w.nodes.find((n) => n.name === name)!;

	it('stage 2 compares leads with Xero before creating, and bills only what is not billed yet', () => {
		const w = wf('02-create-invoices.json');
		expect(next(w, 'Ensure Contacts', 0)).toEqual(['Find Unbilled Leads']);
		expect(node(w, 'Find Unbilled Leads').parameters).toMatchObject({ operation: 'findUnbilled', lateLeads: 'supplementary' });
		expect(next(w, 'Find Unbilled Leads', 0)).toEqual(['Anything to Bill?']);
		// Refused (billed differently) and failed items are parked or retried, never created.
		expect(next(w, 'Find Unbilled Leads', 1)).toEqual(['Retry or Park']);
		expect(next(w, 'Anything to Bill?', 0)).toEqual(['Create Invoices']);
		expect(next(w, 'Anything to Bill?', 1)).toEqual(['Already Billed']);
		// An invoice someone duplicated by hand is parked before the client gets two.
		expect(next(w, 'Create Invoices', 0)).toEqual(['Duplicate in Xero?']);
		expect(next(w, 'Duplicate in Xero?', 0)).toEqual(['Park Duplicate Invoice']);
		expect(node(w, 'Park Duplicate Invoice').parameters.parkNow).toBe(true);
		// A Xero difference (amounts, currency, leads) leaves on Create's failure output.
		expect(next(w, 'Create Invoices', 1)).toEqual(['Retry or Park']);
		expect(String(node(w, 'Retry or Park').parameters.parkNow)).toContain('retryable === false');
	});

	it('stage 1 publishes every request: no filter by billing key drops a late lead', () => {
		const w = wf('01-collect.json');
		const names = w.nodes.map((n) => n.name);
		expect(names).not.toContain('Already Invoiced?');
		expect(w.nodes.filter((n) => n.type.endsWith('.xeroBilling'))).toEqual([]);
	});

	it('stage 4 never books a gateway charge that differs from what is due as the payment', () => {
		const w = wf('04-debit-cards.json');
		expect(next(w, 'Debit Stored Card', 0)).toEqual(['Existing Charge Differs?']);
		expect(next(w, 'Existing Charge Differs?', 0)).toEqual(['Park Differing Charge']);
		expect(next(w, 'Existing Charge Differs?', 1)).toEqual(['Paid']);
		expect(node(w, 'Park Differing Charge').parameters.parkNow).toBe(true);
		expect(JSON.stringify(node(w, 'Existing Charge Differs?').parameters)).toContain('existingChargeMismatch');
	});

	it('every publish node sends what it cannot publish to its workflow\'s Retry or Park, never nowhere', () => {
		for (const [file, raw] of Object.entries(built)) {
			const w = raw as unknown as Wf;
			for (const n of w.nodes.filter((x) => x.type.endsWith('.billingQueue') && x.parameters.operation === 'publish')) {
				expect([file, n.name, n.onError]).toEqual([file, n.name, 'continueErrorOutput']);
				const errorTargets = next(w, n.name, 1);
				expect([file, n.name, errorTargets.length > 0]).toEqual([file, n.name, true]);
				for (const t of errorTargets) expect(node(w, t).parameters.operation).toBe('retryOrPark');
			}
		}
	});
});

describe("stage 3's invoice document (invoiceDocument)", () => {
	type Node = { name: string; type: string; parameters: Record<string, unknown>; onError?: string };
	type Wf = { nodes: Node[]; connections: Record<string, { main: Array<Array<{ node: string }>> }> };
	const stage3 = (invoiceDocument: InvoiceDocument) => buildWorkflows({ invoiceDocument })['03-email-invoices.json'] as unknown as Wf;
	const next = (w: Wf, from: string, output: number) => (w.connections[from]?.main[output] ?? []).map((c) => c.node);
	const node = (w: Wf, name: string) => w.nodes.find((n) => n.name === name);
	/** The chain the items take on success, from the trigger to the debit stage's queue. */
	const successPath = (w: Wf) => {
		const path = ['Invoices to Email'];
		for (let to = next(w, path[0], 0); to.length === 1; to = next(w, to[0], 0)) path.push(to[0]);
		return path;
	};
	const xeroProperty = (name: string, operation: string): INodeProperties | undefined =>
		new XeroBilling().description.properties.find((p) => p.name === name && (p.displayOptions?.show?.operation ?? []).includes(operation));

	const cases: Array<{ doc: InvoiceDocument; docNode?: string; operation?: string; pdfSource?: string; attach: boolean }> = [
		{ doc: 'xeroPdf', docNode: 'Invoice PDF', operation: 'getPdf', pdfSource: 'xero', attach: true },
		{ doc: 'renderedPdf', docNode: 'Invoice PDF', operation: 'getPdf', pdfSource: 'rendered', attach: true },
		{ doc: 'onlineLink', docNode: 'Online Invoice Link', operation: 'getOnlineInvoice', attach: false },
		{ doc: 'none', attach: false },
	];

	it('covers every invoiceDocument the settings offer, the shipped one being Xero\'s PDF', () => {
		expect(cases.map((c) => c.doc).sort()).toEqual([...INVOICE_DOCUMENTS].sort());
		expect(DEFAULT_SETTINGS.invoiceDocument).toBe('xeroPdf');
	});

	const chainTitle = (c: (typeof cases)[number]) => `${c.doc}: trigger → ${c.docNode ? `${c.docNode} → ` : ''}Email Invoice (attach: ${c.attach})`;
	it.each(cases.map((c) => [chainTitle(c), c] as const))('%s → Mark as Sent → debit stage', (_title, { doc, docNode, operation, pdfSource, attach }) => {
		const w = stage3(doc);
		const chain = docNode ? ['Invoices to Email', docNode, 'Email Invoice'] : ['Invoices to Email', 'Email Invoice'];
		expect(successPath(w)).toEqual([...chain, 'Mark as Sent', 'To Debit Stage']);

		const email = node(w, 'Email Invoice')!;
		expect(email.parameters).toMatchObject({ operation: 'sendInvoice', attachInvoice: attach });
		// An attaching email reads the binary property the PDF node writes; the others name none.
		expect(email.parameters.binaryPropertyName).toBe(attach ? 'data' : undefined);

		// Only the chosen step calls Xero before the email; the others are not in the workflow.
		const xeroBeforeEmail = w.nodes.filter((n) => n.type.endsWith('.xeroBilling') && n.name !== 'Mark as Sent');
		expect(xeroBeforeEmail.map((n) => n.name)).toEqual(docNode ? [docNode] : []);
		if (!docNode) return;
		const docParams = node(w, docNode)!.parameters;
		expect(docParams).toMatchObject({ resource: 'invoice', operation });
		if (operation === 'getPdf') {
			expect(docParams.binaryPropertyName).toBe('data');
			// Xero's PDF is the node's default, so the shipped workflow leaves pdfSource unset.
			const source = docParams.pdfSource ?? xeroProperty('pdfSource', 'getPdf')?.default;
			expect(source).toBe(pdfSource);
			expect(((xeroProperty('pdfSource', 'getPdf')?.options ?? []) as Array<{ value: unknown }>).map((o) => o.value)).toContain(pdfSource);
		} else {
			// The link lands in the item field the invoice email reads it from.
			const field = docParams.outputField ?? xeroProperty('outputField', 'getOnlineInvoice')?.default;
			expect(field).toBe(ITEM_FIELDS.onlineInvoiceUrl.path);
			expect(docParams.binaryPropertyName).toBeUndefined();
		}
	});

	it.each(cases.filter((c) => c.docNode))('$doc: $docNode sends refused items (output 2) and failures (error output) to Retry or Park, never on to the email', ({ doc, docNode }) => {
		const w = stage3(doc);
		const n = node(w, docNode!)!;
		expect(n.onError).toBe('continueErrorOutput');
		expect(next(w, n.name, 0)).toEqual(['Email Invoice']);
		expect(next(w, n.name, 1)).toEqual(['Retry or Park']);
		expect(next(w, n.name, 2)).toEqual(['Retry or Park']);
		expect(node(w, 'Retry or Park')!.parameters.operation).toBe('retryOrPark');
	});
});
