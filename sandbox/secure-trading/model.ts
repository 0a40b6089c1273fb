// Types of the Secure Trading gateway model (cards, transactions, responses, call context)
// and GatewayError, the error one request element answers with.
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
	/** Declines with this code; with `approveAfter`, only that many AUTHs, then approves (a retry that collects). */
	| { declineCode: string; approveAfter?: number };

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

export interface Card {
	id: number;
	maskedpan: string;
	paymenttypedescription: string;
	behaviour: CardBehaviour;
	sitereference: string;
	/** AUTHs this card has declined so far (for `approveAfter`). */
	declinedAuths?: number;
}

export interface TxInternal extends SandboxTransaction {
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

/** Raised while handling one request element; becomes that element's error response. */
export class GatewayError extends Error {
	constructor(
		readonly errorcode: string,
		readonly errordata: string[] = [],
		readonly extra: Record<string, string> = {},
	) {
		super(messageFor(errorcode));
	}
}
