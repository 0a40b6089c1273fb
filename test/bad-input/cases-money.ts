// Bad-input cases of one area (see cases.ts for what reject and accept mean): money Xero cannot
// hold exactly, and lines that must name their lead. The sandbox organisation of the bad-input run
// has GBP, EUR and USD only, so these amounts use those currencies or are refused before Xero is
// called. What needs another organisation or two messages (BHD 1.235 × 100 billed as 123.500, JPY
// with tax, an existing key whose currency was corrected) is tested in test/unit/xero-money.test.ts.
import { line, reject, type BadInputCase } from './case-kit';

export const MONEY_CASES: BadInputCase[] = [
	{
		id: 'money-bhd-line-not-holdable',
		stage: 'invoice',
		what: 'BHD 3 × 1.235 = 3.705: Xero keeps line amounts at 2 decimals',
		item: (g) => ({ ...g, currency: 'BHD', lines: [line({ leadId: 'M-BHD-1', quantity: 3, unitAmount: '1.235', unitAmountMinor: 1235, lineAmountMinor: 3705 })], totalMinor: 3705, total: '3.705' }),
		expect: reject('lines[0].unitAmountMinor', /3\.705 has more than 2 decimals/),
	},
	{
		id: 'money-kwd-price-rounded-line',
		stage: 'invoice',
		what: 'KWD 10.125 × 3 = 30.375 (Xero would make it 30.39 or 30.38)',
		item: (g) => ({ ...g, currency: 'KWD', lines: [line({ leadId: 'M-KWD-1', quantity: 3, unitAmount: '10.125', unitAmountMinor: 10125, lineAmountMinor: 30375 })], totalMinor: 30375, total: '30.375' }),
		expect: reject('lines[0].unitAmountMinor', /30\.375 has more than 2 decimals/),
	},
	{
		id: 'money-fraction-of-a-penny',
		stage: 'invoice',
		what: 'quantity 0.5 of a 0.01 GBP unit: half a penny',
		item: (g) => ({ ...g, lines: [line({ leadId: 'M-HALF-1', quantity: 0.5, unitAmount: '0.01', unitAmountMinor: 1, lineAmountMinor: 1 })], totalMinor: 1, total: '0.01' }),
		expect: reject('lines[0].unitAmountMinor', /not a whole number of GBP minor units/),
	},
	{
		id: 'money-line-amount-disagrees',
		stage: 'invoice',
		what: 'lineAmountMinor 2000 for 2 × 12.50',
		item: (g) => ({ ...g, lines: [line({ leadId: 'M-SUM-1', quantity: 2, unitAmount: '12.50', unitAmountMinor: 1250, lineAmountMinor: 2000 })], totalMinor: 2000, total: '20.00' }),
		expect: reject('lines[0].lineAmountMinor', /not quantity × unit price/),
	},
	{
		id: 'money-lead-billed-twice',
		stage: 'invoice',
		what: 'the same lead on two lines of one invoice',
		item: (g) => ({ ...g, lines: [line({ leadId: 'M-TWICE-1' }), line({ leadId: 'M-TWICE-1', description: 'Lead again' })], totalMinor: 2000, total: '20.00' }),
		expect: reject('lines[1].leadId', /billed twice/),
	},
	{
		id: 'money-lead-id-object',
		stage: 'invoice',
		what: 'lead id is an object',
		item: (g) => ({ ...g, lines: [line({ leadId: { id: 'M-OBJ-1' } })] }),
		expect: reject('lines[0].leadId', /must be text|names no lead/),
	},
	{
		id: 'money-description-too-long-once-marked',
		stage: 'invoice',
		what: '3,995-character description: over 4,000 with its lead marker',
		item: (g) => ({ ...g, lines: [line({ leadId: 'M-LONG-1', description: 'x'.repeat(3995) })] }),
		expect: reject('lines[0].description', /longer than 4000 characters once marked with lead M-LONG-1/),
	},
];
