// The billing status page (Billing Report → Page → Render): the HTML it renders from queue
// figures, parked messages and run reports, read back with a real HTML parser (as a browser
// would see it), and the operation that reads its parameters and the run ledger.
import { createHash } from 'crypto';
import { DomUtils, parseDocument } from 'htmlparser2';
import type { IDataObject, IExecuteFunctions, INode, INodeExecutionData } from 'n8n-workflow';
import { execute, itemList, replayActionUrl } from '../../nodes/BillingReport/actions/page/render.operation';
import type { ReportClient } from '../../nodes/BillingReport/helpers/client';
import type { OutcomeState, ReportRow, RunHeader, RunReport } from '../../nodes/BillingReport/helpers/model';
import { CONFIRM_HANDLER, formatDuration, renderStatusPage, type StatusPageInput } from '../../nodes/BillingReport/helpers/statusPage';
import type { RunLedgerStore } from '../../nodes/BillingReport/store/types';
import { ItemResults, type OperationContext } from '../../nodes/shared';

type Element = Parameters<typeof DomUtils.getAttributeValue>[0];

const HOSTILE_KEY = 'K-<script>&"x"';
const HOSTILE_ERROR = 'Xero refused contact <b>Acme & "Sons"</b>: name too long';
const NOW = new Date('2026-11-19T08:00:00Z');

// ---------------------------------------------------------------- fixtures, built from model.ts

function row(billingKey: string, state: OutcomeState, extra: Partial<ReportRow> = {}): ReportRow {
	const final = !['retryScheduled', 'inFlight'].includes(state);
	return { runKey: billingKey, billingKey, state, final, invoicedMinor: 0, collectedMinor: 0, outstandingMinor: 0, ...extra };
}

const byState = (counts: Partial<Record<OutcomeState, number>>): Record<OutcomeState, number> => ({
	paid: 0,
	declined: 0,
	noCard: 0,
	nothingToCharge: 0,
	alreadyBilled: 0,
	parked: 0,
	retryScheduled: 0,
	inFlight: 0,
	...counts,
});

/** The run in progress: paid, a soft decline waiting for dunning, no card, a parked hostile key, three currencies. */
function currentRun(): RunReport {
	const rows = [
		row('K-ACME', 'paid', { clientId: 'C1', clientName: 'Acme Ltd', currency: 'GBP', invoiceNumber: 'K-ACME', invoicedMinor: 3000, collectedMinor: 3000, stage: 'notify' }),
		row('K-BETA', 'retryScheduled', { clientName: 'Beta Ltd', currency: 'GBP', invoicedMinor: 2400, outstandingMinor: 2400, reason: 'Insufficient funds', nextAttemptAt: '2026-11-22T08:00:00Z', stage: 'dunning' }),
		row('K-GAMMA', 'noCard', { clientName: 'Gamma GmbH', currency: 'GBP', invoiceNumber: 'K-GAMMA', invoicedMinor: 1800, outstandingMinor: 1800, stage: 'debit' }),
		row(HOSTILE_KEY, 'parked', { clientName: 'Acme & "Sons" <Ltd>', stage: 'invoice', error: { message: HOSTILE_ERROR, code: 'validation', field: 'Contact.Name' } }),
		row('K-JPY', 'paid', { clientName: 'Tokyo KK', currency: 'JPY', invoicedMinor: 5000, collectedMinor: 5000 }),
		row('K-BHD', 'inFlight', { clientName: 'Manama WLL', currency: 'BHD', invoicedMinor: 12345, outstandingMinor: 12345, stage: 'email' }),
	];
	return {
		runId: 'BR-20261116-20261119',
		periodStart: '2026-11-16T00:00:00.000Z',
		periodEnd: '2026-11-19T00:00:00.000Z',
		startedAt: '2026-11-19T07:00:00.000Z',
		deadlineAt: '2026-11-20T07:00:00.000Z',
		lastOutcomeAt: '2026-11-19T07:12:05.000Z',
		durationSeconds: 725,
		status: 'inProgress',
		counts: { billingKeys: 6, final: 4, inFlight: 2, byState: byState({ paid: 2, noCard: 1, parked: 1, retryScheduled: 1, inFlight: 1 }) },
		currencies: {
			GBP: { invoices: 3, invoicedMinor: 7200, collectedMinor: 3000, outstandingMinor: 4200 },
			JPY: { invoices: 1, invoicedMinor: 5000, collectedMinor: 5000, outstandingMinor: 0 },
			BHD: { invoices: 1, invoicedMinor: 12345, collectedMinor: 0, outstandingMinor: 12345 },
		},
		declines: [{ reason: 'Insufficient funds', count: 1, billingKeys: ['K-BETA'] }],
		noCard: [rows[2]],
		parked: [{ ...rows[3], replay: 'Fix the contact in the CRM, then replay the invoice stage' }],
		inFlight: [rows[1], rows[5]],
		usage: { xeroCalls: 7, gatewayCalls: 4 },
		rows,
	};
}

/** The run before it, complete and reported. */
function reportedRun(): RunReport {
	const rows = [
		row('K-OLD-1', 'paid', { currency: 'GBP', invoicedMinor: 1200, collectedMinor: 1200 }),
		row('K-OLD-2', 'declined', { currency: 'GBP', invoicedMinor: 600, outstandingMinor: 600, reason: 'Do not honour', declineCode: '05' }),
	];
	return {
		runId: 'BR-20261112-20261116',
		periodStart: '2026-11-12T00:00:00.000Z',
		periodEnd: '2026-11-16T00:00:00.000Z',
		startedAt: '2026-11-16T07:00:00.000Z',
		deadlineAt: '2026-11-17T07:00:00.000Z',
		lastOutcomeAt: '2026-11-16T07:20:00.000Z',
		durationSeconds: 1200,
		status: 'complete',
		reportedAt: '2026-11-16T07:20:03.000Z',
		reportReason: 'complete',
		counts: { billingKeys: 2, final: 2, inFlight: 0, byState: byState({ paid: 1, declined: 1 }) },
		currencies: { GBP: { invoices: 2, invoicedMinor: 1800, collectedMinor: 1200, outstandingMinor: 600 } },
		declines: [{ reason: 'Do not honour', count: 1, billingKeys: ['K-OLD-2'] }],
		noCard: [],
		parked: [],
		inFlight: [],
		usage: { xeroCalls: 3, gatewayCalls: 2 },
		rows,
	};
}

const stageFigures = (stage: string, figures: IDataObject = {}): IDataObject => ({
	stage,
	exchange: 'billing',
	queue: `billing.${stage}`,
	exists: true,
	ready: 0,
	consumers: 1,
	unacknowledged: null,
	retrying: 0,
	retryQueues: { '1m': 0, '5m': 0 },
	parked: 0,
	held: 0,
	...figures,
});

const STAGES: IDataObject[] = [
	stageFigures('collect'),
	stageFigures('invoice', { ready: 3, parked: 2, retrying: 1, retryQueues: { '1m': 1, '5m': 0 } }),
	stageFigures('email'),
	// Messages waiting and nothing takes them: the debit workflow is not published.
	stageFigures('debit', { ready: 4, consumers: 0, held: 2 }),
	stageFigures('dunning', { held: 0 }),
	stageFigures('notify'),
];

const parkedMessage = (billingKey: string, error: IDataObject, extra: IDataObject = {}): IDataObject => ({
	stage: 'invoice',
	queue: 'billing.invoice.parked',
	billingKey,
	correlationId: null,
	messageUid: `uid-${billingKey.length}-${billingKey.charCodeAt(2)}`,
	attempt: 5,
	reason: error.message,
	parkedAt: '2026-11-19T07:05:00.000Z',
	error,
	payload: { billingKey, clientName: 'Acme & "Sons" <Ltd>' },
	raw: null,
	bytes: 321,
	...extra,
});

const PARKED: IDataObject[] = [
	parkedMessage(HOSTILE_KEY, { message: HOSTILE_ERROR, code: 'validation', field: 'Contact.Name', node: 'Create Invoices', time: '2026-11-19T07:05:00.000Z' }),
	parkedMessage('K-DELTA', { message: 'Xero answered 503', code: 'server', node: 'Create Invoices' }, { messageUid: 'uid-delta', attempt: 5 }),
	// What "Always Output Data" gives when every parking queue is empty.
	{},
];

const input = (extra: Partial<StatusPageInput> = {}): StatusPageInput => ({
	stages: STAGES,
	parked: PARKED,
	runs: [currentRun(), reportedRun()],
	now: NOW,
	replayAction: '../billing/status/replay',
	...extra,
});

// ---------------------------------------------------------------- reading the page

const parse = (html: string) => parseDocument(html);
type Root = ReturnType<typeof parse> | Element;
const all = (root: Root, test: (e: Element) => boolean): Element[] => DomUtils.findAll(test, root.children);
const byAttr = (root: Root, name: string, value?: string) => all(root, (e) => (value === undefined ? e.attribs[name] !== undefined : e.attribs[name] === value));
const one = (root: Root, name: string, value?: string): Element => {
	const found = byAttr(root, name, value);
	if (found.length !== 1) throw new Error(`expected one element with ${name}=${String(value)}, found ${found.length}`);
	return found[0];
};
const text = (e: Element) => DomUtils.textContent(e).replace(/\s+/g, ' ').trim();
const cell = (root: Root, field: string) => text(one(root, 'data-field', field));
const tag = (root: Root, name: string) => all(root, (e) => e.name === name);
const stageRow = (root: Root, stage: string) => all(root, (e) => e.name === 'tr' && e.attribs['data-stage'] === stage)[0];

describe('renderStatusPage', () => {
	const html = renderStatusPage(input());
	const doc = parse(html);

	it('is a complete HTML5 page with nothing external', () => {
		expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
		expect(html.trimEnd().endsWith('</html>')).toBe(true);
		expect(tag(doc, 'title').map(text)).toEqual(['Billing status']);
		// No script element, stylesheet link, image or frame: one file, inline CSS.
		expect(tag(doc, 'script')).toHaveLength(0);
		expect(tag(doc, 'link')).toHaveLength(0);
		expect(tag(doc, 'img')).toHaveLength(0);
		expect(tag(doc, 'iframe')).toHaveLength(0);
		expect(tag(doc, 'style')).toHaveLength(1);
		expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
	});

	it('shows each stage’s figures in its own cells and flags a stage with messages waiting and no consumer', () => {
		const rows = all(doc, (e) => e.name === 'tr' && e.attribs['data-stage'] !== undefined);
		expect(rows.map((r) => r.attribs['data-stage'])).toEqual(['collect', 'invoice', 'email', 'debit', 'dunning', 'notify']);
		const invoice = stageRow(doc, 'invoice');
		expect({ ready: cell(invoice, 'ready'), inFlight: cell(invoice, 'inFlight'), retrying: cell(invoice, 'retrying'), held: cell(invoice, 'held'), parked: cell(invoice, 'parked'), consumers: cell(invoice, 'consumers') }).toEqual({
			ready: '3',
			inFlight: '—',
			retrying: '1',
			held: '0',
			parked: '2',
			consumers: '1',
		});
		// Retrying is explained per delay queue; parked links to the stage's parked items.
		expect(one(invoice, 'data-field', 'retrying').attribs.title).toBe('1m: 1, 5m: 0');
		expect(tag(one(invoice, 'data-field', 'parked'), 'a')[0].attribs.href).toBe('#parked-invoice');

		const debit = stageRow(doc, 'debit');
		expect({ ready: cell(debit, 'ready'), held: cell(debit, 'held'), consumers: cell(debit, 'consumers') }).toEqual({ ready: '4', held: '2', consumers: '0' });
		expect(byAttr(doc, 'data-flag', 'no-consumer').map((e) => e.attribs['data-stage'])).toEqual(['debit']);
		expect(debit.attribs.class).toContain('flagged');
		expect(cell(debit, 'state')).toMatch(/no consumer/);
		// A count RabbitMQ does report is shown as it is.
		const known = parse(renderStatusPage(input({ stages: [stageFigures('email', { unacknowledged: 7 })], parked: [] })));
		expect(cell(stageRow(known, 'email'), 'inFlight')).toBe('7');
		expect(text(one(doc, 'data-field', 'health'))).toBe('Needs attention: 2 parked item(s); no consumer on debit.');
	});

	it('shows the current run’s report: status, period, counts by state, money per currency in its decimals, declines, no-card, in flight, parked, calls, duration', () => {
		const run = one(doc, 'data-run-role', 'current');
		expect(run.name).toBe('section');
		expect(run.attribs['data-run-id']).toBe('BR-20261116-20261119');
		expect(run.attribs['data-status']).toBe('inProgress');
		expect(cell(run, 'status')).toBe('in progress');
		expect(cell(run, 'period')).toBe('2026-11-16 → 2026-11-19');
		expect(cell(run, 'duration')).toBe('12 min 05 s');
		expect({ keys: cell(run, 'billingKeys'), final: cell(run, 'final'), inFlight: cell(run, 'inFlight') }).toEqual({ keys: '6', final: '4', inFlight: '2' });
		expect({ xero: cell(run, 'xeroCalls'), gateway: cell(run, 'gatewayCalls') }).toEqual({ xero: '7', gateway: '4' });
		expect(cell(run, 'reported')).toMatch(/^not sent yet .*deadline 2026-11-20 07:00:00 UTC \(in 23 h 00 min\)$/);

		const counts = Object.fromEntries(byAttr(run, 'data-state-count').map((e) => [e.attribs['data-state-count'], text(e)]));
		expect(counts).toEqual({ parked: '1', inFlight: '1', retryScheduled: '1', declined: '0', noCard: '1', nothingToCharge: '0', alreadyBilled: '0', paid: '2' });

		const money = (code: string) => {
			const r = one(run, 'data-currency', code);
			return { invoices: cell(r, 'invoices'), invoiced: cell(r, 'invoiced'), collected: cell(r, 'collected'), outstanding: cell(r, 'outstanding') };
		};
		expect(money('GBP')).toEqual({ invoices: '3', invoiced: '72.00', collected: '30.00', outstanding: '42.00' });
		expect(money('JPY')).toEqual({ invoices: '1', invoiced: '5000', collected: '5000', outstanding: '0' });
		expect(money('BHD')).toEqual({ invoices: '1', invoiced: '12.345', collected: '0.000', outstanding: '12.345' });

		const decline = one(run, 'data-decline-reason', 'Insufficient funds');
		expect({ count: cell(decline, 'count'), keys: cell(decline, 'keys') }).toEqual({ count: '1', keys: 'K-BETA' });

		// The key tables: no card, in flight and parked, each naming its keys.
		const table = (heading: string) => {
			const h4 = all(run, (e) => e.name === 'h4' && text(e) === heading)[0];
			const next = DomUtils.nextElementSibling(h4);
			return next?.name === 'table' ? byAttr(next, 'data-billing-key').map((r) => r.attribs['data-billing-key']) : [];
		};
		expect(table('No card on file')).toEqual(['K-GAMMA']);
		expect(table('In flight')).toEqual(['K-BETA', 'K-BHD']);
		expect(table('Parked')).toEqual([HOSTILE_KEY]);
		const gamma = all(run, (e) => e.name === 'tr' && e.attribs['data-billing-key'] === 'K-GAMMA')[0];
		expect(cell(gamma, 'outstanding')).toBe('18.00 GBP');
		const beta = all(run, (e) => e.name === 'tr' && e.attribs['data-billing-key'] === 'K-BETA')[0];
		expect(cell(beta, 'nextAttemptAt')).toMatch(/^2026-11-22 08:00:00 UTC/);
		// Every key with its state, problems first, paid last.
		const keys = all(run, (e) => e.name === 'details')[0];
		expect(byAttr(keys, 'data-state').map((e) => `${e.attribs['data-billing-key']}=${e.attribs['data-state']}`)).toEqual([
			`${HOSTILE_KEY}=parked`,
			'K-BHD=inFlight',
			'K-BETA=retryScheduled',
			'K-GAMMA=noCard',
			'K-ACME=paid',
			'K-JPY=paid',
		]);
	});

	it('shows the last reported run after the current one, and once when the current run is the reported one', () => {
		const last = one(doc, 'data-run-role', 'last-reported');
		expect(last.attribs['data-run-id']).toBe('BR-20261112-20261116');
		expect(cell(last, 'status')).toBe('complete');
		expect(cell(last, 'reported')).toBe('sent 2026-11-16 07:20:03 UTC (3 d 0 h ago)');
		expect(text(one(last, 'data-state-count', 'declined'))).toBe('1');
		expect(cell(one(last, 'data-currency', 'GBP'), 'outstanding')).toBe('6.00');
		expect(all(doc, (e) => e.name === 'section' && e.attribs['data-run-id'] !== undefined)).toHaveLength(2);

		const alone = parse(renderStatusPage(input({ runs: [reportedRun()] })));
		const sections = all(alone, (e) => e.name === 'section' && e.attribs['data-run-id'] !== undefined);
		expect(sections.map((s) => s.attribs['data-run-role'])).toEqual(['current last-reported']);

		const none = parse(renderStatusPage(input({ runs: [] })));
		expect(text(one(none, 'id', 'runs'))).toMatch(/No billing run recorded yet/);
	});

	it('lists the parked items per stage with their errors and parked time', () => {
		const stages = all(doc, (e) => e.name === 'section' && e.attribs.class === 'parked-stage');
		expect(stages.map((s) => s.attribs['data-stage'])).toEqual(['invoice']);
		const [invoice] = stages;
		expect(text(one(invoice, 'data-field', 'parked'))).toBe('2');
		const rows = all(invoice, (e) => e.name === 'tr' && e.attribs['data-billing-key'] !== undefined);
		expect(rows.map((r) => r.attribs['data-billing-key'])).toEqual([HOSTILE_KEY, 'K-DELTA']);
		expect({ error: cell(rows[0], 'error'), code: cell(rows[0], 'code'), field: cell(rows[0], 'field'), node: cell(rows[0], 'node'), client: cell(rows[0], 'client'), attempt: cell(rows[0], 'attempt') }).toEqual({
			error: HOSTILE_ERROR,
			code: 'validation',
			field: 'Contact.Name',
			node: 'Create Invoices',
			client: 'Acme & "Sons" <Ltd>',
			attempt: '5',
		});
		expect(cell(rows[0], 'parkedAt')).toBe('2026-11-19 07:05:00 UTC (55 min 00 s ago)');
		expect({ error: cell(rows[1], 'error'), code: cell(rows[1], 'code'), field: cell(rows[1], 'field') }).toEqual({ error: 'Xero answered 503', code: 'server', field: '—' });
	});

	it('escapes every value: a billing key like K-<script>&"x" and HTML in errors stay text', () => {
		expect(html).not.toContain('<script');
		expect(html).not.toContain('<b>');
		expect(html).not.toContain(HOSTILE_KEY);
		expect(html).toContain('K-&lt;script&gt;&amp;&quot;x&quot;');
		// Read back, the key is exactly what the CRM gave, in attributes and in text alike.
		const keyed = byAttr(doc, 'data-billing-key', HOSTILE_KEY);
		// The parked list, the run's parked table and its list of keys: no attribute was split.
		expect(keyed.map((e) => e.name)).toEqual(['tr', 'tr', 'tr']);
		expect(keyed.every((e) => text(e).includes(HOSTILE_KEY))).toBe(true);
		expect(tag(doc, 'b')).toHaveLength(0);
		// Single quotes too: an attribute quoted either way cannot be broken out of.
		const quoted = renderStatusPage(input({ parked: [parkedMessage("K-'onmouseover='x", { message: 'x' })], stages: [], runs: [] }));
		expect(quoted).toContain('K-&#39;onmouseover=&#39;x');
		expect(byAttr(parse(quoted), 'onmouseover')).toHaveLength(0);
		// A hostile notice and title are text as well.
		const banner = parse(renderStatusPage(input({ notice: '<img src=x onerror=alert(1)>', title: 'Ops & <Billing>' })));
		expect(tag(banner, 'img')).toHaveLength(0);
		expect(text(one(banner, 'id', 'notice'))).toBe('<img src=x onerror=alert(1)>');
		expect(text(tag(banner, 'h1')[0])).toBe('Ops & <Billing>');
	});

	it('has a Replay form for each stage with parked items only, confirmed twice, posting to the replay webhook', () => {
		const forms = tag(doc, 'form');
		expect(forms.map((f) => f.attribs['data-stage'])).toEqual(['invoice']);
		const [form] = forms;
		expect({ method: form.attribs.method, action: form.attribs.action }).toEqual({ method: 'post', action: '../billing/status/replay' });
		const inputs = Object.fromEntries(tag(form, 'input').map((i) => [i.attribs.name, i.attribs]));
		expect(inputs.stage).toMatchObject({ type: 'hidden', value: 'invoice' });
		expect(inputs.count).toMatchObject({ type: 'number', value: '2', min: '1', required: '' });
		expect(inputs.confirm).toMatchObject({ type: 'checkbox', value: 'yes', required: '' });
		expect(text(tag(form, 'label')[1])).toBe('I fixed the cause');
		expect(text(tag(form, 'button')[0])).toBe('Replay 2 parked invoice item(s)');
		// The browser's confirm names the stage and the count the form holds when it is sent.
		expect(form.attribs.onsubmit).toBe(CONFIRM_HANDLER);
		expect(form.attribs['data-confirm']).toMatch(/^Replay \{count\} parked invoice item\(s\)\? /);
		const confirmText = new Function('window', `return function () { ${CONFIRM_HANDLER} }`)({ confirm: (q: string) => q }) as (this: unknown) => string;
		expect(confirmText.call({ dataset: { confirm: form.attribs['data-confirm'] }, elements: { count: { value: '1' } } })).toMatch(/^Replay 1 parked invoice item\(s\)\?/);

		// Figures that count parked messages the peek did not list (it reads at most 50) still get a form, for all of them.
		const many = parse(renderStatusPage(input({ stages: [stageFigures('debit', { parked: 120 })], parked: [parkedMessage('K-1', { message: 'm' }, { stage: 'debit' })] })));
		const [debitForm] = tag(many, 'form');
		expect(debitForm.attribs['data-stage']).toBe('debit');
		expect(tag(debitForm, 'input').find((i) => i.attribs.name === 'count')!.attribs.value).toBe('120');
		expect(text(one(many, 'id', 'parked-debit'))).toMatch(/The oldest 1 of 120 are listed/);

		const clear = parse(renderStatusPage(input({ stages: STAGES.map((s) => ({ ...s, parked: 0 })), parked: [{}] })));
		expect(tag(clear, 'form')).toHaveLength(0);
		expect(text(one(clear, 'id', 'parked'))).toMatch(/Nothing is parked/);
	});

	it('lets the page’s CSP allow exactly its own style and confirm handler', () => {
		const csp = tag(doc, 'meta').find((m) => m.attribs['http-equiv'] === 'Content-Security-Policy')!.attribs.content;
		const hash = (s: string) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;
		const style = DomUtils.textContent(tag(doc, 'style')[0]);
		expect(csp).toContain(`style-src ${hash(style)};`);
		expect(csp).toContain(`script-src 'unsafe-hashes' ${hash(tag(doc, 'form')[0].attribs.onsubmit)};`);
		expect(csp).toMatch(/default-src 'none'/);
		expect(csp).toMatch(/form-action 'self';/);
		// A Replay webhook on another host may be posted to, and only it.
		const elsewhere = parse(renderStatusPage(input({ replayAction: 'https://ops.example.com/webhook/billing/status/replay' })));
		expect(tag(elsewhere, 'meta').find((m) => m.attribs['http-equiv'] === 'Content-Security-Policy')!.attribs.content).toMatch(/form-action 'self' https:\/\/ops\.example\.com;/);
	});

	it('shows a notice as a banner and then does not refresh itself; without one it refreshes every 30 s', () => {
		const refresh = (d: ReturnType<typeof parse>) => tag(d, 'meta').filter((m) => m.attribs['http-equiv'] === 'refresh').map((m) => m.attribs.content);
		expect(refresh(doc)).toEqual(['30']);
		expect(byAttr(doc, 'id', 'notice')).toHaveLength(0);
		const after = parse(renderStatusPage(input({ notice: 'Replayed 1 item(s) from invoice' })));
		const banner = one(after, 'id', 'notice');
		expect({ role: banner.attribs.role, text: text(banner) }).toEqual({ role: 'status', text: 'Replayed 1 item(s) from invoice' });
		expect(refresh(after)).toEqual([]);
	});

	it('says what could not be read instead of showing nothing', () => {
		const failed = parse(
			renderStatusPage(
				input({
					// Continue On Fail items: the broker was down for the figures, and for one peek.
					stages: [{ headers: {}, error: { message: 'RabbitMQ refused the connection (ECONNREFUSED)' } }, stageFigures('email')],
					parked: [{ ...stageFigures('email'), error: { message: 'Channel closed' } }],
					problems: ['The run ledger (folder /tmp/x) could not be read: EACCES'],
				}),
			),
		);
		const alert = one(failed, 'id', 'problems');
		expect(alert.attribs.role).toBe('alert');
		expect(tag(alert, 'li').map(text)).toEqual([
			'The run ledger (folder /tmp/x) could not be read: EACCES',
			'Queue figures could not be read: RabbitMQ refused the connection (ECONNREFUSED)',
			'Parked items of stage email could not be read: Channel closed',
		]);
		// The failure items are no stage rows and no parked messages.
		expect(byAttr(failed, 'data-stage').map((e) => e.attribs['data-stage'])).toEqual(['email']);
		expect(tag(failed, 'form')).toHaveLength(0);
	});

	it('formats durations for people', () => {
		expect([5, 65, 3600 + 125, 86400 * 2 + 3600 * 5].map(formatDuration)).toEqual(['5 s', '1 min 05 s', '1 h 02 min', '2 d 5 h']);
	});
});

// ---------------------------------------------------------------- the operation

const node: INode = { id: 'r', name: 'Render Page', type: 'n8n-nodes-billing-pipeline.billingReport', typeVersion: 1, position: [0, 0], parameters: {} };

function fakeClient(reports: RunReport[], fail?: Error): ReportClient & { asked: number[] } {
	const asked: number[] = [];
	const state = new Map<string, IDataObject>();
	const store = {
		target: 'folder /var/n8n/billing-ledger',
		getState: async (key: string) => state.get(key),
		setState: async (key: string, value: IDataObject) => void state.set(key, value),
		listRuns: async (limit: number): Promise<RunHeader[]> => {
			asked.push(limit);
			if (fail) throw fail;
			return reports.slice(0, limit).map((r) => ({ runId: r.runId, startedAt: r.startedAt, periodStart: r.periodStart, periodEnd: r.periodEnd, reportedAt: r.reportedAt }));
		},
	} as unknown as RunLedgerStore;
	return { store, report: async (runId) => reports.find((r) => r.runId === runId), asked };
}

function run(parameters: Record<string, unknown>, client: ReportClient, items = 1, continueOnFail = false) {
	const list: INodeExecutionData[] = Array.from({ length: items }, (_, i) => ({ json: { i } }));
	// The parameters as n8n resolves them; the node as stored holds none (so itemParameter asks).
	const fns = {
		getNode: () => node,
		getNodeParameter: (name: string, _i: number, fallback?: unknown) => (name in parameters ? parameters[name] : fallback),
	} as unknown as IExecuteFunctions;
	const ctx: OperationContext<ReportClient> = { fns, node, items: list, client, results: new ItemResults(node, list, continueOnFail, 1) };
	return { ctx, done: execute(ctx).then(() => ctx.results.toOutputs()) };
}

const PARAMS = { stageFigures: STAGES, parkedItems: PARKED, runCount: 2, replayAction: 'billing/status/replay', notice: '' };

describe('page: render', () => {
	it('reads the runs from the ledger and answers one page, paired with item 0, for any number of input items', async () => {
		const client = fakeClient([currentRun(), reportedRun()]);
		const [out] = await run(PARAMS, client, 3).done;
		expect(client.asked).toEqual([2]);
		expect(out).toHaveLength(1);
		expect(out[0].pairedItem).toEqual({ item: 0 });
		expect(out[0].json.runs).toEqual(['BR-20261116-20261119', 'BR-20261112-20261116']);
		const page = parse(out[0].json.html as string);
		expect(one(page, 'data-run-role', 'current').attribs['data-run-id']).toBe('BR-20261116-20261119');
		expect(cell(stageRow(page, 'debit'), 'ready')).toBe('4');
		// The webhook path becomes an address relative to the page at /webhook/billing/status.
		expect(tag(page, 'form')[0].attribs.action).toBe('../billing/status/replay');
		expect(new URL('../billing/status/replay', 'http://127.0.0.1:5678/webhook/billing/status').pathname).toBe('/webhook/billing/status/replay');
	});

	it('takes the figures as JSON text too, and shows the notice', async () => {
		const [out] = await run({ ...PARAMS, stageFigures: JSON.stringify(STAGES), parkedItems: '', notice: 'Replayed 2 item(s) from invoice', runCount: 1 }, fakeClient([currentRun()])).done;
		const page = parse(out[0].json.html as string);
		expect(text(one(page, 'id', 'notice'))).toBe('Replayed 2 item(s) from invoice');
		expect(byAttr(page, 'data-stage').filter((e) => e.name === 'tr')).toHaveLength(6);
		expect(tag(page, 'form').map((f) => f.attribs['data-stage'])).toEqual(['invoice']);
	});

	it('still answers a page when the ledger cannot be read, saying so', async () => {
		const [out] = await run(PARAMS, fakeClient([], new Error('EACCES: permission denied, open /var/n8n/billing-ledger/runs'))).done;
		expect(out[0].json.runs).toEqual([]);
		expect(out[0].json.problems).toEqual(['The run ledger (folder /var/n8n/billing-ledger) could not be read: EACCES: permission denied, open /var/n8n/billing-ledger/runs']);
		expect(text(one(parse(out[0].json.html as string), 'id', 'problems'))).toContain('EACCES');
	});

	it.each([
		[{ stageFigures: 'not json' }, /"Stage Figures" \(stageFigures\) is not valid JSON/],
		[{ stageFigures: 42 }, /"Stage Figures" \(stageFigures\) must be a list of items, got number 42/],
		[{ parkedItems: [{ stage: 'invoice' }, 'K-1'] }, /"Parked Items" \(parkedItems\): entry 1 is string "K-1", not an item's fields/],
		[{ runCount: 0 }, /"Runs to Show" must be a whole number from 1 to 50, got 0/],
		[{ replayAction: 'javascript:alert(1)' }, /"Replay Action" \(replayAction\) may hold only letters/],
		[{ replayAction: 'billing/../status' }, /"Replay Action" \(replayAction\) is not a webhook path/],
	])('refuses bad input naming the parameter: %j', async (bad, message) => {
		await expect(run({ ...PARAMS, ...bad }, fakeClient([currentRun()])).done).rejects.toThrow(message);
		// Under Continue On Fail the item carries the error and the field instead.
		const [out] = await run({ ...PARAMS, ...bad }, fakeClient([currentRun()]), 2, true).done;
		expect(out).toHaveLength(1);
		expect((out[0].json.error as IDataObject).message).toMatch(message);
		expect((out[0].json.error as IDataObject).field).toBe(Object.keys(bad)[0]);
	});

	it('writes the Replay action relative to the page, or takes a full URL or absolute path as it is', () => {
		expect(replayActionUrl('billing/status/replay')).toBe('../billing/status/replay');
		expect(replayActionUrl('/billing/status/replay/')).toBe('/billing/status/replay/');
		expect(replayActionUrl('ops/billing/status/replay')).toBe('../../ops/billing/status/replay');
		expect(replayActionUrl('replay')).toBe('replay');
		expect(replayActionUrl('https://n8n.example.com/webhook/billing/status/replay')).toBe('https://n8n.example.com/webhook/billing/status/replay');
		// Resolved from the page, the relative form lands on the webhook under any prefix.
		for (const page of ['http://h/webhook/ops/status', 'https://h/n8n/webhook/ops/status']) {
			expect(new URL(replayActionUrl('ops/status/replay'), page).pathname).toBe(new URL(page).pathname + '/replay');
		}
		expect(() => replayActionUrl('"><script>')).toThrow(/replayAction/);
		expect(() => replayActionUrl('https://user:pw@h/x')).toThrow(/user name or password/);
	});

	it('reads item lists leniently only where nothing is lost', () => {
		expect(itemList(undefined, 'f', 'F')).toEqual([]);
		expect(itemList(' ', 'f', 'F')).toEqual([]);
		expect(itemList({ stage: 'x' }, 'f', 'F')).toEqual([{ stage: 'x' }]);
		expect(() => itemList([[1]], 'f', 'F')).toThrow(/entry 0 is a list/);
	});
});
