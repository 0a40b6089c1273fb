// The billing status page: one self-contained HTML page (inline CSS, no assets, no framework)
// that n8n serves from a webhook. Pure: the queue figures, parked messages and run reports come
// in, the page goes out, so it renders the same in a test as in n8n. Every value is escaped:
// billing keys, client names and error texts come from CRMs and services. The only script is
// the Replay form's confirm, a constant handler the page's CSP allows by its hash.
import { createHash } from 'crypto';
import type { IDataObject } from 'n8n-workflow';
import { minorUnitsForDisplay } from '../../shared/currency';
import type { OutcomeState, ReportRow, RunReport } from './model';

export interface StatusPageInput {
	/** Billing Queue `stage: statistics` items, one per stage. */
	stages: IDataObject[];
	/** Billing Queue `parked: peek` items, one per parked message. */
	parked: IDataObject[];
	/** Run reports, the most recent first. */
	runs: RunReport[];
	now: Date;
	/** Where the Replay forms post (already written relative to the page, or a full URL). */
	replayAction: string;
	/** A banner, e.g. "Replayed 1 item(s) from invoice"; a page with one does not refresh itself. */
	notice?: string;
	title?: string;
	/** What could not be read (the run ledger, a queue), shown as an alert. */
	problems?: string[];
	/**
	 * The replay token every Replay form carries: n8n serves webhook pages sandboxed (Origin: null),
	 * so the replay webhook cannot tell our form from another site's by its origin; it checks this.
	 */
	replayToken?: string;
}

export const REFRESH_SECONDS = 30;
/** Billing keys listed per run; the report email's CSV has them all. */
export const MAX_KEY_ROWS = 200;
/** Replay takes at most this many messages per form post (the Billing Queue node's limit). */
export const MAX_REPLAY_COUNT = 10000;

/**
 * The Replay forms' one script: a constant, so the CSP names it by hash instead of allowing any
 * inline script. `window.`: inside a form's handler a bare `confirm` is the form's checkbox of that name.
 */
export const CONFIRM_HANDLER = "return window.confirm(this.dataset.confirm.replace('{count}', this.elements.count.value))";

const STATE_ORDER: OutcomeState[] = ['parked', 'inFlight', 'retryScheduled', 'declined', 'noCard', 'nothingToCharge', 'alreadyBilled', 'paid'];
const STATE_LABELS: Record<OutcomeState, string> = {
	paid: 'Paid',
	declined: 'Declined',
	noCard: 'No card on file',
	nothingToCharge: 'Nothing to charge',
	alreadyBilled: 'Already billed',
	parked: 'Parked',
	retryScheduled: 'Retry scheduled',
	inFlight: 'In flight',
};

const CSS = `
:root { color-scheme: light; --ink: #1d2330; --muted: #5b6475; --line: #d9dee7; --bg: #f6f7fa; --warn: #9a5b00; --warnbg: #fff4e0; --bad: #a4161a; --badbg: #fde8e8; --ok: #1b6e3a; --okbg: #e6f4ea; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
header, main, footer { max-width: 1200px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 18px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 26px 0 10px; }
h3 { font-size: 15px; margin: 18px 0 8px; }
h4 { font-size: 13px; margin: 14px 0 6px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.meta, .note, footer { color: var(--muted); font-size: 12px; }
nav a { margin-right: 12px; }
a { color: #1f5fbf; }
code { font: 12px/1.3 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; word-break: break-all; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); margin: 4px 0 8px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eef1f6; font-weight: 600; font-size: 12px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.flagged td { background: var(--badbg); }
td.warn { color: var(--warn); font-weight: 600; }
.notice { margin: 12px 0; padding: 10px 14px; border-radius: 6px; background: var(--okbg); color: var(--ok); border: 1px solid #b7dfc3; font-weight: 600; }
.problems { margin: 12px 0; padding: 10px 14px; border-radius: 6px; background: var(--badbg); color: var(--bad); border: 1px solid #f2b8b8; }
.problems ul { margin: 0; padding-left: 18px; }
.summary { margin: 10px 0 0; font-weight: 600; }
.summary.ok { color: var(--ok); }
.summary.attention { color: var(--bad); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; background: #e8ebf2; color: var(--muted); }
.badge.complete { background: var(--okbg); color: var(--ok); }
.badge.inProgress { background: var(--warnbg); color: var(--warn); }
.badge.flag { background: var(--badbg); color: var(--bad); }
.run { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 4px 16px 12px; margin: 12px 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr max-content 1fr; gap: 4px 14px; margin: 8px 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.states td, .states th { text-align: center; }
.parked-stage { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 4px 16px 12px; margin: 12px 0; }
form.replay { display: flex; flex-wrap: wrap; gap: 10px 16px; align-items: center; margin: 8px 0 0; padding: 10px 12px; background: var(--warnbg); border-radius: 6px; }
form.replay input[type=number] { width: 90px; }
form.replay button { font-weight: 600; padding: 5px 12px; cursor: pointer; }
details summary { cursor: pointer; color: var(--muted); margin: 8px 0; }
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
const STYLE_HASH = sha256(CSS);
const HANDLER_HASH = sha256(CONFIRM_HANDLER);

/** Text for HTML content and double- or single-quoted attributes. */
export function escapeHtml(value: unknown): string {
	return String(value ?? '')
		.replace(/&/g, '&amp;')
		.replace(/</g, '&lt;')
		.replace(/>/g, '&gt;')
		.replace(/"/g, '&quot;')
		.replace(/'/g, '&#39;');
}

const isObject = (v: unknown): v is IDataObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
/** An id fragment from a stage name (the name itself stays in data-stage, escaped). */
const idPart = (v: string) => v.replace(/[^A-Za-z0-9_-]/g, '-');

function count(v: unknown): string {
	const n = num(v);
	return n === undefined ? '—' : String(n);
}

// A currency the table does not know still shows, in minor units, rather than breaking the page.
const money = (minor: number, currency: string): string => minorUnitsForDisplay(minor, currency);

const pad = (n: number) => String(n).padStart(2, '0');

function utc(date: Date, withTime = true): string {
	const day = `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
	return withTime ? `${day} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} UTC` : day;
}

export function formatDuration(seconds: number): string {
	const s = Math.max(0, Math.round(seconds));
	if (s < 60) return `${s} s`;
	if (s < 3600) return `${Math.floor(s / 60)} min ${pad(s % 60)} s`;
	if (s < 86400) return `${Math.floor(s / 3600)} h ${pad(Math.floor((s % 3600) / 60))} min`;
	return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

function relative(date: Date, now: Date): string {
	const diff = Math.round((now.getTime() - date.getTime()) / 1000);
	if (Math.abs(diff) < 5) return 'just now';
	return diff > 0 ? `${formatDuration(diff)} ago` : `in ${formatDuration(-diff)}`;
}

/** A time as `<time>`, UTC, with how long ago; text that is not a time is shown as it is. */
function time(value: unknown, now: Date): string {
	const text = str(value);
	if (text === undefined) return '—';
	const date = new Date(text);
	if (Number.isNaN(date.getTime())) return escapeHtml(text);
	return `<time datetime="${escapeHtml(date.toISOString())}">${escapeHtml(utc(date))}</time> <span class="note">(${escapeHtml(relative(date, now))})</span>`;
}

function period(start: unknown, end: unknown): string {
	const show = (v: unknown) => {
		const text = str(v);
		if (text === undefined) return '?';
		const date = new Date(text);
		if (Number.isNaN(date.getTime())) return text;
		const midnight = date.getUTCHours() === 0 && date.getUTCMinutes() === 0 && date.getUTCSeconds() === 0;
		return midnight ? utc(date, false) : utc(date);
	};
	if (str(start) === undefined && str(end) === undefined) return '—';
	return escapeHtml(`${show(start)} → ${show(end)}`);
}

const td = (field: string, content: string, cls = '') => `<td data-field="${escapeHtml(field)}"${cls ? ` class="${cls}"` : ''}>${content}</td>`;
const key = (v: unknown) => `<code>${escapeHtml(str(v) ?? '—')}</code>`;
const client = (row: { clientName?: string; clientId?: string }) => escapeHtml(row.clientName ?? row.clientId ?? '—');

// ---------------------------------------------------------------- stages

interface StageView {
	stage: string;
	figures?: IDataObject;
	messages: IDataObject[];
}

/** A Billing Queue failure item (Continue On Fail) rather than figures or a parked message. */
const failureMessage = (item: IDataObject): string | undefined => (isObject(item.error) ? str(item.error.message) : undefined);
const isParkedMessage = (item: IDataObject) => typeof item.messageUid === 'string' || typeof item.bytes === 'number';

function stageRow(figures: IDataObject, stage: string, listed: number): string {
	const ready = num(figures.ready) ?? 0;
	const consumers = num(figures.consumers);
	const noConsumer = ready > 0 && consumers === 0;
	const missing = figures.exists === false;
	const parked = num(figures.parked) ?? listed;
	const retryQueues = isObject(figures.retryQueues)
		? Object.entries(figures.retryQueues)
				.map(([delay, n]) => `${delay}: ${count(n)}`)
				.join(', ')
		: '';
	const unacked = num(figures.unacknowledged);
	const state = noConsumer
		? '<span class="badge flag">no consumer</span> messages wait and nothing takes them: is its workflow published?'
		: missing
			? '<span class="badge">queue not declared yet</span>'
			: '<span class="badge complete">ok</span>';
	return [
		`<tr class="stage${noConsumer ? ' flagged' : ''}" data-stage="${escapeHtml(stage)}"${noConsumer ? ' data-flag="no-consumer"' : ''}${missing ? ' data-missing="true"' : ''}>`,
		`<th scope="row"><code>${escapeHtml(stage)}</code></th>`,
		td('ready', count(figures.ready), 'num'),
		unacked === undefined
			? `<td data-field="inFlight" class="num" title="RabbitMQ counts unacknowledged messages only in its management API">—</td>`
			: td('inFlight', String(unacked), 'num'),
		`<td data-field="retrying" class="num"${retryQueues ? ` title="${escapeHtml(retryQueues)}"` : ''}>${count(figures.retrying)}</td>`,
		td('held', count(figures.held), 'num'),
		td('parked', parked > 0 ? `<a href="#parked-${escapeHtml(idPart(stage))}">${parked}</a>` : String(parked), parked > 0 ? 'num warn' : 'num'),
		td('consumers', count(figures.consumers), noConsumer ? 'num warn' : 'num'),
		td('state', state),
		'</tr>',
	].join('');
}

function stagesSection(views: StageView[]): string {
	const rows = views.filter((v) => v.figures).map((v) => stageRow(v.figures!, v.stage, v.messages.length));
	return [
		'<section id="stages"><h2>Stages</h2>',
		rows.length
			? [
					'<table><thead><tr><th>Stage</th><th class="num">Ready</th><th class="num">In flight</th><th class="num">Retrying</th><th class="num">Held</th><th class="num">Parked</th><th class="num">Consumers</th><th>State</th></tr></thead>',
					`<tbody>${rows.join('\n')}</tbody></table>`,
					'<p class="note">Ready: waiting in the stage queue. In flight: taken by a workflow and not yet acknowledged; RabbitMQ tells that count only through its management API, hence “—”: the current run’s in-flight billing keys are listed under <a href="#runs">Billing runs</a>. Retrying: waiting out a retry delay. Held: waiting for a charge date. Parked: failed for good until replayed.</p>',
				].join('')
			: '<p class="note">No queue figures (the Queue Statistics node gave none).</p>',
		'</section>',
	].join('\n');
}

// ---------------------------------------------------------------- runs

function stateCounts(report: RunReport): string {
	const byState = report.counts?.byState ?? ({} as Record<OutcomeState, number>);
	const head = STATE_ORDER.map((s) => `<th>${escapeHtml(STATE_LABELS[s])}</th>`).join('');
	const cells = STATE_ORDER.map((s) => `<td data-state-count="${s}"${s === 'parked' && (byState[s] ?? 0) > 0 ? ' class="warn"' : ''}>${count(byState[s] ?? 0)}</td>`).join('');
	return `<table class="states"><thead><tr>${head}</tr></thead><tbody><tr>${cells}</tr></tbody></table>`;
}

function currencies(report: RunReport): string {
	const entries = Object.entries(report.currencies ?? {}).sort(([a], [b]) => a.localeCompare(b));
	if (entries.length === 0) return '<p class="note">Nothing invoiced yet.</p>';
	const rows = entries.map(
		([code, t]) =>
			`<tr data-currency="${escapeHtml(code)}"><th scope="row">${escapeHtml(code)}</th>${td('invoices', count(t.invoices), 'num')}${td('invoiced', escapeHtml(money(t.invoicedMinor, code)), 'num')}${td('collected', escapeHtml(money(t.collectedMinor, code)), 'num')}${td('outstanding', escapeHtml(money(t.outstandingMinor, code)), t.outstandingMinor > 0 ? 'num warn' : 'num')}</tr>`,
	);
	return `<table><thead><tr><th>Currency</th><th class="num">Invoices</th><th class="num">Invoiced</th><th class="num">Collected</th><th class="num">Outstanding</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function declines(report: RunReport): string {
	const list = report.declines ?? [];
	if (list.length === 0) return '<p class="note">None.</p>';
	const rows = list.map(
		(d) =>
			`<tr data-decline-reason="${escapeHtml(d.reason)}"><th scope="row">${escapeHtml(d.reason)}</th>${td('count', count(d.count), 'num')}${td('keys', d.billingKeys.map((k) => key(k)).join(' '))}</tr>`,
	);
	return `<table><thead><tr><th>Reason</th><th class="num">Keys</th><th>Billing keys</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function amountOf(row: ReportRow, field: 'invoicedMinor' | 'collectedMinor' | 'outstandingMinor'): string {
	return row.currency ? escapeHtml(`${money(row[field], row.currency)} ${row.currency}`) : escapeHtml(String(row[field]));
}

function rowTable(rows: ReportRow[], columns: Array<[string, string, (r: ReportRow) => string]>, empty: string): string {
	if (rows.length === 0) return `<p class="note">${escapeHtml(empty)}</p>`;
	const head = columns.map(([, label]) => `<th>${escapeHtml(label)}</th>`).join('');
	const body = rows
		.map((r) => `<tr data-billing-key="${escapeHtml(r.billingKey)}" data-state="${escapeHtml(r.state)}">${columns.map(([field, , cell]) => td(field, cell(r))).join('')}</tr>`)
		.join('');
	return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function errorText(row: { reason?: string; error?: { message: string; code?: string; field?: string } }): string {
	const message = row.error?.message ?? row.reason;
	return escapeHtml(message ?? '—');
}

function runSection(report: RunReport, roles: string[], now: Date): string {
	const roleId = roles[0] === 'current' ? 'run-current' : 'run-last-reported';
	const heading = roles.includes('current') ? (roles.includes('last-reported') ? 'Current run (reported)' : 'Current run') : 'Last reported run';
	const status = report.status === 'complete' ? 'complete' : 'in progress';
	const reported = report.reportedAt
		? `sent ${time(report.reportedAt, now)}${report.reportReason === 'deadline' ? ' at the deadline, with keys still in flight' : ''}`
		: report.status === 'complete'
			? 'complete, not sent yet'
			: `not sent yet (at the latest at the deadline)`;
	const rows = [...(report.rows ?? [])].sort((a, b) => STATE_ORDER.indexOf(a.state) - STATE_ORDER.indexOf(b.state) || a.billingKey.localeCompare(b.billingKey));
	const shown = rows.slice(0, MAX_KEY_ROWS);
	return [
		`<section class="run" id="${roleId}" data-run-id="${escapeHtml(report.runId)}" data-run-role="${escapeHtml(roles.join(' '))}" data-status="${escapeHtml(report.status)}">`,
		`<h3>${heading} <code>${escapeHtml(report.runId)}</code> <span class="badge ${report.status === 'complete' ? 'complete' : 'inProgress'}" data-field="status">${status}</span></h3>`,
		'<dl class="facts">',
		`<dt>Period</dt><dd data-field="period">${period(report.periodStart, report.periodEnd)}</dd>`,
		`<dt>Started</dt><dd data-field="startedAt">${time(report.startedAt, now)}</dd>`,
		`<dt>Billing keys</dt><dd data-field="billingKeys">${count(report.counts?.billingKeys)}</dd>`,
		`<dt>Last outcome</dt><dd data-field="lastOutcomeAt">${time(report.lastOutcomeAt, now)}</dd>`,
		`<dt>Final</dt><dd data-field="final">${count(report.counts?.final)}</dd>`,
		`<dt>Duration</dt><dd data-field="duration">${num(report.durationSeconds) === undefined ? '—' : escapeHtml(formatDuration(report.durationSeconds!))}</dd>`,
		`<dt>Still in flight</dt><dd data-field="inFlight">${count(report.counts?.inFlight)}</dd>`,
		`<dt>Report</dt><dd data-field="reported">${reported}${report.reportedAt ? '' : ` <span class="note">deadline ${time(report.deadlineAt, now)}</span>`}</dd>`,
		`<dt>Xero calls</dt><dd data-field="xeroCalls">${count(report.usage?.xeroCalls)}</dd>`,
		`<dt>Gateway calls</dt><dd data-field="gatewayCalls">${count(report.usage?.gatewayCalls)}</dd>`,
		'</dl>',
		'<h4>Billing keys by state</h4>',
		stateCounts(report),
		'<h4>Money by currency</h4>',
		currencies(report),
		'<h4>Declines by reason</h4>',
		declines(report),
		'<h4>No card on file</h4>',
		rowTable(
			report.noCard ?? [],
			[
				['billingKey', 'Billing key', (r) => key(r.billingKey)],
				['client', 'Client', (r) => client(r)],
				['invoiceNumber', 'Invoice', (r) => escapeHtml(r.invoiceNumber ?? '—')],
				['outstanding', 'Outstanding', (r) => amountOf(r, 'outstandingMinor')],
			],
			'None.',
		),
		`<h4 id="${roleId}-inflight">In flight</h4>`,
		rowTable(
			report.inFlight ?? [],
			[
				['billingKey', 'Billing key', (r) => key(r.billingKey)],
				['client', 'Client', (r) => client(r)],
				['state', 'State', (r) => escapeHtml(STATE_LABELS[r.state] ?? r.state)],
				['stage', 'Last stage', (r) => escapeHtml(r.stage ?? '—')],
				['nextAttemptAt', 'Next attempt', (r) => time(r.nextAttemptAt, now)],
			],
			'Nothing in flight.',
		),
		'<h4>Parked</h4>',
		rowTable(
			report.parked ?? [],
			[
				['billingKey', 'Billing key', (r) => key(r.billingKey)],
				['client', 'Client', (r) => client(r)],
				['stage', 'Stage', (r) => escapeHtml(r.stage ?? '—')],
				['error', 'Error', (r) => errorText(r)],
				['code', 'Code', (r) => escapeHtml(r.error?.code ?? '—')],
				['field', 'Field', (r) => escapeHtml(r.error?.field ?? '—')],
				['replay', 'How to replay', (r) => escapeHtml((r as ReportRow & { replay?: string }).replay ?? '')],
			],
			'Nothing parked.',
		),
		`<details${shown.length <= 25 ? ' open' : ''}><summary>Every billing key (${rows.length}${rows.length > shown.length ? `, the first ${shown.length} shown; the report's CSV has them all` : ''})</summary>`,
		rowTable(
			shown,
			[
				['billingKey', 'Billing key', (r) => key(r.billingKey)],
				['client', 'Client', (r) => client(r)],
				['state', 'State', (r) => escapeHtml(STATE_LABELS[r.state] ?? r.state)],
				['invoiceNumber', 'Invoice', (r) => escapeHtml(r.invoiceNumber ?? '—')],
				['invoiced', 'Invoiced', (r) => amountOf(r, 'invoicedMinor')],
				['collected', 'Collected', (r) => amountOf(r, 'collectedMinor')],
				['reason', 'Reason', (r) => escapeHtml(r.error?.message ?? r.reason ?? '')],
			],
			'No billing keys yet.',
		),
		'</details>',
		'</section>',
	].join('\n');
}

function runsSection(runs: RunReport[], now: Date): string {
	const current = runs[0];
	if (!current) return '<section id="runs"><h2>Billing runs</h2><p class="note">No billing run recorded yet.</p></section>';
	const lastReported = runs.find((r) => r.reportedAt);
	const parts = [runSection(current, lastReported === current ? ['current', 'last-reported'] : ['current'], now)];
	if (lastReported && lastReported !== current) parts.push(runSection(lastReported, ['last-reported'], now));
	const recent = runs
		.map(
			(r) =>
				`<tr data-run-id="${escapeHtml(r.runId)}"><th scope="row"><code>${escapeHtml(r.runId)}</code></th>${td('period', period(r.periodStart, r.periodEnd))}${td('status', r.status === 'complete' ? 'complete' : 'in progress')}${td('billingKeys', count(r.counts?.billingKeys), 'num')}${td('final', count(r.counts?.final), 'num')}${td('reported', r.reportedAt ? time(r.reportedAt, now) : 'not yet')}</tr>`,
		)
		.join('');
	return [
		'<section id="runs"><h2>Billing runs</h2>',
		...parts,
		'<h4>Recent runs</h4>',
		`<table><thead><tr><th>Run</th><th>Period</th><th>Status</th><th class="num">Billing keys</th><th class="num">Final</th><th>Report sent</th></tr></thead><tbody>${recent}</tbody></table>`,
		'</section>',
	].join('\n');
}

// ---------------------------------------------------------------- parked

function replayForm(stage: string, parked: number, action: string, token: string): string {
	const n = Math.min(Math.max(parked, 1), MAX_REPLAY_COUNT);
	const question = `Replay {count} parked ${stage} item(s)? Do this only after fixing the cause: they go back into the ${stage} stage at attempt 1.`;
	return [
		`<form class="replay" method="post" action="${escapeHtml(action)}" data-stage="${escapeHtml(stage)}" data-confirm="${escapeHtml(question)}" onsubmit="${escapeHtml(CONFIRM_HANDLER)}">`,
		`<input type="hidden" name="stage" value="${escapeHtml(stage)}">`,
		`<input type="hidden" name="token" value="${escapeHtml(token)}">`,
		`<label>How many <input type="number" name="count" value="${n}" min="1" max="${MAX_REPLAY_COUNT}" step="1" required></label>`,
		'<label><input type="checkbox" name="confirm" value="yes" required> I fixed the cause</label>',
		`<button type="submit">Replay ${n} parked ${escapeHtml(stage)} item(s)</button>`,
		'</form>',
	].join('');
}

function parkedRow(item: IDataObject, now: Date): string {
	const error = isObject(item.error) ? item.error : {};
	const payload = isObject(item.payload) ? item.payload : {};
	const who = str(payload.clientName) ?? str(payload.clientId);
	return [
		`<tr data-billing-key="${escapeHtml(str(item.billingKey) ?? '')}"${str(item.messageUid) ? ` data-message-uid="${escapeHtml(item.messageUid)}"` : ''}>`,
		td('billingKey', key(item.billingKey)),
		td('client', escapeHtml(who ?? '—')),
		td('error', escapeHtml(str(error.message) ?? str(item.reason) ?? '—')),
		td('code', escapeHtml(str(error.code) ?? '—')),
		td('field', escapeHtml(str(error.field) ?? '—')),
		td('node', escapeHtml(str(error.node) ?? '—')),
		td('attempt', count(item.attempt), 'num'),
		td('parkedAt', time(item.parkedAt ?? error.time, now)),
		'</tr>',
	].join('');
}

function parkedSection(views: StageView[], action: string, now: Date, token: string): string {
	const withParked = views.filter((v) => v.messages.length > 0 || (num(v.figures?.parked) ?? 0) > 0);
	if (withParked.length === 0) return '<section id="parked"><h2>Parked items</h2><p class="note" data-field="parkedTotal">Nothing is parked.</p></section>';
	const parts = withParked.map((v) => {
		const total = num(v.figures?.parked) ?? v.messages.length;
		const rows = v.messages.map((m) => parkedRow(m, now)).join('\n');
		return [
			`<section class="parked-stage" id="parked-${escapeHtml(idPart(v.stage))}" data-stage="${escapeHtml(v.stage)}">`,
			`<h3><code>${escapeHtml(v.stage)}</code>: <span data-field="parked">${total}</span> parked</h3>`,
			v.messages.length
				? `<table><thead><tr><th>Billing key</th><th>Client</th><th>Error</th><th>Code</th><th>Field</th><th>Node</th><th class="num">Attempt</th><th>Parked</th></tr></thead><tbody>${rows}</tbody></table>`
				: '',
			v.messages.length < total ? `<p class="note">The oldest ${v.messages.length} of ${total} are listed.</p>` : '',
			replayForm(v.stage, total, action, token),
			'</section>',
		].join('\n');
	});
	return [
		'<section id="parked"><h2>Parked items</h2>',
		'<p class="note">Fix the cause first (the error says what failed and where), then replay: the items go back into their stage at attempt 1. Billing keys make a replay safe: Xero never gets a second invoice for a key and the gateway is asked before any charge, so nothing is invoiced or charged twice.</p>',
		...parts,
		'</section>',
	].join('\n');
}

// ---------------------------------------------------------------- page

/** Stage figures and parked messages per stage, in the order the figures list the stages. */
function stageViews(stages: IDataObject[], parked: IDataObject[], problems: string[]): StageView[] {
	const views = new Map<string, StageView>();
	const view = (stage: string) => {
		let v = views.get(stage);
		if (!v) views.set(stage, (v = { stage, messages: [] }));
		return v;
	};
	for (const item of stages) {
		const stage = str(item.stage);
		const failed = failureMessage(item);
		if (failed !== undefined && num(item.ready) === undefined) {
			problems.push(`Queue figures could not be read${stage ? ` for stage ${stage}` : ''}: ${failed}`);
			continue;
		}
		if (stage !== undefined) view(stage).figures = item;
	}
	for (const item of parked) {
		const stage = str(item.stage);
		if (isParkedMessage(item)) {
			view(stage ?? '(unknown stage)').messages.push(item);
			continue;
		}
		// An item that failed for a stage the figures named: that stage's parked list is unknown.
		// (One without a stage followed a figures failure, already reported above.)
		const failed = failureMessage(item);
		if (failed !== undefined && stage !== undefined) problems.push(`Parked items of stage ${stage} could not be read: ${failed}`);
	}
	return [...views.values()];
}

/** Where the forms may post: this origin, and the Replay action's own when it is a full URL elsewhere. */
function formActionSources(action: string): string {
	if (!/^https?:\/\//i.test(action)) return "'self'";
	try {
		return `'self' ${new URL(action).origin}`;
	} catch {
		return "'self'";
	}
}

export function renderStatusPage(input: StatusPageInput): string {
	const { now } = input;
	const title = input.title?.trim() || 'Billing status';
	const problems = [...(input.problems ?? [])];
	const views = stageViews(input.stages, input.parked, problems);
	const parkedTotal = views.reduce((n, v) => n + (num(v.figures?.parked) ?? v.messages.length), 0);
	const noConsumer = views.filter((v) => (num(v.figures?.ready) ?? 0) > 0 && num(v.figures?.consumers) === 0).map((v) => v.stage);
	const attention = [
		...(parkedTotal > 0 ? [`${parkedTotal} parked item(s)`] : []),
		...(noConsumer.length ? [`no consumer on ${noConsumer.join(', ')}`] : []),
		...(problems.length ? ['figures missing'] : []),
	];
	const csp = `default-src 'none'; style-src ${STYLE_HASH}; script-src 'unsafe-hashes' ${HANDLER_HASH}; form-action ${formActionSources(input.replayAction)}; base-uri 'none'`;
	const notice = input.notice?.trim();
	return `${[
		'<!DOCTYPE html>',
		'<html lang="en">',
		'<head>',
		'<meta charset="utf-8">',
		`<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">`,
		'<meta name="viewport" content="width=device-width, initial-scale=1">',
		'<meta name="robots" content="noindex, nofollow">',
		// A page showing a notice stays put (a refresh would only repeat it); the plain page refreshes itself.
		notice ? '' : `<meta http-equiv="refresh" content="${REFRESH_SECONDS}">`,
		`<title>${escapeHtml(title)}</title>`,
		`<style>${CSS}</style>`,
		'</head>',
		'<body>',
		'<header>',
		`<h1>${escapeHtml(title)}</h1>`,
		`<p class="meta">As of <span id="generated-at">${time(now.toISOString(), now)}</span>${notice ? '' : ` · refreshes every ${REFRESH_SECONDS} s`}</p>`,
		'<nav><a href="#stages">Stages</a><a href="#runs">Billing runs</a><a href="#parked">Parked items</a></nav>',
		attention.length
			? `<p id="summary" class="summary attention" data-field="health">Needs attention: ${escapeHtml(attention.join('; '))}.</p>`
			: '<p id="summary" class="summary ok" data-field="health">All clear: nothing parked, every stage with waiting messages has a consumer.</p>',
		notice ? `<div id="notice" class="notice" role="status">${escapeHtml(notice)}</div>` : '',
		problems.length ? `<div id="problems" class="problems" role="alert"><ul>${problems.map((p) => `<li>${escapeHtml(p)}</li>`).join('')}</ul></div>` : '',
		'</header>',
		'<main>',
		stagesSection(views),
		runsSection(input.runs, now),
		parkedSection(views, input.replayAction, now, input.replayToken ?? ''),
		'</main>',
		'<footer><p>Served by n8n. Replay never invoices or charges twice: every item keeps its billing key.</p></footer>',
		'</body>',
		'</html>',
	]
		.filter((line) => line !== '')
		.join('\n')}\n`;
}
