// Render the billing status page: the queue figures and parked messages the Billing Queue node
// read in this execution, and the latest runs' reports from the run ledger, as one HTML page for
// a Respond to Webhook node. One page per execution: one output item, paired with item 0.
import { listParameter } from '../../helpers/listParameter';
import { replaySecret, replayToken } from '../../helpers/replayToken';
import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { forOperation } from '../../../shared/descriptions';
import { errorFacts, FieldError } from '../../../shared/errors';
import type { OperationContext } from '../../../shared/operation';
import { numberParameter, textParameter } from '../../../shared/parameters';
import type { ReportClient } from '../../helpers/client';
import type { RunReport } from '../../helpers/model';
import { renderStatusPage } from '../../helpers/statusPage';

export const DEFAULT_REPLAY_ACTION = 'billing/status/replay';

export const description: INodeProperties[] = forOperation('page', 'render', [
	{
		displayName: 'Stage Figures',
		name: 'stageFigures',
		type: 'json',
		default: "={{ $('Queue Statistics').all().map(i => i.json) }}",
		description: 'The items of a Billing Queue node (Stage → Statistics), one per stage: messages ready, retrying, held and parked, and consumers',
	},
	{
		displayName: 'Parked Items',
		name: 'parkedItems',
		type: 'json',
		default: "={{ $('Parked Items').all().map(i => i.json) }}",
		description: 'The items of a Billing Queue node (Parked → Peek), one per parked message with its billing key and error',
	},
	{
		displayName: 'Runs to Show',
		name: 'runCount',
		type: 'number',
		default: 2,
		typeOptions: { minValue: 1, maxValue: 50 },
		description: 'How many of the latest billing runs to read from the run ledger; the page details the current run and the last reported one',
	},
	{
		displayName: 'Replay Action',
		name: 'replayAction',
		type: 'string',
		default: DEFAULT_REPLAY_ACTION,
		description:
			"Path of the Replay webhook the forms post to, as set in its Webhook node (n8n serves it under /webhook/). It is written relative to this page, which is expected one level above it (billing/status for billing/status/replay), so it works under any host or proxy prefix. A full URL (https://…) or a path starting with / is used as it is.",
	},
	{
		displayName: 'Notice',
		name: 'notice',
		type: 'string',
		default: '',
		description: 'A message shown as a banner at the top, e.g. what a replay just did. A page with a notice does not refresh itself.',
	},
]);

/** A webhook path or URL → the Replay forms' action; anything else is refused, naming the parameter. */
export function replayActionUrl(value: string): string {
	const refuse = (why: string) =>
		new FieldError(
			'replayAction',
			`"Replay Action" (replayAction) ${why}, got ${JSON.stringify(value)}`,
			`Use the Replay webhook's path, e.g. ${DEFAULT_REPLAY_ACTION}, or a full https:// URL.`,
		);
	if (/^https?:\/\//i.test(value)) {
		const url = URL.canParse(value) ? new URL(value) : undefined;
		if (!url) throw refuse('is not a valid URL');
		if (url.username || url.password) throw refuse('must not carry a user name or password');
		return url.toString();
	}
	const pathChars = /^[A-Za-z0-9._~%/-]+$/;
	if (!pathChars.test(value)) throw refuse('may hold only letters, digits and . _ ~ % / - (a webhook path), or be a full http(s) URL');
	if (value.startsWith('/') || value.startsWith('./') || value.startsWith('../')) return value;
	const segments = value.split('/').filter(Boolean);
	if (segments.length === 0 || segments.some((s) => s === '.' || s === '..')) throw refuse('is not a webhook path');
	// The page (e.g. /webhook/billing/status) resolves a relative action from its folder
	// (/webhook/billing/): step up to the webhook root, then name the whole path.
	return `${'../'.repeat(Math.max(0, segments.length - 2))}${segments.join('/')}`;
}

/** A list of items given as an expression's array, as JSON text, or empty. */
export function itemList(raw: unknown, field: string, label: string): IDataObject[] {
	const isObject = (v: unknown): v is IDataObject => typeof v === 'object' && v !== null && !Array.isArray(v);
	return listParameter(raw, field, label).map((entry, index) => {
		if (!isObject(entry)) {
			throw new FieldError(field, `"${label}" (${field}): entry ${index} is ${Array.isArray(entry) ? 'a list' : `${typeof entry} ${JSON.stringify(entry)}`}, not an item's fields`);
		}
		return entry;
	});
}

export async function execute(ctx: OperationContext<ReportClient>): Promise<void> {
	const { fns } = ctx;
	try {
		const stages = itemList(fns.getNodeParameter('stageFigures', 0, []) as unknown, 'stageFigures', 'Stage Figures');
		const parked = itemList(fns.getNodeParameter('parkedItems', 0, []) as unknown, 'parkedItems', 'Parked Items');
		const runCount = numberParameter(fns, 'runCount', 0, { default: 2, min: 1, max: 50, integer: true, label: 'Runs to Show' });
		const replayAction = replayActionUrl(textParameter(fns, 'replayAction', 0, DEFAULT_REPLAY_ACTION));
		const notice = textParameter(fns, 'notice', 0);

		// A ledger that cannot be read still leaves the queue figures worth showing: the page
		// says what failed instead of answering with n8n's bare error.
		const problems: string[] = [];
		const runs: RunReport[] = [];
		try {
			for (const header of await ctx.client.store.listRuns(runCount)) {
				const report = await ctx.client.report(header.runId);
				if (report) runs.push(report);
			}
		} catch (error) {
			problems.push(`The run ledger (${ctx.client.store.target}) could not be read: ${errorFacts(error).message}`);
		}

		let token = '';
		try {
			token = replayToken(await replaySecret(ctx.client.store));
		} catch (error) {
			problems.push(`Replay is unavailable: its token could not be kept in the run ledger (${ctx.client.store.target}): ${errorFacts(error).message}`);
		}
		const html = renderStatusPage({ stages, parked, runs, now: new Date(), replayAction, notice, problems, replayToken: token });
		ctx.results.success(0, { html, runs: runs.map((r) => r.runId), ...(problems.length ? { problems } : {}) });
		// The other input items (one per parked message upstream) are answered by that one page.
		for (let i = 1; i < ctx.items.length; i++) ctx.results.successItems(i, []);
	} catch (error) {
		ctx.results.error(0, error);
		for (let i = 1; i < ctx.items.length; i++) ctx.results.successItems(i, []);
	}
}
