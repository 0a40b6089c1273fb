// Read-only views of one connection's organisation for test assertions, in Xero's JSON, plus
// seeding contacts and invoices and the bookkeeper's changes (bookkeeper.ts) without API calls,
// and what clients did with its public pages (logo downloads, online invoice views).
import { bookkeeper } from './bookkeeper';
import { saveContacts } from './model/contacts';
import { findInvoice, listInvoices, saveInvoices } from './model/invoices';
import { onlineInvoiceToken } from './model/onlineInvoices';
import type { Connection } from './state';
import type { OrgInspector } from './types';
import { brandingThemeJson, logoUrl, onlineInvoiceUrl } from './wire/branding';
import { contactInput, contactJson } from './wire/contacts';
import { invoiceInput, invoiceJson } from './wire/invoices';
import { paymentJson } from './wire/payments';

export function inspector(conn: Connection, publicUrl: string): OrgInspector {
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
		brandingThemes: () => org.brandingThemes.map((t) => brandingThemeJson(publicUrl, t)),
		logoUrl: () => logoUrl(publicUrl, org.brandingThemes[0]),
		logoDownloads: () => org.logoDownloads,
		onlineInvoiceUrl: (idOrNumber) => {
			const inv = findInvoice(org, idOrNumber);
			const token = inv && onlineInvoiceToken(org, inv.InvoiceID);
			return token ? onlineInvoiceUrl(publicUrl, token) : undefined;
		},
		onlineInvoiceViews: () => Object.fromEntries(org.onlineInvoiceViews),
	};
}
