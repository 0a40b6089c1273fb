// The organisation (with its addresses, phones and tax number) and its settings (accounts, tax
// rates, currencies) as Xero's JSON shows them.
import type { Organisation } from '../model/organisation';
import { msDate } from './values';

export function organisationJson(org: Organisation): Record<string, unknown> {
	return {
		OrganisationID: org.organisationId,
		APIKey: '',
		Name: org.name,
		LegalName: org.name,
		PaysTax: true,
		Version: org.countryCode === 'GB' ? 'UK' : org.countryCode,
		OrganisationType: 'COMPANY',
		BaseCurrency: org.baseCurrency,
		CountryCode: org.countryCode,
		IsDemoCompany: false,
		OrganisationStatus: 'ACTIVE',
		FinancialYearEndDay: 31,
		FinancialYearEndMonth: 3,
		SalesTaxBasis: 'ACCRUALS',
		SalesTaxPeriod: 'QUARTERLY1',
		DefaultSalesTax: 'Tax Exclusive',
		DefaultPurchasesTax: 'Tax Exclusive',
		CreatedDateUTC: msDate(Date.UTC(2020, 0, 1)),
		OrganisationEntityType: 'COMPANY',
		Timezone: 'GMTSTANDARDTIME',
		ShortCode: org.shortCode,
		OrganisationRole: 'STANDARD',
		Edition: 'BUSINESS',
		Class: 'STANDARD',
		...(org.taxNumber ? { TaxNumber: org.taxNumber } : {}),
		Addresses: org.addresses.map((a) => ({ ...a })),
		Phones: org.phones.map((p) => ({ ...p })),
		ExternalLinks: [],
		PaymentTerms: {},
	};
}

export function accountsJson(org: Organisation): Array<Record<string, unknown>> {
	return org.accounts.map((a) => ({ ...a, Status: 'ACTIVE' }));
}

export function taxRatesJson(org: Organisation): Array<Record<string, unknown>> {
	return org.taxRates.map((t) => ({ ...t, EffectiveRate: t.Rate, DisplayTaxRate: t.Rate, Status: 'ACTIVE' }));
}

export function currenciesJson(org: Organisation): Array<Record<string, unknown>> {
	return [...org.currencies].map((Code) => ({ Code, Description: Code }));
}
