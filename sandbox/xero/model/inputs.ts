// Field shapes of what a request element gives the model, as the wire/ readers (contactInput,
// invoiceInput, paymentInput, dayInput) produce them: a number that may be missing or unreadable,
// and a calendar day with the text it was given as (for error messages).

/** A number as given: missing, unreadable, or its value. */
export type NumberInput = number | undefined | 'invalid';

/** A day as given: `empty` when sent as null or ''; `day` is midnight UTC in epoch ms, null when unreadable. */
export interface DayInput {
	empty: boolean;
	text: string;
	day: number | null;
}
