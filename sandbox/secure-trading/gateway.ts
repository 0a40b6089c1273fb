// In-memory model of the Secure Trading / Trust Payments webservices gateway: sites, stored
// cards, transactions and the request types the billing pipeline uses (AUTH, REFUND,
// ACCOUNTCHECK, TRANSACTIONQUERY). HTTP, auth and fault injection live in server.ts.
// No card number or security code is ever kept: only the masked PAN.
import { messageFor } from './messages';

/** A response element: every value is a string, except the lists `errordata` and `records`. */
export type GatewayResponse = Record<string, string | string[] | Record<string, string>[]>;

export type CardBehaviour =
	| 'approve'
	| 'insufficientFunds'
	| 'doNotHonour'
	| 'expiredCard'
	| 'lostCard'
	| 'stolenCard'
	| 'bankError'
	| { declineCode: string };

export interface StoredCardInput {
	/** What the issuer answers when this card is charged (default approve). */
	behaviour?: CardBehaviour;
	/** Site the stored card belongs to (default: the sandbox's first site). */
	sitereference?: string;
	paymenttypedescription?: string;
	/** Masked PAN, e.g. "411111######1111" (default by payment type). */
	maskedpan?: string;
	/** Currency of the storing ACCOUNTCHECK (default GBP). */
	currencyiso3a?: string;
	/** Order reference of the storing transaction. */
	orderreference?: string;
}

export interface SandboxTransaction {
	/** Gateway fields, as TRANSACTIONQUERY returns them (all strings). */
	fields: Record<string, string>;
	/** Whether this transaction took money from the card (a successful, uncancelled AUTH). */
	charged: boolean;
	createdAtMs: number;
}

interface Card {
	id: number;
	maskedpan: string;
	paymenttypedescription: string;
	behaviour: CardBehaviour;
	sitereference: string;
}

interface TxInternal extends SandboxTransaction {
	cardId?: number;
	refundedMinor: number;
}

export interface GatewayOptions {
	/** Sites known to the gateway. Site references not listed here get 30001 Unknown site. */
	sites: string[];
	/** Currencies the test sites accept. */
	currencies: string[];
	random: () => number;
	now: () => number;
	/** A new transaction becomes visible to TRANSACTIONQUERY only after this many ms. */
	queryVisibilityDelayMs: number;
	/** Mark successful AUTHs settled (100) at once, so they can be refunded without settle(). */
	settleImmediately: boolean;
}

export interface CallContext {
	/** Authenticated webservices user (the alias). */
	alias: string;
	/** Sites this user may use. */
	allowedSites: string[];
}

const REQUEST_TYPES = ['AUTH', 'REFUND', 'ACCOUNTCHECK', 'TRANSACTIONQUERY'];
const ACCOUNT_TYPES_FOR: Record<string, string[]> = {
	AUTH: ['ECOM', 'MOTO', 'RECUR'],
	ACCOUNTCHECK: ['ECOM', 'MOTO'],
	REFUND: ['ECOM', 'MOTO', 'RECUR'],
};
/** Merchant-initiated reasons: A re-authorisation, C unscheduled, D delayed charge, S resubmission, X no-show. */
const INITIATION_REASONS = ['A', 'C', 'D', 'S', 'X'];
const FILTER_KEYS = [
	'transactionreference',
	'orderreference',
	'parenttransactionreference',
	'sitereference',
	'requesttypedescription',
	'errorcode',
	'settlestatus',
	'currencyiso3a',
	'paymenttypedescription',
	'starttimestamp',
	'endtimestamp',
];
const SEARCHABLE_FILTER_KEYS = ['transactionreference', 'orderreference', 'parenttransactionreference', 'starttimestamp', 'endtimestamp'];

/** Test PANs that decline (Trust Payments' documented test cards); every other valid PAN authorises. */
const DECLINING_TEST_PANS: Record<string, string> = { '4000000000000812': '05', '4242424242424242': '05' };

/** Raised while handling one request element; becomes that element's error response. */
class GatewayError extends Error {
	constructor(
		readonly errorcode: string,
		readonly errordata: string[] = [],
		readonly extra: Record<string, string> = {},
	) {
		super(messageFor(errorcode));
	}
}

export class Gateway {
	private readonly transactions: TxInternal[] = [];
	private readonly byReference = new Map<string, TxInternal>();
	private readonly cards = new Map<number, Card>();
	private cardSeq = 0;
	private txSeq: number;

	constructor(private readonly opts: GatewayOptions) {
		this.txSeq = 30000 + Math.floor(opts.random() * 10000);
	}

	// ---- state for tests and benchmarks -------------------------------------------------

	addStoredCard(input: StoredCardInput = {}): string {
		const site = input.sitereference ?? this.opts.sites[0];
		if (!this.opts.sites.includes(site)) throw new Error(`addStoredCard: unknown site ${site}`);
		const type = (input.paymenttypedescription ?? 'VISA').toUpperCase();
		const card: Card = {
			id: ++this.cardSeq,
			maskedpan: input.maskedpan ?? defaultMaskedPan(type, this.cardSeq),
			paymenttypedescription: type,
			behaviour: input.behaviour ?? 'approve',
			sitereference: site,
		};
		if (/\d{13,}/.test(card.maskedpan)) throw new Error('addStoredCard: maskedpan must be masked');
		this.cards.set(card.id, card);
		// The card is stored by a successful zero-amount ACCOUNTCHECK (credentialsonfile 1); its
		// transaction reference is what later merchant-initiated AUTHs name as parent.
		const tx = this.record(
			{
				requesttypedescription: 'ACCOUNTCHECK',
				sitereference: site,
				accounttypedescription: 'ECOM',
				baseamount: '0',
				currencyiso3a: input.currencyiso3a ?? 'GBP',
				credentialsonfile: '1',
				...(input.orderreference ? { orderreference: input.orderreference } : {}),
				...this.approvedFields(card),
			},
			card.id,
			'webservices',
		);
		return tx.fields.transactionreference;
	}

	/** Changes how the card behind `parentReference` answers future charges. */
	setCardBehaviour(parentReference: string, behaviour: CardBehaviour): void {
		const card = this.cardOf(parentReference);
		if (!card) throw new Error(`setCardBehaviour: no stored card behind ${parentReference}`);
		card.behaviour = behaviour;
	}

	/** Settles pending transactions (settle status 0/1 → 100); all of them, or one. Returns how many. */
	settle(transactionreference?: string): number {
		let count = 0;
		for (const tx of this.transactions) {
			if (transactionreference && tx.fields.transactionreference !== transactionreference) continue;
			if (tx.fields.settlestatus === '0' || tx.fields.settlestatus === '1') {
				tx.fields.settlestatus = '100';
				count++;
			}
		}
		return count;
	}

	allTransactions(): SandboxTransaction[] {
		return this.transactions.map((tx) => ({ fields: { ...tx.fields }, charged: tx.charged, createdAtMs: tx.createdAtMs }));
	}

	reset(): void {
		this.transactions.length = 0;
		this.byReference.clear();
		this.cards.clear();
	}

	// ---- request handling ---------------------------------------------------------------

	/** Handles one request object of the envelope; returns one response element per request type. */
	handleRequest(request: unknown, ctx: CallContext): GatewayResponse[] {
		if (!request || typeof request !== 'object' || Array.isArray(request)) {
			return [this.errorResponse('ERROR', new GatewayError('30000', ['request']))];
		}
		const fields = request as Record<string, unknown>;
		const types = fields.requesttypedescriptions;
		if (!Array.isArray(types) || types.length === 0 || types.some((t) => typeof t !== 'string' || !REQUEST_TYPES.includes(t))) {
			const shown = Array.isArray(types) ? types.map(String).join(',') : String(types);
			return [this.errorResponse('ERROR', new GatewayError('60018', [shown === 'undefined' ? 'None' : shown]))];
		}
		const responses: GatewayResponse[] = [];
		let chainedParent: string | undefined;
		for (const type of types as string[]) {
			let response: GatewayResponse;
			try {
				response = this.handleType(type, fields, ctx, chainedParent);
			} catch (error) {
				if (!(error instanceof GatewayError)) throw error;
				response = this.errorResponse(type, error);
			}
			responses.push(response);
			// A chain (e.g. ACCOUNTCHECK then AUTH) stops at the first failure, as on the gateway.
			if (response.errorcode !== '0') break;
			if (typeof response.transactionreference === 'string') chainedParent = response.transactionreference;
		}
		return responses;
	}

	/** The error element the gateway returns for a whole-envelope problem (bad JSON, version...). */
	envelopeError(errorcode: string, errordata: string[] = []): GatewayResponse {
		return this.errorResponse('ERROR', new GatewayError(errorcode, errordata));
	}

	/** A response element for an injected fault (60010, 50000, 99999...), with no transaction. */
	faultResponse(type: string, errorcode: string): GatewayResponse {
		return this.errorResponse(errorcode === '50000' || errorcode === '99999' ? 'ERROR' : type, new GatewayError(errorcode));
	}

	private handleType(type: string, fields: Record<string, unknown>, ctx: CallContext, chainedParent?: string): GatewayResponse {
		switch (type) {
			case 'AUTH':
				return this.auth(fields, ctx, chainedParent);
			case 'ACCOUNTCHECK':
				return this.accountCheck(fields, ctx);
			case 'REFUND':
				return this.refund(fields, ctx);
			default:
				return this.transactionQuery(fields, ctx);
		}
	}

	private auth(fields: Record<string, unknown>, ctx: CallContext, chainedParent?: string): GatewayResponse {
		const site = this.site(fields, ctx);
		const accountType = this.accountType(fields, 'AUTH');
		const currency = this.currency(fields);
		const amount = this.amount(fields, false);
		const orderreference = this.orderReference(fields);
		const cof = this.credentialsOnFile(fields);
		const source = this.cardSource(fields, site, chainedParent);
		const initiationreason = optionalString(fields, 'initiationreason');
		if (initiationreason !== undefined) {
			if (!INITIATION_REASONS.includes(initiationreason)) throw new GatewayError('30000', ['initiationreason']);
			if (cof !== '2') throw new GatewayError('30000', ['credentialsonfile']);
		} else if (source.parent && cof === '2' && accountType !== 'RECUR') {
			// A merchant-initiated ECOM/MOTO charge on stored credentials must say why.
			throw new GatewayError('30000', ['initiationreason']);
		}
		this.subscriptionFields(fields);

		const base: Record<string, string> = {
			requesttypedescription: 'AUTH',
			sitereference: site,
			accounttypedescription: accountType,
			baseamount: amount,
			currencyiso3a: currency,
			...(orderreference !== undefined ? { orderreference } : {}),
			...(source.parent ? { parenttransactionreference: source.parent } : {}),
			...(cof !== undefined ? { credentialsonfile: cof } : {}),
			...(initiationreason !== undefined ? { initiationreason } : {}),
		};
		const outcome = this.issuerDecision(source.card, amount, false);
		let tx: TxInternal;
		if (outcome.kind === 'approve') {
			tx = this.record({ ...base, ...this.approvedFields(source.card) }, source.card.id, ctx.alias);
			tx.charged = true;
			if (this.opts.settleImmediately) tx.fields.settlestatus = '100';
		} else if (outcome.kind === 'decline') {
			tx = this.record({ ...base, ...this.declinedFields(source.card, outcome.code) }, source.card.id, ctx.alias);
		} else {
			tx = this.record(
				{ ...base, ...this.cardFields(source.card), errorcode: '60010', errormessage: messageFor('60010'), settlestatus: '3' },
				source.card.id,
				ctx.alias,
			);
		}
		return this.toResponse(tx);
	}

	private accountCheck(fields: Record<string, unknown>, ctx: CallContext): GatewayResponse {
		const site = this.site(fields, ctx);
		const accountType = this.accountType(fields, 'ACCOUNTCHECK');
		const currency = this.currency(fields);
		const amount = this.amount(fields, true);
		const orderreference = this.orderReference(fields);
		const cof = this.credentialsOnFile(fields);
		const source = this.cardSource(fields, site);
		const base: Record<string, string> = {
			requesttypedescription: 'ACCOUNTCHECK',
			sitereference: site,
			accounttypedescription: accountType,
			baseamount: amount,
			currencyiso3a: currency,
			...(orderreference !== undefined ? { orderreference } : {}),
			...(source.parent ? { parenttransactionreference: source.parent } : {}),
			...(cof !== undefined ? { credentialsonfile: cof } : {}),
		};
		const outcome = this.issuerDecision(source.card, amount, true);
		const tx =
			outcome.kind === 'decline'
				? this.record({ ...base, ...this.declinedFields(source.card, outcome.code) }, source.card.id, ctx.alias)
				: outcome.kind === 'bankError'
					? this.record(
							{ ...base, ...this.cardFields(source.card), errorcode: '60010', errormessage: messageFor('60010'), settlestatus: '3' },
							source.card.id,
							ctx.alias,
						)
					: this.record({ ...base, ...this.approvedFields(source.card) }, source.card.id, ctx.alias);
		return this.toResponse(tx);
	}

	private refund(fields: Record<string, unknown>, ctx: CallContext): GatewayResponse {
		const site = this.site(fields, ctx);
		const parentRef = optionalString(fields, 'parenttransactionreference');
		const parent = parentRef ? this.byReference.get(parentRef) : undefined;
		if (!parent || parent.fields.sitereference !== site) throw new GatewayError('20004', ['parenttransactionreference']);
		if (parent.fields.requesttypedescription !== 'AUTH') throw new GatewayError('20006');
		if (parent.fields.errorcode !== '0') throw new GatewayError('20011');
		// Real rule: only settled payments (settle status 100) can be refunded.
		if (parent.fields.settlestatus !== '100') throw new GatewayError('20012');
		const currency = optionalString(fields, 'currencyiso3a');
		if (currency !== undefined && currency !== parent.fields.currencyiso3a) throw new GatewayError('20015');
		const parentMinor = Number(parent.fields.baseamount);
		let amount: number;
		if (fields.baseamount === undefined) {
			amount = parentMinor - parent.refundedMinor;
			if (amount <= 0) throw new GatewayError('20007');
		} else {
			amount = Number(this.amount(fields, false));
			if (amount > parentMinor - parent.refundedMinor) throw new GatewayError('20007');
		}
		const orderreference = this.orderReference(fields) ?? parent.fields.orderreference;
		parent.refundedMinor += amount;
		const tx = this.record(
			{
				requesttypedescription: 'REFUND',
				sitereference: site,
				accounttypedescription: parent.fields.accounttypedescription,
				baseamount: String(amount),
				currencyiso3a: parent.fields.currencyiso3a,
				parenttransactionreference: parent.fields.transactionreference,
				...(orderreference !== undefined ? { orderreference } : {}),
				maskedpan: parent.fields.maskedpan,
				paymenttypedescription: parent.fields.paymenttypedescription,
				errorcode: '0',
				errormessage: messageFor('0'),
				acquirerresponsecode: '00',
				authcode: 'TEST REFUND ACCEPTED',
				settlestatus: '0',
			},
			parent.cardId,
			ctx.alias,
		);
		return this.toResponse(tx);
	}

	private transactionQuery(fields: Record<string, unknown>, ctx: CallContext): GatewayResponse {
		const filter = fields.filter;
		if (filter === undefined || filter === null) throw new GatewayError('60019');
		if (typeof filter !== 'object' || Array.isArray(filter)) throw new GatewayError('30000', ['filter']);
		const wanted = new Map<string, string[]>();
		for (const [key, raw] of Object.entries(filter as Record<string, unknown>)) {
			if (!FILTER_KEYS.includes(key)) throw new GatewayError('60037', [key]);
			if (!Array.isArray(raw) || raw.length === 0) throw new GatewayError('30000', [key]);
			const values = raw.map((entry) => {
				const value = entry && typeof entry === 'object' ? (entry as Record<string, unknown>).value : undefined;
				if (typeof value !== 'string') throw new GatewayError('30000', [key]);
				return value;
			});
			wanted.set(key, values);
		}
		if (!SEARCHABLE_FILTER_KEYS.some((key) => wanted.has(key))) throw new GatewayError('60019');
		let sites = ctx.allowedSites;
		const siteFilter = wanted.get('sitereference');
		if (siteFilter) {
			for (const site of siteFilter) this.checkSite(site, ctx);
			sites = siteFilter;
		}
		const start = wanted.get('starttimestamp')?.[0];
		const end = wanted.get('endtimestamp')?.[0];
		const visibleBefore = this.opts.now() - this.opts.queryVisibilityDelayMs;
		const records = this.transactions.filter((tx) => {
			if (tx.createdAtMs > visibleBefore) return false;
			if (!sites.includes(tx.fields.sitereference)) return false;
			for (const [key, values] of wanted) {
				if (key === 'sitereference' || key === 'starttimestamp' || key === 'endtimestamp') continue;
				if (!values.includes(tx.fields[key] ?? '')) return false;
			}
			const ts = tx.fields.transactionstartedtimestamp;
			if (start !== undefined && ts < start) return false;
			if (end !== undefined && ts > end) return false;
			return true;
		});
		return {
			requesttypedescription: 'TRANSACTIONQUERY',
			transactionstartedtimestamp: this.timestamp(),
			errorcode: '0',
			errormessage: messageFor('0'),
			found: String(records.length),
			records: records.map((tx) => ({ ...tx.fields, interface: 'PASS-JSON-JSON' })),
		};
	}

	// ---- validation helpers -------------------------------------------------------------

	private site(fields: Record<string, unknown>, ctx: CallContext): string {
		const site = optionalString(fields, 'sitereference');
		if (site === undefined || site === '') throw new GatewayError('30000', ['sitereference']);
		this.checkSite(site, ctx);
		return site;
	}

	private checkSite(site: string, ctx: CallContext): void {
		if (!this.opts.sites.includes(site)) throw new GatewayError('30001', ['sitereference']);
		if (!ctx.allowedSites.includes(site)) throw new GatewayError('30006', ['sitereference']);
	}

	private accountType(fields: Record<string, unknown>, type: string): string {
		const value = optionalString(fields, 'accounttypedescription');
		if (value === undefined || !ACCOUNT_TYPES_FOR[type].includes(value)) throw new GatewayError('30000', ['accounttypedescription']);
		return value;
	}

	private currency(fields: Record<string, unknown>): string {
		const value = optionalString(fields, 'currencyiso3a');
		if (value === undefined || !this.opts.currencies.includes(value)) throw new GatewayError('30000', ['currencyiso3a']);
		return value;
	}

	/** `baseamount`: digits only, at most 13; zero exactly when `zero` (ACCOUNTCHECK), positive otherwise. */
	private amount(fields: Record<string, unknown>, zero: boolean): string {
		const value = fields.baseamount;
		if (typeof value !== 'string' || !/^\d{1,13}$/.test(value)) throw new GatewayError('30000', ['baseamount']);
		const minor = Number(value);
		if (zero ? minor !== 0 : minor <= 0) throw new GatewayError('30000', ['baseamount']);
		return String(minor);
	}

	private orderReference(fields: Record<string, unknown>): string | undefined {
		const value = fields.orderreference;
		if (value === undefined) return undefined;
		if (typeof value !== 'string' || value.length > 255) throw new GatewayError('30000', ['orderreference']);
		return value;
	}

	private credentialsOnFile(fields: Record<string, unknown>): string | undefined {
		const value = fields.credentialsonfile;
		if (value === undefined) return undefined;
		if (value !== '0' && value !== '1' && value !== '2') throw new GatewayError('30000', ['credentialsonfile']);
		return value;
	}

	private subscriptionFields(fields: Record<string, unknown>): void {
		const type = fields.subscriptiontype;
		if (type !== undefined && type !== 'RECURRING' && type !== 'INSTALLMENT') throw new GatewayError('30000', ['subscriptiontype']);
		const number = fields.subscriptionnumber;
		if (number !== undefined && (typeof number !== 'string' || !/^\d{1,5}$/.test(number))) {
			throw new GatewayError('30000', ['subscriptionnumber']);
		}
	}

	/** The card to charge: a stored card through `parenttransactionreference`, or a PAN in the request. */
	private cardSource(fields: Record<string, unknown>, site: string, chainedParent?: string): { card: Card; parent?: string } {
		const parentRef = optionalString(fields, 'parenttransactionreference') ?? chainedParent;
		const pan = fields.pan;
		if (parentRef !== undefined && pan === undefined) {
			const parent = this.byReference.get(parentRef);
			const card = parent?.cardId !== undefined ? this.cards.get(parent.cardId) : undefined;
			if (!parent || !card || parent.fields.sitereference !== site) throw new GatewayError('20004', ['parenttransactionreference']);
			return { card, parent: parentRef };
		}
		if (pan === undefined) throw new GatewayError('30000', ['pan']);
		if (typeof pan !== 'string' || !/^\d{12,19}$/.test(pan) || !luhn(pan)) throw new GatewayError('30000', ['pan']);
		const expiry = fields.expirydate;
		if (typeof expiry !== 'string' || !/^(0[1-9]|1[0-2])\/\d{4}$/.test(expiry)) throw new GatewayError('30000', ['expirydate']);
		const code = fields.securitycode;
		if (code !== undefined && (typeof code !== 'string' || !/^\d{3,4}$/.test(code))) throw new GatewayError('30000', ['securitycode']);
		const [month, year] = expiry.split('/').map(Number);
		const now = new Date(this.opts.now());
		const expired = year < now.getUTCFullYear() || (year === now.getUTCFullYear() && month < now.getUTCMonth() + 1);
		const type = pan.startsWith('4') ? 'VISA' : /^5[1-5]/.test(pan) ? 'MASTERCARD' : /^3[47]/.test(pan) ? 'AMEX' : 'VISA';
		const declineCode = expired ? '54' : DECLINING_TEST_PANS[pan];
		const card: Card = {
			id: ++this.cardSeq,
			maskedpan: `${pan.slice(0, 6)}${'#'.repeat(pan.length - 10)}${pan.slice(-4)}`,
			paymenttypedescription: type,
			behaviour: declineCode ? { declineCode } : 'approve',
			sitereference: site,
		};
		this.cards.set(card.id, card);
		return { card };
	}

	private issuerDecision(
		card: Card,
		amount: string,
		zeroAmountCheck: boolean,
	): { kind: 'approve' } | { kind: 'decline'; code: string } | { kind: 'bankError' } {
		// Test bank amounts: 70000 always declines, 60010 always gives a bank system error.
		if (amount === '70000') return { kind: 'decline', code: '05' };
		if (amount === '60010') return { kind: 'bankError' };
		const behaviour = card.behaviour;
		if (behaviour === 'approve') return { kind: 'approve' };
		if (behaviour === 'bankError') return { kind: 'bankError' };
		const code = declineCodeOf(behaviour);
		// A zero-amount account check does not test the balance.
		if (zeroAmountCheck && (code === '51' || code === '61')) return { kind: 'approve' };
		return { kind: 'decline', code };
	}

	private cardOf(reference: string): Card | undefined {
		const tx = this.byReference.get(reference);
		return tx?.cardId !== undefined ? this.cards.get(tx.cardId) : undefined;
	}

	// ---- records and responses ----------------------------------------------------------

	private cardFields(card: Card): Record<string, string> {
		return {
			maskedpan: card.maskedpan,
			paymenttypedescription: card.paymenttypedescription,
			issuer: 'SecureTrading Test Issuer1',
			issuercountryiso2a: 'US',
		};
	}

	private approvedFields(card: Card): Record<string, string> {
		return {
			...this.cardFields(card),
			errorcode: '0',
			errormessage: messageFor('0'),
			acquirerresponsecode: '00',
			authcode: `TEST${String(10 + Math.floor(this.opts.random() * 90))}`,
			settlestatus: '0',
			securityresponseaddress: '0',
			securityresponsepostcode: '0',
			securityresponsesecuritycode: '0',
		};
	}

	private declinedFields(card: Card, code: string): Record<string, string> {
		return {
			...this.cardFields(card),
			errorcode: '70000',
			errormessage: messageFor('70000'),
			acquirerresponsecode: code,
			authcode: 'DECLINED',
			settlestatus: '3',
		};
	}

	private record(fields: Record<string, string>, cardId: number | undefined, alias: string): TxInternal {
		const nowMs = this.opts.now();
		const shard = 50 + Math.floor(this.opts.random() * 10);
		const reference = `${shard}-9-${++this.txSeq}`;
		const tx: TxInternal = {
			fields: {
				transactionreference: reference,
				transactionstartedtimestamp: this.timestamp(nowMs),
				settleduedate: this.timestamp(nowMs).slice(0, 10),
				livestatus: '0',
				splitfinalnumber: '1',
				dccenabled: '0',
				tid: '27882788',
				merchantnumber: '00000000',
				merchantcountryiso2a: 'GB',
				merchantname: 'Test Merchant',
				operatorname: alias,
				...fields,
			},
			charged: false,
			createdAtMs: nowMs,
			cardId,
			refundedMinor: 0,
		};
		this.transactions.push(tx);
		this.byReference.set(reference, tx);
		return tx;
	}

	private toResponse(tx: TxInternal): GatewayResponse {
		const { sitereference: _site, credentialsonfile: _cof, ...fields } = tx.fields;
		return { ...fields };
	}

	private errorResponse(type: string, error: GatewayError): GatewayResponse {
		return {
			requesttypedescription: type,
			transactionstartedtimestamp: this.timestamp(),
			errorcode: error.errorcode,
			errormessage: error.message,
			...(error.errordata.length > 0 ? { errordata: error.errordata } : {}),
			...error.extra,
		};
	}

	private timestamp(ms = this.opts.now()): string {
		return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
	}
}

function optionalString(fields: Record<string, unknown>, key: string): string | undefined {
	const value = fields[key];
	if (value === undefined) return undefined;
	if (typeof value !== 'string') throw new GatewayError('30000', [key]);
	return value;
}

function declineCodeOf(behaviour: Exclude<CardBehaviour, 'approve' | 'bankError'>): string {
	if (typeof behaviour === 'object') return behaviour.declineCode;
	return { insufficientFunds: '51', doNotHonour: '05', expiredCard: '54', lostCard: '41', stolenCard: '43' }[behaviour];
}

function defaultMaskedPan(type: string, seq: number): string {
	const last4 = String(1000 + (seq % 9000)).padStart(4, '0');
	if (type === 'MASTERCARD') return `510000######${last4}`;
	if (type === 'AMEX') return `340000#####${last4}`;
	return `411111######${last4}`;
}

function luhn(pan: string): boolean {
	let sum = 0;
	for (let i = 0; i < pan.length; i++) {
		let digit = Number(pan[pan.length - 1 - i]);
		if (i % 2 === 1) {
			digit *= 2;
			if (digit > 9) digit -= 9;
		}
		sum += digit;
	}
	return sum % 10 === 0;
}


