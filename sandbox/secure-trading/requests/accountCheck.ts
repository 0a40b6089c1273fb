// ACCOUNTCHECK: a zero-amount check of a card (stores it when credentialsonfile is 1).
import { issuerDecision } from '../cards';
import { cardRequest, outcomeFields } from './cardRequest';
import type { RequestTypeHandler } from './types';

export const accountCheck: RequestTypeHandler = (ledger, fields, ctx) => {
	const { amount, source, base } = cardRequest(ledger, fields, ctx, 'ACCOUNTCHECK');
	const outcome = issuerDecision(source.card, amount, true);
	return ledger.toResponse(ledger.record({ ...base, ...outcomeFields(ledger, source.card, outcome) }, source.card.id, ctx.alias));
};
