// The chart of accounts and tax rates an organisation starts with, and their definitions. The
// field names follow Xero's (they are also what GET /Accounts and /TaxRates show).

export interface AccountDef {
	Code: string;
	Name: string;
	/** REVENUE, SALES, BANK, CURRENT, CURRLIAB, EXPENSE, … */
	Type: string;
	TaxType: string;
	/** Non-bank accounts may still take payments when this is set, as in Xero. */
	EnablePaymentsToAccount?: boolean;
	AccountID?: string;
}

export interface TaxRateDef {
	TaxType: string;
	Name: string;
	/** Percent, e.g. 20 for 20 %. */
	Rate: number;
	CanApplyToRevenue: boolean;
	CanApplyToExpenses: boolean;
}

export const DEFAULT_ACCOUNTS: AccountDef[] = [
	{ Code: '090', Name: 'Business Bank Account', Type: 'BANK', TaxType: 'NONE' },
	{ Code: '091', Name: 'Business Savings Account', Type: 'BANK', TaxType: 'NONE' },
	{ Code: '092', Name: 'Card Gateway Clearing', Type: 'CURRENT', TaxType: 'NONE', EnablePaymentsToAccount: true },
	{ Code: '200', Name: 'Sales', Type: 'REVENUE', TaxType: 'OUTPUT2' },
	{ Code: '260', Name: 'Other Revenue', Type: 'REVENUE', TaxType: 'OUTPUT2' },
	{ Code: '270', Name: 'Interest Income', Type: 'REVENUE', TaxType: 'EXEMPTOUTPUT' },
	{ Code: '310', Name: 'Cost of Goods Sold', Type: 'DIRECTCOSTS', TaxType: 'INPUT2' },
	{ Code: '400', Name: 'Advertising', Type: 'EXPENSE', TaxType: 'INPUT2' },
	{ Code: '610', Name: 'Accounts Receivable', Type: 'CURRENT', TaxType: 'NONE' },
	{ Code: '800', Name: 'Accounts Payable', Type: 'CURRLIAB', TaxType: 'NONE' },
	{ Code: '820', Name: 'VAT', Type: 'CURRLIAB', TaxType: 'NONE' },
];

export const DEFAULT_TAX_RATES: TaxRateDef[] = [
	{ TaxType: 'OUTPUT2', Name: '20% (VAT on Income)', Rate: 20, CanApplyToRevenue: true, CanApplyToExpenses: false },
	{ TaxType: 'RROUTPUT', Name: '5% (VAT on Income)', Rate: 5, CanApplyToRevenue: true, CanApplyToExpenses: false },
	{ TaxType: 'ZERORATEDOUTPUT', Name: 'Zero Rated Income', Rate: 0, CanApplyToRevenue: true, CanApplyToExpenses: false },
	{ TaxType: 'EXEMPTOUTPUT', Name: 'Exempt Income', Rate: 0, CanApplyToRevenue: true, CanApplyToExpenses: false },
	{ TaxType: 'INPUT2', Name: '20% (VAT on Expenses)', Rate: 20, CanApplyToRevenue: false, CanApplyToExpenses: true },
	{ TaxType: 'NONE', Name: 'No VAT', Rate: 0, CanApplyToRevenue: true, CanApplyToExpenses: true },
];
