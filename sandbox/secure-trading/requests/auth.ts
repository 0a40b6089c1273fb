// AUTH: charge a stored card (through its parent transaction) or a PAN in the request.
import { cardSource, issuerDecision } from '../cards';
import * as check from '../fields';
import { GatewayError, type TxInternal } from '../model';
import type { RequestTypeHandler } from './types';

/** Merchant-initiated reasons: A re-authorisation, C unscheduled, D delayed charge, S resubmission, X no-show. */
const INITIATION_REASONS = ['A', 'C', 'D', 'S', 'X'];

export const auth: RequestTypeHandler = (ledger, fields, ctx, chainedParent) => {
	const site = check.site(ledger.opts, fields, ctx);
	const accountType = check.accountType(fields, 'AUTH');
	const currency = check.currency(ledger.opts, fields);
	const amount = check.amount(fields, false);
	const orderreference = check.orderReference(fields);
	const cof = check.credentialsOnFile(fields);
	const source = cardSource(ledger, fields, site, chainedParent);
	const initiationreason = check.optionalString(fields, 'initiationreason');
	if (initiationreason !== undefined) {
		if (!INITIATION_REASONS.includes(initiationreason)) throw new GatewayError('30000', ['initiationreason']);
		if (cof !== '2') throw new GatewayError('30000', ['credentialsonfile']);
	}
	const subscription = check.subscriptionFields(fields);
	// A stored card charged without the card number: a merchant-initiated charge, all of its kind's fields required.
	if (source.parent && fields.pan === undefined) check.merchantInitiatedFields(accountType, cof, initiationreason, subscription);

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
		...subscription,
	};
	const outcome = issuerDecision(source.card, amount, false);
	let tx: TxInternal;
	if (outcome.kind === 'approve') {
		tx = ledger.record({ ...base, ...ledger.approvedFields(source.card) }, source.card.id, ctx.alias);
		tx.charged = true;
		if (ledger.opts.settleImmediately) tx.fields.settlestatus = '100';
	} else if (outcome.kind === 'decline') {
		tx = ledger.record({ ...base, ...ledger.declinedFields(source.card, outcome.code) }, source.card.id, ctx.alias);
	} else {
		tx = ledger.record({ ...base, ...ledger.bankErrorFields(source.card) }, source.card.id, ctx.alias);
	}
	return ledger.toResponse(tx);
};
