// One Xero organisation held in memory: its chart of accounts, tax rates, contacts, invoices and
// payments, with the validation rules and arithmetic of the Accounting API. The HTTP layer in
// server.ts turns requests into calls here and results into Xero's JSON envelopes.
import { randomUUID } from 'crypto';
import { compileWhere, type Predicate } from './where';
import {
	amountToCents,
	dateString,
	divRound,
	EMPTY_GUID,
	fromCents,
	isGuid,
	msDate,
	parseXeroDate,
	prop,
	propNumber,
	propString,
	todayUtc,
	toScaled,
} from './wire';

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

const INVOICE_TYPES = ['ACCREC', 'ACCPAY'];
const CREATE_STATUSES = ['DRAFT', 'SUBMITTED', 'AUTHORISED'];
const LINE_AMOUNT_TYPES = ['Exclusive', 'Inclusive', 'NoTax'];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface ContactRec {
	ContactID: string;
	ContactNumber?: string;
	AccountNumber?: string;
	ContactStatus: 'ACTIVE' | 'ARCHIVED';
	Name: string;
	FirstName?: string;
	LastName?: string;
	EmailAddress?: string;
	DefaultCurrency?: string;
	IsCustomer: boolean;
	IsSupplier: boolean;
	UpdatedDateUTC: number;
}

export interface LineRec {
	LineItemID: string;
	Description: string;
	Quantity: number;
	UnitAmount: number;
	AccountCode?: string;
	TaxType: string;
	TaxAmountCents: number;
	LineAmountCents: number;
}

export interface PaymentRec {
	PaymentID: string;
	InvoiceID: string;
	AccountCode: string;
	AccountID: string;
	Date: number;
	AmountCents: number;
	Reference: string;
	Status: 'AUTHORISED' | 'DELETED';
	PaymentType: string;
	CurrencyRate: number;
	UpdatedDateUTC: number;
}

export interface InvoiceRec {
	InvoiceID: string;
	Type: string;
	InvoiceNumber: string;
	Reference: string;
	ContactID: string;
	Date: number;
	DueDate?: number;
	Status: string;
	LineAmountTypes: string;
	LineItems: LineRec[];
	SubTotalCents: number;
	TotalTaxCents: number;
	TotalCents: number;
	AmountPaidCents: number;
	CurrencyCode: string;
	CurrencyRate: number;
	SentToContact: boolean;
	FullyPaidOnDate?: number;
	PaymentIDs: string[];
	UpdatedDateUTC: number;
	CreatedOrder: number;
}

/** Outcome for one element of a batch PUT/POST. */
export interface ElementResult {
	ok: boolean;
	/** The entity as Xero returns it (saved form when ok, echoed input when not). */
	element: Record<string, unknown>;
	errors: string[];
}

export class QueryError extends Error {}

/** Reads paging and filters common to the list endpoints. */
export interface ListQuery {
	where?: string;
	order?: string;
	ids?: string[];
	page?: number;
	pageSize?: number;
	includeArchived?: boolean;
	ifModifiedSince?: number;
	searchTerm?: string;
	summaryOnly?: boolean;
}

export interface InvoiceListQuery extends ListQuery {
	invoiceNumbers?: string[];
	contactIds?: string[];
	statuses?: string[];
}

const INVOICE_WHERE_FIELDS = [
	'Type', 'InvoiceID', 'InvoiceNumber', 'Reference', 'Status', 'Date', 'DueDate', 'SubTotal', 'TotalTax', 'Total',
	'AmountDue', 'AmountPaid', 'AmountCredited', 'CurrencyCode', 'SentToContact', 'UpdatedDateUTC', 'FullyPaidOnDate',
	'LineAmountTypes', 'HasAttachments', 'IsDiscounted', 'Contact', 'Contact.ContactID', 'Contact.Name',
	'Contact.ContactNumber', 'Contact.EmailAddress', 'Contact.ContactStatus', 'ContactNumber',
];
const CONTACT_WHERE_FIELDS = [
	'ContactID', 'ContactNumber', 'AccountNumber', 'ContactStatus', 'Name', 'FirstName', 'LastName', 'EmailAddress',
	'IsCustomer', 'IsSupplier', 'DefaultCurrency', 'UpdatedDateUTC',
];
const PAYMENT_WHERE_FIELDS = [
	'PaymentID', 'Date', 'Amount', 'Reference', 'Status', 'PaymentType', 'CurrencyRate', 'IsReconciled', 'UpdatedDateUTC',
	'Invoice', 'Invoice.InvoiceID', 'Invoice.InvoiceNumber', 'Invoice.Type', 'Account.Code', 'Account.AccountID',
];

function round4(n: number): number {
	return Math.round(n * 10000) / 10000;
}

function sortBy<T>(rows: T[], order: string | undefined, view: (r: T) => Record<string, unknown>): T[] {
	if (!order) return rows;
	const keys = order.split(',').map((part) => {
		const [field, dir] = part.trim().split(/\s+/);
		if (!field || !/^[A-Za-z.]+$/.test(field)) throw new QueryError(`Invalid order clause '${part.trim()}'`);
		return { field, desc: (dir ?? '').toUpperCase() === 'DESC' };
	});
	return [...rows].sort((a, b) => {
		const va = view(a);
		const vb = view(b);
		for (const { field, desc } of keys) {
			const x = field.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? prop(o, k) : undefined), va);
			const y = field.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? prop(o, k) : undefined), vb);
			if (x === y) continue;
			if (x === undefined || x === null) return desc ? 1 : -1;
			if (y === undefined || y === null) return desc ? -1 : 1;
			const c = (x as number | string) < (y as number | string) ? -1 : 1;
			return desc ? -c : c;
		}
		return 0;
	});
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
	private invoiceSeq = 0;
	private createdOrder = 0;
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
		this.invoiceSeq = 0;
		this.createdOrder = 0;
	}

	// ---------------------------------------------------------------- accounts & tax

	account(code: string | undefined): AccountDef | undefined {
		if (!code) return undefined;
		return this.accounts.find((a) => a.Code.toLowerCase() === code.toLowerCase());
	}

	taxRate(taxType: string | undefined): TaxRateDef | undefined {
		if (!taxType) return undefined;
		return this.taxRates.find((t) => t.TaxType.toUpperCase() === taxType.toUpperCase());
	}

	// ---------------------------------------------------------------- contacts

	findContact(ref: unknown): ContactRec | undefined {
		const id = propString(ref, 'ContactID');
		if (id) return this.contacts.get(id.toLowerCase());
		const number = propString(ref, 'ContactNumber');
		if (number) return [...this.contacts.values()].find((c) => c.ContactNumber === number && c.ContactStatus === 'ACTIVE');
		const name = propString(ref, 'Name');
		if (name) {
			return [...this.contacts.values()].find((c) => c.Name.toLowerCase() === name.trim().toLowerCase() && c.ContactStatus === 'ACTIVE');
		}
		return undefined;
	}

	serializeContact(c: ContactRec): Record<string, unknown> {
		return {
			ContactID: c.ContactID,
			...(c.ContactNumber !== undefined ? { ContactNumber: c.ContactNumber } : {}),
			...(c.AccountNumber !== undefined ? { AccountNumber: c.AccountNumber } : {}),
			ContactStatus: c.ContactStatus,
			Name: c.Name,
			...(c.FirstName !== undefined ? { FirstName: c.FirstName } : {}),
			...(c.LastName !== undefined ? { LastName: c.LastName } : {}),
			EmailAddress: c.EmailAddress ?? '',
			BankAccountDetails: '',
			Addresses: [],
			Phones: [],
			UpdatedDateUTC: msDate(c.UpdatedDateUTC),
			ContactGroups: [],
			IsSupplier: c.IsSupplier,
			IsCustomer: c.IsCustomer,
			...(c.DefaultCurrency ? { DefaultCurrency: c.DefaultCurrency } : {}),
			ContactPersons: [],
			HasAttachments: false,
			HasValidationErrors: false,
		};
	}

	private contactView(c: ContactRec): Record<string, unknown> {
		return { ...c, UpdatedDateUTC: c.UpdatedDateUTC };
	}

	/** PUT/POST /Contacts: creates, or updates when ContactID (or the path id) names an existing contact. */
	saveContacts(items: unknown[], pathId?: string): ElementResult[] {
		return items.map((input) => {
			const errors: string[] = [];
			const idIn = pathId ?? propString(input, 'ContactID');
			let existing: ContactRec | undefined;
			if (idIn) {
				existing = this.contacts.get(idIn.toLowerCase());
				if (!existing) {
					return { ok: false, element: this.echo(input, 'contact'), errors: [`Contact with ContactID '${idIn}' could not be found.`] };
				}
			}
			const name = propString(input, 'Name')?.trim() ?? existing?.Name;
			if (!name) errors.push('The contact name must be specified.');
			else if (name.length > 255) errors.push('The contact name must not be more than 255 characters long.');
			const email = propString(input, 'EmailAddress')?.trim();
			if (email && !EMAIL.test(email)) errors.push('Email address must be valid.');
			const number = propString(input, 'ContactNumber')?.trim();
			if (number && number.length > 50) errors.push('The Contact Number must not be more than 50 characters long.');
			const status = propString(input, 'ContactStatus')?.toUpperCase() ?? existing?.ContactStatus ?? 'ACTIVE';
			if (status !== 'ACTIVE' && status !== 'ARCHIVED') errors.push(`ContactStatus '${status}' is not valid.`);
			const currency = propString(input, 'DefaultCurrency')?.toUpperCase();
			if (currency && !this.currencies.has(currency)) errors.push(`Currency code '${currency}' is not a valid currency for this organisation.`);
			if (name && status === 'ACTIVE') {
				const clash = [...this.contacts.values()].find(
					(c) => c.ContactStatus === 'ACTIVE' && c.Name.toLowerCase() === name.toLowerCase() && c.ContactID !== existing?.ContactID,
				);
				if (clash) {
					errors.push(`The contact name ${name} is already assigned to another contact. The contact name must be unique across all active contacts.`);
				}
			}
			if (errors.length) return { ok: false, element: this.echo(input, 'contact'), errors };

			const rec: ContactRec = existing ?? {
				ContactID: randomUUID(),
				ContactStatus: 'ACTIVE',
				Name: name!,
				IsCustomer: false,
				IsSupplier: false,
				UpdatedDateUTC: this.now(),
			};
			rec.Name = name!;
			rec.ContactStatus = status as ContactRec['ContactStatus'];
			if (number !== undefined) rec.ContactNumber = number || undefined;
			if (email !== undefined) rec.EmailAddress = email;
			for (const f of ['FirstName', 'LastName', 'AccountNumber'] as const) {
				const v = propString(input, f);
				if (v !== undefined) rec[f] = v;
			}
			if (currency) rec.DefaultCurrency = currency;
			rec.UpdatedDateUTC = this.now();
			this.contacts.set(rec.ContactID, rec);
			return { ok: true, element: this.serializeContact(rec), errors: [] };
		});
	}

	listContacts(q: ListQuery): ContactRec[] {
		let rows = [...this.contacts.values()];
		if (!q.includeArchived && !q.ids) rows = rows.filter((c) => c.ContactStatus === 'ACTIVE');
		if (q.ids) {
			const ids = new Set(q.ids.map((i) => i.toLowerCase()));
			rows = rows.filter((c) => ids.has(c.ContactID));
		}
		if (q.ifModifiedSince !== undefined) rows = rows.filter((c) => c.UpdatedDateUTC > q.ifModifiedSince!);
		if (q.searchTerm) {
			const term = q.searchTerm.toLowerCase();
			rows = rows.filter((c) =>
				[c.Name, c.FirstName, c.LastName, c.ContactNumber, c.EmailAddress].some((v) => v?.toLowerCase().includes(term)),
			);
		}
		if (q.where) {
			const pred = this.compile(q.where, 'Contact', CONTACT_WHERE_FIELDS);
			rows = rows.filter((c) => pred(this.contactView(c)));
		}
		return sortBy(rows, q.order ?? 'Name', (c) => this.contactView(c));
	}

	// ---------------------------------------------------------------- invoices

	private compile(where: string, typeName: string, fields: string[]): Predicate {
		try {
			return compileWhere(where, { typeName, fields });
		} catch (e) {
			throw new QueryError((e as Error).message);
		}
	}

	amountDueCents(inv: InvoiceRec): number {
		return inv.TotalCents - inv.AmountPaidCents;
	}

	serializeInvoice(inv: InvoiceRec, opts: { lineItems?: boolean; statusAttribute?: boolean } = {}): Record<string, unknown> {
		const contact = this.contacts.get(inv.ContactID);
		const payments = inv.PaymentIDs.map((id) => this.payments.get(id)!).filter((p) => p.Status === 'AUTHORISED');
		return {
			Type: inv.Type,
			InvoiceID: inv.InvoiceID,
			InvoiceNumber: inv.InvoiceNumber,
			Reference: inv.Reference,
			Payments: payments.map((p) => ({
				PaymentID: p.PaymentID,
				Date: msDate(p.Date),
				Amount: fromCents(p.AmountCents),
				Reference: p.Reference,
				CurrencyRate: p.CurrencyRate,
				HasAccount: false,
				HasValidationErrors: false,
			})),
			CreditNotes: [],
			Prepayments: [],
			Overpayments: [],
			AmountDue: fromCents(this.amountDueCents(inv)),
			AmountPaid: fromCents(inv.AmountPaidCents),
			AmountCredited: 0,
			SentToContact: inv.SentToContact,
			CurrencyRate: inv.CurrencyRate,
			IsDiscounted: false,
			HasAttachments: false,
			HasErrors: false,
			...(opts.statusAttribute ? { StatusAttributeString: 'OK' } : {}),
			Contact: contact
				? {
						ContactID: contact.ContactID,
						...(contact.ContactNumber ? { ContactNumber: contact.ContactNumber } : {}),
						Name: contact.Name,
						EmailAddress: contact.EmailAddress ?? '',
						ContactStatus: contact.ContactStatus,
						HasValidationErrors: false,
					}
				: { ContactID: inv.ContactID },
			DateString: dateString(inv.Date),
			Date: msDate(inv.Date),
			...(inv.DueDate !== undefined ? { DueDateString: dateString(inv.DueDate), DueDate: msDate(inv.DueDate) } : {}),
			Status: inv.Status,
			LineAmountTypes: inv.LineAmountTypes,
			...(opts.lineItems === false
				? {}
				: {
						LineItems: inv.LineItems.map((l) => ({
							Description: l.Description,
							UnitAmount: l.UnitAmount,
							TaxType: l.TaxType,
							TaxAmount: fromCents(l.TaxAmountCents),
							LineAmount: fromCents(l.LineAmountCents),
							...(l.AccountCode ? { AccountCode: l.AccountCode } : {}),
							Tracking: [],
							Quantity: l.Quantity,
							LineItemID: l.LineItemID,
						})),
					}),
			SubTotal: fromCents(inv.SubTotalCents),
			TotalTax: fromCents(inv.TotalTaxCents),
			Total: fromCents(inv.TotalCents),
			UpdatedDateUTC: msDate(inv.UpdatedDateUTC),
			CurrencyCode: inv.CurrencyCode,
			...(inv.FullyPaidOnDate !== undefined ? { FullyPaidOnDate: msDate(inv.FullyPaidOnDate) } : {}),
		};
	}

	private invoiceView(inv: InvoiceRec): Record<string, unknown> {
		const contact = this.contacts.get(inv.ContactID);
		return {
			Type: inv.Type,
			InvoiceID: inv.InvoiceID,
			InvoiceNumber: inv.InvoiceNumber,
			Reference: inv.Reference,
			Status: inv.Status,
			Date: inv.Date,
			DueDate: inv.DueDate ?? null,
			SubTotal: fromCents(inv.SubTotalCents),
			TotalTax: fromCents(inv.TotalTaxCents),
			Total: fromCents(inv.TotalCents),
			AmountDue: fromCents(this.amountDueCents(inv)),
			AmountPaid: fromCents(inv.AmountPaidCents),
			AmountCredited: 0,
			CurrencyCode: inv.CurrencyCode,
			SentToContact: inv.SentToContact,
			UpdatedDateUTC: inv.UpdatedDateUTC,
			FullyPaidOnDate: inv.FullyPaidOnDate ?? null,
			LineAmountTypes: inv.LineAmountTypes,
			HasAttachments: false,
			IsDiscounted: false,
			ContactNumber: contact?.ContactNumber ?? null,
			Contact: {
				ContactID: inv.ContactID,
				Name: contact?.Name ?? null,
				ContactNumber: contact?.ContactNumber ?? null,
				EmailAddress: contact?.EmailAddress ?? null,
				ContactStatus: contact?.ContactStatus ?? null,
			},
		};
	}

	findInvoice(idOrNumber: string): InvoiceRec | undefined {
		if (isGuid(idOrNumber)) return this.invoices.get(idOrNumber.toLowerCase());
		return [...this.invoices.values()].find((i) => i.InvoiceNumber === idOrNumber);
	}

	listInvoices(q: InvoiceListQuery): InvoiceRec[] {
		let rows = [...this.invoices.values()];
		if (!q.includeArchived && !q.ids && !q.invoiceNumbers && !q.statuses) {
			// Xero leaves deleted invoices out of lists unless asked for by id, number or status.
			rows = rows.filter((i) => i.Status !== 'DELETED');
		}
		if (q.ids) {
			const ids = new Set(q.ids.map((i) => i.toLowerCase()));
			rows = rows.filter((i) => ids.has(i.InvoiceID));
		}
		if (q.invoiceNumbers) {
			const nums = new Set(q.invoiceNumbers);
			rows = rows.filter((i) => nums.has(i.InvoiceNumber));
		}
		if (q.contactIds) {
			const ids = new Set(q.contactIds.map((i) => i.toLowerCase()));
			rows = rows.filter((i) => ids.has(i.ContactID));
		}
		if (q.statuses) {
			const st = new Set(q.statuses.map((s) => s.toUpperCase()));
			rows = rows.filter((i) => st.has(i.Status));
		}
		if (q.ifModifiedSince !== undefined) rows = rows.filter((i) => i.UpdatedDateUTC > q.ifModifiedSince!);
		if (q.searchTerm) {
			const term = q.searchTerm.toLowerCase();
			rows = rows.filter((i) => i.InvoiceNumber.toLowerCase().includes(term) || i.Reference.toLowerCase().includes(term));
		}
		if (q.where) {
			const pred = this.compile(q.where, 'Invoice', INVOICE_WHERE_FIELDS);
			rows = rows.filter((i) => pred(this.invoiceView(i)));
		}
		rows.sort((a, b) => a.CreatedOrder - b.CreatedOrder);
		return sortBy(rows, q.order, (i) => this.invoiceView(i));
	}

	private nextInvoiceNumber(): string {
		const used = new Set([...this.invoices.values()].map((i) => i.InvoiceNumber));
		let n: string;
		do {
			this.invoiceSeq++;
			n = `${this.invoiceNumberPrefix}${String(this.invoiceSeq).padStart(4, '0')}`;
		} while (used.has(n));
		return n;
	}

	/** Echoes a rejected element the way Xero does: what was sent, with a zero id and the error flags. */
	private echo(input: unknown, kind: 'invoice' | 'contact' | 'payment'): Record<string, unknown> {
		const base = input && typeof input === 'object' && !Array.isArray(input) ? { ...(input as Record<string, unknown>) } : {};
		if (kind === 'invoice') return { ...base, InvoiceID: propString(input, 'InvoiceID') ?? EMPTY_GUID, HasErrors: true };
		if (kind === 'contact') return { ...base, ContactID: propString(input, 'ContactID') ?? EMPTY_GUID, HasValidationErrors: true };
		return { ...base, PaymentID: EMPTY_GUID, HasValidationErrors: true };
	}

	/** Works out line amounts and totals; returns errors instead when a line is unusable. */
	private computeLines(
		linesIn: unknown[],
		ctx: { type: string; lineAmountTypes: string; status: string; unitdp: number },
	): { lines: LineRec[]; subTotal: number; totalTax: number; total: number; errors: string[] } {
		const errors: string[] = [];
		const lines: LineRec[] = [];
		let sumLines = 0;
		let sumTax = 0;
		linesIn.forEach((lineIn) => {
			const description = propString(lineIn, 'Description') ?? '';
			const itemCode = propString(lineIn, 'ItemCode');
			if (!description.trim() && !itemCode) errors.push('Description must be specified.');
			if (description.length > 4000) errors.push('Description must not be more than 4000 characters long.');
			const qty = propNumber(lineIn, 'Quantity');
			const unit = propNumber(lineIn, 'UnitAmount');
			const lineAmountIn = propNumber(lineIn, 'LineAmount');
			if (qty === 'invalid') errors.push('Quantity must be a valid number.');
			if (unit === 'invalid') errors.push('Unit Price must be a valid number.');
			if (lineAmountIn === 'invalid') errors.push('Line Amount must be a valid number.');
			if (qty === 'invalid' || unit === 'invalid' || lineAmountIn === 'invalid') return;
			const quantity = round4(qty ?? 1);
			if (quantity === 0 && ctx.status !== 'DRAFT') errors.push('Quantity must not be zero.');
			const unitDp = ctx.unitdp === 4 ? 4 : 2;
			let unitAmount: number;
			if (unit !== undefined) unitAmount = Number(unit.toFixed(unitDp));
			else if (lineAmountIn !== undefined && quantity !== 0) unitAmount = Number((lineAmountIn / quantity).toFixed(unitDp));
			else unitAmount = 0;
			const q4 = toScaled(quantity, 4);
			const u4 = toScaled(unitAmount, 4);
			const lineCents = Number(divRound(q4 * u4, 1000000n)); // 4dp × 4dp → 2dp
			if (lineAmountIn !== undefined && unit !== undefined && amountToCents(lineAmountIn) !== lineCents) {
				errors.push(`The line total ${lineAmountIn.toFixed(2)} does not match the expected line total ${fromCents(lineCents).toFixed(2)}`);
			}

			const accountCode = propString(lineIn, 'AccountCode');
			let account: AccountDef | undefined;
			if (accountCode) {
				account = this.account(accountCode);
				const unusable = !account || account.Type === 'BANK';
				if (unusable) errors.push(`Account code '${accountCode}' is not a valid code for this document.`);
			} else if (ctx.status !== 'DRAFT') {
				errors.push('Account code must be specified.');
			}

			let taxType = propString(lineIn, 'TaxType')?.toUpperCase();
			if (ctx.lineAmountTypes === 'NoTax') taxType = 'NONE';
			if (!taxType) taxType = account?.TaxType ?? 'NONE';
			const rate = this.taxRate(taxType);
			const fits = rate && (ctx.type === 'ACCREC' ? rate.CanApplyToRevenue : rate.CanApplyToExpenses);
			if (!fits) {
				errors.push(`The TaxType code '${taxType}' does not exist or cannot be used for this type of transaction.`);
				return;
			}
			const r4 = toScaled(rate.Rate, 4); // percent × 10^4
			let taxCents = 0;
			if (ctx.lineAmountTypes === 'Exclusive') taxCents = Number(divRound(BigInt(lineCents) * r4, 1000000n));
			else if (ctx.lineAmountTypes === 'Inclusive') taxCents = Number(divRound(BigInt(lineCents) * r4, 1000000n + r4));
			sumLines += lineCents;
			sumTax += taxCents;
			lines.push({
				LineItemID: randomUUID(),
				Description: description,
				Quantity: quantity,
				UnitAmount: unitAmount,
				AccountCode: account?.Code,
				TaxType: rate.TaxType,
				TaxAmountCents: taxCents,
				LineAmountCents: lineCents,
			});
		});
		const subTotal = ctx.lineAmountTypes === 'Inclusive' ? sumLines - sumTax : sumLines;
		return { lines, subTotal, totalTax: sumTax, total: subTotal + sumTax, errors };
	}

	/**
	 * PUT/POST /Invoices: creates each element, or updates it when InvoiceID / InvoiceNumber (or the
	 * path id) names an existing invoice. Elements are independent: valid ones are saved even when
	 * others in the batch fail, exactly as Xero does.
	 */
	saveInvoices(items: unknown[], opts: { unitdp?: number; pathId?: string } = {}): ElementResult[] {
		return items.map((input) => {
			if (!input || typeof input !== 'object' || Array.isArray(input)) {
				return { ok: false, element: this.echo({}, 'invoice'), errors: ['Invoice must be an object.'] };
			}
			const idIn = opts.pathId ?? propString(input, 'InvoiceID');
			let existing: InvoiceRec | undefined;
			if (idIn && idIn !== EMPTY_GUID) {
				existing = this.findInvoice(idIn);
				if (!existing) return { ok: false, element: this.echo(input, 'invoice'), errors: [`Invoice with InvoiceID '${idIn}' could not be found.`] };
			} else {
				const number = propString(input, 'InvoiceNumber');
				const byNumber = number ? [...this.invoices.values()].find((i) => i.InvoiceNumber === number && i.Status !== 'DELETED') : undefined;
				// POST with a known InvoiceNumber updates that invoice; a new one with the same number is refused below.
				if (byNumber && propString(input, 'Type') === undefined) existing = byNumber;
			}
			const result = existing ? this.updateInvoice(existing, input, opts.unitdp ?? 2) : this.createInvoice(input, opts.unitdp ?? 2);
			if ('errors' in result) return { ok: false, element: this.echo(input, 'invoice'), errors: result.errors };
			return { ok: true, element: this.serializeInvoice(result.inv), errors: [] };
		});
	}

	private resolveInvoiceContact(contactIn: unknown, errors: string[]): ContactRec | undefined {
		if (!contactIn || typeof contactIn !== 'object') {
			errors.push('A Contact must be specified for this type of transaction');
			return undefined;
		}
		const id = propString(contactIn, 'ContactID');
		if (id) {
			if (!isGuid(id)) {
				errors.push(`'${id}' is not a valid ContactID.`);
				return undefined;
			}
			const c = this.contacts.get(id.toLowerCase());
			if (!c) errors.push(`The contact with ContactID '${id}' could not be found.`);
			else if (c.ContactStatus === 'ARCHIVED') errors.push(`The contact '${c.Name}' is archived and cannot be used on a new transaction.`);
			return c;
		}
		const number = propString(contactIn, 'ContactNumber');
		if (number) {
			const c = this.findContact({ ContactNumber: number });
			if (!c) errors.push(`The contact with ContactNumber '${number}' could not be found.`);
			return c;
		}
		const name = propString(contactIn, 'Name')?.trim();
		if (name) {
			// Like Xero, a contact given only by a new name is created on the fly.
			const found = this.findContact({ Name: name });
			if (found) return found;
			const [r] = this.saveContacts([{ Name: name, EmailAddress: propString(contactIn, 'EmailAddress') }]);
			if (!r.ok) {
				errors.push(...r.errors);
				return undefined;
			}
			return this.contacts.get(r.element.ContactID as string);
		}
		errors.push('A Contact must be specified for this type of transaction');
		return undefined;
	}

	private createInvoice(input: unknown, unitdp: number): { inv: InvoiceRec } | { errors: string[] } {
		const errors: string[] = [];
		const type = propString(input, 'Type')?.toUpperCase();
		if (!type) errors.push('Invoice Type must be specified.');
		else if (!INVOICE_TYPES.includes(type)) errors.push(`Invoice Type '${type}' is not valid.`);
		const status = (propString(input, 'Status') ?? 'DRAFT').toUpperCase();
		if (!CREATE_STATUSES.includes(status)) errors.push('Invoice not of valid status for creation');
		const contact = this.resolveInvoiceContact(prop(input, 'Contact'), errors);

		const lat = propString(input, 'LineAmountTypes') ?? 'Exclusive';
		const lineAmountTypes = LINE_AMOUNT_TYPES.find((l) => l.toLowerCase() === lat.toLowerCase());
		if (!lineAmountTypes) errors.push(`LineAmountTypes '${lat}' is not valid; use Exclusive, Inclusive or NoTax.`);

		const dateIn = prop(input, 'Date');
		const date = dateIn === undefined || dateIn === null || dateIn === '' ? todayUtc(this.now()) : parseXeroDate(dateIn);
		if (date === null) errors.push(`The date '${String(dateIn)}' is not a valid date.`);
		const dueIn = prop(input, 'DueDate');
		let dueDate: number | undefined;
		if (dueIn !== undefined && dueIn !== null && dueIn !== '') {
			const d = parseXeroDate(dueIn);
			if (d === null) errors.push(`The due date '${String(dueIn)}' is not a valid date.`);
			else dueDate = d;
		} else if (this.paymentTermsDays !== undefined && date !== null) {
			dueDate = date + this.paymentTermsDays * 86400000;
		} else if (status !== 'DRAFT') {
			errors.push('Due Date must be specified.');
		}

		const currency = (propString(input, 'CurrencyCode') ?? this.baseCurrency).toUpperCase();
		if (!/^[A-Z]{3}$/.test(currency) || !this.currencies.has(currency)) {
			errors.push(`Currency code '${currency}' is not a valid currency for this organisation.`);
		}
		const rateIn = propNumber(input, 'CurrencyRate');
		if (rateIn === 'invalid' || (typeof rateIn === 'number' && rateIn <= 0)) errors.push('Currency rate must be a positive number.');

		const number = propString(input, 'InvoiceNumber')?.trim();
		if (number !== undefined && number.length > 255) errors.push('Invoice # must not be more than 255 characters long.');
		if (number && [...this.invoices.values()].some((i) => i.InvoiceNumber === number && i.Type === type && i.Status !== 'DELETED')) {
			errors.push('Invoice # must be unique.');
		}
		const reference = propString(input, 'Reference') ?? '';
		if (reference.length > 255) errors.push('Reference must not be more than 255 characters long.');

		const linesIn = prop(input, 'LineItems');
		let computed: ReturnType<Organisation['computeLines']> | undefined;
		if (linesIn !== undefined && linesIn !== null && !Array.isArray(linesIn)) errors.push('LineItems must be a list.');
		else {
			const list = (linesIn ?? []) as unknown[];
			if (list.length === 0 && status !== 'DRAFT') errors.push('Invoice must have at least one line item.');
			if (lineAmountTypes && type && INVOICE_TYPES.includes(type)) {
				computed = this.computeLines(list, { type, lineAmountTypes, status, unitdp });
				errors.push(...computed.errors);
				if (!computed.errors.length && computed.total < 0) errors.push('Invoice total must not be negative.');
			}
		}
		if (errors.length || !computed || !contact || date === null) return { errors: errors.length ? errors : ['Invoice is not valid.'] };

		const now = this.now();
		const inv: InvoiceRec = {
			InvoiceID: randomUUID(),
			Type: type!,
			InvoiceNumber: number || (type === 'ACCREC' ? this.nextInvoiceNumber() : ''),
			Reference: reference,
			ContactID: contact.ContactID,
			Date: date,
			DueDate: dueDate,
			Status: status,
			LineAmountTypes: lineAmountTypes!,
			LineItems: computed.lines,
			SubTotalCents: computed.subTotal,
			TotalTaxCents: computed.totalTax,
			TotalCents: computed.total,
			AmountPaidCents: 0,
			CurrencyCode: currency,
			CurrencyRate: typeof rateIn === 'number' ? rateIn : currency === this.baseCurrency ? 1 : (this.currencyRates[currency] ?? 1),
			SentToContact: false,
			PaymentIDs: [],
			UpdatedDateUTC: now,
			CreatedOrder: ++this.createdOrder,
		};
		if (prop(input, 'SentToContact') === true) {
			if (status !== 'AUTHORISED') return { errors: ['Invoice must be approved before it can be marked as sent.'] };
			inv.SentToContact = true;
		}
		// An approved invoice with nothing to pay is paid straight away, as in Xero.
		if (status === 'AUTHORISED' && inv.TotalCents === 0) {
			inv.Status = 'PAID';
			inv.FullyPaidOnDate = inv.Date;
		}
		if (type === 'ACCREC') contact.IsCustomer = true;
		else contact.IsSupplier = true;
		this.invoices.set(inv.InvoiceID, inv);
		return { inv };
	}

	private updateInvoice(inv: InvoiceRec, input: unknown, unitdp: number): { inv: InvoiceRec } | { errors: string[] } {
		const errors: string[] = [];
		const keys = Object.keys(input as object).map((k) => k.toLowerCase());
		const changes = keys.filter((k) => !['invoiceid', 'invoicenumber', 'senttocontact', 'status', 'type'].includes(k));
		const newStatus = propString(input, 'Status')?.toUpperCase();
		const sent = prop(input, 'SentToContact');

		if (['VOIDED', 'DELETED'].includes(inv.Status) && (changes.length || (newStatus && newStatus !== inv.Status) || sent !== undefined)) {
			return { errors: ['Invoice not of valid status for modification'] };
		}
		if (inv.AmountPaidCents > 0 && changes.length) {
			return { errors: ['This document cannot be edited as it has a payment or credit note allocated to it.'] };
		}
		if (inv.Status === 'PAID' && changes.length) return { errors: ['Invoice not of valid status for modification'] };

		// Field changes: rebuild the invoice from the current one plus what was sent, with the same rules as creation.
		let next: InvoiceRec = inv;
		if (changes.length) {
			const current = this.serializeInvoice(inv);
			const merged: Record<string, unknown> = {
				Type: inv.Type,
				Contact: { ContactID: inv.ContactID },
				Date: dateString(inv.Date),
				DueDate: inv.DueDate !== undefined ? dateString(inv.DueDate) : undefined,
				Reference: inv.Reference,
				LineAmountTypes: inv.LineAmountTypes,
				CurrencyCode: inv.CurrencyCode,
				CurrencyRate: inv.CurrencyRate,
				Status: inv.Status,
				LineItems: current.LineItems,
			};
			for (const [k, v] of Object.entries(input as Record<string, unknown>)) {
				const canonical = Object.keys(merged).find((m) => m.toLowerCase() === k.toLowerCase()) ?? k;
				if (!['invoiceid', 'invoicenumber', 'senttocontact', 'status'].includes(k.toLowerCase())) merged[canonical] = v;
			}
			const contactErrors: string[] = [];
			const contact = this.resolveInvoiceContact(merged.Contact, contactErrors);
			const built = this.createInvoiceDraft(merged, unitdp);
			if ('errors' in built || contactErrors.length) return { errors: [...contactErrors, ...('errors' in built ? built.errors : [])] };
			next = {
				...inv,
				...built.fields,
				ContactID: contact!.ContactID,
			};
		}
		if (newStatus && newStatus !== inv.Status) {
			const allowed: Record<string, string[]> = {
				DRAFT: ['SUBMITTED', 'AUTHORISED', 'DELETED'],
				SUBMITTED: ['DRAFT', 'AUTHORISED', 'DELETED'],
				AUTHORISED: ['VOIDED'],
				PAID: [],
			};
			if (!(allowed[inv.Status] ?? []).includes(newStatus)) {
				errors.push(
					newStatus === 'VOIDED' && inv.Status === 'PAID'
						? 'Payments must be removed before the invoice can be voided.'
						: 'Invoice not of valid status for modification',
				);
			} else if (newStatus === 'AUTHORISED') {
				if (next.DueDate === undefined) errors.push('Due Date must be specified.');
				if (next.LineItems.length === 0) errors.push('Invoice must have at least one line item.');
				if (next.LineItems.some((l) => !l.AccountCode)) errors.push('Account code must be specified.');
			}
			if (!errors.length) next = { ...next, Status: newStatus };
		}
		if (sent !== undefined) {
			if (sent === true && !['AUTHORISED', 'PAID'].includes(next.Status)) {
				errors.push('Invoice must be approved before it can be marked as sent.');
			} else {
				next = { ...next, SentToContact: sent === true };
			}
		}
		if (errors.length) return { errors };
		if (next.Status === 'AUTHORISED' && next.TotalCents === 0) {
			next.Status = 'PAID';
			next.FullyPaidOnDate = next.Date;
		}
		next.UpdatedDateUTC = this.now();
		Object.assign(inv, next);
		return { inv };
	}

	/** Field validation shared by updates: the editable parts of an invoice computed from merged input. */
	private createInvoiceDraft(
		input: Record<string, unknown>,
		unitdp: number,
	): { fields: Partial<InvoiceRec> } | { errors: string[] } {
		const errors: string[] = [];
		const status = String(input.Status ?? 'DRAFT').toUpperCase();
		const lat = propString(input, 'LineAmountTypes') ?? 'Exclusive';
		const lineAmountTypes = LINE_AMOUNT_TYPES.find((l) => l.toLowerCase() === lat.toLowerCase());
		if (!lineAmountTypes) errors.push(`LineAmountTypes '${lat}' is not valid; use Exclusive, Inclusive or NoTax.`);
		const date = parseXeroDate(prop(input, 'Date'));
		if (date === null) errors.push(`The date '${String(prop(input, 'Date'))}' is not a valid date.`);
		const dueIn = prop(input, 'DueDate');
		const dueDate = dueIn === undefined || dueIn === null || dueIn === '' ? undefined : parseXeroDate(dueIn);
		if (dueDate === null) errors.push(`The due date '${String(dueIn)}' is not a valid date.`);
		if (dueDate === undefined && status !== 'DRAFT') errors.push('Due Date must be specified.');
		const currency = String(propString(input, 'CurrencyCode') ?? this.baseCurrency).toUpperCase();
		if (!this.currencies.has(currency)) errors.push(`Currency code '${currency}' is not a valid currency for this organisation.`);
		const reference = propString(input, 'Reference') ?? '';
		if (reference.length > 255) errors.push('Reference must not be more than 255 characters long.');
		const linesIn = prop(input, 'LineItems');
		if (!Array.isArray(linesIn)) errors.push('LineItems must be a list.');
		if (errors.length || !lineAmountTypes || !Array.isArray(linesIn)) return { errors };
		if (linesIn.length === 0 && status !== 'DRAFT') return { errors: ['Invoice must have at least one line item.'] };
		const computed = this.computeLines(linesIn, { type: String(input.Type), lineAmountTypes, status, unitdp });
		if (computed.errors.length) return { errors: computed.errors };
		if (computed.total < 0) return { errors: ['Invoice total must not be negative.'] };
		return {
			fields: {
				Date: date!,
				DueDate: dueDate ?? undefined,
				Reference: reference,
				LineAmountTypes: lineAmountTypes,
				CurrencyCode: currency,
				LineItems: computed.lines,
				SubTotalCents: computed.subTotal,
				TotalTaxCents: computed.totalTax,
				TotalCents: computed.total,
			},
		};
	}

	/** POST /Invoices/{id}/Email: Xero emails the contact and marks the invoice as sent. */
	emailInvoice(idOrNumber: string): { status: number; errors?: string[] } {
		const inv = this.findInvoice(idOrNumber);
		if (!inv) return { status: 404 };
		const contact = this.contacts.get(inv.ContactID);
		if (!['AUTHORISED', 'PAID'].includes(inv.Status) || inv.Type !== 'ACCREC') {
			return { status: 400, errors: ['Invoice must be an approved sales invoice to be emailed.'] };
		}
		if (!contact?.EmailAddress) return { status: 400, errors: ['The contact does not have an email address.'] };
		inv.SentToContact = true;
		inv.UpdatedDateUTC = this.now();
		return { status: 204 };
	}

	// ---------------------------------------------------------------- payments

	serializePayment(p: PaymentRec): Record<string, unknown> {
		const inv = this.invoices.get(p.InvoiceID);
		return {
			PaymentID: p.PaymentID,
			Date: msDate(p.Date),
			BankAmount: fromCents(p.AmountCents),
			Amount: fromCents(p.AmountCents),
			Reference: p.Reference,
			CurrencyRate: p.CurrencyRate,
			PaymentType: p.PaymentType,
			Status: p.Status,
			UpdatedDateUTC: msDate(p.UpdatedDateUTC),
			HasAccount: true,
			IsReconciled: false,
			Account: { AccountID: p.AccountID, Code: p.AccountCode },
			Invoice: inv
				? {
						Type: inv.Type,
						InvoiceID: inv.InvoiceID,
						InvoiceNumber: inv.InvoiceNumber,
						Reference: inv.Reference,
						Contact: { ContactID: inv.ContactID, Name: this.contacts.get(inv.ContactID)?.Name ?? '' },
						CurrencyCode: inv.CurrencyCode,
						AmountDue: fromCents(this.amountDueCents(inv)),
						AmountPaid: fromCents(inv.AmountPaidCents),
						Status: inv.Status,
					}
				: { InvoiceID: p.InvoiceID },
			HasValidationErrors: false,
		};
	}

	private paymentView(p: PaymentRec): Record<string, unknown> {
		const inv = this.invoices.get(p.InvoiceID);
		return {
			PaymentID: p.PaymentID,
			Date: p.Date,
			Amount: fromCents(p.AmountCents),
			Reference: p.Reference,
			Status: p.Status,
			PaymentType: p.PaymentType,
			CurrencyRate: p.CurrencyRate,
			IsReconciled: false,
			UpdatedDateUTC: p.UpdatedDateUTC,
			Invoice: { InvoiceID: p.InvoiceID, InvoiceNumber: inv?.InvoiceNumber ?? null, Type: inv?.Type ?? null },
			Account: { Code: p.AccountCode, AccountID: p.AccountID },
		};
	}

	listPayments(q: ListQuery): PaymentRec[] {
		let rows = [...this.payments.values()];
		if (q.ifModifiedSince !== undefined) rows = rows.filter((p) => p.UpdatedDateUTC > q.ifModifiedSince!);
		if (q.where) {
			const pred = this.compile(q.where, 'Payment', PAYMENT_WHERE_FIELDS);
			rows = rows.filter((p) => pred(this.paymentView(p)));
		}
		return sortBy(rows, q.order, (p) => this.paymentView(p));
	}

	/** PUT /Payments: applies each payment in order, so two payments in one batch see each other. */
	savePayments(items: unknown[]): ElementResult[] {
		return items.map((input) => {
			const errors: string[] = [];
			const invRef = prop(input, 'Invoice');
			const invId = propString(invRef, 'InvoiceID');
			const invNumber = propString(invRef, 'InvoiceNumber') ?? propString(input, 'InvoiceNumber');
			let inv: InvoiceRec | undefined;
			if (invId) inv = isGuid(invId) ? this.invoices.get(invId.toLowerCase()) : undefined;
			else if (invNumber) inv = [...this.invoices.values()].find((i) => i.InvoiceNumber === invNumber && i.Status !== 'DELETED');
			if (!invId && !invNumber && !prop(input, 'CreditNote') && !prop(input, 'Prepayment') && !prop(input, 'Overpayment')) {
				errors.push('You must specify an Invoice, Credit Note, Prepayment or Overpayment to apply the payment to.');
			} else if (!inv) {
				errors.push(`Invoice could not be found.`);
			} else if (inv.Status !== 'AUTHORISED') {
				errors.push(inv.Status === 'PAID' ? 'Invoice is already fully paid.' : 'Payments can only be made against Authorised documents');
			}

			const accRef = prop(input, 'Account');
			const accCode = propString(accRef, 'Code');
			const accId = propString(accRef, 'AccountID');
			const account = accCode ? this.account(accCode) : accId ? this.accounts.find((a) => a.AccountID === accId.toLowerCase()) : undefined;
			if (!accCode && !accId) errors.push('You must specify an Account to make the payment from/to.');
			else if (!account) errors.push('Account could not be found.');
			else if (account.Type !== 'BANK' && !account.EnablePaymentsToAccount) {
				errors.push(`Account type is invalid for making a payment to/from. Account '${account.Code}' is not a bank account and does not allow payments.`);
			}

			const amountIn = propNumber(input, 'Amount');
			let cents: number | null = null;
			if (amountIn === undefined) errors.push('Payment amount must be specified.');
			else if (amountIn === 'invalid') errors.push('Payment amount must be a valid number.');
			else if (amountIn <= 0) errors.push('Payment amount must be greater than zero.');
			else {
				cents = amountToCents(amountIn);
				if (cents === null) errors.push('Payment amount must not have more than 2 decimal places.');
				else if (inv && inv.Status === 'AUTHORISED' && cents > this.amountDueCents(inv)) {
					errors.push(
						`Payment amount of ${fromCents(cents).toFixed(2)} exceeds the amount outstanding on this document (${fromCents(this.amountDueCents(inv)).toFixed(2)}).`,
					);
				}
			}
			const dateIn = prop(input, 'Date');
			const date = dateIn === undefined || dateIn === null || dateIn === '' ? todayUtc(this.now()) : parseXeroDate(dateIn);
			if (date === null) errors.push(`The date '${String(dateIn)}' is not a valid date.`);
			const reference = propString(input, 'Reference') ?? '';
			if (reference.length > 255) errors.push('Reference must not be more than 255 characters long.');

			if (errors.length || !inv || !account || cents === null || date === null) {
				return { ok: false, element: this.echo(input, 'payment'), errors };
			}
			const now = this.now();
			const p: PaymentRec = {
				PaymentID: randomUUID(),
				InvoiceID: inv.InvoiceID,
				AccountCode: account.Code,
				AccountID: account.AccountID!,
				Date: date,
				AmountCents: cents,
				Reference: reference,
				Status: 'AUTHORISED',
				PaymentType: inv.Type === 'ACCREC' ? 'ACCRECPAYMENT' : 'ACCPAYPAYMENT',
				CurrencyRate: inv.CurrencyRate,
				UpdatedDateUTC: now,
			};
			this.payments.set(p.PaymentID, p);
			inv.PaymentIDs.push(p.PaymentID);
			inv.AmountPaidCents += cents;
			if (this.amountDueCents(inv) === 0) {
				inv.Status = 'PAID';
				inv.FullyPaidOnDate = date;
			}
			inv.UpdatedDateUTC = now;
			return { ok: true, element: this.serializePayment(p), errors: [] };
		});
	}

	/** POST /Payments/{id} with Status DELETED: removes the payment and reopens the invoice. */
	deletePayment(id: string, input: unknown): ElementResult | undefined {
		const p = this.payments.get(id.toLowerCase());
		if (!p) return undefined;
		if (propString(input, 'Status')?.toUpperCase() !== 'DELETED') {
			return { ok: false, element: this.serializePayment(p), errors: ['Only the Status of a payment can be changed, to DELETED.'] };
		}
		if (p.Status === 'DELETED') return { ok: false, element: this.serializePayment(p), errors: ['Payment has already been deleted.'] };
		const inv = this.invoices.get(p.InvoiceID)!;
		p.Status = 'DELETED';
		p.UpdatedDateUTC = this.now();
		inv.AmountPaidCents -= p.AmountCents;
		if (inv.Status === 'PAID') {
			inv.Status = 'AUTHORISED';
			inv.FullyPaidOnDate = undefined;
		}
		inv.UpdatedDateUTC = p.UpdatedDateUTC;
		return { ok: true, element: this.serializePayment(p), errors: [] };
	}

	serializeOrganisation(): Record<string, unknown> {
		return {
			OrganisationID: this.organisationId,
			APIKey: '',
			Name: this.name,
			LegalName: this.name,
			PaysTax: true,
			Version: this.countryCode === 'GB' ? 'UK' : this.countryCode,
			OrganisationType: 'COMPANY',
			BaseCurrency: this.baseCurrency,
			CountryCode: this.countryCode,
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
			ShortCode: this.shortCode,
			OrganisationRole: 'STANDARD',
			Edition: 'BUSINESS',
			Class: 'STANDARD',
			Addresses: [],
			Phones: [],
			ExternalLinks: [],
			PaymentTerms: {},
		};
	}
}
