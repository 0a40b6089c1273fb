// The n8n editor in a real browser (Debian's Chromium driven by playwright-core, no browser
// download): log in as ops would, open every shipped workflow, check each of our nodes renders
// with its own icon and without "unknown node" or credential warnings, open each of our nodes'
// parameter panels, and save a screenshot of every canvas under docs/images/ for the README.
import * as fs from 'fs';
import * as path from 'path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startBillingSandbox, type BillingSandbox } from '../../sandbox';
import { loadWorkflow, type N8nInstance, startN8n } from '../../support/n8n';
import { REPO_ROOT, WORKFLOWS_DIR } from '../../support/paths';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PACKAGE = 'n8n-nodes-billing-pipeline';
const IMAGES = path.join(REPO_ROOT, 'docs', 'images');

interface WorkflowNode {
	name: string;
	type: string;
	credentials?: Record<string, { id: string; name: string }>;
}
const files = fs.readdirSync(WORKFLOWS_DIR).filter((f) => f.endsWith('.json')).sort();
const workflows = files.map((file) => ({ file, json: loadWorkflow(path.join(WORKFLOWS_DIR, file)) as { id: string; name: string; nodes: WorkflowNode[] } }));

/** A parameter label each of our node types always shows in its panel. */
const PANEL_LABEL: Record<string, string> = {
	billingQueueTrigger: 'Stage',
	billingQueue: 'Operation',
	billingEmail: 'Operation',
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
		n8n = await startN8n({ credentials: sandbox.credentials(), workflows: workflows.map((w) => w.json) });
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

	it.each(workflows.map((w) => [w.file, w]))('%s: our nodes render with their icons, panels open, canvas saved', async (file, { json }) => {
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
		const shot = path.join(IMAGES, file.replace(/\.json$/, '.png'));
		await page.screenshot({ path: shot });
		expect(fs.statSync(shot).size).toBeGreaterThan(10_000);
	});

	it('the editor raised no page errors', () => {
		expect(consoleErrors).toEqual([]);
	});
});
