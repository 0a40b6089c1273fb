// The Xero sandbox's bookkeeper: what people do to invoices in Xero between the pipeline's stages
// (bank transfers, part payments, voids, credit notes), seen through the real xero-node SDK.
import type { XeroClient } from 'xero-node';
import { startXeroSandbox, type XeroSandbox } from '../../sandbox/xero';
import { connectXeroClient, parseSdkError } from '../../sandbox/xero/sdk';

let sb: XeroSandbox;
let xero: XeroClient;

beforeAll(async () => {
	sb = await startXeroSandbox({ clientId: 'BOOKKEEPERCLIENT', clientSecret: 'bookkeeper-secret' });
	xero = await connectXeroClient(sb);
});
afterAll(async () => {
	await sb.close();
});
beforeEach(() => sb.reset());

/** An approved 120.00 GBP invoice (no tax). */
function invoice120(ref = 'bk-1'): string {
	const c = sb.contacts()[0] ?? sb.seedContact({ Name: 'Acme Ltd', ContactNumber: 'C-1' });
	const [inv] = sb.seedInvoices([
		{ Type: 'ACCREC', Contact: { ContactID: c.ContactID }, Reference: ref, Status: 'AUTHORISED', Date: '2024-01-31', DueDate: '2024-02-14', LineAmountTypes: 'NoTax', LineItems: [{ Description: 'Leads', UnitAmount: 120, AccountCode: '200' }] },
	]);
	return inv.InvoiceID as string;
}

async function viaSdk(id: string) {
	const got = await xero.accountingApi.getInvoices('', undefined, undefined, undefined, [id]);
	return got.body.invoices![0];
}

describe('bookkeeper', () => {
	it('pays by bank transfer in full: PAID, the payment with its reference on the invoice', async () => {
		const id = invoice120();
		const payment = sb.bookkeeper.pay(id, 12000, { reference: 'BACS 0042' });
		expect(payment).toMatchObject({ Amount: 120, Reference: 'BACS 0042', Account: expect.objectContaining({ Code: '090' }) });
		const inv = await viaSdk(id);
		expect(inv).toMatchObject({ status: 'PAID', amountDue: 0, amountPaid: 120, amountCredited: 0 });
		expect(inv.payments!.map((p) => p.reference)).toEqual(['BACS 0042']);
		expect(sb.callCount({ route: 'PUT /Payments' })).toBe(0);
	});

	it('part-pays: AmountDue goes down, the invoice stays AUTHORISED; a full amount is refused as a part payment', async () => {
		const id = invoice120();
		sb.bookkeeper.partPay(id, 5000);
		expect(await viaSdk(id)).toMatchObject({ status: 'AUTHORISED', amountDue: 70, amountPaid: 50 });
		expect(() => sb.bookkeeper.partPay(id, 7000)).toThrow('not less than the 7000 cents due');
		expect(() => sb.bookkeeper.pay(id, 7001)).toThrow('Payment amount exceeds the amount outstanding on this document');
	});

	it('voids an invoice without payments, and refuses one with a payment as Xero does', async () => {
		const id = invoice120();
		expect(sb.bookkeeper.void(id)).toMatchObject({ Status: 'VOIDED' });
		expect((await viaSdk(id)).status).toBe('VOIDED');
		expect(() => sb.bookkeeper.pay(id, 100)).toThrow('Payments can only be made against Authorised documents');

		const paid = invoice120('bk-2');
		sb.bookkeeper.partPay(paid, 100);
		expect(() => sb.bookkeeper.void(paid)).toThrow('Payments must be removed before the invoice can be voided.');
		expect(sb.invoice(paid)!.Status).toBe('AUTHORISED');
	});

	it('credits an invoice with an allocated ACCRECCREDIT credit note: AmountCredited up, AmountDue down, PAID at zero', async () => {
		const id = invoice120();
		const { creditNote, invoice } = sb.bookkeeper.credit(id, 3000, { reference: 'goodwill' });
		expect(creditNote).toMatchObject({ Type: 'ACCRECCREDIT', CreditNoteNumber: 'CN-0001', Total: 30 });
		expect(invoice).toMatchObject({ Status: 'AUTHORISED', AmountDue: 90, AmountPaid: 0, AmountCredited: 30 });
		const inv = await viaSdk(id);
		expect(inv).toMatchObject({ amountDue: 90, amountCredited: 30 });
		expect(inv.creditNotes!.map((c) => c.creditNoteNumber)).toEqual(['CN-0001']);
		// Payments see what is left after the credit.
		const over = await xero.accountingApi
			.createPayments('', { payments: [{ invoice: { invoiceID: id }, account: { code: '090' }, amount: 120, date: '2024-02-01' }] })
			.then(() => undefined, parseSdkError);
		expect(JSON.stringify(over?.body)).toContain('Payment amount exceeds the amount outstanding on this document');
		sb.bookkeeper.credit(id, 9000);
		expect(sb.invoice(id)).toMatchObject({ Status: 'PAID', AmountDue: 0, AmountCredited: 120 });
		expect(() => sb.bookkeeper.credit(id, 1)).toThrow('Credit notes can only be allocated to Authorised documents');
		// A credited invoice cannot be edited, as Xero keeps it.
		const edit = await xero.accountingApi.updateInvoice('', id, { invoices: [{ reference: 'changed' }] }).then(() => undefined, parseSdkError);
		expect(JSON.stringify(edit?.body)).toContain('This document cannot be edited as it has a payment or credit note allocated to it.');
	});

	it('reaches every connection of the sandbox', async () => {
		const other = await startXeroSandbox({ connections: [{ clientId: 'SECOND' }] });
		try {
			const c = other.org('SECOND').seedContact({ Name: 'Second Ltd' });
			const [inv] = other.org('SECOND').seedInvoices([
				{ Type: 'ACCREC', Contact: { ContactID: c.ContactID }, Status: 'AUTHORISED', DueDate: '2024-02-14', LineAmountTypes: 'NoTax', LineItems: [{ Description: 'x', UnitAmount: 10, AccountCode: '200' }] },
			]);
			other.org('SECOND').bookkeeper.pay(inv.InvoiceID as string, 1000);
			expect(other.org('SECOND').invoice(inv.InvoiceID as string)!.Status).toBe('PAID');
			expect(other.invoices()).toEqual([]);
		} finally {
			await other.close();
		}
	});
});
