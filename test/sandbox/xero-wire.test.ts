// The Xero sandbox speaks the wire as real Xero does (issue 16): where string literals, page size and
// pagination, slow answers, and the count of requests open at once, through xero-node.
import { Invoice, type XeroClient } from 'xero-node';
import { startXeroSandbox, type XeroSandbox } from '../../sandbox/xero';
import { connectXeroClient, parseSdkError } from '../../sandbox/xero/sdk';

let sb: XeroSandbox;
let xero: XeroClient;

beforeAll(async () => {
	sb = await startXeroSandbox();
	xero = await connectXeroClient(sb);
});
afterAll(async () => {
	await sb.close();
});
beforeEach(() => {
	sb.reset();
	sb.setLatency(undefined);
});

describe('where string literals', () => {
	it('finds a ContactNumber with backslashes, quotes and a comma, quoted by doubling quotes only', async () => {
		for (const n of ['A\\B"C,', 'AB"C,', 'A\\', 'X']) sb.seedContact({ Name: `Contact ${n}`, ContactNumber: n });
		const find = async (where: string) => ((await xero.accountingApi.getContacts('', undefined, where)).body.contacts ?? []).map((c) => c.contactNumber);
		expect(await find('ContactNumber=="A\\B""C,"')).toEqual(['A\\B"C,']);
		expect(await find('ContactNumber=="A\\" OR ContactNumber=="X"')).toEqual(['A\\', 'X']);
	});

	it('answers a backslash-escaped quote with a 400 QueryParseException, as Xero does', async () => {
		try {
			await xero.accountingApi.getContacts('', undefined, 'Name=="a\\"b"');
			throw new Error('expected a 400');
		} catch (e) {
			const { statusCode, body } = parseSdkError(e);
			expect(statusCode).toBe(400);
			expect(body).toMatchObject({ ErrorNumber: 16, Type: 'QueryParseException' });
		}
	});
});

describe('paging', () => {
	it('serves at most 100 a page whatever pageSize asks, and says so in pagination', async () => {
		const contactID = sb.seedContact({ Name: 'Paging Ltd' }).ContactID as string;
		sb.seedInvoices(
			Array.from({ length: 130 }, (_, k) => ({
				Type: 'ACCREC',
				Contact: { ContactID: contactID },
				Reference: `p${k}`,
				DueDate: '2030-01-31',
				Status: Invoice.StatusEnum.AUTHORISED,
				LineItems: [{ Description: 'Lead', Quantity: 1, UnitAmount: 10, AccountCode: '200' }],
			})),
		);
		const page = (n: number) => xero.accountingApi.getInvoices('', undefined, undefined, undefined, undefined, undefined, undefined, undefined, n, undefined, undefined, undefined, true, 1000);
		const first = await page(1);
		expect(first.body.invoices).toHaveLength(100);
		expect(first.body.pagination).toEqual({ page: 1, pageSize: 100, pageCount: 2, itemCount: 130 });
		const second = await page(2);
		expect(second.body.invoices).toHaveLength(30);
		expect(second.body.pagination).toEqual({ page: 2, pageSize: 100, pageCount: 2, itemCount: 130 });
		expect((await page(3)).body.invoices).toEqual([]);
	});
});

describe('slow answers and requests open at once', () => {
	it('answers a slow call normally, late, and counts the requests open at the same time', async () => {
		sb.failNext(3, { kind: 'slow', hangMs: 300 });
		const started = Date.now();
		const answers = await Promise.all(Array.from({ length: 4 }, () => xero.accountingApi.getOrganisations('')));
		expect(answers.map((a) => a.body.organisations?.[0]?.name)).toEqual(Array.from({ length: 4 }, () => 'Sandbox Billing Ltd'));
		expect(Date.now() - started).toBeGreaterThanOrEqual(290);
		expect(sb.faults.injected.slow).toBe(3);
		expect(sb.calls().filter((c) => c.fault === 'slow').map((c) => c.status)).toEqual([200, 200, 200]);
		expect(sb.concurrency()).toEqual({ open: 0, peak: 4 });
		sb.reset();
		expect(sb.concurrency()).toEqual({ open: 0, peak: 0 });
	});

	it('counts requests over the limit too (they are refused 429 concurrent)', async () => {
		sb.failNext(5, { kind: 'slow', hangMs: 400 });
		const outcomes = await Promise.allSettled(Array.from({ length: 6 }, () => xero.accountingApi.getOrganisations('')));
		expect(outcomes.filter((o) => o.status === 'rejected').map((o) => parseSdkError((o as PromiseRejectedResult).reason).statusCode)).toEqual([429]);
		expect(sb.concurrency()).toEqual({ open: 0, peak: 6 });
	});
});
