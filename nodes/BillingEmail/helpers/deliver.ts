// The flow both operations share, in four steps:
// 1. compose every item first, so bad input stops the run (or goes to Failed) before any mail goes out;
// 2. skip what the sent journal says already went out (a batch redelivered after a crash);
// 3. send the rest through the pooled transport, a few at once, each Message-ID once per process;
// 4. each outcome becomes the item's output (helpers/output.ts).
import type { IExecuteFunctions } from 'n8n-workflow';
import { mapLimit } from '../../shared/concurrency';
import { FieldError } from '../../shared/errors';
import type { OperationContext } from '../../shared/operation';
import { booleanParameter, numberParameter, textParameter } from '../../shared/parameters';
import type { EmailKind } from '../templates';
import { SmtpSendError, type SmtpClient } from '../transport';
import { composeEmail, type ComposedEmail } from './compose';
import { alreadySentJson, failedJson, invalidJson, sentJson } from './output';
import { defaultJournalFolder, sentJournal, type SentJournal } from './sentJournal';

interface ReadyEmail {
	index: number;
	composed: ComposedEmail;
}

interface DeliverySettings {
	concurrency: number;
	/** Null when Skip Already Sent is off. */
	journal: SentJournal | null;
}

const NOTHING_SENT = 'Fix the value (or the CRM record it comes from) and run the item again. Nothing was sent for this item.';

export async function deliverBillingEmails(ctx: OperationContext<SmtpClient>, kindFor: (itemIndex: number) => EmailKind): Promise<void> {
	const settings = deliverySettings(ctx.fns);
	const composed = await composeAll(ctx, kindFor);
	const toSend = await skipAlreadySent(ctx, settings.journal, composed);
	await sendAll(ctx, settings, toSend);
}

/** Node-wide options, read once (item 0) and refused when out of range. */
function deliverySettings(fns: IExecuteFunctions): DeliverySettings {
	const concurrency = numberParameter(fns, 'options.concurrency', 0, { default: 5, min: 1, max: 20, integer: true, label: 'Concurrency' });
	const skip = booleanParameter(fns, 'options.skipAlreadySent', 0, true);
	return { concurrency, journal: skip ? sentJournal(textParameter(fns, 'options.journalFolder', 0, defaultJournalFolder())) : null };
}

async function composeAll(ctx: OperationContext<SmtpClient>, kindFor: (itemIndex: number) => EmailKind): Promise<ReadyEmail[]> {
	const ready: ReadyEmail[] = [];
	for (const [index, item] of ctx.items.entries()) {
		let kind: EmailKind | null = null;
		try {
			kind = kindFor(index);
			ready.push({ index, composed: await composeEmail(ctx.fns, index, kind, ctx.client.connection.defaultSender) });
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

async function skipAlreadySent(ctx: OperationContext<SmtpClient>, journal: SentJournal | null, ready: ReadyEmail[]): Promise<ReadyEmail[]> {
	if (!journal || ready.length === 0) return ready;
	try {
		await journal.refresh();
	} catch (error) {
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- below the router: toNodeError makes it a NodeApiError/NodeOperationError once
		throw new FieldError(
			'options.journalFolder',
			// Without the errno prefix: n8n swaps a message naming EEXIST, EACCES… for a generic one.
			`Cannot read the sent-email journal in ${journal.folder}: ${String((error as Error).message).replace(/^E[A-Z]+: /, '')}`,
			'Make the folder writable for n8n, set another Journal Folder, or turn off Skip Already Sent. Nothing was sent.',
		);
	}
	return ready.filter(({ index, composed }) => {
		const sentAt = journal.sentAt(composed.email.messageId);
		if (sentAt === undefined) return true;
		ctx.results.success(index, alreadySentJson(ctx.items[index].json, composed, sentAt), ctx.items[index].binary);
		return false;
	});
}

async function sendAll(ctx: OperationContext<SmtpClient>, { concurrency, journal }: DeliverySettings, ready: ReadyEmail[]): Promise<void> {
	await mapLimit(ready, concurrency, async ({ index, composed }) => {
		const { json, binary } = ctx.items[index];
		const { messageId } = composed.email;
		try {
			let journalError: string | undefined;
			const sendAndRecord = async () => {
				const result = await ctx.client.send(composed.email);
				// The server has the message: record it before anything else can fail.
				if (journal) await journal.record(messageId).catch((e: Error) => (journalError = e.message));
				return result;
			};
			const once = journal ? await journal.sendOnce(messageId, sendAndRecord) : { value: await sendAndRecord() };
			if ('sentAt' in once) ctx.results.success(index, alreadySentJson(json, composed, once.sentAt), binary);
			else ctx.results.success(index, sentJson(json, composed, once.value, journalError), binary);
		} catch (error) {
			// A refused message is an outcome, not a node error: it goes to Failed for Retry or Park.
			const smtp = error instanceof SmtpSendError ? error : new SmtpSendError(error as Error);
			ctx.results.failure(index, smtp, failedJson(json, composed, smtp));
		}
	});
}
