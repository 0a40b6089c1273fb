// Ensure contacts: find each client's Xero contact by ContactNumber (= CRM client id), else by
// email, and create the missing ones, so invoices can reference a ContactID.
// Lookups (GET /Contacts), each a `where` ORing `ContactNumber=="…"` and `EmailAddress=="…"`
// terms, as long as Xero's ~2 KB query-string limit allows (see packTerms):
//  round 1: every client's ContactNumber term, in as few calls as fit, with the clients' email
//           terms riding along in the room those calls leave;
//  round 2: only when needed, the emails of clients not found by number and not looked up yet.
// Both terms in one call cost ~85 characters per client (~23 clients per call), a number alone
// ~33 (~60 per call): so a rerun, where every client has its number, stays at the cheap count,
// and new clients cost no more calls than one combined lookup would.
// Writes: ONE POST /Contacts per batch of up to 50 that creates the missing contacts and stamps
// the ContactNumber on contacts claimed by email, so the next run finds them by number.
// A ContactNumber match always wins over an email match.
import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { itemParameter } from '../../../shared/itemParameter';
import { chunk } from '../../../shared/concurrency';
import { forOperation } from '../../../shared/descriptions';
import { FieldError } from '../../../shared/errors';
import { textField } from '../../../shared/itemFields';
import { booleanParameter, textParameter } from '../../../shared/parameters';
import { contactNumberTerm, emailAddressTerm, packTerms, WHERE_MAX_SENT_CHARS, whereSentLength, type ContactWrite, type WhereClause, type XeroContact } from '../../transport';
import { forEachBatch } from '../../../shared/operation';
import type { XeroContext } from '../../helpers/client';
import { refusal } from '../../helpers/errors';
import { batchKey, keyScope } from '../../helpers/idempotency';
import { callOptions, fieldProperty } from '../common.descriptions';

export const description: INodeProperties[] = forOperation('contact', 'ensure', [
	fieldProperty('contactNumberField', 'Contact Number Field', 'clientId', 'Input field holding the CRM client ID, stored as the Xero ContactNumber'),
	fieldProperty('nameField', 'Name Field', 'clientName', 'Input field holding the contact name (used when creating the contact)'),
	fieldProperty('emailField', 'Email Field', 'billingEmail', 'Input field holding the billing email address', false),
	{
		displayName: 'Also Match by Email',
		name: 'matchByEmail',
		type: 'boolean',
		default: true,
		description: 'Whether a contact without a ContactNumber but with the same email address counts as the client (its ContactNumber is then set)',
	},
	{
		displayName: 'Add Client ID to Clashing Names',
		name: 'disambiguateNames',
		type: 'boolean',
		default: true,
		description:
			'Whether a new contact whose name another Xero contact already has is created as "Name (client ID)" instead of being rejected. Xero requires unique contact names; two clients can share a company name.',
	},
	callOptions(),
]);

// Xero's answer when a new contact's name is taken by another contact.
const NAME_TAKEN = /contact name .* is already assigned to another contact/i;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

interface Wanted {
	number: string;
	name: string;
	email: string;
	items: number[];
	/** Input fields of the first item, to name in errors. */
	numberPath: string;
	emailPath: string;
}

function out(json: IDataObject, c: XeroContact, matchedBy: string): IDataObject {
	return {
		...json,
		xeroContactId: c.contactId,
		xeroContact: { contactId: c.contactId, name: c.name, contactNumber: c.contactNumber ?? null, email: c.email ?? null, matchedBy },
	};
}

export async function execute(ctx: XeroContext): Promise<void> {
	const { fns, items, results } = ctx;
	const { transport, batchSize } = ctx.client;
	const matchByEmail = booleanParameter(fns, 'matchByEmail', 0, true);
	const disambiguateNames = booleanParameter(fns, 'disambiguateNames', 0, true);

	// 1. Read and check every item before calling Xero; group items of the same client.
	const byNumber = new Map<string, Wanted>();
	items.forEach((item, i) => {
		try {
			const numberPath = textParameter(fns, 'contactNumberField', i, 'clientId');
			const namePath = textParameter(fns, 'nameField', i, 'clientName');
			// Empty means "no email": not replaced by the default path.
			const emailPath = String(itemParameter(fns, 'emailField', i, 'billingEmail') ?? '').trim();
			const number = textField(item.json, numberPath, 'Contact number (CRM client ID)', { max: 50 });
			const name = textField(item.json, namePath, 'Contact name', { max: 255 });
			const email = emailPath ? textField(item.json, emailPath, 'Email', { required: false, max: 255 }) : '';
			if (email && !EMAIL.test(email)) throw new FieldError(emailPath, `Email "${email}" is not a valid address (field "${emailPath}")`);
			const seen = byNumber.get(number);
			if (seen) seen.items.push(i);
			else byNumber.set(number, { number, name, email, items: [i], numberPath, emailPath });
		} catch (error) {
			results.error(i, error);
		}
	});

	// 2. Lookups.
	const clients = [...byNumber.values()];
	const numberTerm = (w: Wanted) => contactNumberTerm(w.number);
	const emailTerm = (w: Wanted) => emailAddressTerm(w.email);
	const withEmail = (w: Wanted) => matchByEmail && w.email !== '';
	const owners = new Map<string, Wanted[]>();
	for (const w of clients) {
		for (const t of withEmail(w) ? [numberTerm(w), emailTerm(w)] : [numberTerm(w)]) owners.set(t, [...(owners.get(t) ?? []), w]);
	}
	/** Clients already answered (bad input, or a lookup that failed): not looked at again. */
	const settled = new Set<Wanted>();
	const tooLong = (terms: string[], fieldOf: (w: Wanted) => string) => {
		for (const t of terms) {
			for (const w of owners.get(t) ?? []) {
				if (settled.has(w)) continue;
				settled.add(w);
				const error = new FieldError(fieldOf(w), `${t.startsWith('Email') ? `Email "${w.email}"` : `Contact number "${w.number}"`} is too long to look up in Xero (over ${WHERE_MAX_SENT_CHARS} characters once URL-encoded)`);
				for (const i of w.items) results.error(i, error);
			}
		}
	};
	const maxWriteCalls = Math.ceil(clients.length / batchSize);
	const what = `ensuring ${clients.length} contact(s)`;
	const returned = new Map<string, XeroContact>();
	const looked = new Set<string>();
	/** Runs lookups; when one fails, the clients whose `essential` term it carried fail with it. */
	const lookup = async (clauses: WhereClause[], essential: (w: Wanted) => string) => {
		for (let g = 0; g < clauses.length; g++) {
			try {
				transport.checkDayBudget(clauses.length - g + maxWriteCalls, what);
				for (const c of await transport.findContacts(clauses[g].where)) if (!returned.has(c.contactId)) returned.set(c.contactId, c);
				for (const t of clauses[g].terms) looked.add(t);
			} catch (error) {
				const hit = clauses[g].terms.flatMap((t) => (owners.get(t) ?? []).filter((w) => !settled.has(w) && essential(w) === t));
				for (const w of hit) settled.add(w);
				const itemIndexes = hit.flatMap((w) => w.items);
				if (itemIndexes.length) results.errorAll(itemIndexes, error);
			}
		}
	};
	const found = new Map<string, XeroContact>();
	const collect = () => {
		for (const c of returned.values()) if (c.contactNumber && !found.has(c.contactNumber)) found.set(c.contactNumber, c);
	};

	// Refuse what no lookup could carry before sending anything.
	tooLong(clients.filter(withEmail).map(emailTerm).filter((t) => whereSentLength(t) > WHERE_MAX_SENT_CHARS), (w) => w.emailPath);
	const round1 = packTerms(clients.filter((w) => !settled.has(w)).map(numberTerm), clients.filter((w) => !settled.has(w) && withEmail(w)).map(emailTerm));
	tooLong(round1.tooLong, (w) => w.numberPath);
	// An email riding along in a failed call is simply looked up again in round 2 if still needed.
	await lookup(round1.clauses, numberTerm);
	collect();
	const needEmail = clients.filter((w) => !settled.has(w) && !found.has(w.number) && withEmail(w) && !looked.has(emailTerm(w)));
	if (needEmail.length) {
		const round2 = packTerms(needEmail.map(emailTerm));
		tooLong(round2.tooLong, (w) => w.emailPath);
		const needy = new Set(needEmail);
		await lookup(round2.clauses, (w) => (needy.has(w) ? emailTerm(w) : ''));
		collect();
	}
	const byEmail = new Map<string, XeroContact[]>();
	for (const c of returned.values()) if (c.email) byEmail.set(c.email.toLowerCase(), [...(byEmail.get(c.email.toLowerCase()) ?? []), c]);

	// 3. Decide per client: its number's contact, else a claimable contact with its email, else new.
	const pending: Array<{ w: Wanted; write: ContactWrite }> = [];
	const claimed = new Set<string>();
	for (const w of clients) {
		if (settled.has(w)) continue;
		const c = found.get(w.number);
		if (c) {
			for (const i of w.items) results.success(i, out(items[i].json, c, 'contactNumber'));
			continue;
		}
		if (matchByEmail && w.email) {
			// Only a contact without a number can be claimed (one with another number is another
			// client), and only by one client.
			const byMail = (byEmail.get(w.email.toLowerCase()) ?? []).find((x) => !x.contactNumber && !claimed.has(x.contactId));
			if (byMail) {
				claimed.add(byMail.contactId);
				pending.push({ w, write: { contactId: byMail.contactId, contactNumber: w.number } });
				continue;
			}
		}
		pending.push({ w, write: { name: w.name, contactNumber: w.number, ...(w.email ? { email: w.email } : {}) } });
	}

	// 4. One POST per batch for the claims and creations; then, if some names were taken by other
	// contacts, one more POST per batch creating those as "Name (client ID)".
	const save = async (list: typeof pending, retryClashes: boolean): Promise<typeof pending> => {
		const clashed: typeof pending = [];
		const batches = chunk(list, batchSize);
		await forEachBatch(ctx, batches, (p) => p.w.items, async (batch, b) => {
			transport.checkDayBudget(batches.length - b, what);
			const writes = batch.map((p) => p.write);
			const saved = await transport.saveContacts(writes, batchKey('contacts', writes, keyScope(ctx, batch.flatMap((p) => p.w.items))));
			saved.forEach((r, k) => {
				const { w, write } = batch[k];
				const matchedBy = write.contactId ? 'email' : 'created';
				if (!r.ok && retryClashes && !write.contactId && r.errors.some((e) => NAME_TAKEN.test(e))) {
					clashed.push({ w, write: { ...write, name: `${w.name} (${w.number})`.slice(0, 255) } });
					return;
				}
				for (const i of w.items) {
					if (r.ok) results.success(i, out(items[i].json, r.value, matchedBy));
					else results.failure(i, refusal('validation', `Xero refused the contact for client ${w.number}: ${r.errors.join('; ')}`), { ...items[i].json, xeroErrors: r.errors });
				}
			});
		});
		return clashed;
	};
	const clashed = await save(pending, disambiguateNames);
	if (clashed.length) await save(clashed, false);
}
