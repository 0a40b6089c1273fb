// One Xero organisation held in memory: its settings (currencies, accounts, tax rates, payment
// terms), the contacts, invoices and payments it owns, and the clock and counters they share. The
// rules for each aggregate live in contacts.ts, invoices.ts and payments.ts beside this file. Its
// details (addresses, phones, tax number) and branding themes are what a client renders its own
// invoice documents from.
import { randomUUID } from 'crypto';
import { DEFAULT_ACCOUNTS, DEFAULT_TAX_RATES, type AccountDef, type TaxRateDef } from './accounts';
import type { ContactRec } from './contacts';
import type { InvoiceRec } from './invoices';
import type { PaymentRec } from './payments';
import type { CreditNoteRec } from './creditNotes';

export interface OrganisationConfig {
	name?: string;
	baseCurrency?: string;
	/** Currencies enabled for the organisation besides the base currency. */
	currencies?: string[];
	/** Exchange rates to the base currency (units of base per unit of the currency). */
	currencyRates?: Record<string, number>;
	accounts?: AccountDef[];
	taxRates?: TaxRateDef[];
	countryCode?: string;
	/** Default payment terms in days for invoices sent without a DueDate; unset means DueDate is required. */
	paymentTermsDays?: number;
	/** Prefix of automatic invoice numbers. */
	invoiceNumberPrefix?: string;
	/** Addresses as Xero shows them; default a POBOX (postal) and a STREET address in Manchester. [] for none. */
	addresses?: OrganisationAddress[];
	/** Phones as Xero shows them; default one OFFICE number. [] for none. */
	phones?: OrganisationPhone[];
	/** Tax number (VAT number in the UK); default a UK VAT number when the country is GB; null for none. */
	taxNumber?: string | null;
	/**
	 * Branding themes in SortOrder, the first being the default (SortOrder 0); default one
	 * "Standard" theme with a logo. `logo: false` leaves the theme's LogoUrl out (no logo uploaded).
	 */
	brandingThemes?: BrandingThemeConfig[];
	/** false: the organisation does not allow online invoices, so GET /Invoices/{id}/OnlineInvoice is refused. Default true. */
	onlineInvoices?: boolean;
}

/** An organisation address in Xero's shape. */
export interface OrganisationAddress {
	AddressType: 'POBOX' | 'STREET' | 'DELIVERY';
	AddressLine1?: string;
	AddressLine2?: string;
	AddressLine3?: string;
	AddressLine4?: string;
	City?: string;
	Region?: string;
	PostalCode?: string;
	Country?: string;
	AttentionTo?: string;
}

/** A phone in Xero's shape. */
export interface OrganisationPhone {
	PhoneType: 'DEFAULT' | 'DDI' | 'MOBILE' | 'FAX' | 'OFFICE';
	PhoneNumber?: string;
	PhoneAreaCode?: string;
	PhoneCountryCode?: string;
}

export interface BrandingThemeConfig {
	name: string;
	/** Whether a logo is uploaded for the theme (default true). */
	logo?: boolean;
}

export interface BrandingThemeRec {
	BrandingThemeID: string;
	Name: string;
	SortOrder: number;
	hasLogo: boolean;
	CreatedDateUTC: number;
}

const MANCHESTER_OFFICE = {
	AddressLine1: 'Unit 4, Riverside Works',
	AddressLine2: '12 Canal Street',
	City: 'Manchester',
	Region: 'Greater Manchester',
	PostalCode: 'M1 3HE',
	Country: 'United Kingdom',
};

export const DEFAULT_ADDRESSES: OrganisationAddress[] = [
	{ AddressType: 'POBOX', ...MANCHESTER_OFFICE, AttentionTo: 'Accounts Receivable' },
	{ AddressType: 'STREET', ...MANCHESTER_OFFICE },
];

/** 0161 496 0xxx is Ofcom's range reserved for drama, so it never rings anyone. */
export const DEFAULT_PHONES: OrganisationPhone[] = [{ PhoneType: 'OFFICE', PhoneNumber: '496 0123', PhoneAreaCode: '0161', PhoneCountryCode: '44' }];

/** HMRC's specimen VAT number (its mod-97 check digits are valid). */
export const DEFAULT_UK_VAT_NUMBER = 'GB999999973';

export class Organisation {
	readonly organisationId = randomUUID();
	readonly shortCode = '!' + randomUUID().slice(0, 5);
	readonly name: string;
	readonly baseCurrency: string;
	readonly currencies: Set<string>;
	readonly currencyRates: Record<string, number>;
	readonly accounts: AccountDef[];
	readonly taxRates: TaxRateDef[];
	readonly countryCode: string;
	readonly paymentTermsDays?: number;
	readonly invoiceNumberPrefix: string;
	readonly addresses: OrganisationAddress[];
	readonly phones: OrganisationPhone[];
	readonly taxNumber?: string;
	readonly brandingThemes: BrandingThemeRec[];
	readonly onlineInvoicesEnabled: boolean;

	contacts = new Map<string, ContactRec>();
	invoices = new Map<string, InvoiceRec>();
	payments = new Map<string, PaymentRec>();
	/** ACCRECCREDIT credit notes the bookkeeper allocated to invoices. */
	creditNotes = new Map<string, CreditNoteRec>();
	/** Last credit note number handed out. */
	creditNoteSeq = 0;
	/** Last automatic invoice number handed out. */
	invoiceSeq = 0;
	/** Creation counter: invoice lists come back in creation order unless ordered. */
	createdOrder = 0;
	/** Online invoice links handed out: token → InvoiceID (one token per invoice, kept for good). */
	onlineInvoiceTokens = new Map<string, string>();
	/** How often each invoice's online page was opened, by InvoiceID. */
	onlineInvoiceViews = new Map<string, number>();
	/** Downloads of this organisation's theme logos. */
	logoDownloads = 0;
	/** Clock used for UpdatedDateUTC; tests may replace it. */
	now: () => number = () => Date.now();

	constructor(config: OrganisationConfig = {}) {
		this.name = config.name ?? 'Sandbox Billing Ltd';
		this.baseCurrency = (config.baseCurrency ?? 'GBP').toUpperCase();
		this.currencies = new Set([this.baseCurrency, ...(config.currencies ?? ['EUR', 'USD']).map((c) => c.toUpperCase())]);
		this.currencyRates = config.currencyRates ?? {};
		this.accounts = (config.accounts ?? DEFAULT_ACCOUNTS).map((a) => ({ ...a, AccountID: a.AccountID ?? randomUUID() }));
		this.taxRates = config.taxRates ?? DEFAULT_TAX_RATES;
		this.countryCode = config.countryCode ?? 'GB';
		this.paymentTermsDays = config.paymentTermsDays;
		this.invoiceNumberPrefix = config.invoiceNumberPrefix ?? 'INV-';
		this.addresses = config.addresses ?? DEFAULT_ADDRESSES;
		this.phones = config.phones ?? DEFAULT_PHONES;
		const defaultTaxNumber = this.countryCode === 'GB' ? DEFAULT_UK_VAT_NUMBER : undefined;
		this.taxNumber = config.taxNumber === null ? undefined : (config.taxNumber ?? defaultTaxNumber);
		const themes = config.brandingThemes ?? [{ name: 'Standard' }];
		// Xero always has a default theme (SortOrder 0); an organisation without one cannot exist.
		if (themes.length === 0) throw new Error('OrganisationConfig.brandingThemes: give at least one theme (the first is the default)');
		this.brandingThemes = themes.map((t, i) => ({
			BrandingThemeID: randomUUID(),
			Name: t.name,
			SortOrder: i,
			hasLogo: t.logo !== false,
			CreatedDateUTC: Date.UTC(2020, 0, 1, 9, i),
		}));
		this.onlineInvoicesEnabled = config.onlineInvoices !== false;
	}

	reset(): void {
		this.contacts.clear();
		this.invoices.clear();
		this.payments.clear();
		this.creditNotes.clear();
		this.creditNoteSeq = 0;
		this.invoiceSeq = 0;
		this.createdOrder = 0;
		this.onlineInvoiceTokens.clear();
		this.onlineInvoiceViews.clear();
		this.logoDownloads = 0;
	}

	account(code: string | undefined): AccountDef | undefined {
		if (!code) return undefined;
		return this.accounts.find((a) => a.Code.toLowerCase() === code.toLowerCase());
	}

	brandingTheme(id: string | undefined): BrandingThemeRec | undefined {
		if (!id) return undefined;
		return this.brandingThemes.find((t) => t.BrandingThemeID === id.toLowerCase());
	}

	taxRate(taxType: string | undefined): TaxRateDef | undefined {
		if (!taxType) return undefined;
		return this.taxRates.find((t) => t.TaxType.toUpperCase() === taxType.toUpperCase());
	}
}
