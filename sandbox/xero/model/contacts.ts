// Contacts of an organisation: the record, lookups, the create/update rules of PUT/POST /Contacts
// (name unique among active contacts, e-mail and number checks) and list filtering. Reading
// elements and writing records in Xero's JSON is wire/contacts.ts.
import { randomUUID } from 'crypto';
import type { Organisation } from './organisation';
import { compileFilter, sortBy, type ListQuery, type SaveOutcome } from './query';

export interface ContactRec {
	ContactID: string;
	ContactNumber?: string;
	AccountNumber?: string;
	ContactStatus: 'ACTIVE' | 'ARCHIVED';
	Name: string;
	FirstName?: string;
	LastName?: string;
	EmailAddress?: string;
	DefaultCurrency?: string;
	IsCustomer: boolean;
	IsSupplier: boolean;
	/** Epoch ms. */
	UpdatedDateUTC: number;
}

/** What one element of PUT/POST /Contacts gives (strings as sent, untrimmed). */
export interface ContactInput {
	contactId?: string;
	name?: string;
	emailAddress?: string;
	contactNumber?: string;
	contactStatus?: string;
	defaultCurrency?: string;
	firstName?: string;
	lastName?: string;
	accountNumber?: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const CONTACT_WHERE_FIELDS = [
	'ContactID', 'ContactNumber', 'AccountNumber', 'ContactStatus', 'Name', 'FirstName', 'LastName', 'EmailAddress',
	'IsCustomer', 'IsSupplier', 'DefaultCurrency', 'UpdatedDateUTC',
];

/** The active contact with this ContactNumber. */
export function contactByNumber(org: Organisation, number: string): ContactRec | undefined {
	return [...org.contacts.values()].find((c) => c.ContactNumber === number && c.ContactStatus === 'ACTIVE');
}

/** The active contact with this name (case and surrounding spaces ignored). */
export function contactByName(org: Organisation, name: string): ContactRec | undefined {
	return [...org.contacts.values()].find((c) => c.Name.toLowerCase() === name.trim().toLowerCase() && c.ContactStatus === 'ACTIVE');
}

/** GET /Contacts/{id}: by ContactID, or by ContactNumber (getContactByContactNumber uses the same path). */
export function contactByIdOrNumber(org: Organisation, idOrNumber: string): ContactRec | undefined {
	return org.contacts.get(idOrNumber.toLowerCase()) ?? [...org.contacts.values()].find((x) => x.ContactNumber === idOrNumber);
}

interface ContactChanges {
	name?: string;
	email?: string;
	number?: string;
	status: string;
	currency?: string;
}

function validateContact(org: Organisation, input: ContactInput, existing: ContactRec | undefined): { changes: ContactChanges; errors: string[] } {
	const errors: string[] = [];
	const name = input.name?.trim() ?? existing?.Name;
	if (!name) errors.push('The contact name must be specified.');
	else if (name.length > 255) errors.push('The contact name must not be more than 255 characters long.');
	const email = input.emailAddress?.trim();
	if (email && !EMAIL.test(email)) errors.push('Email address must be valid.');
	const number = input.contactNumber?.trim();
	if (number && number.length > 50) errors.push('The Contact Number must not be more than 50 characters long.');
	const status = input.contactStatus?.toUpperCase() ?? existing?.ContactStatus ?? 'ACTIVE';
	if (status !== 'ACTIVE' && status !== 'ARCHIVED') errors.push(`ContactStatus '${status}' is not valid.`);
	const currency = input.defaultCurrency?.toUpperCase();
	if (currency && !org.currencies.has(currency)) errors.push(`Currency code '${currency}' is not a valid currency for this organisation.`);
	if (name && status === 'ACTIVE') {
		const clash = [...org.contacts.values()].find(
			(c) => c.ContactStatus === 'ACTIVE' && c.Name.toLowerCase() === name.toLowerCase() && c.ContactID !== existing?.ContactID,
		);
		if (clash) {
			errors.push(`The contact name ${name} is already assigned to another contact. The contact name must be unique across all active contacts.`);
		}
	}
	return { changes: { name, email, number, status, currency }, errors };
}

function saveContact(org: Organisation, input: ContactInput, pathId: string | undefined): SaveOutcome<ContactRec> {
	const idIn = pathId ?? input.contactId;
	let existing: ContactRec | undefined;
	if (idIn) {
		existing = org.contacts.get(idIn.toLowerCase());
		if (!existing) return { ok: false, errors: [`Contact with ContactID '${idIn}' could not be found.`] };
	}
	const { changes, errors } = validateContact(org, input, existing);
	if (errors.length) return { ok: false, errors };
	const { name, email, number, status, currency } = changes;
	const rec: ContactRec = existing ?? {
		ContactID: randomUUID(),
		ContactStatus: 'ACTIVE',
		Name: name!,
		IsCustomer: false,
		IsSupplier: false,
		UpdatedDateUTC: org.now(),
	};
	rec.Name = name!;
	rec.ContactStatus = status as ContactRec['ContactStatus'];
	if (number !== undefined) rec.ContactNumber = number || undefined;
	if (email !== undefined) rec.EmailAddress = email;
	if (input.firstName !== undefined) rec.FirstName = input.firstName;
	if (input.lastName !== undefined) rec.LastName = input.lastName;
	if (input.accountNumber !== undefined) rec.AccountNumber = input.accountNumber;
	if (currency) rec.DefaultCurrency = currency;
	rec.UpdatedDateUTC = org.now();
	org.contacts.set(rec.ContactID, rec);
	return { ok: true, rec };
}

/** PUT/POST /Contacts: creates, or updates when ContactID (or the path id) names an existing contact. */
export function saveContacts(org: Organisation, items: ContactInput[], pathId?: string): Array<SaveOutcome<ContactRec>> {
	return items.map((input) => saveContact(org, input, pathId));
}

/** What a contact looks like to `where` and `order` clauses. */
function contactView(c: ContactRec): Record<string, unknown> {
	return { ...c, UpdatedDateUTC: c.UpdatedDateUTC };
}

export function listContacts(org: Organisation, q: ListQuery): ContactRec[] {
	let rows = [...org.contacts.values()];
	if (!q.includeArchived && !q.ids) rows = rows.filter((c) => c.ContactStatus === 'ACTIVE');
	if (q.ids) {
		const ids = new Set(q.ids.map((i) => i.toLowerCase()));
		rows = rows.filter((c) => ids.has(c.ContactID));
	}
	if (q.ifModifiedSince !== undefined) rows = rows.filter((c) => c.UpdatedDateUTC > q.ifModifiedSince!);
	if (q.searchTerm) {
		const term = q.searchTerm.toLowerCase();
		rows = rows.filter((c) =>
			[c.Name, c.FirstName, c.LastName, c.ContactNumber, c.EmailAddress].some((v) => v?.toLowerCase().includes(term)),
		);
	}
	if (q.where) {
		const pred = compileFilter(q.where, 'Contact', CONTACT_WHERE_FIELDS);
		rows = rows.filter((c) => pred(contactView(c)));
	}
	return sortBy(rows, q.order ?? 'Name', contactView);
}
