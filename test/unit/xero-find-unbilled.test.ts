// Find Unbilled Leads against the Xero sandbox: leads, not periods, are the unit of "billed".
// Invoices are seeded the way Create Invoices writes them (each line's description ends with its
// lead), then requests are compared with them.
import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';
import { startXeroSandbox, type XeroSandbox } from '../../sandbox/xero';
import { XeroBilling } from '../../nodes/XeroBilling/XeroBilling.node';
import { forgetXeroOrganisations } from '../../nodes/XeroBilling/transport';
import { leadOf, markLead } from '../../nodes/XeroBilling/helpers/leads';
import { hashedKey } from '../../nodes/shared/billingKey';
import { runNode } from '../helpers/run-node';

let sb: XeroSandbox;
const node = new XeroBilling();

beforeAll(async () => {
	sb = await startXeroSandbox({ clientId: 'UNBILLEDCLIENT', clientSecret: 'unbilled-secret' });
});
afterAll(async () => {
	await sb.close();
});
beforeEach(() => {
	sb.reset();
	forgetXeroOrganisations();
});

const creds = () => ({
	xeroCustomConnectionApi: { clientId: sb.clientId, clientSecret: sb.clientSecret, endpoints: 'custom', tokenUrl: sb.tokenUrl, apiBaseUrl: sb.apiBaseUrl },
});
const params = (extra: IDataObject = {}): INodeParameters => ({
	resource: 'invoice',
	operation: 'findUnbilled',
	datedFrom: '2026-11-16',
	...extra,
	options: { retryDelayMs: 20, timeoutMs: 2000 },
});
const run = (parameters: INodeParameters, items: IDataObject[]) => runNode(node, { parameters, items: items.map((json) => ({ json })), credentials: creds() });
const jsonOf = (items: INodeExecutionData[] | undefined) => (items ?? []).map((i) => i.json);

const line = (leadId: string, minor = 2000) => ({ leadId, description: `Lead ${leadId}`, quantity: 1, unitAmountMinor: minor, lineAmountMinor: minor });
function request(key: string, contactId: string, leads: string[], extra: IDataObject = {}): IDataObject {
	return { billingKey: key, xeroContactId: contactId, currency: 'GBP', periodStart: '2026-11-16T00:00:00.000Z', lines: leads.map((l) => line(l)), ...extra };
}
/** An invoice as Create Invoices makes it: number = billing key, each line marked with its lead; emailed (marked sent) unless `sent: false`. */
function seedInvoice(key: string, contactId: string, leads: string[], opts: { currency?: string; amount?: number; status?: string; date?: string; sent?: boolean } = {}) {
	const [inv] = sb.seedInvoices([{
		Type: 'ACCREC',
		Contact: { ContactID: contactId },
		InvoiceNumber: key,
		Reference: key,
		Date: opts.date ?? '2026-11-19',
		DueDate: '2026-12-03',
		CurrencyCode: opts.currency ?? 'GBP',
		Status: 'AUTHORISED',
		SentToContact: opts.sent ?? true,
		LineAmountTypes: 'Exclusive',
		LineItems: leads.map((l) => ({ Description: markLead(`Lead ${l}`, l), Quantity: 1, UnitAmount: opts.amount ?? 20, AccountCode: '200' })),
	}]);
	if (opts.status === 'VOIDED') sb.bookkeeper.void(String(inv.InvoiceID));
	return inv;
}

describe('lead markers', () => {
	it('reads back the lead a line was marked with, and never marks twice', () => {
		expect(leadOf(markLead('Website enquiry', 'L-1'))).toBe('L-1');
		expect(leadOf(markLead('Odd ] [lead x] text', 'id with ] and spaces'))).toBe('id with ] and spaces');
		expect(markLead(markLead('x', 'L1'), 'L1')).toBe('x [lead L1]');
		expect(leadOf('Consulting, hand-made line')).toBeNull();
	});
});

describe('Find Unbilled Leads', () => {
	let c1: string;
	let c2: string;
	beforeEach(() => {
		c1 = String(sb.seedContact({ Name: 'Client 1 Ltd', ContactNumber: 'C1' }).ContactID);
		c2 = String(sb.seedContact({ Name: 'Client 2 Ltd', ContactNumber: 'C2' }).ContactID);
	});

	it('passes a request on unchanged when nothing of it is billed', async () => {
		const [ok, failed] = await run(params(), [request('C1-20261116-20261119', c1, ['L1', 'L2'])]);
		expect(jsonOf(failed)).toEqual([]);
		const [out] = jsonOf(ok);
		expect(out.billingKey).toBe('C1-20261116-20261119');
		expect((out.lines as IDataObject[]).map((l) => l.leadId)).toEqual(['L1', 'L2']);
		expect(out.billing).toMatchObject({ status: 'new', leads: 2, leadsBilledBefore: 0 });
	});

	it('bills a late lead on a supplementary invoice whose key is stable across reruns', async () => {
		seedInvoice('C1-20261116-20261119', c1, ['L1', 'L2']);
		const late = request('C1-20261116-20261119', c1, ['L1', 'L2', 'L3']);
		const [first] = await run(params(), [late]);
		const [again] = await run(params(), [late]);
		const out = jsonOf(first)[0];
		expect((out.lines as IDataObject[]).map((l) => l.leadId)).toEqual(['L3']);
		expect(out.totalMinor).toBe(2000);
		expect(out.leadCount).toBe(1);
		expect(out.billingKey).toBe(hashedKey('SP', ['C1-20261116-20261119', 'L3']));
		expect(out.billing).toMatchObject({ status: 'supplementary', supplementaryTo: 'C1-20261116-20261119', leadsBilledBefore: 2 });
		expect(jsonOf(again)[0].billingKey).toBe(out.billingKey);
	});

	it('says "billed" once every lead is on an invoice, the supplementary one included', async () => {
		seedInvoice('C1-20261116-20261119', c1, ['L1', 'L2']);
		seedInvoice(hashedKey('SP', ['C1-20261116-20261119', 'L3']), c1, ['L3'], { date: '2026-11-23' });
		const [ok] = await run(params(), [request('C1-20261116-20261119', c1, ['L1', 'L2', 'L3'])]);
		expect(jsonOf(ok)[0].billing).toMatchObject({ status: 'billed', leadsBilledBefore: 3 });
	});

	it('passes on a retry whose invoice exists but was never emailed ("unsent"), under that invoice\'s key and leads', async () => {
		// The stage stopped between Create Invoices and publishing to the email stage: without this
		// the retry would be dropped as "billed" and the client never emailed nor charged.
		seedInvoice('C1-20261116-20261119', c1, ['L1', 'L2'], { sent: false });
		const [ok] = await run(params(), [request('C1-20261116-20261119', c1, ['L1', 'L2'])]);
		const out = jsonOf(ok)[0];
		expect(out.billing).toMatchObject({ status: 'unsent', invoiceNumber: 'C1-20261116-20261119', leadsBilledBefore: 2 });
		expect(out.billingKey).toBe('C1-20261116-20261119');
		expect((out.lines as IDataObject[]).map((l) => l.leadId)).toEqual(['L1', 'L2']);
		// A supplementary invoice never emailed goes on under its own key with its own leads.
		seedInvoice('C2-20261116-20261119', c2, ['L5']);
		const sp = hashedKey('SP', ['C2-20261116-20261119', 'L6']);
		seedInvoice(sp, c2, ['L6'], { date: '2026-11-23', sent: false });
		const [again] = await run(params(), [request('C2-20261116-20261119', c2, ['L5', 'L6'])]);
		expect(jsonOf(again)[0]).toMatchObject({ billingKey: sp, totalMinor: 2000, leadCount: 1, billing: { status: 'unsent', invoiceNumber: sp } });
	});

	it('never bills a lead twice when periods overlap: leads billed under another key are dropped', async () => {
		// A manual run for 16-21 Nov after the 16-19 run: L1 and L2 are billed already.
		seedInvoice('C1-20261116-20261119', c1, ['L1', 'L2']);
		const [ok] = await run(params(), [request('C1-20261116-20261121', c1, ['L1', 'L2', 'L4'])]);
		const out = jsonOf(ok)[0];
		expect(out.billingKey).toBe('C1-20261116-20261121');
		expect((out.lines as IDataObject[]).map((l) => l.leadId)).toEqual(['L4']);
		expect(out.billing).toMatchObject({ status: 'new', leadsBilledBefore: 2, billedOn: ['C1-20261116-20261119'] });
	});

	it('refuses a request whose leads are billed in another currency, billing none of it', async () => {
		seedInvoice('C1-20261116-20261119', c1, ['L1'], { currency: 'EUR' });
		const [ok, failed] = await run(params(), [request('C1-20261116-20261119', c1, ['L1', 'L5'])]);
		expect(jsonOf(ok)).toEqual([]);
		const [f] = jsonOf(failed);
		expect(f.error).toMatchObject({ code: 'billedDifferently', retryable: false });
		expect(String((f.error as IDataObject).message)).toMatch(/L1 \(on invoice C1-20261116-20261119 as 20\.00 EUR, now 20\.00 GBP\)/);
	});

	it('refuses a lead billed for another amount', async () => {
		seedInvoice('C1-20261116-20261119', c1, ['L1'], { amount: 15 });
		const [, failed] = await run(params(), [request('C1-20261116-20261119', c1, ['L1'])]);
		expect((jsonOf(failed)[0].error as IDataObject).code).toBe('billedDifferently');
	});

	it('keeps leads of a voided invoice billed (a person decided about them)', async () => {
		seedInvoice('C1-20261116-20261119', c1, ['L1'], { status: 'VOIDED' });
		const [ok] = await run(params(), [request('C1-20261116-20261119', c1, ['L1'])]);
		expect(jsonOf(ok)[0].billing).toMatchObject({ status: 'billed' });
	});

	it('parks late leads for review when asked, naming them', async () => {
		seedInvoice('C1-20261116-20261119', c1, ['L1']);
		const [ok, failed] = await run(params({ lateLeads: 'park' }), [request('C1-20261116-20261119', c1, ['L1', 'L9'])]);
		expect(jsonOf(ok)).toEqual([]);
		const [f] = jsonOf(failed);
		expect(f.error).toMatchObject({ code: 'unbilledLeads', retryable: false });
		expect(String((f.error as IDataObject).message)).toMatch(/L9/);
	});

	it('reads one client\'s invoices for its own leads only, in one call for a batch', async () => {
		seedInvoice('C1-20261116-20261119', c1, ['L1']);
		const before = sb.callCount();
		const [ok] = await run(params(), [request('C1-20261116-20261119', c1, ['L1']), request('C2-20261116-20261119', c2, ['L1'])]);
		const outs = jsonOf(ok);
		expect(outs.map((o) => (o.billing as IDataObject).status)).toEqual(['billed', 'new']);
		expect(sb.callCount() - before).toBe(1);
	});

	it('refuses a line without a lead, naming the field', async () => {
		const bad = request('C1-20261116-20261119', c1, ['L1']);
		(bad.lines as IDataObject[])[0].leadId = '';
		const [, failed] = await runNode(node, { parameters: params(), items: [{ json: bad }], credentials: creds(), continueOnFail: true });
		expect((jsonOf(failed)[0].error as IDataObject).field).toBe('lines[0].leadId');
	});
});
