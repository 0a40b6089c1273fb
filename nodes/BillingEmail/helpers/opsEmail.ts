// Emails to the business's own finance/ops address, not to clients: the billing run report (its
// CSV and JSON attached) and alerts. Same transport, sent record and Message-ID rules as client
// emails: the report's Message-ID is its run's, an alert's is its alert key (condition + period),
// so a redelivered or repeated one is recognised and sent once.
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { itemParameter } from '../../shared/itemParameter';
import { minorUnitsForDisplay } from '../../shared/currency';
import { oneLine } from '../../shared/itemFields';
import { FieldError } from '../../shared/errors';
import type { MailAddress, OutgoingEmail } from '../transport';
import type { ComposedEmail } from './compose';
import { MESSAGE_ID_DOMAIN, messageIdKey } from './messageId';
import { assertHeaderSafe, parseAddressList, parseMailbox } from './text';

export type OpsEmailKind = 'runReport' | 'alert';

export function opsMessageId(kind: OpsEmailKind, key: string, domain: string): string {
	return `<billing.${kind}.${messageIdKey(key)}@${domain}>`;
}

/** A parameter's value as text, as given (header values are checked where they are used). */
const param = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v));
/** A report value on one line of the email: values come from CRMs and services (see oneLine). */
const text = (v: unknown) => oneLine(param(v));
const esc = (v: unknown) => text(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const money = (minor: unknown, currency: string) => `${minorUnitsForDisplay(Number(minor ?? 0), currency)} ${currency}`;

/** The report's words: subject, plain text and HTML, from the report item's JSON. */
export function reportBody(report: IDataObject): { subject: string; text: string; html: string } {
	const counts = (report.counts ?? {}) as IDataObject;
	const byState = (counts.byState ?? {}) as Record<string, number>;
	const currencies = (report.currencies ?? {}) as Record<string, IDataObject>;
	const declines = (report.declines ?? []) as IDataObject[];
	const noCard = (report.noCard ?? []) as IDataObject[];
	const parked = (report.parked ?? []) as IDataObject[];
	const inFlight = (report.inFlight ?? []) as IDataObject[];
	const usage = (report.usage ?? {}) as IDataObject;
	const complete = report.status === 'complete';
	const subject = `Billing run ${text(report.runId)}: ${byState.paid ?? 0} paid, ${byState.declined ?? 0} declined, ${byState.noCard ?? 0} no card, ${byState.parked ?? 0} parked${complete ? '' : `, ${text(counts.inFlight)} still in flight`}`;
	const lines: string[] = [
		`Billing run ${text(report.runId)}${report.periodStart ? ` (period ${text(report.periodStart).slice(0, 10)} to ${text(report.periodEnd).slice(0, 10)})` : ''}`,
		complete ? 'Every billing key reached a final state.' : `Sent at the run's deadline (${text(report.deadlineAt)}): ${text(counts.inFlight)} billing key(s) are still in flight, listed below.`,
		`Started ${text(report.startedAt)}; last outcome ${text(report.lastOutcomeAt) || '—'}; duration ${text(report.durationSeconds) || '—'} s.`,
		'',
		`Billing keys: ${text(counts.billingKeys)} — ${Object.entries(byState).filter(([, n]) => n > 0).map(([s, n]) => `${s} ${n}`).join(', ') || 'none'}`,
		'',
		'Per currency:',
		...Object.entries(currencies).map(([c, t]) => `  ${c}: ${text(t.invoices)} invoice(s), invoiced ${money(t.invoicedMinor, c)}, collected ${money(t.collectedMinor, c)}, outstanding ${money(t.outstandingMinor, c)}`),
		...(Object.keys(currencies).length ? [] : ['  nothing invoiced']),
		'',
		'Declines by reason:',
		...(declines.length ? declines.map((d) => `  ${text(d.reason)}: ${text(d.count)} (${((d.billingKeys ?? []) as string[]).join(', ')})`) : ['  none']),
		'',
		'No card on file:',
		...(noCard.length ? noCard.map((r) => `  ${text(r.billingKey)} ${text(r.clientName)}: ${money(r.outstandingMinor, text(r.currency))} outstanding`) : ['  none']),
		'',
		'Parked (need a fix, then Replay):',
		...(parked.length ? parked.map((r) => `  ${text(r.billingKey)} at stage ${text(r.stage)}: ${text((r.error as IDataObject | undefined)?.message ?? r.reason)}\n    ${text(r.replay)}`) : ['  none']),
		...(inFlight.length ? ['', 'Still in flight:', ...inFlight.map((r) => `  ${text(r.billingKey)}: ${text(r.state)}${r.nextAttemptAt ? `, next charge ${text(r.nextAttemptAt)}` : ''}`)] : []),
		'',
		`API calls attributed to this run: Xero ${text(usage.xeroCalls)}, Secure Trading ${text(usage.gatewayCalls)}.`,
		'',
		'Every billing key with its state is in the attached CSV; the same data is attached as JSON.',
	];
	const plain = lines.join('\n');
	const html = `<!doctype html><html><body style="font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#111827"><pre style="font-family:inherit;white-space:pre-wrap">${esc(plain)}</pre></body></html>`;
	return { subject, text: `${plain}\n`, html };
}

export async function composeOpsEmail(fns: IExecuteFunctions, itemIndex: number, kind: OpsEmailKind, defaultSender: string): Promise<ComposedEmail> {
	const options = itemParameter(fns, 'options', itemIndex, {}) as IDataObject;
	const fromText = param(options.from).trim() || defaultSender;
	if (!fromText.trim()) throw new FieldError('options.from', 'From is empty and the Billing SMTP credential has no Default Sender');
	const from: MailAddress = parseMailbox(fromText, { path: 'options.from', label: 'From' });
	const recipients = parseAddressList(param(itemParameter(fns, 'to', itemIndex, '')), { path: 'to', label: 'To' }, true);
	const domain = param(options.messageIdDomain).trim() || from.address.slice(from.address.lastIndexOf('@') + 1);
	if (!MESSAGE_ID_DOMAIN.test(domain)) throw new FieldError('options.messageIdDomain', `Message-ID Domain "${domain}" is not a plain ASCII domain name`);
	const json = fns.getInputData()[itemIndex]?.json ?? {};
	const attachments: OutgoingEmail['attachments'] = [];
	let key: string;
	let subject: string;
	let body: { text: string; html: string };
	if (kind === 'runReport') {
		key = param(itemParameter(fns, 'runId', itemIndex, '')).trim();
		if (!key) throw new FieldError('runId', `Item ${itemIndex}: Billing Run ID is empty; the report's Message-ID is made from it`);
		const made = reportBody(json);
		subject = made.subject;
		body = made;
		const property = param(itemParameter(fns, 'binaryPropertyName', itemIndex, 'report')).trim() || 'report';
		const binary = fns.getInputData()[itemIndex]?.binary?.[property];
		if (!binary) throw new FieldError('binaryPropertyName', `Item ${itemIndex} (run ${key}): no binary property "${property}" holding the report's CSV`);
		attachments.push({ filename: binary.fileName || `billing-run-${key}.csv`, content: await fns.helpers.getBinaryDataBuffer(itemIndex, property), contentType: 'text/csv' });
		const { reportDue: _due, ...report } = json;
		attachments.push({ filename: (binary.fileName || `billing-run-${key}.csv`).replace(/\.csv$/, '.json'), content: Buffer.from(JSON.stringify(report, null, 2)), contentType: 'application/json' });
	} else {
		key = param(itemParameter(fns, 'alertKey', itemIndex, '')).trim();
		if (!key) throw new FieldError('alertKey', `Item ${itemIndex}: Alert Key is empty; it makes one email per condition and period`);
		subject = param(itemParameter(fns, 'subject', itemIndex, '')).trim();
		if (!subject) throw new FieldError('subject', `Item ${itemIndex} (alert ${key}): Subject is empty`);
		const plain = param(itemParameter(fns, 'text', itemIndex, ''));
		body = { text: `${plain}\n`, html: `<!doctype html><html><body style="font-family:Arial,Helvetica,sans-serif;font-size:14px"><pre style="font-family:inherit;white-space:pre-wrap">${esc(plain)}</pre></body></html>` };
	}
	const messageId = opsMessageId(kind, key, domain);
	const email: OutgoingEmail = {
		from,
		to: recipients.map((address) => ({ name: '', address })),
		subject: assertHeaderSafe(subject.replace(/[\r\n]+/g, ' '), { path: 'subject', label: 'Subject' }),
		html: body.html,
		text: body.text,
		messageId,
		headers: { 'X-Billing-Email-Kind': kind, 'X-Billing-Key': assertHeaderSafe(key, { path: kind === 'runReport' ? 'runId' : 'alertKey', label: 'Key' }), 'Auto-Submitted': 'auto-generated' },
		attachments,
	};
	return { email, summary: { kind, messageId, key, to: recipients, subject: email.subject, attachments: attachments.map((a) => ({ fileName: a.filename, size: a.content.length })) } };
}
