// The n8n editor in a real browser (Debian's Chromium driven by playwright-core, no browser
// download): log in as ops would, open every shipped workflow, check each of our nodes renders
// with its own icon and without "unknown node" or credential warnings, open each of our nodes'
// parameter panels, check that nothing on the canvas overlaps (the geometry the unit test
// assumes, measured), and save a screenshot of every canvas under docs/images/ for the README,
// with the hash of the workflow file it shows in docs/images/workflows.sha256 (a unit test
// fails when a workflow changed after its screenshot).
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { INodeType } from 'n8n-workflow';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startBillingSandbox, type BillingSandbox } from '../../sandbox';
import { type Box, type CanvasNode, intersects, LABEL_HEIGHT, LABEL_WIDTH, nodeBox, outputCount, STICKY } from '../../scripts/workflows/geometry';
import { loadWorkflow, type N8nInstance, startN8n } from '../../support/n8n';
import { REPO_ROOT, WORKFLOWS_DIR } from '../../support/paths';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PACKAGE = 'n8n-nodes-billing-pipeline';
const IMAGES = path.join(REPO_ROOT, 'docs', 'images');
const HASHES = path.join(IMAGES, 'workflows.sha256');

interface WorkflowNode {
	name: string;
	type: string;
	credentials?: Record<string, { id: string; name: string }>;
}
const files = fs.readdirSync(WORKFLOWS_DIR).filter((f) => f.endsWith('.json')).sort();
const workflows = files.map((file) => ({
	file,
	json: loadWorkflow(path.join(WORKFLOWS_DIR, file)) as { id: string; name: string; nodes: Array<WorkflowNode & CanvasNode> },
	// The very bytes shown: the screenshot is current while the file still hashes to this.
	sha256: createHash('sha256').update(fs.readFileSync(path.join(WORKFLOWS_DIR, file))).digest('hex'),
}));

/** Records that `file`'s screenshot shows the workflow with this hash (`sha256sum` format, paths from the repo root). */
function recordScreenshot(file: string, sha256: string): void {
	const entries = new Map(
		(fs.existsSync(HASHES) ? fs.readFileSync(HASHES, 'utf8') : '')
			.split('\n')
			.filter(Boolean)
			.map((line) => line.split(/\s+\*?/).reverse() as [string, string]),
	);
	entries.set(`workflows/${file}`, sha256);
	const lines = [...entries].filter(([name]) => fs.existsSync(path.join(REPO_ROOT, name))).sort(([a], [b]) => a.localeCompare(b));
	fs.writeFileSync(HASHES, lines.map(([name, hash]) => `${hash}  ${name}\n`).join(''));
}

/** Outputs of this package's node types, for the node sizes the geometry model expects. */
const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; n8n: { nodes: string[] } };
const ownOutputs = new Map<string, number>(
	pkg.n8n.nodes.map((file) => {
		const mod = require(path.join(REPO_ROOT, file.replace(/^dist\//, '').replace(/\.js$/, '.ts'))) as Record<string, new () => INodeType>;
		const { description } = new (Object.values(mod)[0])();
		return [`${pkg.name}.${description.name}`, Array.isArray(description.outputs) ? description.outputs.length : 1];
	}),
);

interface Drawn {
	name: string;
	/** Screen boxes: the node itself, and the node with its label (sticky notes: the note). */
	own: Box;
	withLabel: Box;
	/** Sticky notes: the bottom of their text, from the note's top. */
	textBottom?: number;
}

/** Every canvas node's boxes as the editor draws them, in screen pixels, and the canvas zoom. */
async function drawnCanvas(page: Page): Promise<{ zoom: number; nodes: Drawn[] }> {
	return await page.evaluate(() => {
		type El = { getBoundingClientRect(): Box; querySelectorAll(s: string): El[]; querySelector(s: string): El | null; getAttribute(n: string): string | null };
		const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): El[]; querySelector(s: string): El | null } }).document;
		const box = (e: El): Box => {
			const r = e.getBoundingClientRect();
			return { x: r.x, y: r.y, width: r.width, height: r.height };
		};
		const union = (a: Box, b: Box): Box => {
			const x = Math.min(a.x, b.x);
			const y = Math.min(a.y, b.y);
			return { x, y, width: Math.max(a.x + a.width, b.x + b.width) - x, height: Math.max(a.y + a.height, b.y + b.height) - y };
		};
		const pane = doc.querySelector('.vue-flow__transformationpane')?.getAttribute('style') ?? '';
		const zoom = Number(/scale\(([0-9.]+)\)/.exec(pane)?.[1] ?? 1);
		// The node's own element (its handles carry data-node-name too).
		const nodes = Array.from(doc.querySelectorAll('.vue-flow__node > [data-node-name]')).map((el) => {
			const own = box(el);
			const name = el.getAttribute('data-node-name') ?? '';
			const label = el.querySelector('[class*="_description_"]');
			const blocks = Array.from(el.querySelectorAll('p, h1, h2, h3, h4, ul, ol'));
			const textBottom = blocks.length ? (Math.max(...blocks.map((b) => box(b).y + box(b).height)) - own.y) / zoom : undefined;
			return { name, own, withLabel: label ? union(own, box(label)) : own, textBottom };
		});
		return { zoom, nodes };
	});
}

/** A parameter label each of our node types always shows in its panel. */
const PANEL_LABEL: Record<string, string> = {
	billingQueueTrigger: 'Stage',
	billingQueue: 'Operation',
	billingEmail: 'Operation',
	billingReport: 'Resource',
	invoicePreparation: 'Period Start',
	secureTrading: 'Operation',
	xeroBilling: 'Operation',
};

const describeIfChromium = fs.existsSync(CHROMIUM) ? describe : describe.skip;

describeIfChromium('the package in the n8n editor (Chromium)', () => {
	let sandbox: BillingSandbox;
	let n8n: N8nInstance;
	let browser: Browser;
	let page: Page;
	const consoleErrors: string[] = [];

	beforeAll(async () => {
		sandbox = await startBillingSandbox({ clients: 1 });
		// The only non-default setting: the first-login survey would cover the canvas.
		n8n = await startN8n({ credentials: sandbox.credentials(), workflows: workflows.map((w) => w.json), env: { N8N_PERSONALIZATION_ENABLED: 'false' } });
		await n8n.login(); // sets the owner account up (a fresh n8n would send the browser to /setup)
		browser = await chromium.launch({
			executablePath: CHROMIUM,
			headless: true,
			// Without the background-networking flags Chromium keeps dialling Google on this closed network.
			args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
		});
		page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
		page.on('pageerror', (error) => consoleErrors.push(error.message));
		fs.mkdirSync(IMAGES, { recursive: true });
	});

	afterAll(async () => {
		await browser?.close();
		await n8n?.dispose();
		await sandbox?.close();
	});

	it('signs in with the owner account', async () => {
		await page.goto(`${n8n.url}/signin`);
		await page.fill('input[name="emailOrLdapLoginId"]', 'ops@billing.example');
		await page.fill('input[name="password"]', 'Billing-Pipeline-1');
		await page.keyboard.press('Enter');
		await page.waitForURL((url) => !url.pathname.includes('signin'), { timeout: 60_000 });
		expect(new URL(page.url()).pathname).not.toContain('signin');
	});

	it.each(workflows.map((w) => [w.file, w]))('%s: our nodes render with their icons, panels open, nothing overlaps, canvas saved', async (file, { json, sha256 }) => {
		await page.goto(`${n8n.url}/workflow/${json.id}`);
		const onCanvas = json.nodes.filter((n) => n.type !== 'n8n-nodes-base.stickyNote');
		// Every node of the workflow is on the canvas (sticky notes render as canvas nodes too).
		await page.waitForFunction(
			// Runs in the page; the test's TypeScript program has no DOM types, hence the casts.
			(names) => {
				const page = globalThis as unknown as { document: { querySelector(s: string): unknown }; CSS: { escape(s: string): string } };
				return names.every((name) => page.document.querySelector(`[data-test-id="canvas-node"][data-node-name="${page.CSS.escape(name)}"]`));
			},
			onCanvas.map((n) => n.name),
			{ timeout: 60_000 },
		);

		const ours = onCanvas.filter((n) => n.type.startsWith(`${PACKAGE}.`));
		for (const node of ours) {
			const selector = `[data-test-id="canvas-node"][data-node-name="${node.name.replace(/"/g, '\\"')}"]`;
			// The icon is our SVG served by n8n from the installed package, and it loaded.
			const icon = await page.$eval(`${selector} img`, (img) => ({ src: img.getAttribute('src') ?? '', width: (img as unknown as { naturalWidth: number }).naturalWidth }));
			expect({ node: node.name, icon: icon.src.startsWith(`/icons/${PACKAGE}/dist/nodes/`), loaded: icon.width > 0 }).toEqual({ node: node.name, icon: true, loaded: true });
			// No warning badge: an unknown node, a missing credential or a bad parameter would show one.
			expect({ node: node.name, warnings: await page.locator(`${selector} [data-test-id="canvas-node-status-warning"]`).count() }).toEqual({ node: node.name, warnings: 0 });
		}
		const text = await page.locator('[data-test-id="canvas"]').innerText();
		expect(text).not.toMatch(/install this node|not currently installed|unknown node/i);

		for (const node of ours) {
			await page.dblclick(`[data-test-id="canvas-node"][data-node-name="${node.name}"]`);
			const ndv = page.locator('[data-test-id="ndv"]');
			await ndv.waitFor({ state: 'visible', timeout: 30_000 });
			const label = PANEL_LABEL[node.type.slice(PACKAGE.length + 1)];
			await ndv.locator('[data-test-id="node-parameters"]').getByText(label, { exact: true }).first().waitFor({ timeout: 30_000 });
			for (const credential of Object.values(node.credentials ?? {})) {
				// The credential the workflow names is selected, with no "select a credential" issue.
				await expect(ndv.locator('[data-test-id="node-credentials-select"] input').first().inputValue()).resolves.toBe(credential.name);
			}
			await page.click('[data-test-id="ndv-close-button"]');
			await ndv.waitFor({ state: 'hidden', timeout: 30_000 });
		}

		await page.click('[data-test-id="zoom-to-fit"]');
		await page.waitForTimeout(600); // the fit animates

		// What the editor drew: no two nodes (labels included) overlap, no sticky note covers a
		// node, and every note's text fits it without a large empty area below.
		const { zoom, nodes: drawn } = await drawnCanvas(page);
		const byName = new Map(json.nodes.map((n) => [n.name, n]));
		const regular = drawn.filter((d) => byName.get(d.name)?.type !== STICKY);
		const notes = drawn.filter((d) => byName.get(d.name)?.type === STICKY);
		expect(regular.map((d) => d.name).sort()).toEqual(onCanvas.map((n) => n.name).sort());
		const problems: string[] = [];
		regular.forEach((a, i) => {
			for (const b of regular.slice(i + 1)) if (intersects(a.withLabel, b.withLabel)) problems.push(`"${a.name}" overlaps "${b.name}"`);
		});
		for (const note of notes) for (const n of regular) if (intersects(note.own, n.withLabel)) problems.push(`sticky "${note.name}" covers "${n.name}"`);
		expect(problems).toEqual([]);
		for (const note of notes) {
			const height = note.own.height / zoom;
			expect({ note: note.name, fits: note.textBottom! <= height, emptyBelow: height - note.textBottom! <= 40 }).toEqual({ note: note.name, fits: true, emptyBelow: true });
		}
		// The unit test's model (scripts/workflows/geometry.ts) holds what was drawn: each node's
		// size, and its label within twice its width and LABEL_HEIGHT below it.
		for (const d of regular) {
			const node = byName.get(d.name)!;
			const model = nodeBox(node, outputCount(node, (type) => ownOutputs.get(type)));
			const drawnBox = { width: Math.round(d.own.width / zoom), height: Math.round(d.own.height / zoom) };
			expect({ node: d.name, ...drawnBox }).toEqual({ node: d.name, width: model.width, height: model.height });
			const label = { left: (d.own.x - d.withLabel.x) / zoom, width: d.withLabel.width / zoom, below: (d.withLabel.height - d.own.height) / zoom };
			const fits = label.width <= LABEL_WIDTH + 1 && label.left <= (LABEL_WIDTH - model.width) / 2 + 1 && label.below <= LABEL_HEIGHT + 1;
			expect({ node: d.name, fits, label: fits ? 'within the model' : label }).toEqual({ node: d.name, fits: true, label: 'within the model' });
		}

		// One step further out: the floating Execute button would otherwise cover the lowest labels.
		await page.locator('[data-test-id="zoom-out-button"], button[aria-label="Zoom Out"]').first().click();
		await page.waitForTimeout(600);
		const shot = path.join(IMAGES, file.replace(/\.json$/, '.png'));
		await page.screenshot({ path: shot });
		expect(fs.statSync(shot).size).toBeGreaterThan(10_000);
		recordScreenshot(file, sha256);
	});

	it('the editor raised no page errors', () => {
		expect(consoleErrors).toEqual([]);
	});
});
