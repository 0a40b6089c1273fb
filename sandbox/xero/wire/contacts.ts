// Contacts in Xero's JSON: records as Xero shows them, and elements of PUT/POST /Contacts read into
// the model's ContactInput.
import type { ContactInput, ContactRec } from '../model/contacts';
import { msDate, propString } from './values';

export function contactJson(c: ContactRec): Record<string, unknown> {
	return {
		ContactID: c.ContactID,
		...(c.ContactNumber !== undefined ? { ContactNumber: c.ContactNumber } : {}),
		...(c.AccountNumber !== undefined ? { AccountNumber: c.AccountNumber } : {}),
		ContactStatus: c.ContactStatus,
		Name: c.Name,
		...(c.FirstName !== undefined ? { FirstName: c.FirstName } : {}),
		...(c.LastName !== undefined ? { LastName: c.LastName } : {}),
		EmailAddress: c.EmailAddress ?? '',
		BankAccountDetails: '',
		Addresses: [],
		Phones: [],
		UpdatedDateUTC: msDate(c.UpdatedDateUTC),
		ContactGroups: [],
		IsSupplier: c.IsSupplier,
		IsCustomer: c.IsCustomer,
		...(c.DefaultCurrency ? { DefaultCurrency: c.DefaultCurrency } : {}),
		ContactPersons: [],
		HasAttachments: false,
		HasValidationErrors: false,
	};
}

/** Reads one element of PUT/POST /Contacts (names case-insensitively, values as strings). */
export function contactInput(element: unknown): ContactInput {
	return {
		contactId: propString(element, 'ContactID'),
		name: propString(element, 'Name'),
		emailAddress: propString(element, 'EmailAddress'),
		contactNumber: propString(element, 'ContactNumber'),
		contactStatus: propString(element, 'ContactStatus'),
		defaultCurrency: propString(element, 'DefaultCurrency'),
		firstName: propString(element, 'FirstName'),
		lastName: propString(element, 'LastName'),
		accountNumber: propString(element, 'AccountNumber'),
	};
}
