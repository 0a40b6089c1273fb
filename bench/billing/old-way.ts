// "The old way": the first attempt at automating the billing run, as one process that handles the
// invoices one after another: find (or create) the contact and create the invoice in Xero, fetch the PDF (when
// asked), email it, debit the card, record the payment in Xero and email the outcome. Same SDKs as
// the pipeline (xero-node, nodemailer) and the gateway's JSON API. Written competently: it waits
// out Xero's 429s (Retry-After) instead of failing, and reuses one SMTP connection.
// Run as a child process by bench/billing-run.ts: `tsx bench/billing/old-way.ts <job.json>`;
// prints one JSON line with what it completed.
import * as fs from 'fs';
import { sleep } from 'n8n-workflow';
import * as nodemailer from 'nodemailer';
import { Contact, Invoice, LineAmountTypes, type CurrencyCode } from 'xero-node';
import { connectXeroClient, parseSdkError, type SandboxCredentials } from '../../sandbox/xero/sdk';
import { formatMinorUnits } from '../../nodes/shared/currency';

export interface OldWayJob {
	xero: SandboxCredentials;
	gateway: { url: string; username: string; password: string; siteReference: string };
	smtp: { host: string; port: number };
	pdf: boolean;
	/** Stop starting new invoices after this time (ms since epoch). */
	deadline: number;
	invoices: Array<{
		billingKey: string;
		clientId: string;
		name: string;
		email: string;
		currency: string;
		cardReference: string | null;
		totalMinor: number;
		lines: Array<{ description: string; quantity: number; unitAmount: number }>;
	}>;
}

async function main(): Promise<void> {
	const job = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')) as OldWayJob;
	const xero = await connectXeroClient(job.xero);
	const api = xero.accountingApi;
	const mail = nodemailer.createTransport({ host: job.smtp.host, port: job.smtp.port, secure: false, pool: true, maxConnections: 1 });
	let xeroCalls = 0;
	let gatewayCalls = 0;
	// Every Xero call: wait out 429s as Xero asks, retry a 5xx a few times.
	const call = async <T>(fn: () => Promise<T>): Promise<T> => {
		for (let attempt = 1; ; attempt++) {
			xeroCalls++;
			try {
				return await fn();
			} catch (e) {
				const { statusCode, headers } = parseSdkError(e);
				if (statusCode === 429) await sleep(Number(headers['retry-after'] ?? 1) * 1000);
				else if (statusCode >= 500 && attempt < 4) await sleep(500 * attempt);
				else throw new Error(`Xero answered ${statusCode}`);
			}
		}
	};
	const started = Date.now();
	let completed = 0;
	for (const inv of job.invoices) {
		if (Date.now() > job.deadline) break;
		// The client's contact: found by its number, created when it is new.
		const found = await call(() => api.getContacts('', undefined, `ContactNumber=="${inv.clientId}"`));
		let contactID = found.body.contacts?.[0]?.contactID;
		if (!contactID) {
			const contact: Contact = { name: `${inv.name} (${inv.clientId})`, contactNumber: inv.clientId, emailAddress: inv.email };
			const contacts = await call(() => api.createContacts('', { contacts: [contact] }));
			contactID = contacts.body.contacts![0].contactID!;
		}
		const invoice: Invoice = {
			type: Invoice.TypeEnum.ACCREC,
			contact: { contactID },
			reference: inv.billingKey,
			date: new Date().toISOString().slice(0, 10),
			dueDate: new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10),
			status: Invoice.StatusEnum.AUTHORISED,
			currencyCode: inv.currency as unknown as CurrencyCode,
			lineAmountTypes: LineAmountTypes.Exclusive,
			lineItems: inv.lines.map((l) => ({ description: l.description, quantity: l.quantity, unitAmount: l.unitAmount, accountCode: '200', taxType: 'NONE' })),
		};
		const created = await call(() => api.createInvoices('', { invoices: [invoice] }));
		const made = created.body.invoices![0];
		const attachments = [];
		if (job.pdf) {
			const pdf = await call(() => api.getInvoiceAsPdf('', made.invoiceID!));
			attachments.push({ filename: `${made.invoiceNumber}.pdf`, content: pdf.body as Buffer });
		}
		const total = formatMinorUnits(inv.totalMinor, inv.currency);
		await mail.sendMail({
			from: 'Accounts <accounts@billing.example>',
			to: inv.email,
			subject: `Invoice ${made.invoiceNumber}: ${total} ${inv.currency}`,
			text: `Dear ${inv.name},\n\nplease find invoice ${made.invoiceNumber} for ${total} ${inv.currency}.`,
			messageId: `<billing.invoice.k-${inv.billingKey}@billing.example>`,
			attachments,
		});
		let outcome = 'noCardOnFile';
		if (inv.cardReference) {
			gatewayCalls++;
			const res = await fetch(job.gateway.url.replace(/\/?$/, '/json/'), {
				method: 'POST',
				headers: {
					'Content-Type': 'application/json',
					Authorization: `Basic ${Buffer.from(`${job.gateway.username}:${job.gateway.password}`).toString('base64')}`,
				},
				body: JSON.stringify({
					alias: job.gateway.username,
					version: '1.00',
					request: [
						{
							requesttypedescriptions: ['AUTH'],
							sitereference: job.gateway.siteReference,
							accounttypedescription: 'ECOM',
							initiationreason: 'C',
							parenttransactionreference: inv.cardReference,
							credentialsonfile: '2',
							baseamount: String(inv.totalMinor),
							currencyiso3a: inv.currency,
							orderreference: inv.billingKey,
						},
					],
				}),
			});
			const reply = (await res.json()) as { response: Array<{ errorcode: string; transactionreference?: string }> };
			const r = reply.response[0];
			outcome = r.errorcode === '0' ? 'paid' : 'declined';
			if (outcome === 'paid') {
				await call(() =>
					api.createPayments('', {
						payments: [{ invoice: { invoiceID: made.invoiceID }, account: { code: '090' }, amount: made.total, date: new Date().toISOString().slice(0, 10), reference: r.transactionreference }],
					}),
				);
			}
		}
		await mail.sendMail({
			from: 'Accounts <accounts@billing.example>',
			to: inv.email,
			subject: outcome === 'paid' ? `Payment received for invoice ${made.invoiceNumber}` : `Invoice ${made.invoiceNumber}: payment ${outcome}`,
			text: `Dear ${inv.name},\n\ninvoice ${made.invoiceNumber}: ${outcome}.`,
			messageId: `<billing.${outcome}.k-${inv.billingKey}@billing.example>`,
		});
		completed++;
	}
	mail.close();
	process.stdout.write(`${JSON.stringify({ completed, seconds: (Date.now() - started) / 1000, xeroCalls, gatewayCalls })}\n`);
}

main().catch((e: Error) => {
	process.stderr.write(`old way failed: ${e.stack ?? e.message}\n`);
	process.exit(1);
});
