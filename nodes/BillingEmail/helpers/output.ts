// What each item carries out of the node. `emailDelivery` holds the delivery facts (status,
// Message-ID, what the server said); a failed item's error is the kit's `error` object beside it.
import type { IDataObject } from 'n8n-workflow';
import type { EmailKind } from '../templates';
import type { SendResult, SmtpSendError } from '../transport';
import type { ComposedEmail } from './compose';

export function sentJson(json: IDataObject, composed: ComposedEmail, result: SendResult, journalError?: string): IDataObject {
	return {
		...json,
		emailDelivery: {
			status: 'sent',
			...composed.summary,
			accepted: result.accepted,
			rejected: result.rejected,
			response: result.response,
			...(journalError ? { journalError } : {}),
		},
	};
}

/** The journal says this Message-ID went out before (at `sentAt`): not sent again. */
export function alreadySentJson(json: IDataObject, composed: ComposedEmail, sentAt: string): IDataObject {
	return { ...json, emailDelivery: { status: 'alreadySent', sentAt, ...composed.summary } };
}

/** The SMTP server (or the connection to it) refused the message. */
export function failedJson(json: IDataObject, composed: ComposedEmail, error: SmtpSendError): IDataObject {
	return {
		...json,
		emailDelivery: {
			status: 'failed',
			...composed.summary,
			temporary: error.temporary,
			responseCode: error.responseCode ?? null,
			response: error.response ?? null,
			command: error.command ?? null,
		},
	};
}

/** Not handed to the SMTP server at all (the sent record failed, or another worker is sending it now): try again later. */
export function notSentJson(json: IDataObject, composed: ComposedEmail): IDataObject {
	return { ...json, emailDelivery: { status: 'notSent', ...composed.summary, temporary: true } };
}

/** The item's values could not make an email (`kind` is null when even the notice kind was bad). */
export function invalidJson(json: IDataObject, kind: EmailKind | string | null): IDataObject {
	return { ...json, emailDelivery: { status: 'invalid', kind, temporary: false } };
}
