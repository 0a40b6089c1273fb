// The billing status page in a real browser (Debian's Chromium driven by playwright-core, as the
// editor test does).
// 1. Without n8n: the page the renderer writes, served as n8n would serve it, behaves in Chromium:
//    its CSP lets its own style and confirm handler run and nothing else, the Replay form posts to
//    the replay webhook's address only when ticked and confirmed.
// 2. With the shipped workflows in a real n8n: the demo's billing run, in which one client's CRM
//    record has a bad billing email (its row is parked in collect.parked). The page asks for its
//    login, shows the figures the sandbox's own records hold, and after the CRM record is fixed,
//    its Replay button runs the client through the pipeline until the page shows the key paid and
//    nothing parked. The page's screenshot goes to docs/images/status-page.png for the README.
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { renderStatusPage } from '../../nodes/BillingReport/helpers/statusPage';
import { formatMinorUnits, minorUnitExponent } from '../../nodes/shared/currency';
import { STAGES } from '../../scripts/workflows/pipeline';
import { waitUntil } from '../../support/broker';
import { REPO_ROOT } from '../../support/paths';
import { isSettled, type PipelineRun, startPipeline, STATUS_PAGE_LOGIN } from '../../support/pipeline';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const IMAGES = path.join(REPO_ROOT, 'docs', 'images');
const SCREENSHOT = path.join(IMAGES, 'status-page.png');
const PAGE_PATH = '/webhook/billing/status';
const REPLAY_PATH = `${PAGE_PATH}/replay`;
const BAD_EMAIL_CLIENT = 'HX-invalidEmail';
const MAX_CHARGES = 3; // first charge + two dunning charges ('2s, 3s' here)
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

const describeIfChromium = fs.existsSync(CHROMIUM) ? describe : describe.skip;

/** What the page shows, read from its data-* attributes as a browser test reads them. */
interface PageSnapshot {
	notice: string | null;
	health: string;
	stages: Record<string, Record<string, string>>;
	runs: Array<{
		id: string;
		roles: string[];
		status: string;
		facts: Record<string, string>;
		states: Record<string, string>;
		currencies: Record<string, Record<string, string>>;
		keys: Record<string, string>;
	}>;
	parked: Array<{ stage: string; billingKey: string; error: string; code: string; field: string }>;
	forms: string[];
}

async function snapshot(page: Page): Promise<PageSnapshot> {
	return await page.evaluate(() => {
		// Runs in the page; the test's TypeScript program has no DOM types, hence the casts.
		type El = { getAttribute(n: string): string | null; querySelectorAll(s: string): ArrayLike<El>; querySelector(s: string): El | null; textContent: string | null };
		const doc = (globalThis as unknown as { document: El }).document;
		const list = (root: El, selector: string) => Array.from(root.querySelectorAll(selector));
		const text = (e: El | null) => (e?.textContent ?? '').replace(/\s+/g, ' ').trim();
		const fields = (root: El, selector = '[data-field]') => Object.fromEntries(list(root, selector).map((e) => [e.getAttribute('data-field') ?? '', text(e)]));
		return {
			notice: doc.querySelector('#notice') ? text(doc.querySelector('#notice')) : null,
			health: text(doc.querySelector('#summary')),
			stages: Object.fromEntries(list(doc, 'tr[data-stage]').map((tr) => [tr.getAttribute('data-stage') ?? '', fields(tr)])),
			runs: list(doc, 'section.run[data-run-id]').map((section) => ({
				id: section.getAttribute('data-run-id') ?? '',
				roles: (section.getAttribute('data-run-role') ?? '').split(' '),
				status: section.getAttribute('data-status') ?? '',
				facts: fields(section, 'dl.facts [data-field], h3 [data-field]'),
				states: Object.fromEntries(list(section, '[data-state-count]').map((e) => [e.getAttribute('data-state-count') ?? '', text(e)])),
				currencies: Object.fromEntries(list(section, 'tr[data-currency]').map((tr) => [tr.getAttribute('data-currency') ?? '', fields(tr)])),
				keys: Object.fromEntries(list(section, 'details tr[data-billing-key]').map((tr) => [tr.getAttribute('data-billing-key') ?? '', tr.getAttribute('data-state') ?? ''])),
			})),
			parked: list(doc, 'section.parked-stage').flatMap((section) =>
				list(section, 'tr[data-billing-key]').map((tr) => {
					const f = fields(tr);
					return { stage: section.getAttribute('data-stage') ?? '', billingKey: tr.getAttribute('data-billing-key') ?? '', error: f.error, code: f.code, field: f.field };
				}),
			),
			forms: list(doc, 'form.replay').map((f) => f.getAttribute('data-stage') ?? ''),
		};
	});
}

/** Script errors and CSP refusals (Chromium reports those on the console; a missing favicon is no problem of the page's). */
function watchProblems(page: Page): string[] {
	const problems: string[] = [];
	page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
	page.on('console', (msg) => {
		if (/Content Security Policy|Refused to/i.test(msg.text())) problems.push(`console: ${msg.text()}`);
	});
	return problems;
}

describeIfChromium('the status page in Chromium, served as n8n serves it', () => {
	let browser: Browser;
	let server: http.Server;
	let base: string;
	const posts: Array<{ url: string; body: URLSearchParams }> = [];
	const html = renderStatusPage({
		stages: ['collect', 'invoice'].map((stage) => ({ stage, queue: `billing.${stage}`, exists: true, ready: 0, consumers: 1, unacknowledged: null, retrying: 0, retryQueues: {}, held: 0, parked: stage === 'invoice' ? 1 : 0 })),
		parked: [{ stage: 'invoice', queue: 'billing.invoice.parked', billingKey: 'K-<b>&"1"', messageUid: 'u1', attempt: 5, reason: 'x', parkedAt: new Date().toISOString(), error: { message: 'Xero answered 503' }, payload: {}, raw: null, bytes: 10 }],
		runs: [],
		now: new Date(),
		replayAction: '../billing/status/replay',
		replayToken: 'the-page-token',
	});

	beforeAll(async () => {
		server = http.createServer((req, res) => {
			if (req.method === 'POST') {
				let body = '';
				req.on('data', (chunk) => (body += chunk));
				req.on('end', () => {
					posts.push({ url: req.url ?? '', body: new URLSearchParams(body) });
					res.writeHead(303, { location: '../status?replayed=1&stage=invoice' });
					res.end();
				});
				return;
			}
			res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
			res.end(html);
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
		browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
	});

	afterAll(async () => {
		await browser?.close();
		await new Promise((resolve) => server?.close(resolve));
	});

	it('applies its own style under its CSP, and posts Replay only when ticked and confirmed', async () => {
		const page = await browser.newPage();
		const problems = watchProblems(page);
		const dialogs: string[] = [];
		let answer = false;
		page.on('dialog', async (dialog) => {
			dialogs.push(dialog.message());
			await (answer ? dialog.accept() : dialog.dismiss());
		});
		await page.goto(`${base}${PAGE_PATH}`);
		// The inline style ran (its hash is in the CSP): the page background is the stylesheet's.
		const background = await page.evaluate(() => {
			const g = globalThis as unknown as { document: { body: unknown }; getComputedStyle(e: unknown): { backgroundColor: string } };
			return g.getComputedStyle(g.document.body).backgroundColor;
		});
		expect(background).toBe('rgb(246, 247, 250)');
		// The hostile key is text.
		expect(await page.locator('section.parked-stage tr[data-billing-key]').getAttribute('data-billing-key')).toBe('K-<b>&"1"');
		expect(await page.locator('section.parked-stage b').count()).toBe(0);

		const form = page.locator('form.replay[data-stage="invoice"]');
		await form.locator('input[name="count"]').fill('1');
		// Not ticked: the browser refuses to send it (no confirm asked, nothing posted).
		await form.locator('button[type="submit"]').click();
		await page.waitForTimeout(300);
		expect({ dialogs: dialogs.length, posts: posts.length }).toEqual({ dialogs: 0, posts: 0 });
		// Ticked but not confirmed: nothing posted.
		await form.locator('input[name="confirm"]').check();
		await form.locator('button[type="submit"]').click();
		await page.waitForTimeout(300);
		expect(dialogs).toEqual(['Replay 1 parked invoice item(s)? Do this only after fixing the cause: they go back into the invoice stage at attempt 1.']);
		expect(posts).toHaveLength(0);
		// Confirmed: posted to the replay webhook (resolved from the page's address), then back to the page.
		answer = true;
		await Promise.all([page.waitForURL(/replayed=1/), form.locator('button[type="submit"]').click()]);
		expect(posts.map((p) => ({ url: p.url, ...Object.fromEntries(p.body) }))).toEqual([{ url: REPLAY_PATH, stage: 'invoice', token: 'the-page-token', count: '1', confirm: 'yes' }]);
		expect(new URL(page.url()).pathname).toBe(PAGE_PATH);
		expect(problems).toEqual([]);
		await page.close();
	});
});

/** The status page's login, as support/pipeline.ts seeds the "Billing Status Page" credential. */
function statusPageLogin(): { user: string; password: string } {
	return { user: STATUS_PAGE_LOGIN.user, password: STATUS_PAGE_LOGIN.password };
}

/** Sums per currency, in the page's format: Xero's invoice totals and amounts due, the gateway's charges. */
function sandboxMoney(run: PipelineRun): Record<string, { invoiced: string; collected: string; outstanding: string }> {
	const sums = new Map<string, { invoiced: number; collected: number; outstanding: number }>();
	const sum = (code: string) => sums.get(code) ?? (sums.set(code, { invoiced: 0, collected: 0, outstanding: 0 }), sums.get(code)!);
	const minor = (amount: unknown, code: string) => Math.round(Number(amount) * 10 ** minorUnitExponent(code));
	for (const inv of run.sandbox.xero.invoices()) {
		const code = String(inv.CurrencyCode);
		sum(code).invoiced += minor(inv.Total, code);
		sum(code).outstanding += minor(inv.AmountDue, code);
	}
	for (const t of run.sandbox.secureTrading.transactions()) {
		if (t.fields.requesttypedescription === 'AUTH' && t.charged) sum(String(t.fields.currencyiso3a)).collected += Number(t.fields.baseamount);
	}
	return Object.fromEntries(
		[...sums].map(([code, s]) => [code, { invoiced: formatMinorUnits(s.invoiced, code), collected: formatMinorUnits(s.collected, code), outstanding: formatMinorUnits(s.outstanding, code) }]),
	);
}

describeIfChromium('the status page in a real n8n: read the figures, replay a parked item, see it settle', () => {
	let run: PipelineRun;
	let browser: Browser;
	let page: Page;
	let problems: string[];
	let statusUrl: string;
	let clientKey: string;

	beforeAll(async () => {
		// The demo's billing run (`npm run demo`: 10 clients, seed 42, one with a bad billing email), with short delays.
		run = await startPipeline({
			sandbox: { clients: 10, seed: 42, hostile: ['invalidEmail'] },
			settings: { retryDelays: '1s, 2s, 4s', dunningDelays: '2s, 3s', batchWindowMs: 300 },
		});
		statusUrl = `${run.n8n.url}${PAGE_PATH}`;
		clientKey = run.ledger().find((c) => c.clientId === BAD_EMAIL_CLIENT)!.billingKey;
		browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
		const { user, password } = statusPageLogin();
		const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, httpCredentials: { username: user, password } });
		page = await context.newPage();
		problems = watchProblems(page);
		fs.mkdirSync(IMAGES, { recursive: true });
	}, 300_000);

	afterAll(async () => {
		await browser?.close();
		await run?.stop();
	});

	/** The page as it is now (a fresh GET, so a fresh execution of the page's workflow). */
	async function load(): Promise<PageSnapshot> {
		const response = await page.goto(statusUrl);
		expect(response?.status()).toBe(200);
		return await snapshot(page);
	}

	it('asks for the login: no page without it, none with a wrong one', async () => {
		const bare = await fetch(statusUrl);
		expect(bare.status).toBe(401);
		expect(bare.headers.get('www-authenticate')).toMatch(/^Basic /);
		const { user } = statusPageLogin();
		const wrong = await fetch(statusUrl, { headers: { authorization: `Basic ${Buffer.from(`${user}:not-the-password`).toString('base64')}` } });
		// n8n answers a wrong basic-auth login as it answers none (401 or 403, by version).
		expect([401, 403]).toContain(wrong.status);
		expect(await wrong.text()).not.toContain('<table');
	});

	it('shows the run with the figures the sandbox holds, and the parked row with its error', async () => {
		await run.requestRun();
		await run.waitFor('every client settled', (l) => l.every((c) => isSettled(c, MAX_CHARGES)));
		const ledger = run.ledger();
		const by = (state: string) => String(ledger.filter((c) => c.expected === state).length);
		const money = sandboxMoney(run);

		// The report follows the stages' outcome events: wait until it has them all.
		const shown = await waitUntil('the page to show the whole run', async () => {
			const s = await load();
			const current = s.runs.find((r) => r.roles.includes('current'));
			return current && current.states.paid === by('paid') && current.facts.inFlight === '0' ? s : undefined;
		}, 120_000, 2000);

		expect(Object.keys(shown.stages)).toEqual(Object.values(STAGES));
		for (const [stage, f] of Object.entries(shown.stages)) {
			// Every stage workflow consumes its queue; only the bad CRM row is parked, in collect.
			expect({ stage, ready: f.ready, parked: f.parked, consumers: Number(f.consumers) > 0 }).toEqual({ stage, ready: '0', parked: stage === 'collect' ? '1' : '0', consumers: true });
		}
		const current = shown.runs.find((r) => r.roles.includes('current'))!;
		expect(current.id).toMatch(/^BR-/);
		expect(current.states).toMatchObject({
			paid: by('paid'),
			// Hard declines, and soft ones after the last dunning charge.
			declined: String(Number(by('declined-hard')) + Number(by('declined-soft'))),
			noCard: by('no-card'),
			inFlight: '0',
			retryScheduled: '0',
		});
		expect(current.currencies).toEqual(Object.fromEntries(Object.entries(money).map(([code, m]) => [code, { invoices: expect.any(String), ...m }])));
		expect(Number(current.facts.xeroCalls)).toBeGreaterThan(0);
		expect(Number(current.facts.gatewayCalls)).toBeGreaterThan(0);
		// Every paying client's key is listed as paid.
		for (const c of ledger.filter((l) => l.expected === 'paid')) expect({ key: c.billingKey, state: current.keys[c.billingKey] }).toEqual({ key: c.billingKey, state: 'paid' });

		// The rejected CRM row: parked in collect, with the field and reason, and a Replay form for collect only.
		expect(shown.parked).toHaveLength(1);
		expect(shown.parked[0]).toMatchObject({ stage: 'collect', billingKey: expect.stringMatching(/^RJ-/) });
		expect(shown.parked[0].error).toMatch(/Billing email .* is not a valid address/);
		expect(shown.forms).toEqual(['collect']);
		expect(shown.health).toMatch(/Needs attention: 1 parked item/);
	}, 420_000);

	it('refuses a replay that is not confirmed, or posted from another site', async () => {
		const { user, password } = statusPageLogin();
		const auth = { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' };
		const post = (body: string, headers: Record<string, string> = {}) => fetch(`${run.n8n.url}${REPLAY_PATH}`, { method: 'POST', headers: { ...auth, ...headers }, body, redirect: 'manual' });
		const unconfirmed = await post('stage=collect&count=1');
		expect(unconfirmed.status).toBe(400);
		expect(await unconfirmed.text()).toContain('Nothing was replayed');
		const forged = await post('stage=collect&count=1&confirm=yes', { origin: 'https://attacker.example' });
		expect(forged.status).toBe(400);
		expect((await run.queueDepths())[`${run.settings.exchange}.collect.parked`]).toBe(1);
	});

	it('replays the parked row after its cause is fixed: the client is billed once and the page shows it paid, nothing parked', async () => {
		await load();
		// Dismissing the browser's confirm sends nothing.
		page.once('dialog', (dialog) => void dialog.dismiss());
		const form = page.locator('form.replay[data-stage="collect"]');
		await form.locator('input[name="confirm"]').check();
		await form.locator('button[type="submit"]').click();
		await page.waitForTimeout(1000);
		expect(new URL(page.url()).search).toBe('');
		expect((await run.queueDepths())[`${run.settings.exchange}.collect.parked`]).toBe(1);

		// Fix the cause in the CRM: a valid billing email (and a card on file, so the run ends in a charge).
		const clients = run.sandbox.crm.clients().map((c) => (c.id === BAD_EMAIL_CLIENT ? { ...c, billingEmail: 'accounts@invalidemail.example' } : c));
		run.sandbox.crm.setData({ clients, leads: run.sandbox.crm.leads() });
		run.sandbox.crm.setCardReference(BAD_EMAIL_CLIENT, run.sandbox.secureTrading.addStoredCard({ behaviour: 'approve' }));

		await load();
		page.once('dialog', (dialog) => void dialog.accept());
		await form.locator('input[name="confirm"]').check();
		const answers: string[] = [];
		page.on('response', (r) => answers.push(`${r.request().method()} ${r.url()} → ${r.status()} ${r.headers().location ?? ''}`));
		try {
			await Promise.all([page.waitForURL(/replayed=/, { timeout: 60_000 }), form.locator('button[type="submit"]').click()]);
		} catch (error) {
			throw new Error(`${(error as Error).message}\nanswers: ${answers.join('\n')}\npage: ${(await page.content()).slice(0, 2000)}`);
		}
		const after = await snapshot(page);
		expect(after.notice).toBe('Replayed 1 item(s) from collect');

		// The client went through the whole pipeline once: one invoice, one charge, one payment, its emails.
		const settled = await run.waitFor('the fixed client paid', (l) => {
			const c = l.find((x) => x.clientId === BAD_EMAIL_CLIENT)!;
			return c.invoices === 1 && c.invoiceStatus === 'PAID' && c.charges === 1 && c.payments === 1 && c.emails.invoice === 1 && c.emails.paid === 1;
		});
		expect(settled.find((c) => c.clientId === BAD_EMAIL_CLIENT)!.duplicateEmails).toBe(0);
		// Nobody else was invoiced or charged again by the replayed period.
		for (const c of settled.filter((x) => x.clientId !== BAD_EMAIL_CLIENT)) expect({ client: c.clientId, settled: isSettled(c, MAX_CHARGES) }).toEqual({ client: c.clientId, settled: true });

		const done = await waitUntil('the page to show the key paid and nothing parked', async () => {
			const s = await load();
			const current = s.runs.find((r) => r.roles.includes('current'));
			return current?.keys[clientKey] === 'paid' && s.stages.collect?.parked === '0' ? s : undefined;
		}, 120_000, 2000);
		expect(done.parked).toEqual([]);
		expect(done.forms).toEqual([]);
		expect(done.health).toMatch(/^All clear/);

		await page.screenshot({ path: SCREENSHOT, fullPage: true });
		expect(fs.statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
	}, 420_000);

	it('raised no page errors and no CSP refusals', () => {
		expect(problems).toEqual([]);
	});
});
