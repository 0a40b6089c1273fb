// AUTH: charge a stored card (through its parent transaction) or a PAN in the request.
import { issuerDecision } from '../cards';
import * as check from '../fields';
import { GatewayError } from '../model';
import { cardRequest, outcomeFields } from './cardRequest';
import type { RequestTypeHandler } from './types';

/** Merchant-initiated reasons: A re-authorisation, C unscheduled, D delayed charge, S resubmission, X no-show. */
const INITIATION_REASONS = ['A', 'C', 'D', 'S', 'X'];

export const auth: RequestTypeHandler = (ledger, fields, ctx, chainedParent) => {
	const request = cardRequest(ledger, fields, ctx, 'AUTH', chainedParent);
	const { accountType, amount, cof, source } = request;
	const initiationreason = check.optionalString(fields, 'initiationreason');
	if (initiationreason !== undefined) {
		if (!INITIATION_REASONS.includes(initiationreason)) throw new GatewayError('30000', ['initiationreason']);
		if (cof !== '2') throw new GatewayError('30000', ['credentialsonfile']);
	}
	const subscription = check.subscriptionFields(fields);
	// A stored card charged without the card number: a merchant-initiated charge, all of its kind's fields required.
	if (source.parent && fields.pan === undefined) check.merchantInitiatedFields(accountType, cof, initiationreason, subscription);

	const base: Record<string, string> = {
		...request.base,
		...(initiationreason !== undefined ? { initiationreason } : {}),
		...subscription,
	};
	const outcome = issuerDecision(source.card, amount, false);
	const tx = ledger.record({ ...base, ...outcomeFields(ledger, source.card, outcome) }, source.card.id, ctx.alias);
	if (outcome.kind === 'approve') {
		tx.charged = true;
		if (ledger.opts.settleImmediately) tx.fields.settlestatus = '100';
	}
	return ledger.toResponse(tx);
};
