// Xero's JSON envelopes: the `{Id, Status, ProviderName, DateTimeUTC, <Key>: [...]}` wrapper, the
// items of a PUT/POST body, and batch answers with summarizeErrors (a 400 listing the failures) or
// per-element StatusAttributeString and ValidationErrors.
import { randomUUID } from 'crypto';
import type { SaveOutcome } from '../model/query';
import { BadRequest, json, postDataInvalid, type Reply } from '../reply';
import { EMPTY_GUID } from '../model/values';
import { msDateNoOffset, propString } from './values';

export function envelope(providerName: string, key: string, items: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
	return {
		Id: randomUUID(),
		Status: 'OK',
		ProviderName: providerName,
		DateTimeUTC: msDateNoOffset(Date.now()),
		...extra,
		[key]: items,
	};
}

/** Items of a PUT/POST body: `{"Invoices":[…]}` or one bare element. */
export function itemsOf(body: unknown, key: string): unknown[] {
	if (body && typeof body === 'object' && !Array.isArray(body)) {
		const k = Object.keys(body).find((x) => x.toLowerCase() === key.toLowerCase());
		if (k !== undefined) {
			const v = (body as Record<string, unknown>)[k];
			if (!Array.isArray(v)) throw new BadRequest(postDataInvalid(`${key} must be a list`));
			return v;
		}
		return [body];
	}
	if (Array.isArray(body)) return body;
	throw new BadRequest(postDataInvalid('Invalid Json data'));
}

export type ElementKind = 'invoice' | 'contact' | 'payment';

/** Echoes a rejected element the way Xero does: what was sent, with a zero id and the error flags. */
export function echo(input: unknown, kind: ElementKind): Record<string, unknown> {
	const base = input && typeof input === 'object' && !Array.isArray(input) ? { ...(input as Record<string, unknown>) } : {};
	if (kind === 'invoice') return { ...base, InvoiceID: propString(input, 'InvoiceID') ?? EMPTY_GUID, HasErrors: true };
	if (kind === 'contact') return { ...base, ContactID: propString(input, 'ContactID') ?? EMPTY_GUID, HasValidationErrors: true };
	return { ...base, PaymentID: EMPTY_GUID, HasValidationErrors: true };
}

/** Outcome for one element of a batch PUT/POST, in wire form. */
export interface ElementResult {
	ok: boolean;
	/** The entity as Xero returns it (saved form when ok, echoed input or the record shown back when not). */
	element: Record<string, unknown>;
	errors: string[];
}

/** Wire form of saving one element: the saved (or shown-back) record, else the echoed input. */
export function elementOf<T>(
	outcome: SaveOutcome<T>,
	input: unknown,
	kind: ElementKind,
	toJson: (rec: T) => Record<string, unknown>,
): ElementResult {
	if (outcome.ok) return { ok: true, element: toJson(outcome.rec), errors: [] };
	return { ok: false, element: outcome.rec ? toJson(outcome.rec) : echo(input, kind), errors: outcome.errors };
}

export function batchReply(
	providerName: string,
	key: string,
	results: ElementResult[],
	summarize: boolean,
	errorFlag: 'HasErrors' | 'HasValidationErrors',
): Reply {
	const failed = results.filter((r) => !r.ok);
	const withErrors = (r: ElementResult) => ({ ...r.element, [errorFlag]: true, ValidationErrors: r.errors.map((Message) => ({ Message })) });
	if (summarize && failed.length) {
		// Valid elements were still saved; the summary lists only the failures (as Xero does).
		return json(400, {
			ErrorNumber: 10,
			Type: 'ValidationException',
			Message: 'A validation exception occurred',
			Elements: failed.map(withErrors),
		});
	}
	return json(
		200,
		envelope(
			providerName,
			key,
			results.map((r) =>
				r.ok ? (summarize ? r.element : { ...r.element, StatusAttributeString: 'OK' }) : { ...withErrors(r), StatusAttributeString: 'ERROR' },
			),
		),
	);
}
