// The execution flow both operations share: validate and compose every item first (so bad
// input stops the run before any mail goes out), then send through the pooled transport and
// route each item to output 1 (sent) or output 2 (SMTP failure).
import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';
import type { EmailKind } from '../templates';
import { SmtpSendError, withSmtpPool } from '../transport';
import { composeEmail, type ComposedEmail } from './compose';
import { FieldError } from './errors';
import { defaultJournalFolder, sentJournal } from './sentJournal';
import { smtpSettingsFromCredentials } from './settings';
import { mapLimit } from '../../shared/concurrency';

function toNodeError(this: IExecuteFunctions, error: unknown, itemIndex: number): NodeOperationError {
	if (error instanceof NodeOperationError) return error;
	if (error instanceof FieldError) {
		return new NodeOperationError(this.getNode(), `Invalid "${error.field}" in item ${itemIndex}: ${error.field} ${error.message}`, {
			itemIndex,
			description: 'Fix the value (or the CRM record it comes from) and run the item again. Nothing was sent for this item.',
		});
	}
	return new NodeOperationError(this.getNode(), error as Error, { itemIndex });
}

export async function deliverBillingEmails(
	this: IExecuteFunctions,
	kindFor: (itemIndex: number) => EmailKind,
): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const credentials = await this.getCredentials('billingSmtp');
	let settings;
	try {
		settings = smtpSettingsFromCredentials(credentials);
	} catch (error) {
		throw new NodeOperationError(this.getNode(), (error as Error).message);
	}
	const defaultSender = String(credentials.from ?? '');

	type Slot =
		| { kind: 'ready'; index: number; composed: ComposedEmail }
		| { kind: 'invalid'; index: number; emailKind: EmailKind | null; error: NodeOperationError };
	const slots: Slot[] = [];
	for (let index = 0; index < items.length; index++) {
		let emailKind: EmailKind | null = null;
		try {
			emailKind = kindFor(index);
			const composed = await composeEmail.call(this, index, emailKind, defaultSender);
			slots.push({ kind: 'ready', index, composed });
		} catch (error) {
			const nodeError = toNodeError.call(this, error, index);
			if (!this.continueOnFail()) throw nodeError;
			slots.push({ kind: 'invalid', index, emailKind, error: nodeError });
		}
	}

	const options = this.getNodeParameter('options', 0, {}) as IDataObject;
	const concurrency = Math.max(1, Math.min(20, Number(options.concurrency ?? 5) || 5));
	let ready = slots.filter((s): s is Extract<Slot, { kind: 'ready' }> => s.kind === 'ready');
	const outcomes = new Map<number, { ok: true; json: IDataObject } | { ok: false; json: IDataObject; message: string }>();
	// A redelivered batch (after a crash) must not email clients twice: skip what the journal says went out.
	const journal = options.skipAlreadySent === false ? null : sentJournal(String(options.journalFolder || '') || defaultJournalFolder());
	if (journal && ready.length > 0) {
		try {
			await journal.refresh();
		} catch (error) {
			throw new NodeOperationError(this.getNode(), `Cannot read the sent-email journal in ${journal.folder}: ${(error as Error).message}`, {
				description: 'Make the folder writable for n8n, set another Journal Folder, or turn off Skip Already Sent. Nothing was sent.',
			});
		}
		ready = ready.filter(({ index, composed }) => {
			const sentAt = journal.sentAt(composed.email.messageId);
			if (sentAt === undefined) return true;
			outcomes.set(index, { ok: true, json: { status: 'alreadySent', sentAt, ...composed.summary } });
			return false;
		});
	}
	if (ready.length > 0) {
		await withSmtpPool(settings, async (send) => {
			await mapLimit(ready, concurrency, async ({ index, composed }) => {
				try {
					let journalError: string | undefined;
					const sendAndRecord = async () => {
						const accepted = await send(composed.email);
						// The server has the message: record it before anything else can fail.
						if (journal) await journal.record(composed.email.messageId).catch((e: Error) => (journalError = e.message));
						return accepted;
					};
					const once = journal ? await journal.sendOnce(composed.email.messageId, sendAndRecord) : { value: await sendAndRecord() };
					if ('sentAt' in once) {
						outcomes.set(index, { ok: true, json: { status: 'alreadySent', sentAt: once.sentAt, ...composed.summary } });
						return;
					}
					const result = once.value;
					outcomes.set(index, {
						ok: true,
						json: {
							status: 'sent',
							...composed.summary,
							accepted: result.accepted,
							rejected: result.rejected,
							response: result.response,
							...(journalError ? { journalError } : {}),
						},
					});
				} catch (error) {
					const smtp = error instanceof SmtpSendError ? error : new SmtpSendError(error as Error);
					outcomes.set(index, {
						ok: false,
						message: smtp.message,
						json: {
							status: 'failed',
							...composed.summary,
							temporary: smtp.temporary,
							error: {
								message: smtp.message,
								code: smtp.code ?? null,
								responseCode: smtp.responseCode ?? null,
								response: smtp.response ?? null,
								command: smtp.command ?? null,
							},
						},
					});
				}
			});
		});
	}

	const sent: INodeExecutionData[] = [];
	const failed: INodeExecutionData[] = [];
	for (const slot of slots) {
		const item = items[slot.index];
		const base = { pairedItem: { item: slot.index }, ...(item.binary ? { binary: item.binary } : {}) };
		if (slot.kind === 'invalid') {
			failed.push({
				...base,
				json: {
					...item.json,
					error: slot.error.message,
					emailDelivery: { status: 'invalid', kind: slot.emailKind, temporary: false, error: { message: slot.error.message, description: slot.error.description ?? null } },
				},
			});
			continue;
		}
		const outcome = outcomes.get(slot.index)!;
		if (outcome.ok) sent.push({ ...base, json: { ...item.json, emailDelivery: outcome.json } });
		else failed.push({ ...base, json: { ...item.json, error: outcome.message, emailDelivery: outcome.json } });
	}
	return [sent, failed];
}
