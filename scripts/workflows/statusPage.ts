// The billing status page as an n8n workflow: a webhook answers HTML (behind HTTP basic auth)
// with the queue figures, the parked items and the latest runs' reports; a second webhook takes
// the page's Replay form, replays the parked items of one stage and sends the browser back to
// the page (303, so a reload never posts twice).
import { isTrue, PKG, Workflow } from './builder';
import { CREDENTIALS, queueSetup, reportStore, STAGES, type PipelineSettings } from './pipeline';

/** n8n's own HTTP basic auth credential, protecting both webhooks. */
export const STATUS_PAGE_CREDENTIAL = { httpBasicAuth: { id: 'bpStatusPageAuth', name: 'Billing Status Page' } };

/** Webhook paths (n8n serves them under /webhook/). The page's forms post to the replay path, one level below. */
export const STATUS_PAGE_PATH = 'billing/status';
export const REPLAY_PATH = `${STATUS_PAGE_PATH}/replay`;

const T = { queue: `${PKG}.billingQueue`, report: `${PKG}.billingReport` };

/** Respond to Webhook options: an HTML answer no cache keeps (it shows live figures). */
const HTML = { responseHeaders: { entries: [{ name: 'Content-Type', value: 'text/html; charset=utf-8' }, { name: 'Cache-Control', value: 'no-store' }] } };

export function statusPageWorkflow(s: PipelineSettings): Workflow {
	// Read here, not at load: pipeline.ts imports this module to list it among the shipped workflows.
	const STAGE_LIST = Object.values(STAGES);
	/** The stage list as a JavaScript array literal, for expressions. */
	const STAGES_JS = JSON.stringify(STAGE_LIST).replace(/"/g, "'");
	const setup = queueSetup(s, s.retryDelays);
	const store = reportStore(s);
	const rabbit = { credentials: CREDENTIALS.rabbit };
	const wf = new Workflow('bpStatusPage0001', 'Billing · 9 · Status page');
	wf.note(1000, [
		'## 9 · Status page',
		'**Open** `/webhook/billing/status` on this n8n (e.g. `https://n8n.example.com/webhook/billing/status`) and sign in with the user and password of the credential **Billing Status Page** (HTTP basic auth: set your own before publishing this workflow).',
		'',
		'It shows, per stage, the messages ready, retrying, held and parked, and whether a consumer takes them; the current and the last reported billing run with their report (counts by state, invoiced, collected and outstanding per currency, declines by reason, clients without a card, keys in flight, parked keys, Xero and gateway calls, duration); and every parked item with its error. The page refreshes itself every 30 s.',
		'',
		'**Replay:** fix the cause, tick *I fixed the cause* and press *Replay* on the stage: its parked items go back into the stage at attempt 1. Replay never invoices or charges twice: every item keeps its billing key, Xero never gets a second invoice for a key and the gateway is asked before any charge.',
	].join('\n'));

	// GET: the page.
	const page = wf.add('Status Page Request', 'n8n-nodes-base.webhook', 2, 0, 0, {
		httpMethod: 'GET',
		path: STATUS_PAGE_PATH,
		authentication: 'basicAuth',
		responseMode: 'responseNode',
		options: {},
	}, { webhookId: '6f1d5a52-55a7-4f44-9a8e-5b0e0e0a0091', credentials: STATUS_PAGE_CREDENTIAL });
	// Continue on error: a broker that cannot be reached still gives a page (it says so) instead of n8n's bare error.
	const stats = wf.add('Queue Statistics', T.queue, 1, 1, 0, { resource: 'stage', operation: 'statistics', stages: STAGE_LIST.join(', '), ...setup }, { ...rabbit, onError: 'continueRegularOutput' });
	// One peek per stage item; an empty parking queue gives no item, so always output one to go on.
	const peek = wf.add('Parked Items', T.queue, 1, 2, 0, { resource: 'parked', operation: 'peek', stage: '={{ $json.stage }}', maxMessages: 50, ...setup }, {
		...rabbit,
		alwaysOutputData: true,
		onError: 'continueRegularOutput',
	});
	// One page, whatever number of parked items arrive: the node reads every node's items itself.
	const render = wf.add('Render Page', T.report, 1, 3, 0, {
		resource: 'page',
		operation: 'render',
		stageFigures: "={{ $('Queue Statistics').all().map(i => i.json) }}",
		parkedItems: "={{ $('Parked Items').all().map(i => i.json) }}",
		runCount: 2,
		replayAction: REPLAY_PATH,
		// Only the fixed sentence a replay redirects with (its count and a known stage), never free text from the address.
		notice: `={{ (() => { const q = $('Status Page Request').first().json.query ?? {}; const n = Number(q.replayed); return q.replayed !== undefined && Number.isInteger(n) && n >= 0 && ${STAGES_JS}.includes(q.stage) ? 'Replayed ' + n + ' item(s) from ' + q.stage : ''; })() }}`,
		...store.params,
	}, { executeOnce: true, ...store.extra });
	const send = wf.add('Send Page', 'n8n-nodes-base.respondToWebhook', 1.5, 4, 0, {
		respondWith: 'text',
		responseBody: '={{ $json.html }}',
		options: { responseCode: 200, ...HTML },
	});
	wf.link(page, stats).link(stats, peek).link(peek, render).link(render, send);

	// POST: the Replay form.
	const replayHook = wf.add('Replay Request', 'n8n-nodes-base.webhook', 2, 0, 1.5, {
		httpMethod: 'POST',
		path: REPLAY_PATH,
		authentication: 'basicAuth',
		responseMode: 'responseNode',
		options: {},
	}, { webhookId: '6f1d5a52-55a7-4f44-9a8e-5b0e0e0a0092', credentials: STATUS_PAGE_CREDENTIAL });
	// The page's own token (n8n serves the page sandboxed, so its forms post with Origin: null and
	// a form on another site would get the cached login too), ticked, a stage, a sane count.
	const confirmed = wf.add('Check Replay Request', T.report, 1, 1, 1.5, { resource: 'page', operation: 'checkReplay', ...store.params }, { ...store.extra, onError: 'continueErrorOutput' });
	// Continue on error: a failure answers the browser with its message instead of n8n's bare
	// error. No replayed item at all (the queue was emptied meanwhile) still answers: always output.
	const replay = wf.add('Replay Parked', T.queue, 1, 2, 1.5, {
		resource: 'parked',
		operation: 'replay',
		stage: '={{ $json.stage }}',
		maxMessages: '={{ $json.count }}',
		...setup,
	}, { ...rabbit, alwaysOutputData: true, onError: 'continueRegularOutput' });
	// Once for all items (one per replayed message): a failure item carries `error` and no `replayed`.
	const didFail = wf.add('Replay Failed?', 'n8n-nodes-base.if', 2.2, 3, 1.5, {
		conditions: isTrue("={{ $('Replay Parked').all().some(i => i.json.error?.message !== undefined && i.json.replayed === undefined) }}"),
		options: {},
	}, { executeOnce: true });
	const pageFromReplay = `../${STATUS_PAGE_PATH.split('/').pop()}`;
	const failed = wf.add('Replay Failed', 'n8n-nodes-base.respondToWebhook', 1.5, 4, 1, {
		respondWith: 'text',
		responseBody:
			"={{ '<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Replay failed</title></head><body><h1>Replay failed</h1><p>' + " +
			"String($('Replay Parked').all().find(i => i.json.error?.message !== undefined && i.json.replayed === undefined).json.error.message).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;') + " +
			`'</p><p>What was replayed before the failure stays replayed; the rest is still parked. <a href=\"${pageFromReplay}\">Back to the status page</a></p></body></html>' }}`,
		options: { responseCode: 502, ...HTML },
	});
	// Post/Redirect/Get: back to the page (../status from …/status/replay) with what was done.
	const back = wf.add('Back to the Page', 'n8n-nodes-base.respondToWebhook', 1.5, 4, 2, {
		respondWith: 'noData',
		options: {
			responseCode: 303,
			responseHeaders: {
				entries: [
					{
						name: 'Location',
						value: `={{ '${pageFromReplay}?replayed=' + $('Replay Parked').all().filter(i => i.json.replayed === true).length + '&stage=' + encodeURIComponent($('Check Replay Request').first().json.stage) }}`,
					},
					{ name: 'Cache-Control', value: 'no-store' },
				],
			},
		},
	});
	const refused = wf.add('Nothing Replayed', 'n8n-nodes-base.respondToWebhook', 1.5, 2, 2.7, {
		respondWith: 'text',
		responseBody:
			"={{ '<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Nothing replayed</title></head><body><h1>Nothing was replayed</h1><p>' + " +
			"String($json.error?.message ?? 'The request was refused').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;') + " +
			`'</p><p>Tick <em>I fixed the cause</em> and press <em>Replay</em> on the status page itself. <a href=\"${pageFromReplay}\">Back to the status page</a></p></body></html>' }}`,
		options: { responseCode: 400, ...HTML },
	});
	wf.link(replayHook, confirmed).link(confirmed, replay, 0).link(confirmed, refused, 1).link(confirmed, refused, 2);
	wf.link(replay, didFail).link(didFail, failed, 0).link(didFail, back, 1);
	return wf;
}
