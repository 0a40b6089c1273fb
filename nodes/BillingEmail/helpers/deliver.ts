// The flow both operations share, in four steps:
// 1. compose every item first, so bad input stops the run (or goes to Failed) before any mail goes out;
// 2. skip what the sent record says already went out (a batch redelivered after a crash);
// 3. send the rest through the pooled transport, a few at once, each Message-ID once (per process
//    with the file record, across every worker with PostgreSQL);
// 4. each outcome becomes the item's output (helpers/output.ts).
import type { IExecuteFunctions } from 'n8n-workflow';
import { mapLimit } from '../../shared/concurrency';
import { FieldError } from '../../shared/errors';
import { journalFor, journalSettings } from '../../shared/journal';
import type { OperationContext } from '../../shared/operation';
import { numberParameter } from '../../shared/parameters';
import { credentialSecrets, withSecrets } from '../../shared/redact';
import type { EmailKind } from '../templates';
import { SmtpSendError, type SmtpClient } from '../transport';
import { composeEmail, type ComposedEmail } from './compose';
import { alreadySentJson, failedJson, invalidJson, notSentJson, sentJson } from './output';
import { fileSentRecord, PostgresSentRecord, sentRecordMode, type SentRecord } from './sentRecord';

interface ReadyEmail {
	index: number;
	composed: ComposedEmail;
}

interface DeliverySettings {
	concurrency: number;
	/** Null when Sent Record is Off. */
	record: SentRecord | null;
	/** The Postgres credential's secrets, redacted from every error of the run. */
	secrets: string[];
}

const NOTHING_SENT = 'Fix the value (or the CRM record it comes from) and run the item again. Nothing was sent for this item.';

export async function deliverBillingEmails(ctx: OperationContext<SmtpClient>, kindFor: (itemIndex: number) => EmailKind): Promise<void> {
	await deliverEmails(ctx, { kindOf: kindFor, compose: async (index, kind) => await composeEmail(ctx.fns, index, kind as EmailKind, ctx.client.connection.defaultSender) });
}

/** The same four steps for any composer (client emails above, the run report and alerts to ops). */
export async function deliverEmails(ctx: OperationContext<SmtpClient>, compose: Composer): Promise<void> {
	const settings = await deliverySettings(ctx.fns);
	await withSecrets(settings.secrets, async () => {
		const composed = await composeAll(ctx, compose);
		const toSend = await skipAlreadySent(ctx, settings.record, composed);
		await sendAll(ctx, settings, toSend);
	});
}

/** Builds one item's email; the kind is reported on an item whose email could not be made. */
export interface Composer {
	kindOf: (itemIndex: number) => string;
	compose: (itemIndex: number, kind: string) => Promise<ComposedEmail>;
}

/** Node-wide options, read once (item 0) and refused when out of range. */
async function deliverySettings(fns: IExecuteFunctions): Promise<DeliverySettings> {
	const concurrency = numberParameter(fns, 'options.concurrency', 0, { default: 5, min: 1, max: 20, integer: true, label: 'Concurrency' });
	const mode = sentRecordMode(fns);
	if (mode === 'off') return { concurrency, record: null, secrets: [] };
	if (mode === 'file') return { concurrency, record: fileSentRecord(fns), secrets: [] };
	// n8n's own Postgres credential; its pool is made once per credential and process.
	const data = await fns.getCredentials('postgres');
	return { concurrency, record: new PostgresSentRecord(journalFor(journalSettings(data))), secrets: credentialSecrets(data) };
}

async function composeAll(ctx: OperationContext<SmtpClient>, compose: Composer): Promise<ReadyEmail[]> {
	const ready: ReadyEmail[] = [];
	for (const [index, item] of ctx.items.entries()) {
		let kind: string | null = null;
		try {
			kind = compose.kindOf(index);
			ready.push({ index, composed: await compose.compose(index, kind) });
		} catch (error) {
			// Without Continue On Fail this throws: the run stops before any mail goes out.
			ctx.results.error(index, withNothingSent(error), invalidJson(item.json, kind));
		}
	}
	return ready;
}

function withNothingSent(error: unknown): unknown {
	return error instanceof FieldError && !error.description ? new FieldError(error.field, error.message, NOTHING_SENT) : error;
}

async function skipAlreadySent(ctx: OperationContext<SmtpClient>, record: SentRecord | null, ready: ReadyEmail[]): Promise<ReadyEmail[]> {
	if (!record || ready.length === 0) return ready;
	// One read for the batch; a record that cannot be read stops the run before anything is sent.
	const sent = await record.sentAmong(ready.map(({ composed }) => composed.email.messageId));
	return ready.filter(({ index, composed }) => {
		const sentAt = sent.get(composed.email.messageId);
		if (sentAt === undefined) return true;
		ctx.results.success(index, alreadySentJson(ctx.items[index].json, composed, sentAt), ctx.items[index].binary);
		return false;
	});
}

async function sendAll(ctx: OperationContext<SmtpClient>, { concurrency, record }: DeliverySettings, ready: ReadyEmail[]): Promise<void> {
	const signal = ctx.fns.getExecutionCancelSignal?.();
	await mapLimit(ready, concurrency, async ({ index, composed }) => {
		const { json, binary } = ctx.items[index];
		const { messageId } = composed.email;
		let sending = false;
		try {
			let journalError: string | undefined;
			const sendAndRecord = async () => {
				sending = true;
				const result = await ctx.client.send(composed.email);
				// The server has the message: record it before anything else can fail.
				if (record) await record.record(messageId).catch((e: Error) => (journalError = e.message));
				return result;
			};
			const once = record ? await record.sendOnce(messageId, sendAndRecord, signal) : { value: await sendAndRecord() };
			if ('busy' in once) {
				// Another live worker holds this Message-ID: it is sending it now. Retry later, when the record will say.
				ctx.results.failure(
					index,
					{ message: `Not sent: email ${messageId} is being sent by another worker now. Nothing was sent for this item; retry it later.`, code: 'sendingElsewhere', retryable: true },
					notSentJson(json, composed),
				);
			} else if ('sentAt' in once) ctx.results.success(index, alreadySentJson(json, composed, once.sentAt), binary);
			else ctx.results.success(index, sentJson(json, composed, once.value, journalError), binary);
		} catch (error) {
			if (!sending) {
				// The sent record failed before any SMTP: nothing went out; the error names the parameter.
				ctx.results.failure(index, error, notSentJson(json, composed));
				return;
			}
			// A refused message is an outcome, not a node error: it goes to Failed for Retry or Park.
			const smtp = error instanceof SmtpSendError ? error : new SmtpSendError(error as Error);
			ctx.results.failure(index, smtp, failedJson(json, composed, smtp));
		}
	});
}
