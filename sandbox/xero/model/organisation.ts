// One Xero organisation held in memory: its settings (currencies, accounts, tax rates, payment
// terms), the contacts, invoices and payments it owns, and the clock and counters they share. The
// rules for each aggregate live in contacts.ts, invoices.ts and payments.ts beside this file.
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
}

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
	}

	reset(): void {
		this.contacts.clear();
		this.invoices.clear();
		this.payments.clear();
		this.creditNotes.clear();
		this.creditNoteSeq = 0;
		this.invoiceSeq = 0;
		this.createdOrder = 0;
	}

	account(code: string | undefined): AccountDef | undefined {
		if (!code) return undefined;
		return this.accounts.find((a) => a.Code.toLowerCase() === code.toLowerCase());
	}

	taxRate(taxType: string | undefined): TaxRateDef | undefined {
		if (!taxType) return undefined;
		return this.taxRates.find((t) => t.TaxType.toUpperCase() === taxType.toUpperCase());
	}
}
