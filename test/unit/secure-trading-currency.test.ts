import {
	AmountError,
	CURRENCY_MINOR_UNITS,
	formatMinorUnits,
	fromMinorUnits,
	isKnownCurrency,
	minorUnitExponent,
	normaliseCurrency,
	toMinorUnits,
} from '../../nodes/shared/currency';

function expectAmountError(fn: () => unknown, field: string, text: RegExp): void {
	let caught: unknown;
	try {
		fn();
	} catch (error) {
		caught = error;
	}
	expect(caught).toBeInstanceOf(AmountError);
	expect((caught as AmountError).field).toBe(field);
	expect((caught as AmountError).message).toMatch(new RegExp(`^${field}: `));
	expect((caught as AmountError).message).toMatch(text);
}

describe('ISO 4217 table', () => {
	it('has the exponents that differ from two', () => {
		const zero = ['BIF', 'CLP', 'DJF', 'GNF', 'ISK', 'JPY', 'KMF', 'KRW', 'PYG', 'RWF', 'UGX', 'UYI', 'VND', 'VUV', 'XAF', 'XOF', 'XPF'];
		const three = ['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND'];
		const four = ['CLF', 'UYW'];
		for (const code of zero) expect(CURRENCY_MINOR_UNITS[code]).toBe(0);
		for (const code of three) expect(CURRENCY_MINOR_UNITS[code]).toBe(3);
		for (const code of four) expect(CURRENCY_MINOR_UNITS[code]).toBe(4);
		const others = Object.entries(CURRENCY_MINOR_UNITS).filter(([code]) => ![...zero, ...three, ...four].includes(code));
		expect(others.every(([, exponent]) => exponent === 2)).toBe(true);
	});

	it('covers the active codes and leaves out withdrawn and unit-less ones', () => {
		expect(Object.keys(CURRENCY_MINOR_UNITS).length).toBeGreaterThanOrEqual(150);
		for (const code of ['GBP', 'EUR', 'USD', 'CHF', 'NZD', 'ZAR', 'SLE', 'VES', 'VED', 'ZWG', 'MRU', 'STN', 'BYN']) expect(isKnownCurrency(code)).toBe(true);
		for (const code of ['HRK', 'MRO', 'STD', 'VEF', 'BYR', 'LTL', 'XAU', 'XXX', 'XTS', 'ABC']) expect(isKnownCurrency(code)).toBe(false);
		expect(Object.keys(CURRENCY_MINOR_UNITS).every((code) => /^[A-Z]{3}$/.test(code))).toBe(true);
	});

	it('normalises and validates currency codes, naming the field', () => {
		expect(normaliseCurrency(' gbp ')).toBe('GBP');
		expect(minorUnitExponent('jpy')).toBe(0);
		expectAmountError(() => normaliseCurrency('', 'invoiceCurrency'), 'invoiceCurrency', /required/);
		expectAmountError(() => normaliseCurrency(undefined), 'currency', /required/);
		expectAmountError(() => normaliseCurrency('POUNDS'), 'currency', /three-letter/);
		expectAmountError(() => normaliseCurrency('XYZ'), 'currency', /not an active ISO 4217/);
		expectAmountError(() => normaliseCurrency(826), 'currency', /ISO 4217 code/);
	});
});

describe('toMinorUnits, major units', () => {
	it('converts by the currency exponent: JPY 0, GBP 2, BHD 3 decimals', () => {
		expect(toMinorUnits('1050', 'JPY')).toBe(1050);
		expect(toMinorUnits(1050, 'JPY')).toBe(1050);
		expect(toMinorUnits('10.50', 'GBP')).toBe(1050);
		expect(toMinorUnits('10.5', 'GBP')).toBe(1050);
		expect(toMinorUnits(10.5, 'GBP')).toBe(1050);
		expect(toMinorUnits('10', 'GBP')).toBe(1000);
		expect(toMinorUnits('1.234', 'BHD')).toBe(1234);
		expect(toMinorUnits('1.2', 'BHD')).toBe(1200);
		expect(toMinorUnits(0.005, 'KWD')).toBe(5);
		expect(toMinorUnits('0.0001', 'CLF')).toBe(1);
		expect(toMinorUnits(' 7 ', 'EUR')).toBe(700);
		expect(toMinorUnits('007.10', 'EUR')).toBe(710);
	});

	it('accepts exact extra zeros and floating-point noise, never real fractions', () => {
		expect(toMinorUnits('10.500', 'GBP')).toBe(1050);
		expect(toMinorUnits('5.0', 'JPY')).toBe(5);
		expect(toMinorUnits(0.1 + 0.2, 'GBP')).toBe(30);
		expect(toMinorUnits(1.15, 'GBP')).toBe(115);
		expect(toMinorUnits(123456789.99, 'USD')).toBe(12345678999);
		expectAmountError(() => toMinorUnits('10.505', 'GBP'), 'amount', /more than 2 decimal places.*GBP/);
		expectAmountError(() => toMinorUnits(10.505, 'GBP'), 'amount', /more than 2 decimal places/);
		expectAmountError(() => toMinorUnits('10.5', 'JPY'), 'amount', /JPY has no minor unit/);
		expectAmountError(() => toMinorUnits(0.5, 'JPY'), 'amount', /no minor unit/);
		expectAmountError(() => toMinorUnits('1.2345', 'BHD'), 'amount', /more than 3 decimal places/);
		expectAmountError(() => toMinorUnits(12345678901.235, 'USD'), 'amount', /decimal places/);
	});

	it('refuses negative, NaN, infinite, empty and non-numeric amounts naming the field', () => {
		expectAmountError(() => toMinorUnits('-1.00', 'GBP', { field: 'lineAmount' }), 'lineAmount', /negative/);
		expectAmountError(() => toMinorUnits(-1, 'GBP'), 'amount', /negative/);
		expectAmountError(() => toMinorUnits(-0, 'GBP'), 'amount', /negative/);
		expectAmountError(() => toMinorUnits(Number.NaN, 'GBP'), 'amount', /NaN/);
		expectAmountError(() => toMinorUnits(Number.POSITIVE_INFINITY, 'GBP'), 'amount', /finite/);
		expectAmountError(() => toMinorUnits('', 'GBP'), 'amount', /required/);
		expectAmountError(() => toMinorUnits(undefined, 'GBP'), 'amount', /required/);
		expectAmountError(() => toMinorUnits(null, 'GBP'), 'amount', /required/);
		expectAmountError(() => toMinorUnits('abc', 'GBP'), 'amount', /not a valid amount/);
		expectAmountError(() => toMinorUnits('1,000.00', 'GBP'), 'amount', /thousands separators/);
		expectAmountError(() => toMinorUnits('10,50', 'EUR'), 'amount', /decimal commas/);
		expectAmountError(() => toMinorUnits('1e3', 'GBP'), 'amount', /exponent/);
		expectAmountError(() => toMinorUnits('+5', 'GBP'), 'amount', /sign/);
		expectAmountError(() => toMinorUnits('£10', 'GBP'), 'amount', /currency symbols/);
		expectAmountError(() => toMinorUnits('.5', 'GBP'), 'amount', /not a valid amount/);
		expectAmountError(() => toMinorUnits('5.', 'GBP'), 'amount', /not a valid amount/);
		expectAmountError(() => toMinorUnits(true, 'GBP'), 'amount', /number or a numeric string/);
		expectAmountError(() => toMinorUnits({ value: 1 }, 'GBP'), 'amount', /an object/);
	});

	it('refuses absurd amounts and honours a caller maximum', () => {
		expect(toMinorUnits('99999999999.99', 'GBP')).toBe(9_999_999_999_999);
		expectAmountError(() => toMinorUnits('100000000000.00', 'GBP'), 'amount', /above the allowed maximum of 99999999999.99 GBP/);
		expectAmountError(() => toMinorUnits('123456789012345678901234', 'GBP'), 'amount', /too large/);
		expectAmountError(() => toMinorUnits(1e300, 'GBP'), 'amount', /too large/);
		expectAmountError(() => toMinorUnits('500.01', 'GBP', { maxMinorUnits: 50000 }), 'amount', /maximum of 500.00 GBP/);
	});

	it('allows zero unless told not to', () => {
		expect(toMinorUnits('0', 'GBP')).toBe(0);
		expect(toMinorUnits('0.00', 'GBP')).toBe(0);
		expectAmountError(() => toMinorUnits('0.00', 'GBP', { allowZero: false }), 'amount', /greater than zero/);
	});

	it('refuses unknown currencies naming the currency field', () => {
		expectAmountError(() => toMinorUnits('10', 'XYZ', { currencyField: 'currencyCode' }), 'currencyCode', /XYZ/);
		expectAmountError(() => toMinorUnits('10', ''), 'currency', /required/);
	});
});

describe('toMinorUnits, minor units', () => {
	it('accepts whole numbers only', () => {
		expect(toMinorUnits(1050, 'GBP', { mode: 'minor' })).toBe(1050);
		expect(toMinorUnits('1050', 'GBP', { mode: 'minor' })).toBe(1050);
		expect(toMinorUnits('5', 'JPY', { mode: 'minor' })).toBe(5);
		expect(toMinorUnits('1234', 'BHD', { mode: 'minor' })).toBe(1234);
		expectAmountError(() => toMinorUnits('10.50', 'GBP', { mode: 'minor' }), 'amount', /whole number of minor units/);
		expectAmountError(() => toMinorUnits(10.5, 'GBP', { mode: 'minor' }), 'amount', /whole number/);
		expectAmountError(() => toMinorUnits('-5', 'GBP', { mode: 'minor' }), 'amount', /negative/);
		expectAmountError(() => toMinorUnits(2 ** 60, 'GBP', { mode: 'minor' }), 'amount', /too large/);
		expectAmountError(() => toMinorUnits('1', 'GBP', { mode: 'cents' as never }), 'amount', /unknown amount mode/);
	});
});

describe('formatting', () => {
	it('formats minor units back to major-unit strings', () => {
		expect(formatMinorUnits(1050, 'GBP')).toBe('10.50');
		expect(formatMinorUnits(5, 'GBP')).toBe('0.05');
		expect(formatMinorUnits(1050, 'JPY')).toBe('1050');
		expect(formatMinorUnits(1234, 'BHD')).toBe('1.234');
		expect(formatMinorUnits(7, 'BHD')).toBe('0.007');
		expect(formatMinorUnits(-250, 'EUR')).toBe('-2.50');
		expect(fromMinorUnits(1050, 'GBP')).toBe(10.5);
		expect(() => formatMinorUnits(1.5, 'GBP')).toThrow(AmountError);
	});

	it('round-trips', () => {
		for (const [currency, text] of [
			['GBP', '1234.56'],
			['JPY', '98765'],
			['BHD', '12.345'],
			['CLF', '1.2345'],
		] as const) {
			expect(formatMinorUnits(toMinorUnits(text, currency), currency)).toBe(text);
		}
	});
});
