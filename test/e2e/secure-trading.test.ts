// The Secure Trading node end to end in a real n8n: the packed package installed as a community
// package, a `secureTradingApi` credential imported with the n8n CLI (custom gateway URL = the
// sandbox started here), a published Webhook → Debit stored card → Respond-per-output workflow.
// Every case is checked three ways: the webhook's HTTP answer, the execution n8n recorded (both
// outputs, pairedItem) and the sandbox gateway's own transaction records.
import { startSecureTradingSandbox, type SecureTradingSandbox } from '../../sandbox/secure-trading';
import { N8nInstance, startN8n, type ExecutionSummary } from '../../support/n8n';
import { secureTradingDebit } from './fixtures/secure-trading';

const workflow = secureTradingDebit();
const WORKFLOW_ID = workflow.id as string;
const CREDENTIAL = { id: 'stE2eSandboxCred', name: 'Secure Trading sandbox (e2e)', type: 'secureTradingApi' };
// Trust Payments test card numbers. The cards are stored by a PAN-bearing ACCOUNTCHECK sent
// straight to the gateway (as a checkout page would), so n8n only ever sees parent references.
const PAYING_PAN = '4111111111111111';
const POOR_PAN = '5555555555554444';

interface Reply {
	status: number;
	json: Record<string, any>;
}

describe('Secure Trading node in a real n8n', () => {
	let sb: SecureTradingSandbox;
	let n8n: N8nInstance;
	let payingCard: string;
	let poorCard: string;
	const seen = new Set<string>();
	const runId = Date.now().toString(36).slice(-5);
	let seq = 0;
	const key = (label: string) => `E2E-${runId}-${label}-${++seq}`.slice(0, 25);

	/** Stores a card from a PAN with a zero-amount ACCOUNTCHECK; returns its transaction reference. */
	async function storeCard(pan: string): Promise<string> {
		const res = await fetch(sb.endpoint, {
			method: 'POST',
			headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${sb.username}:${sb.password}`).toString('base64')}` },
			body: JSON.stringify({
				alias: sb.username,
				version: '1.00',
				request: [
					{
						requesttypedescriptions: ['ACCOUNTCHECK'],
						sitereference: sb.siteReference,
						accounttypedescription: 'ECOM',
						currencyiso3a: 'GBP',
						baseamount: '0',
						pan,
						expirydate: '12/2099',
						securitycode: '123',
						credentialsonfile: '1',
					},
				],
			}),
		});
		const body = (await res.json()) as { response: Array<Record<string, string>> };
		expect(body.response[0]).toMatchObject({ errorcode: '0', requesttypedescription: 'ACCOUNTCHECK' });
		return body.response[0].transactionreference;
	}

	async function debit(body: Record<string, unknown>): Promise<Reply> {
		const res = await fetch(`${n8n.url}/webhook/billing/e2e/debit`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(body),
		});
		const text = await res.text();
		let json: Record<string, any>;
		try {
			json = JSON.parse(text) as Record<string, any>;
		} catch {
			throw new Error(`webhook answered ${res.status} with non-JSON: ${text.slice(0, 300)}\n${n8n.logs(40)}`);
		}
		return { status: res.status, json };
	}

	/** The `count` executions that finished since the last call. */
	async function newExecutions(count: number): Promise<ExecutionSummary[]> {
		await n8n.waitForExecutions(WORKFLOW_ID, seen.size + count);
		const fresh = (await n8n.executions(WORKFLOW_ID)).filter((e) => !seen.has(e.id));
		expect(fresh).toHaveLength(count);
		fresh.forEach((e) => seen.add(e.id));
		return fresh.sort((a, b) => Number(a.id) - Number(b.id));
	}

	/** The Secure Trading node's two outputs in an execution, and which Respond node ran. */
	async function recorded(executionId: string) {
		const { summary, runData } = await n8n.execution(executionId);
		const run = runData['Secure Trading']?.[0];
		if (!run) throw new Error(`Secure Trading did not run in execution ${executionId}`);
		const [success = [], declined = []] = (run.data?.main ?? []) as Array<Array<{ json: Record<string, any>; pairedItem?: unknown }>>;
		return { summary, success, declined, responded: ['Respond Paid', 'Respond Declined'].filter((name) => runData[name]?.length) };
	}

	/** The execution exactly as n8n's REST API hands it out (flatted run data included). */
	async function rawExecution(executionId: string): Promise<string> {
		const res = await fetch(`${n8n.url}/rest/executions/${executionId}`, { headers: { cookie: await n8n.login() } });
		expect(res.status).toBe(200);
		return await res.text();
	}

	beforeAll(async () => {
		sb = await startSecureTradingSandbox({ seed: 2026 });
		payingCard = await storeCard(PAYING_PAN);
		poorCard = await storeCard(POOR_PAN);
		sb.setCardBehaviour(poorCard, 'insufficientFunds');
		n8n = await startN8n({
			credentials: [
				{
					...CREDENTIAL,
					data: { username: sb.username, password: sb.password, siteReference: sb.siteReference, gateway: 'custom', customUrl: sb.url },
				},
			],
			workflows: [workflow],
			publish: [WORKFLOW_ID],
		});
	});

	afterAll(async () => {
		await n8n?.dispose();
		await sb?.close();
	});

	it('charges a paying card exactly once and answers from the first output', async () => {
		const billingKey = key('paid');
		const authsBefore = sb.callCounts().AUTH;
		const reply = await debit({ storedCardReference: payingCard, billingKey, amount: '10.50', currency: 'GBP' });

		expect(reply.status).toBe(200);
		expect(reply.json).toMatchObject({
			outcome: 'paid',
			retryable: false,
			reusedExisting: false,
			billingKey,
			amountMinor: 1050,
			amount: '10.50',
			currency: 'GBP',
			errorcode: '0',
			orderreference: billingKey,
			parenttransactionreference: payingCard,
			baseamount: '1050',
			maskedpan: '411111######1111',
		});
		const charges = sb.chargesFor(billingKey);
		expect(charges).toHaveLength(1);
		expect(charges[0].fields).toMatchObject({ baseamount: '1050', currencyiso3a: 'GBP', credentialsonfile: '2', accounttypedescription: 'ECOM', initiationreason: 'C' });
		expect(reply.json.transactionreference).toBe(charges[0].fields.transactionreference);
		expect(sb.callCounts().AUTH - authsBefore).toBe(1);

		const [execution] = await newExecutions(1);
		const { summary, success, declined, responded } = await recorded(execution.id);
		expect(summary.status).toBe('success');
		expect(success).toHaveLength(1);
		expect(declined).toHaveLength(0);
		expect(success[0].pairedItem).toEqual({ item: 0 });
		expect(success[0].json).toMatchObject({ outcome: 'paid', transactionreference: charges[0].fields.transactionreference, input: { body: { billingKey } } });
		expect(responded).toEqual(['Respond Paid']);
	});

	it('calling again with the same billing key returns the earlier charge and does not charge again', async () => {
		const billingKey = key('again');
		const first = await debit({ storedCardReference: payingCard, billingKey, amount: '7.25', currency: 'GBP' });
		expect(first.json).toMatchObject({ outcome: 'paid', reusedExisting: false });
		const authsBefore = sb.callCounts().AUTH;

		const second = await debit({ storedCardReference: payingCard, billingKey, amount: '7.25', currency: 'GBP' });
		expect(second.status).toBe(200);
		expect(second.json).toMatchObject({ outcome: 'paid', reusedExisting: true, billingKey, transactionreference: first.json.transactionreference });
		expect(second.json.reason).toMatch(/already charged for this billing key/);
		expect(sb.callCounts().AUTH).toBe(authsBefore);
		expect(sb.chargesFor(billingKey)).toHaveLength(1);

		const executions = await newExecutions(2);
		const later = await recorded(executions[1].id);
		expect(later.success.map((i) => [i.json.reusedExisting, i.pairedItem])).toEqual([[true, { item: 0 }]]);
		expect(later.declined).toHaveLength(0);
	});

	it('an insufficient-funds card comes out declined and retryable on the second output, charging nothing', async () => {
		const billingKey = key('poor');
		const reply = await debit({ storedCardReference: poorCard, billingKey, amount: '99.00', currency: 'GBP' });

		expect(reply.status).toBe(402);
		expect(reply.json).toMatchObject({
			outcome: 'declined',
			retryable: true,
			reason: 'insufficient funds',
			reusedExisting: false,
			billingKey,
			errorcode: '70000',
			errormessage: 'Decline',
			acquirerresponsecode: '51',
			maskedpan: '555555######4444',
			// The package's failure object: the acquirer's decline code, retryable (a soft decline).
			error: { message: 'insufficient funds', code: '51', retryable: true },
		});
		expect(sb.chargesFor(billingKey)).toHaveLength(0);
		const attempts = sb.transactions().filter((t) => t.fields.orderreference === billingKey);
		expect(attempts.map((t) => [t.fields.requesttypedescription, t.fields.errorcode, t.charged])).toEqual([['AUTH', '70000', false]]);

		const [execution] = await newExecutions(1);
		const { summary, success, declined, responded } = await recorded(execution.id);
		expect(summary.status).toBe('success');
		expect(success).toHaveLength(0);
		expect(declined).toHaveLength(1);
		expect(declined[0].pairedItem).toEqual({ item: 0 });
		expect(declined[0].json).toMatchObject({ outcome: 'declined', retryable: true, reason: 'insufficient funds' });
		expect(responded).toEqual(['Respond Declined']);
	});

	it('"charge, then drop the response" ends with exactly one charge, confirmed by a query', async () => {
		const billingKey = key('drop');
		sb.injectFault({ kind: 'dropAfterCharge' });
		const dropsBefore = sb.callCounts().faults.dropAfterCharge ?? 0;
		const reply = await debit({ storedCardReference: payingCard, billingKey, amount: '12.00', currency: 'GBP' });

		expect(sb.callCounts().faults.dropAfterCharge).toBe(dropsBefore + 1);
		expect(reply.status).toBe(200);
		expect(reply.json).toMatchObject({ outcome: 'paid', reusedExisting: true, billingKey, baseamount: '1200' });
		expect(reply.json.uncertainResult).toEqual(expect.any(String));
		expect(reply.json.reason).toMatch(/charge confirmed by a transaction query/);
		const charges = sb.chargesFor(billingKey);
		expect(charges).toHaveLength(1);
		expect(reply.json.transactionreference).toBe(charges[0].fields.transactionreference);

		// A redelivery of the same request afterwards finds the charge too.
		const again = await debit({ storedCardReference: payingCard, billingKey, amount: '12.00', currency: 'GBP' });
		expect(again.json).toMatchObject({ outcome: 'paid', reusedExisting: true, transactionreference: charges[0].fields.transactionreference });
		expect(sb.chargesFor(billingKey)).toHaveLength(1);

		const executions = await newExecutions(2);
		for (const execution of executions) {
			const { success, declined } = await recorded(execution.id);
			expect(success.map((i) => [i.json.outcome, i.json.transactionreference, i.pairedItem])).toEqual([['paid', charges[0].fields.transactionreference, { item: 0 }]]);
			expect(declined).toHaveLength(0);
		}
	});

	it('two executions charging the same billing key at the same moment make one charge', async () => {
		const billingKey = key('race');
		// Slow answers make the two executions overlap inside n8n.
		sb.setLatency(200);
		let replies: Reply[];
		try {
			const body = { storedCardReference: payingCard, billingKey, amount: '3.10', currency: 'GBP' };
			replies = await Promise.all([debit(body), debit(body)]);
		} finally {
			sb.setLatency(undefined);
		}
		expect(replies.map((r) => r.status)).toEqual([200, 200]);
		expect(replies.map((r) => r.json.reusedExisting).sort()).toEqual([false, true]);
		expect(replies[0].json.transactionreference).toBe(replies[1].json.transactionreference);
		expect(sb.chargesFor(billingKey)).toHaveLength(1);

		const executions = await newExecutions(2);
		// They really ran at the same time: each started before the other stopped.
		const [a, b] = executions.map((e) => [Date.parse(e.startedAt), Date.parse(e.stoppedAt ?? '')]);
		expect(a[0] < b[1] && b[0] < a[1]).toBe(true);
	});

	it('no card number, password or Basic auth header appears in any execution n8n stored', async () => {
		const executions = await n8n.executions(WORKFLOW_ID);
		// 1 + 2 + 1 + 2 + 2 webhook calls above, all finished without a workflow error.
		expect(executions).toHaveLength(8);
		expect(executions.filter((e) => e.status !== 'success')).toEqual([]);
		const basic = Buffer.from(`${sb.username}:${sb.password}`).toString('base64');
		let sawMaskedPan = false;
		for (const { id } of executions) {
			const raw = await rawExecution(id);
			expect(raw).not.toContain(PAYING_PAN);
			expect(raw).not.toContain(POOR_PAN);
			expect(raw).not.toContain(sb.password);
			expect(raw).not.toContain(basic);
			sawMaskedPan ||= raw.includes('411111######1111');
		}
		// The scan looked at the real run data: the masked card number is there.
		expect(sawMaskedPan).toBe(true);
	});

	it("n8n's credential test (POST /rest/credentials/test) passes with the stored password and names a wrong one", async () => {
		// As the editor does: read the credential (secrets come back blanked), send it back to test.
		const stored = await n8n.rest<{ id: string; name: string; type: string; data: Record<string, unknown> }>('GET', `/credentials/${CREDENTIAL.id}?includeData=true`);
		expect(stored).toMatchObject({ id: CREDENTIAL.id, name: CREDENTIAL.name, type: 'secureTradingApi' });
		expect(stored.data).toMatchObject({ username: sb.username, siteReference: sb.siteReference, gateway: 'custom', customUrl: sb.url });
		expect(stored.data.password).not.toBe(sb.password);

		const test = async (data: Record<string, unknown>) =>
			await n8n.rest<{ status: string; message: string }>('POST', '/credentials/test', { credentials: { ...CREDENTIAL, data } });
		const queriesBefore = sb.callCounts().TRANSACTIONQUERY;
		const unauthorizedBefore = sb.callCounts().unauthorized;

		expect(await test(stored.data)).toEqual({ status: 'OK', message: 'Connection successful' });
		expect(sb.callCounts().TRANSACTIONQUERY).toBe(queriesBefore + 1);

		const wrong = await test({ ...stored.data, password: 'not-the-password' });
		expect(wrong.status).toBe('Error');
		expect(wrong.message).toMatch(/Wrong webservices username or password \(HTTP 401\)/);
		expect(sb.callCounts().unauthorized).toBe(unauthorizedBefore + 1);

		const unknownSite = await test({ ...stored.data, siteReference: 'test_nowhere1' });
		expect(unknownSite).toEqual({ status: 'Error', message: expect.stringMatching(/site reference "test_nowhere1"/) });
	});
});
