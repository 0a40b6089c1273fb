// Reads a date field of an element into the model's DayInput: Xero's accepted date forms parsed
// to a calendar day, with the text kept for error messages.
import type { DayInput } from '../model/inputs';
import { parseXeroDate } from './values';

/** Undefined when the field is absent. */
export function dayInput(value: unknown): DayInput | undefined {
	if (value === undefined) return undefined;
	return { empty: value === null || value === '', text: String(value), day: parseXeroDate(value) };
}
