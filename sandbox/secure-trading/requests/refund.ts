// REFUND: give back (part of) a settled, successful AUTH.
import * as check from '../fields';
import { messageFor } from '../messages';
import { GatewayError } from '../model';
import type { RequestTypeHandler } from './types';

export const refund: RequestTypeHandler = (ledger, fields, ctx) => {
	const site = check.site(ledger.opts, fields, ctx);
	const parentRef = check.optionalString(fields, 'parenttransactionreference');
	const parent = parentRef ? ledger.byReference.get(parentRef) : undefined;
	if (!parent || parent.fields.sitereference !== site) throw new GatewayError('20004', ['parenttransactionreference']);
	if (parent.fields.requesttypedescription !== 'AUTH') throw new GatewayError('20006');
	if (parent.fields.errorcode !== '0') throw new GatewayError('20011');
	// Real rule: only settled payments (settle status 100) can be refunded.
	if (parent.fields.settlestatus !== '100') throw new GatewayError('20012');
	const currency = check.optionalString(fields, 'currencyiso3a');
	if (currency !== undefined && currency !== parent.fields.currencyiso3a) throw new GatewayError('20015');
	const parentMinor = Number(parent.fields.baseamount);
	let amount: number;
	if (fields.baseamount === undefined) {
		amount = parentMinor - parent.refundedMinor;
		if (amount <= 0) throw new GatewayError('20007');
	} else {
		amount = Number(check.amount(fields, false));
		if (amount > parentMinor - parent.refundedMinor) throw new GatewayError('20007');
	}
	const orderreference = check.orderReference(fields) ?? parent.fields.orderreference;
	parent.refundedMinor += amount;
	const tx = ledger.record(
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
	return ledger.toResponse(tx);
};
