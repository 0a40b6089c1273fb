// Check Alert Conditions: run on a schedule after Queue Statistics. Reads the queue figures and the
// outcome events since the last check, and outputs one item per alert due (none when all is well),
// ready for any node: email, Slack, Teams, a database. Each alert is claimed in the run ledger's
// store before it goes out, so two executions (two workers, an overlapping schedule) never both send it.
import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { forOperation } from '../../../shared/descriptions';
import type { OperationContext } from '../../../shared/operation';
import { numberParameter } from '../../../shared/parameters';
import { ALERT_STATE_KEY, DEFAULT_THRESHOLDS, evaluateAlerts, outcomesSinceFor, parseStageFigures, type AlertThresholds } from '../../helpers/alerts';
import type { ReportClient } from '../../helpers/client';

export const description: INodeProperties[] = forOperation('alert', 'check', [
	{
		displayName: 'Stage Figures',
		name: 'stageFigures',
		type: 'json',
		default: "={{ $('Queue Statistics').all().map(i => i.json) }}",
		description:
			"The Billing Queue's Queue Statistics items (stage, exists, ready, consumers, parked, retrying), one per stage: for the no-consumer and not-progressing alerts. Empty: only the alerts from outcome events.",
	},
	{
		displayName: 'Period (Minutes)',
		name: 'periodMinutes',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 1440 },
		default: 60,
		description: 'One alert per condition (and stage) per period; what turns up after it waits for the next period. Also the window of the gateway error rate.',
	},
	{
		displayName: 'Stalled After (Minutes)',
		name: 'stalledMinutes',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 1440 },
		default: 30,
		description: 'A stage with messages ready whose count has not gone down for this long is reported as not progressing',
	},
	{
		displayName: 'Xero Budget Threshold',
		name: 'xeroBudgetThreshold',
		type: 'number',
		typeOptions: { minValue: 0, maxValue: 5000 },
		default: 500,
		description: "Alert when Xero's remaining calls for the day (X-DayLimit-Remaining, of 5000) fall below this",
	},
	{
		displayName: 'Gateway Error Ratio',
		name: 'gatewayErrorRatio',
		type: 'number',
		typeOptions: { minValue: 0, maxValue: 100, numberPrecision: 2 },
		default: 0.2,
		description: 'Alert when retries and parks at stage debit, divided by the charges the gateway answered in the period, are above this (0.2: one error per five answered charges)',
	},
	{
		displayName: 'Gateway Minimum Errors',
		name: 'gatewayMinimumCount',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 5,
		description: 'The gateway alert needs at least this many errors in the period, so one error in two charges is not a storm',
	},
]);

function thresholds(ctx: OperationContext<ReportClient>): AlertThresholds {
	const n = (name: keyof AlertThresholds, label: string, spec: { min: number; max?: number; integer: boolean }) =>
		numberParameter(ctx.fns, name, 0, { default: DEFAULT_THRESHOLDS[name], label, ...spec });
	return {
		periodMinutes: n('periodMinutes', 'Period (Minutes)', { min: 1, max: 1440, integer: true }),
		stalledMinutes: n('stalledMinutes', 'Stalled After (Minutes)', { min: 1, max: 1440, integer: true }),
		xeroBudgetThreshold: n('xeroBudgetThreshold', 'Xero Budget Threshold', { min: 0, max: 5000, integer: true }),
		gatewayErrorRatio: n('gatewayErrorRatio', 'Gateway Error Ratio', { min: 0, max: 100, integer: false }),
		gatewayMinimumCount: n('gatewayMinimumCount', 'Gateway Minimum Errors', { min: 1, max: 1_000_000, integer: true }),
	};
}

export async function execute(ctx: OperationContext<ReportClient>): Promise<void> {
	// One check per execution, whatever the input (Queue Statistics gives an item per stage).
	try {
		const now = new Date();
		const limits = thresholds(ctx);
		const stages = parseStageFigures(ctx.fns.getNodeParameter('stageFigures', 0, []) as unknown);
		const { store } = ctx.client;
		const state = await store.getState(ALERT_STATE_KEY);
		const lastCheck = typeof state?.lastCheck === 'string' ? state.lastCheck : undefined;
		const outcomes = await store.outcomesSince(outcomesSinceFor(now, lastCheck, limits));
		const memory = state?.memory && typeof state.memory === 'object' && !Array.isArray(state.memory) ? state.memory : undefined;
		const { alerts, memory: next } = evaluateAlerts({ now, stages, outcomes, memory: memory as IDataObject | undefined, thresholds: limits });
		// Saved before the claims: should saving fail, nothing is claimed and the next check finds the same alerts.
		await store.setState(ALERT_STATE_KEY, { lastCheck: now.toISOString(), memory: next });
		const out = [];
		for (const alert of alerts) if (await store.claim(alert.alertKey)) out.push({ json: alert, pairedItem: { item: 0 } });
		ctx.results.successItems(0, out);
	} catch (error) {
		ctx.results.error(0, error);
	}
	for (let i = 1; i < ctx.items.length; i++) ctx.results.successItems(i, []);
}
