// ISO 4217 currencies and amount parsing into integer minor units.
// Money is handled as integers internally; this is the one place where a human or CRM
// amount ("10.50", 10.5) becomes minor units (1050), so it is strict on purpose.
import { FieldError } from './errors';

/**
 * Minor-unit exponents of the active ISO 4217 codes (list one, 2025). Codes without a minor
 * unit (precious metals, SDR, test and bond-market units: XAU, XAG, XPD, XPT, XDR, XBA–XBD,
 * XSU, XUA, XTS, XXX) are left out: they cannot be charged or invoiced.
 */
export const CURRENCY_MINOR_UNITS: Readonly<Record<string, number>> = Object.freeze({
	AED: 2, AFN: 2, ALL: 2, AMD: 2, ANG: 2, AOA: 2, ARS: 2, AUD: 2, AWG: 2, AZN: 2,
	BAM: 2, BBD: 2, BDT: 2, BGN: 2, BHD: 3, BIF: 0, BMD: 2, BND: 2, BOB: 2, BOV: 2,
	BRL: 2, BSD: 2, BTN: 2, BWP: 2, BYN: 2, BZD: 2,
	CAD: 2, CDF: 2, CHE: 2, CHF: 2, CHW: 2, CLF: 4, CLP: 0, CNY: 2, COP: 2, COU: 2,
	CRC: 2, CUP: 2, CVE: 2, CZK: 2,
	DJF: 0, DKK: 2, DOP: 2, DZD: 2,
	EGP: 2, ERN: 2, ETB: 2, EUR: 2,
	FJD: 2, FKP: 2,
	GBP: 2, GEL: 2, GHS: 2, GIP: 2, GMD: 2, GNF: 0, GTQ: 2, GYD: 2,
	HKD: 2, HNL: 2, HTG: 2, HUF: 2,
	IDR: 2, ILS: 2, INR: 2, IQD: 3, IRR: 2, ISK: 0,
	JMD: 2, JOD: 3, JPY: 0,
	KES: 2, KGS: 2, KHR: 2, KMF: 0, KPW: 2, KRW: 0, KWD: 3, KYD: 2, KZT: 2,
	LAK: 2, LBP: 2, LKR: 2, LRD: 2, LSL: 2, LYD: 3,
	MAD: 2, MDL: 2, MGA: 2, MKD: 2, MMK: 2, MNT: 2, MOP: 2, MRU: 2, MUR: 2, MVR: 2,
	MWK: 2, MXN: 2, MXV: 2, MYR: 2, MZN: 2,
	NAD: 2, NGN: 2, NIO: 2, NOK: 2, NPR: 2, NZD: 2,
	OMR: 3,
	PAB: 2, PEN: 2, PGK: 2, PHP: 2, PKR: 2, PLN: 2, PYG: 0,
	QAR: 2,
	RON: 2, RSD: 2, RUB: 2, RWF: 0,
	SAR: 2, SBD: 2, SCR: 2, SDG: 2, SEK: 2, SGD: 2, SHP: 2, SLE: 2, SOS: 2, SRD: 2,
	SSP: 2, STN: 2, SVC: 2, SYP: 2, SZL: 2,
	THB: 2, TJS: 2, TMT: 2, TND: 3, TOP: 2, TRY: 2, TTD: 2, TWD: 2, TZS: 2,
	UAH: 2, UGX: 0, USD: 2, USN: 2, UYI: 0, UYU: 2, UYW: 4, UZS: 2,
	VED: 2, VES: 2, VND: 0, VUV: 0,
	WST: 2,
	XAF: 0, XCD: 2, XCG: 2, XOF: 0, XPF: 0,
	YER: 2,
	ZAR: 2, ZMW: 2, ZWG: 2,
});

/** Upper bound used when the caller gives none: 13 digits, the longest `baseamount` gateways take. */
export const DEFAULT_MAX_MINOR_UNITS = 9_999_999_999_999;

/** A bad amount or currency: a field error like any other, named for what it checks. */
export class AmountError extends FieldError {
	constructor(field: string, message: string) {
		super(field, `${field}: ${message}`);
		this.name = 'AmountError';
	}
}

export function isKnownCurrency(code: unknown): boolean {
	return typeof code === 'string' && Object.prototype.hasOwnProperty.call(CURRENCY_MINOR_UNITS, code.trim().toUpperCase());
}

/** Trims and upper-cases a currency code; throws AmountError naming `field` when it is not an active ISO 4217 code. */
export function normaliseCurrency(value: unknown, field = 'currency'): string {
	if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
		throw new AmountError(field, 'is required (an ISO 4217 code such as GBP)');
	}
	if (typeof value !== 'string') {
		throw new AmountError(field, `must be an ISO 4217 code such as GBP, got ${describe(value)}`);
	}
	const code = value.trim().toUpperCase();
	if (!/^[A-Z]{3}$/.test(code)) {
		throw new AmountError(field, `"${value}" is not a three-letter ISO 4217 code`);
	}
	if (!Object.prototype.hasOwnProperty.call(CURRENCY_MINOR_UNITS, code)) {
		throw new AmountError(field, `"${code}" is not an active ISO 4217 currency with minor units`);
	}
	return code;
}

/** Number of decimal places of `currency` (GBP 2, JPY 0, BHD 3). */
export function minorUnitExponent(currency: string, field = 'currency'): number {
	return CURRENCY_MINOR_UNITS[normaliseCurrency(currency, field)];
}

export type AmountMode = 'major' | 'minor';

export interface ToMinorUnitsOptions {
	/** `major` (default): "10.50" / 10.5 is ten pounds fifty. `minor`: 1050 is ten pounds fifty. */
	mode?: AmountMode;
	/** Field name used in error messages (default `amount`). */
	field?: string;
	/** Field name of the currency in error messages (default `currency`). */
	currencyField?: string;
	/** Accept zero (default true). Charges should pass false. */
	allowZero?: boolean;
	/** Largest accepted amount in minor units (default DEFAULT_MAX_MINOR_UNITS). */
	maxMinorUnits?: number;
}

/**
 * Converts an amount to integer minor units of `currency`.
 *
 * Major units accept a plain decimal string ("10.50", " 7 ", "10.500" when the extra digits are
 * zeros) or a finite number. A number is accepted when it is within floating-point noise of a
 * representable amount (0.1 + 0.2 is 0.30), never rounded otherwise: 10.505 GBP is refused.
 * Minor units accept only whole numbers. Signs, exponents, thousands separators, currency
 * symbols, NaN, Infinity, negative and over-large amounts are refused with an AmountError
 * naming the field.
 */
export function toMinorUnits(amount: unknown, currency: string, options: ToMinorUnitsOptions = {}): number {
	const field = options.field ?? 'amount';
	const mode = options.mode ?? 'major';
	const exponent = minorUnitExponent(currency, options.currencyField ?? 'currency');
	const code = normaliseCurrency(currency, options.currencyField ?? 'currency');
	const max = options.maxMinorUnits ?? DEFAULT_MAX_MINOR_UNITS;
	const allowZero = options.allowZero ?? true;

	let minor: number;
	if (mode === 'minor') {
		minor = parseMinor(amount, field);
	} else if (mode === 'major') {
		minor = parseMajor(amount, exponent, code, field);
	} else {
		throw new AmountError(field, `unknown amount mode "${String(mode)}" (use "major" or "minor")`);
	}

	if (!allowZero && minor === 0) throw new AmountError(field, 'must be greater than zero');
	if (minor > max) {
		throw new AmountError(
			field,
			`${formatMinorUnits(minor, code)} ${code} is above the allowed maximum of ${formatMinorUnits(max, code)} ${code}`,
		);
	}
	return minor;
}

/** Formats integer minor units as a plain major-unit string: (1050, GBP) → "10.50", (5, JPY) → "5". */
export function formatMinorUnits(minor: number, currency: string): string {
	if (!Number.isSafeInteger(minor)) throw new AmountError('amount', `${String(minor)} is not a whole number of minor units`);
	const exponent = minorUnitExponent(currency);
	const negative = minor < 0;
	const digits = String(Math.abs(minor));
	if (exponent === 0) return (negative ? '-' : '') + digits;
	const padded = digits.padStart(exponent + 1, '0');
	return `${negative ? '-' : ''}${padded.slice(0, -exponent)}.${padded.slice(-exponent)}`;
}

/**
 * Minor units for a report or email that must not fail on a value it did not choose: the major-unit
 * string, or the minor units as they are for a currency the table does not know.
 */
export function minorUnitsForDisplay(minor: number, currency: string): string {
	try {
		return formatMinorUnits(minor, currency);
	} catch {
		return `${minor} (minor units)`;
	}
}

/** Converts integer minor units to a JavaScript number in major units (for APIs that insist on numbers). */
export function fromMinorUnits(minor: number, currency: string): number {
	return Number(formatMinorUnits(minor, currency));
}

function parseMinor(amount: unknown, field: string): number {
	if (typeof amount === 'number') {
		checkFiniteNonNegative(amount, field);
		if (!Number.isInteger(amount)) {
			throw new AmountError(field, `${amount} is not a whole number of minor units`);
		}
		if (!Number.isSafeInteger(amount)) throw new AmountError(field, `${amount} is too large`);
		return amount;
	}
	const text = amountText(amount, field);
	if (!/^\d+$/.test(text)) {
		if (/^\d+\.\d*$/.test(text)) throw new AmountError(field, `"${text}" is not a whole number of minor units`);
		throw notNumeric(text, field);
	}
	return toSafeInteger(text, field);
}

function parseMajor(amount: unknown, exponent: number, code: string, field: string): number {
	if (typeof amount === 'number') {
		checkFiniteNonNegative(amount, field);
		const scaled = amount * 10 ** exponent;
		const rounded = Math.round(scaled);
		// Accept binary floating-point noise only (10.5 * 100 = 1050.0000000000002), never a real fraction.
		const tolerance = Math.max(1e-9, Math.abs(scaled) * Number.EPSILON * 16);
		if (Math.abs(scaled - rounded) > tolerance) {
			throw tooManyDecimals(String(amount), exponent, code, field);
		}
		if (!Number.isSafeInteger(rounded)) throw new AmountError(field, `${amount} is too large`);
		return rounded;
	}
	const text = amountText(amount, field);
	const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
	if (!match) throw notNumeric(text, field);
	const whole = match[1];
	let fraction = match[2] ?? '';
	if (fraction.length > exponent) {
		// "10.500" is exact; "10.505" is not.
		if (/[1-9]/.test(fraction.slice(exponent))) throw tooManyDecimals(text, exponent, code, field);
		fraction = fraction.slice(0, exponent);
	}
	return toSafeInteger(whole + fraction.padEnd(exponent, '0'), field);
}

function amountText(amount: unknown, field: string): string {
	if (amount === undefined || amount === null) throw new AmountError(field, 'is required');
	if (typeof amount === 'bigint') return amount.toString();
	if (typeof amount !== 'string') {
		throw new AmountError(field, `must be a number or a numeric string, got ${describe(amount)}`);
	}
	const text = amount.trim();
	if (text === '') throw new AmountError(field, 'is required');
	if (text.startsWith('-')) throw new AmountError(field, `"${text}" is negative; amounts must not be negative`);
	return text;
}

function checkFiniteNonNegative(amount: number, field: string): void {
	if (Number.isNaN(amount)) throw new AmountError(field, 'is NaN (not a number)');
	if (!Number.isFinite(amount)) throw new AmountError(field, `${amount} is not a finite amount`);
	if (amount < 0 || Object.is(amount, -0)) throw new AmountError(field, `${amount} is negative; amounts must not be negative`);
}

function toSafeInteger(digits: string, field: string): number {
	const trimmed = digits.replace(/^0+(?=\d)/, '');
	// Longer than 16 digits cannot be a safe integer; refuse before Number() loses precision.
	if (trimmed.length > 16) throw new AmountError(field, `"${digits}" is too large`);
	const value = Number(trimmed);
	if (!Number.isSafeInteger(value)) throw new AmountError(field, `"${digits}" is too large`);
	return value;
}

function notNumeric(text: string, field: string): AmountError {
	let hint = '';
	if (/,/.test(text)) hint = ' (no thousands separators or decimal commas: use "1234.50")';
	else if (/[eE]/.test(text)) hint = ' (no exponent notation)';
	else if (/^\+/.test(text)) hint = ' (no sign)';
	else if (/[^\d.\s]/.test(text)) hint = ' (digits and one decimal point only, no currency symbols)';
	return new AmountError(field, `"${text}" is not a valid amount${hint}`);
}

function tooManyDecimals(text: string, exponent: number, code: string, field: string): AmountError {
	return new AmountError(
		field,
		exponent === 0
			? `"${text}" has decimals but ${code} has no minor unit`
			: `"${text}" has more than ${exponent} decimal place${exponent === 1 ? '' : 's'}, the most ${code} allows`,
	);
}

function describe(value: unknown): string {
	if (Array.isArray(value)) return 'an array';
	if (value === null) return 'null';
	return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}
