// /Contacts: list (filters, paging), get by ContactID or ContactNumber, create/update in batches,
// and update one by id.
import { contactByIdOrNumber, listContacts, saveContacts, type ContactRec } from '../model/contacts';
import { notFound, type Reply } from '../reply';
import { contactInput, contactJson } from '../wire/contacts';
import { itemsOf } from '../wire/envelope';
import { listReply, saveReply, type ApiContext } from './context';
import { listQuery, paginate } from './query';

const WIRE = { kind: 'contact', errorFlag: 'HasValidationErrors', toJson: (c: ContactRec) => contactJson(c) } as const;

export function list(ctx: ApiContext): Reply {
	const lq = listQuery(ctx.query, ctx.ifModifiedSince);
	const { rows, extra } = paginate(listContacts(ctx.org, lq), lq);
	return listReply(ctx, 'Contacts', rows.map(contactJson), extra);
}

export function get(ctx: ApiContext, params: Record<string, string>): Reply {
	const c = contactByIdOrNumber(ctx.org, params.id);
	return c ? listReply(ctx, 'Contacts', [contactJson(c)]) : notFound();
}

export function save(ctx: ApiContext): Reply {
	const items = itemsOf(ctx.body, 'Contacts');
	return saveReply(ctx, 'Contacts', items, saveContacts(ctx.org, items.map(contactInput)), WIRE);
}

export function update(ctx: ApiContext, params: Record<string, string>): Reply {
	if (!ctx.org.contacts.has(params.id.toLowerCase())) return notFound();
	const items = itemsOf(ctx.body, 'Contacts').slice(0, 1);
	return saveReply(ctx, 'Contacts', items, saveContacts(ctx.org, items.map(contactInput), params.id), WIRE);
}
