// Amount and currency handling for the templates, on top of the pipeline's shared rules
// (nodes/shared/currency.ts), so every stage accepts and refuses the same amounts.
import { AmountError, formatMinorUnits, normaliseCurrency, toMinorUnits } from '../../shared/currency';
import { fieldError, nodeField, type FieldRef } from './fields';

/** The shared rules name the field by its label; the error names the parameter path. */
function asFieldError<T>(ref: FieldRef, fn: (label: string) => T): T {
	const field = nodeField(ref);
	try {
		return fn(field.label);
	} catch (error) {
		if (error instanceof AmountError) {
			// AmountError writes "Amount: problem"; our sentences read "Amount problem".
			const prefix = `${error.field}: `;
			throw fieldError(field, error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message);
		}
		// eslint-disable-next-line @n8n/community-nodes/require-node-api-error -- below the router: toNodeError makes it a NodeApiError/NodeOperationError once
		throw error;
	}
}

/** Validates an active ISO 4217 code ("GBP"); unknown codes are refused, not guessed. */
export function requireCurrency(value: unknown, field: FieldRef): string {
	return asFieldError(field, (label) => normaliseCurrency(value, label));
}

/** Reads an amount into integer minor units: 'minor' takes 1250, 'major' takes "12.50". */
export function parseAmount(raw: unknown, unit: 'minor' | 'major', currency: string, field: FieldRef): number {
	return asFieldError(field, (label) => toMinorUnits(raw, currency, { mode: unit, field: label }));
}

/** Minor units as a plain decimal string: 1250 → "12.50" (GBP), 1250 → "1250" (JPY). */
export function minorToDecimal(minor: number, currency: string): string {
	return asFieldError('Amount', () => formatMinorUnits(minor, currency));
}

/** Locale-aware money text, e.g. "£1,234.50". Formats the exact decimal string, not a float. */
export function formatMoney(minor: number, currency: string, locale: string): string {
	const decimal = minorToDecimal(minor, currency);
	// ISO 4217 digits, not ICU's: left alone, Intl shows 12.50 HUF (or IDR, IQD, …) rounded as "HUF 13".
	const digits = decimal.split('.')[1]?.length ?? 0;
	const format = new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits })
		.format as (value: string | number) => string;
	return format(decimal);
}
