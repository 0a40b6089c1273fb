// /Payments: list (filters, paging), get one, create in batches, and delete one (POST {id} with
// Status DELETED).
import { deletePayment, findPayment, listPayments, savePayments, type PaymentRec } from '../model/payments';
import { notFound, type Reply } from '../reply';
import { itemsOf } from '../wire/envelope';
import { paymentInput, paymentJson } from '../wire/payments';
import { propString } from '../wire/values';
import { listReply, saveReply, type ApiContext } from './context';
import { listQuery, paginate } from './query';

const wire = (ctx: ApiContext) =>
	({ kind: 'payment', errorFlag: 'HasValidationErrors', toJson: (p: PaymentRec) => paymentJson(ctx.org, p) }) as const;

export function list(ctx: ApiContext): Reply {
	const lq = listQuery(ctx.query, ctx.ifModifiedSince);
	const { rows, extra } = paginate(listPayments(ctx.org, lq), lq);
	return listReply(ctx, 'Payments', rows.map((p) => paymentJson(ctx.org, p)), extra);
}

export function get(ctx: ApiContext, params: Record<string, string>): Reply {
	const p = findPayment(ctx.org, params.id);
	return p ? listReply(ctx, 'Payments', [paymentJson(ctx.org, p)]) : notFound();
}

export function save(ctx: ApiContext): Reply {
	const items = itemsOf(ctx.body, 'Payments');
	return saveReply(ctx, 'Payments', items, savePayments(ctx.org, items.map(paymentInput)), wire(ctx));
}

export function remove(ctx: ApiContext, params: Record<string, string>): Reply {
	const input = itemsOf(ctx.body, 'Payments')[0];
	const outcome = deletePayment(ctx.org, params.id, propString(input, 'Status'));
	return outcome ? saveReply(ctx, 'Payments', [input], [outcome], wire(ctx)) : notFound();
}
