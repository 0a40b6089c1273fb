// Read-only views of one connection's organisation for test assertions, in Xero's JSON, plus
// seeding contacts and invoices and the bookkeeper's changes (bookkeeper.ts) without API calls.
import { bookkeeper } from './bookkeeper';
import { saveContacts } from './model/contacts';
import { findInvoice, listInvoices, saveInvoices } from './model/invoices';
import type { Connection } from './state';
import type { OrgInspector } from './types';
import { contactInput, contactJson } from './wire/contacts';
import { invoiceInput, invoiceJson } from './wire/invoices';
import { paymentJson } from './wire/payments';

export function inspector(conn: Connection): OrgInspector {
	const org = conn.org;
	const allInvoices = () => listInvoices(org, { includeArchived: true });
	return {
		tenantId: org.organisationId,
		clientId: conn.clientId,
		organisation: org,
		invoices: () => allInvoices().map((i) => invoiceJson(org, i)),
		invoice: (idOrNumber) => {
			const inv = findInvoice(org, idOrNumber);
			return inv ? invoiceJson(org, inv) : undefined;
		},
		invoicesByReference: (reference) =>
			allInvoices()
				.filter((i) => i.Reference === reference)
				.map((i) => invoiceJson(org, i)),
		contacts: () => [...org.contacts.values()].map(contactJson),
		payments: () => [...org.payments.values()].map((p) => paymentJson(org, p)),
		seedContact: (contact) => {
			const [r] = saveContacts(org, [contactInput(contact)]);
			if (!r.ok) throw new Error(`seedContact: ${r.errors.join('; ')}`);
			return contactJson(r.rec);
		},
		seedInvoices: (invoices) =>
			saveInvoices(org, invoices.map(invoiceInput)).map((r, i) => {
				if (!r.ok) throw new Error(`seedInvoices[${i}]: ${r.errors.join('; ')}`);
				return invoiceJson(org, r.rec);
			}),
		bookkeeper: bookkeeper(org),
	};
}
