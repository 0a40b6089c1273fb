// ACCOUNTCHECK: a zero-amount check of a card (stores it when credentialsonfile is 1).
import { cardSource, issuerDecision } from '../cards';
import * as check from '../fields';
import type { RequestTypeHandler } from './types';

export const accountCheck: RequestTypeHandler = (ledger, fields, ctx) => {
	const site = check.site(ledger.opts, fields, ctx);
	const accountType = check.accountType(fields, 'ACCOUNTCHECK');
	const currency = check.currency(ledger.opts, fields);
	const amount = check.amount(fields, true);
	const orderreference = check.orderReference(fields);
	const cof = check.credentialsOnFile(fields);
	const source = cardSource(ledger, fields, site);
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
	const outcome = issuerDecision(source.card, amount, true);
	const outcomeFields =
		outcome.kind === 'decline'
			? ledger.declinedFields(source.card, outcome.code)
			: outcome.kind === 'bankError'
				? ledger.bankErrorFields(source.card)
				: ledger.approvedFields(source.card);
	return ledger.toResponse(ledger.record({ ...base, ...outcomeFields }, source.card.id, ctx.alias));
};
