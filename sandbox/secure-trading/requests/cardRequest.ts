// What AUTH and ACCOUNTCHECK share: the fields both read (in the gateway's order, so the first
// bad one is the one reported), the card they act on, and the record both start from.
import { cardSource, type IssuerDecision } from '../cards';
import * as check from '../fields';
import type { Ledger } from '../ledger';
import type { Card, CallContext } from '../model';

export interface CardRequest {
	accountType: string;
	amount: string;
	cof: string | undefined;
	source: { card: Card; parent?: string };
	/** The transaction's own fields, before the type's extras and the issuer's outcome. */
	base: Record<string, string>;
}

/** Reads and checks a card request; ACCOUNTCHECK is the zero-amount one. Throws GatewayError. */
export function cardRequest(
	ledger: Ledger,
	fields: check.RequestFields,
	ctx: CallContext,
	type: 'AUTH' | 'ACCOUNTCHECK',
	chainedParent?: string,
): CardRequest {
	const site = check.site(ledger.opts, fields, ctx);
	const accountType = check.accountType(fields, type);
	const currency = check.currency(ledger.opts, fields);
	const amount = check.amount(fields, type === 'ACCOUNTCHECK');
	const orderreference = check.orderReference(fields);
	const cof = check.credentialsOnFile(fields);
	const source = cardSource(ledger, fields, site, chainedParent);
	const base: Record<string, string> = {
		requesttypedescription: type,
		sitereference: site,
		accounttypedescription: accountType,
		baseamount: amount,
		currencyiso3a: currency,
		...(orderreference !== undefined ? { orderreference } : {}),
		...(source.parent ? { parenttransactionreference: source.parent } : {}),
		...(cof !== undefined ? { credentialsonfile: cof } : {}),
	};
	return { accountType, amount, cof, source, base };
}

/** The fields the issuer's decision adds to the record (approved, declined or a bank error). */
export function outcomeFields(ledger: Ledger, card: Card, outcome: IssuerDecision): Record<string, string> {
	if (outcome.kind === 'decline') return ledger.declinedFields(card, outcome.code);
	if (outcome.kind === 'bankError') return ledger.bankErrorFields(card);
	return ledger.approvedFields(card);
}
