// Workflow 8, alerts: on a schedule, the queue figures of every stage and the run ledger's outcome
// events become alerts (Billing Report, Check Alert Conditions), each emailed to ops. Any node can
// take the email's place: the alert items carry subject, text and what to do.
import { PKG, Workflow } from './builder';
import { CREDENTIALS, type PipelineSettings, queueSetup, reportStore, STAGES } from './pipeline';

const T = {
	queue: `${PKG}.billingQueue`,
	report: `${PKG}.billingReport`,
	email: `${PKG}.billingEmail`,
};

export function alertsWorkflow(s: PipelineSettings): Workflow {
	// Every stage queue, the report stage's too (a Set: STAGES may come to name it).
	const stages = [...new Set([...Object.values(STAGES), 'report'])].join(', ');
	const wf = new Workflow('bpAlerts00000001', 'Billing · 8 · Alerts');
	wf.note(1000, [
		'## 8 · Alerts',
		"Checks the pipeline on a schedule and emails ops one message per problem, each saying **what to do**. Set the address in *Alert Settings*; thresholds and the period are on *Check Conditions*.",
		'',
		"**Items parked** (per stage, each billing key with its error: fix the cause, then Replay on the status page); **no consumer** on a stage queue (its workflow is inactive, or n8n is down); **stage not progressing** (messages ready, the count not going down for *Stalled After* minutes); **Xero budget low** (calls left today below the threshold); **gateway errors** (retries and parks at the debit stage above *Gateway Error Ratio* of the answered charges); **unknown charge** (the gateway never said whether it went through: check it in MyST before replaying).",
		'',
		'**No alert storm:** a condition alerts once per period (per stage); what turns up later in the period comes in the next one. Each alert is claimed in the run ledger, so two executions never both send it.',
		'',
		'**Send alerts elsewhere:** replace *Email Alert* with any node (Slack, Microsoft Teams, a database): each item has `subject`, `text`, `whatToDo`, `severity`, `condition`, `stage`, `items` and `alertKey`.',
	].join('\n'));
	const schedule = wf.add('Every 5 Minutes', 'n8n-nodes-base.scheduleTrigger', 1.2, 0, 0, { rule: { interval: [{ field: 'cronExpression', expression: s.monitorCron }] } });
	// Where ops set the address: one node at the start, read by Email Alert. Not $env: n8n 2.x blocks it in nodes.
	const settings = wf.add('Alert Settings', 'n8n-nodes-base.set', 3.4, 1, 0, {
		mode: 'manual',
		assignments: { assignments: [{ id: 'c0a8d7e2-5f3b-4c1e-9a6d-000000000081', name: 'opsEmail', value: s.opsEmail, type: 'string' }] },
		includeOtherFields: true,
		options: {},
	});
	const stats = wf.add('Queue Statistics', T.queue, 1, 2, 0, { resource: 'stage', operation: 'statistics', stages, ...queueSetup(s, s.retryDelays) }, { credentials: CREDENTIALS.rabbit });
	// Once per execution: Queue Statistics gives an item per stage, Stage Figures reads them all.
	// The run ledger the report workflow writes (PostgreSQL with shared records, else the user folder).
	const store = reportStore(s);
	const check = wf.add('Check Conditions', T.report, 1, 3, 0, { resource: 'alert', operation: 'check', ...store.params }, { executeOnce: true, ...store.extra });
	// The alert is claimed before it is sent: a passing SMTP failure is retried here rather than lost for the period.
	const email = wf.add('Email Alert', T.email, 1, 4, 0, {
		operation: 'sendAlert',
		to: "={{ $('Alert Settings').first().json.opsEmail }}",
		subject: '={{ $json.subject }}',
		text: "={{ $json.text + '\\n\\nWhat to do: ' + $json.whatToDo }}",
		alertKey: '={{ $json.alertKey }}',
	}, { credentials: CREDENTIALS.smtp, retryOnFail: true, maxTries: 3, waitBetweenTries: 5000 });
	wf.link(schedule, settings).link(settings, stats).link(stats, check).link(check, email);
	return wf;
}
