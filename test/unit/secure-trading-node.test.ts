// The Secure Trading node run in-process against the sandbox: every outcome, the
// no-double-charge guarantees under faults, bad input, wrong credentials.
import * as net from 'net';
import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { runNode } from '../helpers/run-node';
import { SecureTrading } from '../../nodes/SecureTrading/SecureTrading.node';
import { chargeLock, chargeLockKey, chargeMemo } from '../../nodes/SecureTrading/actions/payment/debitStoredCard.operation';
import { ChargeMemo } from '../../nodes/SecureTrading/helpers/chargeMemo';
import { LockWaitAborted } from '../../nodes/shared/concurrency';
import { startSecureTradingSandbox, type SecureTradingSandbox } from '../../sandbox/secure-trading';

const node = new SecureTrading();

describe('Secure Trading node', () => {
	let sb: SecureTradingSandbox;
	let seq = 0;

	beforeAll(async () => {
		sb = await startSecureTradingSandbox({
			seed: 11,
			users: [
				{ username: 'webservices@example.com', password: 'Password1^', sites: ['test_site12345'] },
				{ username: 'other@example.com', password: 'Other1^', sites: ['test_other99'] },
			],
		});
	});
	afterAll(async () => {
		await sb.close();
	});

	const credentials = (overrides: IDataObject = {}) => ({
		secureTradingApi: { username: sb.username, password: sb.password, siteReference: sb.siteReference, gateway: 'custom', customUrl: sb.url, ...overrides },
	});
	const key = (label: string) => `BK-${label}-${++seq}`.slice(0, 25);
	const debitParams = (parent: string, billingKey: string, extra: INodeParameters = {}): INodeParameters => ({
		resource: 'payment',
		operation: 'debitStoredCard',
		storedCardReference: parent,
		billingKey,
		amount: '10.50',
		amountUnit: 'major',
		currency: 'GBP',
		...extra,
		options: { verificationDelayMs: 0, timeoutMs: 2000, ...((extra.options as IDataObject) ?? {}) },
	});
	const run = (parameters: INodeParameters, opts: { items?: INodeExecutionData[]; continueOnFail?: boolean; credentials?: ReturnType<typeof credentials> } = {}) =>
		runNode(node, { parameters, items: opts.items ?? [{ json: { customer: 'ACME' } }], credentials: opts.credentials ?? credentials(), continueOnFail: opts.continueOnFail });
	const only = (outputs: INodeExecutionData[][], output: 0 | 1) => {
		expect(outputs).toHaveLength(2);
		expect(outputs[output === 0 ? 1 : 0]).toHaveLength(0);
		expect(outputs[output]).toHaveLength(1);
		return outputs[output][0].json;
	};
	async function thrown(promise: Promise<unknown>): Promise<Error> {
		try {
			await promise;
		} catch (error) {
			return error as Error;
		}
		throw new Error('expected the node to throw');
	}

	describe('debit stored card', () => {
		it('charges once and outputs paid beside the gateway fields', async () => {
			const parent = sb.addStoredCard();
			const billingKey = key('paid');
			const outputs = await run(debitParams(parent, billingKey));
			const json = only(outputs, 0);
			expect(json).toMatchObject({
				outcome: 'paid',
				retryable: false,
				reusedExisting: false,
				billingKey,
				amountMinor: 1050,
				amount: '10.50',
				currency: 'GBP',
				errorcode: '0',
				errormessage: 'Ok',
				settlestatus: '0',
				acquirerresponsecode: '00',
				orderreference: billingKey,
				parenttransactionreference: parent,
				baseamount: '1050',
				currencyiso3a: 'GBP',
				paymenttypedescription: 'VISA',
				input: { customer: 'ACME' },
			});
			expect(json.transactionreference).toMatch(/^\d+-\d+-\d+$/);
			expect(json.authcode).toMatch(/^TEST/);
			expect(json.maskedpan).toMatch(/#/);
			expect(outputs[0][0].pairedItem).toEqual({ item: 0 });
			expect(JSON.stringify(outputs)).not.toContain(sb.password);
			expect(sb.chargesFor(billingKey)).toHaveLength(1);
			const [tx] = sb.chargesFor(billingKey);
			// The default Charge Type: an unscheduled credential-on-file charge.
			expect(tx.fields).toMatchObject({ credentialsonfile: '2', accounttypedescription: 'ECOM', initiationreason: 'C', parenttransactionreference: parent });
		});

		it('re-running for the same billing key returns the existing charge (from memory in this process, else by a query first)', async () => {
			const parent = sb.addStoredCard();
			const billingKey = key('rerun');
			const first = only(await run(debitParams(parent, billingKey)), 0);
			const before = sb.callCounts();
			const second = only(await run(debitParams(parent, billingKey)), 0);
			expect(second).toMatchObject({ outcome: 'paid', reusedExisting: true, transactionreference: first.transactionreference });
			expect(sb.callCounts().AUTH).toBe(before.AUTH);
			expect(sb.callCounts().TRANSACTIONQUERY).toBe(before.TRANSACTIONQUERY);
			// Another process (no memory of it): the pre-charge query finds the charge.
			chargeMemo.clear();
			const third = only(await run(debitParams(parent, billingKey)), 0);
			expect(third).toMatchObject({ outcome: 'paid', reusedExisting: true, transactionreference: first.transactionreference });
			expect(sb.callCounts().AUTH).toBe(before.AUTH);
			expect(sb.callCounts().TRANSACTIONQUERY).toBe(before.TRANSACTIONQUERY + 1);
			expect(sb.chargesFor(billingKey)).toHaveLength(1);
		});

		it('two items with the same billing key in one run charge once', async () => {
			const parent = sb.addStoredCard();
			const billingKey = key('dup');
			const outputs = await run(debitParams(parent, billingKey), { items: [{ json: { n: 1 } }, { json: { n: 2 } }] });
			expect(outputs[0]).toHaveLength(2);
			expect(outputs[0].map((i) => i.json.reusedExisting)).toEqual([false, true]);
			expect(outputs[0].map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
			expect(sb.chargesFor(billingKey)).toHaveLength(1);
		});

		it('charges a batch several at a time, each billing key once, outputs in item order', async () => {
			sb.reset();
			sb.setLatency(100);
			try {
				const items = Array.from({ length: 12 }, (_, n) => ({ json: { n, card: sb.addStoredCard(), key: key(`conc${n}`) } }));
				// Item 12 repeats item 3's billing key: it must find item 3's charge, not charge again.
				items.push({ json: { ...items[3].json, n: 12 } });
				const outputs = await runNode(node, {
					parameters: debitParams('={{card}}', '={{key}}', { options: { concurrency: 4 } }),
					items,
					credentials: credentials(),
					resolve: (value, _i, item) => (value === '={{card}}' ? item?.json.card : value === '={{key}}' ? item?.json.key : value),
				});
				expect(outputs[1]).toEqual([]);
				expect(outputs[0].map((i) => (i.json.input as IDataObject).n)).toEqual([...Array(13).keys()]);
				expect(outputs[0].map((i) => i.pairedItem)).toEqual([...Array(13).keys()].map((item) => ({ item })));
				expect(outputs[0].map((i) => i.json.reusedExisting)).toEqual([...Array(12).fill(false), true]);
				for (const it of items) expect(sb.chargesFor(String(it.json.key))).toHaveLength(1);
				// Four at a time, as configured (one query and one AUTH each in flight).
				expect(sb.peakInFlight()).toBe(4);
			} finally {
				sb.setLatency(undefined);
			}
		});

		it('flags an existing charge whose amount differs instead of charging again', async () => {
			const parent = sb.addStoredCard();
			const billingKey = key('mismatch');
			only(await run(debitParams(parent, billingKey)), 0);
			const again = only(await run(debitParams(parent, billingKey, { amount: '12.00' })), 0);
			expect(again).toMatchObject({ outcome: 'paid', reusedExisting: true, existingChargeMismatch: true, baseamount: '1050' });
			expect(sb.chargesFor(billingKey)).toHaveLength(1);
		});

		it.each([
			['insufficientFunds', '51', 'insufficient funds', true],
			['doNotHonour', '05', 'do not honour', true],
			['expiredCard', '54', 'expired card', false],
			['lostCard', '41', 'lost card', false],
			['stolenCard', '43', 'stolen card', false],
		] as const)('a %s card is declined (%s) to the second output', async (behaviour, code, reason, retryable) => {
			const parent = sb.addStoredCard({ behaviour });
			const billingKey = key(behaviour);
			const outputs = await run(debitParams(parent, billingKey));
			const json = only(outputs, 1);
			expect(json).toMatchObject({ outcome: 'declined', retryable, reason, errorcode: '70000', errormessage: 'Decline', acquirerresponsecode: code, authcode: 'DECLINED' });
			// The kit's failure object: the acquirer's code says more than the gateway's 70000.
			expect(json.error).toEqual({ message: reason, code, retryable });
			expect(outputs[1][0].pairedItem).toEqual({ item: 0 });
			expect(sb.chargesFor(billingKey)).toHaveLength(0);
		});

		it('a later retry of a soft decline charges once the card pays again', async () => {
			const parent = sb.addStoredCard({ behaviour: 'insufficientFunds' });
			const billingKey = key('soft');
			only(await run(debitParams(parent, billingKey)), 1);
			sb.setCardBehaviour(parent, 'approve');
			expect(only(await run(debitParams(parent, billingKey)), 0)).toMatchObject({ outcome: 'paid', reusedExisting: false });
			expect(sb.chargesFor(billingKey)).toHaveLength(1);
		});

		it('converts amounts by currency: JPY 0, GBP 2, BHD 3 decimals, or minor units as given', async () => {
			const parent = sb.addStoredCard();
			const cases: Array<[string, string, 'major' | 'minor', string]> = [
				['1050', 'JPY', 'major', '1050'],
				['10.5', 'GBP', 'major', '1050'],
				['1.234', 'BHD', 'major', '1234'],
				['1234', 'BHD', 'minor', '1234'],
				['7', 'KWD', 'major', '7000'],
			];
			for (const [amount, currency, amountUnit, baseamount] of cases) {
				const billingKey = key(`amt${currency}`);
				const json = only(await run(debitParams(parent, billingKey, { amount, currency, amountUnit })), 0);
				expect({ currency, baseamount: json.baseamount, currencyiso3a: json.currencyiso3a }).toEqual({ currency, baseamount, currencyiso3a: currency });
			}
		});


		it('gateway-side invalid fields and missing parents come out as invalid, naming the field', async () => {
			const parent = sb.addStoredCard();
			const currency = only(await run(debitParams(parent, key('mxn'), { currency: 'MXN' })), 1);
			expect(currency).toMatchObject({ outcome: 'invalid', retryable: false, field: 'currencyiso3a', errorcode: '30000', errordata: ['currencyiso3a'] });
			expect(currency.error).toEqual({ message: 'Invalid field: currencyiso3a', field: 'currencyiso3a', code: '30000', retryable: false });
			const missing = only(await run(debitParams('99-9-99999', key('noparent'))), 1);
			expect(missing).toMatchObject({ outcome: 'invalid', field: 'parenttransactionreference', errorcode: '20004' });
		});

		describe('when the result is uncertain', () => {
			it('charge then drop the response: exactly one charge, even when run again', async () => {
				const parent = sb.addStoredCard();
				const billingKey = key('drop');
				sb.injectFault({ kind: 'dropAfterCharge' });
				const json = only(await run(debitParams(parent, billingKey)), 0);
				expect(json).toMatchObject({ outcome: 'paid', reusedExisting: true, errorcode: '0', orderreference: billingKey });
				expect(json.uncertainResult).toMatch(/dropped/);
				expect(sb.chargesFor(billingKey)).toHaveLength(1);
				expect(json.transactionreference).toBe(sb.chargesFor(billingKey)[0].fields.transactionreference);

				const again = only(await run(debitParams(parent, billingKey)), 0);
				expect(again).toMatchObject({ outcome: 'paid', reusedExisting: true, transactionreference: json.transactionreference });
				expect(sb.chargesFor(billingKey)).toHaveLength(1);
			});

			it('a timeout after sending is settled by a query, never by re-sending', async () => {
				const parent = sb.addStoredCard();
				const charged = key('tmo-charged');
				sb.injectFault({ kind: 'timeout', charged: true });
				const before = sb.callCounts().AUTH;
				const json = only(await run(debitParams(parent, charged, { options: { timeoutMs: 300 } })), 0);
				expect(json).toMatchObject({ outcome: 'paid', reusedExisting: true });
				expect(json.uncertainResult).toMatch(/No answer/);
				expect(sb.callCounts().AUTH).toBe(before + 1);
				expect(sb.chargesFor(charged)).toHaveLength(1);

				const clean = key('tmo-clean');
				sb.injectFault({ kind: 'timeout', charged: false });
				const unknown = only(await run(debitParams(parent, clean, { options: { timeoutMs: 300 } })), 1);
				expect(unknown).toMatchObject({ outcome: 'unknown', retryable: false, verifiedNoCharge: true });
				expect(unknown.reason).toMatch(/Re-running later is safe/);
				expect(sb.chargesFor(clean)).toHaveLength(0);
				// A re-run does not AUTH again while the result may still show up (issue 15)...
				const auths = sb.callCounts().AUTH;
				expect(only(await run(debitParams(parent, clean, { options: { settleQueryGapMs: 0 } })), 1)).toMatchObject({ outcome: 'unknown', retryable: false });
				expect(sb.callCounts().AUTH).toBe(auths);
				// ...only once the settle window has passed with two spaced empty checks; then it charges, once
				// (here in another process, which knows only the settle record).
				chargeMemo.clear();
				const settle = { ...(unknown.settle as IDataObject), uncertainSince: new Date(Date.now() - 16 * 60_000).toISOString(), lastCheckedAt: new Date(Date.now() - 61_000).toISOString() };
				expect(only(await run(debitParams(parent, clean, { settleRecord: settle })), 0)).toMatchObject({ outcome: 'paid', reusedExisting: false });
				expect(sb.chargesFor(clean)).toHaveLength(1);
			});

			it('60010 bank system error: found charge is paid, none is unknown', async () => {
				const parent = sb.addStoredCard();
				const charged = key('60010c');
				sb.injectFault({ kind: 'bankError', charged: true });
				expect(only(await run(debitParams(parent, charged)), 0)).toMatchObject({ outcome: 'paid', reusedExisting: true, uncertainResult: expect.stringMatching(/Bank System Error/) });
				expect(sb.chargesFor(charged)).toHaveLength(1);

				const testBank = key('60010tb');
				const json = only(await run(debitParams(parent, testBank, { amount: '600.10' })), 1);
				expect(json).toMatchObject({ outcome: 'unknown', retryable: false, errorcode: '60010', verifiedNoCharge: true });
				expect(sb.chargesFor(testBank)).toHaveLength(0);
			});

			it.each([
				['manualInvestigation', '60034'],
				['unknownError', '99999'],
			] as const)('%s (%s) with a charge behind it comes out paid', async (kind, code) => {
				const parent = sb.addStoredCard();
				const billingKey = key(code);
				sb.injectFault({ kind, charged: true });
				expect(only(await run(debitParams(parent, billingKey)), 0)).toMatchObject({ outcome: 'paid', reusedExisting: true });
				expect(sb.chargesFor(billingKey)).toHaveLength(1);
			});

			it('5xx: charged → paid, not charged → unknown', async () => {
				const parent = sb.addStoredCard();
				const charged = key('5xxc');
				sb.injectFault({ kind: 'serverError', status: 500, charged: true });
				expect(only(await run(debitParams(parent, charged)), 0)).toMatchObject({ outcome: 'paid', reusedExisting: true, uncertainResult: expect.stringMatching(/HTTP 500/) });
				const clean = key('5xxn');
				sb.injectFault({ kind: 'serverError', status: 503, charged: false });
				expect(only(await run(debitParams(parent, clean)), 1)).toMatchObject({ outcome: 'unknown', verifiedNoCharge: true });
				expect(sb.chargesFor(clean)).toHaveLength(0);
			});

			it('50000 socket error, confirmed by a query, is retryable', async () => {
				const parent = sb.addStoredCard();
				const billingKey = key('50000');
				sb.injectFault({ kind: 'socketError' });
				expect(only(await run(debitParams(parent, billingKey)), 1)).toMatchObject({ outcome: 'retryable', retryable: true, errorcode: '50000', verifiedNoCharge: true });
				expect(sb.chargesFor(billingKey)).toHaveLength(0);
			});

			it.each(['malformed', 'notJson', 'wrongRequestReference'] as const)('a %s answer is checked by a query', async (kind) => {
				const parent = sb.addStoredCard();
				const billingKey = key(kind);
				sb.injectFault({ kind });
				const json = only(await run(debitParams(parent, billingKey)), 0);
				expect(json).toMatchObject({ outcome: 'paid', reusedExisting: true });
				expect(sb.chargesFor(billingKey)).toHaveLength(1);
			});

			it('when the verifying query also fails the outcome stays unknown', async () => {
				const parent = sb.addStoredCard();
				const billingKey = key('bothfail');
				sb.injectFault({ kind: 'dropAfterCharge' });
				// The pre-charge query passes; the verifying one after the drop gets a 502.
				sb.injectFault({ kind: 'serverError', status: 502, requestTypes: ['TRANSACTIONQUERY'], skip: 1 });
				const done = run(debitParams(parent, billingKey));
				const json = only(await done, 1);
				expect(json).toMatchObject({ outcome: 'unknown', verifiedNoCharge: false });
				expect(json.reason).toMatch(/Could not check the gateway afterwards/);
				expect(sb.chargesFor(billingKey)).toHaveLength(1);
				expect(only(await run(debitParams(parent, billingKey)), 0)).toMatchObject({ outcome: 'paid', reusedExisting: true });
				expect(sb.chargesFor(billingKey)).toHaveLength(1);
			});
		});

		it('with a lagging transaction query, an unseen charge stays unknown and a later re-run finds it', async () => {
			const lagging = await startSecureTradingSandbox({ seed: 5, queryVisibilityDelayMs: 300 });
			try {
				const parent = lagging.addStoredCard();
				const creds = { secureTradingApi: { username: lagging.username, password: lagging.password, siteReference: lagging.siteReference, gateway: 'custom', customUrl: lagging.url } };
				lagging.injectFault({ kind: 'dropAfterCharge' });
				const first = only(await run(debitParams(parent, 'BK-lag'), { credentials: creds }), 1);
				// Not "retryable": the gateway simply has not shown the charge yet.
				expect(first).toMatchObject({ outcome: 'unknown', retryable: false, verifiedNoCharge: true });
				await new Promise((resolve) => setTimeout(resolve, 350));
				// The re-run only checks (its last check is older than the query gap) and finds the charge.
				expect(only(await run(debitParams(parent, 'BK-lag', { options: { settleQueryGapMs: 100 } }), { credentials: creds }), 0)).toMatchObject({ outcome: 'paid', reusedExisting: true });
				expect(lagging.chargesFor('BK-lag')).toHaveLength(1);

				lagging.injectFault({ kind: 'dropAfterCharge' });
				const waited = only(await run(debitParams(parent, 'BK-lag-wait', { options: { verificationDelayMs: 400 } }), { credentials: creds }), 0);
				expect(waited).toMatchObject({ outcome: 'paid', reusedExisting: true });
				expect(lagging.chargesFor('BK-lag-wait')).toHaveLength(1);
			} finally {
				await lagging.close();
			}
		});

		it('does not charge when the pre-charge query fails', async () => {
			const parent = sb.addStoredCard();
			const billingKey = key('prefail');
			const auths = sb.callCounts().AUTH;
			sb.injectFault({ kind: 'serverError', status: 503, requestTypes: ['TRANSACTIONQUERY'] });
			const json = only(await run(debitParams(parent, billingKey)), 1);
			expect(json).toMatchObject({ outcome: 'retryable', retryable: true });
			expect(json.reason).toMatch(/Nothing was charged/);
			expect(sb.callCounts().AUTH).toBe(auths);
		});

		it('an unreachable gateway is retryable with nothing charged', async () => {
			const server = net.createServer();
			await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
			const port = (server.address() as net.AddressInfo).port;
			await new Promise<void>((r) => server.close(() => r()));
			const json = only(
				await run(debitParams('1-2-3', key('down'), { options: { connectTimeoutMs: 200, timeoutMs: 400 } }), { credentials: credentials({ customUrl: `http://127.0.0.1:${port}` }) }),
				1,
			);
			expect(json).toMatchObject({ outcome: 'retryable', retryable: true });
			expect(json.reason).toMatch(/Nothing was charged.*ECONNREFUSED/);
		});
	});

	describe('bad input', () => {
		const cases: Array<[string, INodeParameters, string, RegExp]> = [
			['text amount', { amount: 'ten pounds' }, 'amount', /amount: "ten pounds" is not a valid amount/],
			['negative amount', { amount: '-5.00' }, 'amount', /negative/],
			['too many decimals', { amount: '10.505' }, 'amount', /more than 2 decimal places/],
			['decimals in JPY', { amount: '10.5', currency: 'JPY' }, 'amount', /JPY has no minor unit/],
			['zero amount', { amount: '0' }, 'amount', /greater than zero/],
			['decimal minor units', { amount: '10.50', amountUnit: 'minor' }, 'amount', /whole number/],
			['absurd amount', { amount: '1000000000000' }, 'amount', /maximum/],
			['unknown currency', { currency: 'XYZ' }, 'currency', /XYZ/],
			// Blank, not '': n8n itself refuses to run a node whose required parameter is ''.
			['blank billing key', { billingKey: '   ' }, 'billingKey', /Billing key is missing or empty \(field "billingKey"\)/],
			['long billing key', { billingKey: 'x'.repeat(26) }, 'billingKey', /longer than 25 characters/],
			['billing key with a space', { billingKey: 'BK 1' }, 'billingKey', /may only hold letters, digits/],
			['billing key above Max Billing Key Length', { billingKey: 'BK-12345', options: { maxOrderReferenceLength: 6 } }, 'billingKey', /longer than 6 characters/],
			['timeout below its minimum', { options: { timeoutMs: 5 } }, 'options.timeoutMs', /"Timeout \(Ms\)" must be a number at least 100/],
			['bad stored card reference', { storedCardReference: 'card-123' }, 'storedCardReference', /not a Secure Trading transaction reference/],
		];

		it.each(cases)('%s → NodeOperationError naming the field and item', async (_label, changes, field, message) => {
			const params = { ...debitParams('1-2-3', 'BK-bad'), ...changes };
			const auths = sb.callCounts().AUTH;
			const error = await thrown(run(params, { items: [{ json: {} }, { json: {} }] }));
			expect(error).toBeInstanceOf(NodeOperationError);
			expect(error.message).toMatch(message);
			expect(error.message).toMatch(/\[item 0\]/);
			expect(sb.callCounts().AUTH).toBe(auths);

			const outputs = await run(params, { continueOnFail: true, items: [{ json: { id: 'a' } }, { json: { id: 'b' } }] });
			expect(outputs[0]).toHaveLength(0);
			expect(outputs[1].map((i) => i.json)).toEqual([
				expect.objectContaining({
					outcome: 'invalid',
					retryable: false,
					reason: expect.stringMatching(message),
					input: { id: 'a' },
					error: expect.objectContaining({ message: expect.stringMatching(message), field, retryable: false }),
				}),
				expect.objectContaining({ outcome: 'invalid', input: { id: 'b' }, error: expect.objectContaining({ message: expect.stringMatching(/\[item 1\]/), field }) }),
			]);
			// The field sits in the failure object now, not beside it.
			for (const item of outputs[1]) expect(item.json).not.toHaveProperty('field');
			expect(outputs[1].map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		});
	});

	describe('credentials', () => {
		it('a wrong password is a NodeApiError (401); continueOnFail routes it to the second output', async () => {
			const parent = sb.addStoredCard();
			const error = await thrown(run(debitParams(parent, key('401')), { credentials: credentials({ password: 'wrong-password' }) }));
			expect(error).toBeInstanceOf(NodeApiError);
			expect(error.message).toMatch(/username or password \(HTTP 401\)/);
			expect((error as NodeApiError).httpCode).toBe('401');
			expect(JSON.stringify(error)).not.toContain('wrong-password');
			const outputs = await run(debitParams(parent, key('401c')), { credentials: credentials({ password: 'wrong-password' }), continueOnFail: true });
			expect(only(outputs, 1)).toMatchObject({
				outcome: 'error',
				retryable: false,
				input: { customer: 'ACME' },
				error: { message: expect.stringMatching(/401/), code: '401', retryable: false, description: expect.stringMatching(/username and password/) },
			});
		});

		it('an unknown or foreign site reference is a NodeApiError carrying the gateway message', async () => {
			const parent = sb.addStoredCard();
			const unknown = await thrown(run(debitParams(parent, key('30001')), { credentials: credentials({ siteReference: 'test_nosuch' }) }));
			expect(unknown).toBeInstanceOf(NodeApiError);
			expect(unknown.message).toBe('Secure Trading: Unknown site (errorcode 30001) [item 0]');
			const foreign = await thrown(run(debitParams(parent, key('30006')), { credentials: credentials({ siteReference: 'test_other99' }) }));
			expect(foreign.message).toBe('Secure Trading: Invalid sitereference for alias (errorcode 30006) [item 0]');
			expect((foreign as NodeApiError).description).toMatch(/test_other99/);
		});

		it('a credential without a site reference fails before any request', async () => {
			const error = await thrown(run(debitParams('1-2-3', key('nosite')), { credentials: credentials({ siteReference: '' }) }));
			expect(error).toBeInstanceOf(NodeOperationError);
			expect(error.message).toBe('Secure Trading credential: Site Reference is empty');
			// Under Continue On Fail every item goes to the failure output naming the credential field.
			const outputs = await run(debitParams('1-2-3', key('nosite')), { credentials: credentials({ siteReference: '' }), continueOnFail: true });
			expect(only(outputs, 1).error).toMatchObject({ message: 'Secure Trading credential: Site Reference is empty', field: 'siteReference', retryable: false });
		});
	});

	// Issue 15: the documented merchant-initiated field sets, and one amount unit (minor by default).
	describe('merchant-initiated field sets and amount unit', () => {
		const fieldsOf = (billingKey: string) => sb.chargesFor(billingKey)[0].fields;
		const subscriptionAndReason = (fields: Record<string, string>) => ({
			initiationreason: fields.initiationreason,
			subscriptiontype: fields.subscriptiontype,
			subscriptionnumber: fields.subscriptionnumber,
		});

		// Fails on the old code: it sent RECUR without initiationreason by default.
		it('an unscheduled charge (the default) sends ECOM or MOTO, credentialsonfile 2 and initiationreason C, nothing else', async () => {
			const parent = sb.addStoredCard();
			const ecom = key('unsched');
			only(await run(debitParams(parent, ecom)), 0);
			expect(fieldsOf(ecom)).toMatchObject({ accounttypedescription: 'ECOM', credentialsonfile: '2', initiationreason: 'C', parenttransactionreference: parent });
			expect(subscriptionAndReason(fieldsOf(ecom))).toEqual({ initiationreason: 'C', subscriptiontype: undefined, subscriptionnumber: undefined });
			const moto = key('unschedmoto');
			only(await run(debitParams(parent, moto, { chargeType: 'unscheduled', accountType: 'MOTO' })), 0);
			expect(fieldsOf(moto)).toMatchObject({ accounttypedescription: 'MOTO', credentialsonfile: '2', initiationreason: 'C' });
		});

		// Fails on the old code: chargeType and the top-level subscription parameters did not exist.
		it('a recurring charge sends RECUR, credentialsonfile 2, subscriptiontype and subscriptionnumber, without initiationreason', async () => {
			const parent = sb.addStoredCard();
			const billingKey = key('recur');
			only(await run(debitParams(parent, billingKey, { chargeType: 'recurring', subscriptionType: 'INSTALLMENT', subscriptionNumber: 3 })), 0);
			expect(fieldsOf(billingKey)).toMatchObject({ accounttypedescription: 'RECUR', credentialsonfile: '2', parenttransactionreference: parent });
			expect(subscriptionAndReason(fieldsOf(billingKey))).toEqual({ initiationreason: undefined, subscriptiontype: 'INSTALLMENT', subscriptionnumber: '3' });
			const monthly = key('recurm');
			only(await run(debitParams(parent, monthly, { chargeType: 'recurring', subscriptionNumber: 2 })), 0);
			expect(subscriptionAndReason(fieldsOf(monthly))).toEqual({ initiationreason: undefined, subscriptiontype: 'RECURRING', subscriptionnumber: '2' });
		});

		it('a recurring charge without a subscription number, or the old RECUR account type alone, is refused before any request', async () => {
			const parent = sb.addStoredCard();
			const before = sb.callCounts();
			const missing = await thrown(run(debitParams(parent, key('nosubno'), { chargeType: 'recurring' })));
			expect(missing).toBeInstanceOf(NodeOperationError);
			expect(missing.message).toBe('"Subscription Number" must be a whole number from 1 to 99999, got 0 [item 0]');
			const outputs = await run(debitParams(parent, key('nosubno2'), { chargeType: 'recurring', subscriptionNumber: 1.5 }), { continueOnFail: true });
			expect(only(outputs, 1)).toMatchObject({ outcome: 'invalid', error: { field: 'subscriptionNumber', retryable: false } });
			const recur = await thrown(run(debitParams(parent, key('oldrecur'), { accountType: 'RECUR' })));
			expect(recur.message).toMatch(/^Account Type \(accountType\) RECUR is only for a recurring series: set Charge Type to Recurring Series/);
			expect(sb.callCounts().AUTH).toBe(before.AUTH);
			expect(sb.callCounts().TRANSACTIONQUERY).toBe(before.TRANSACTIONQUERY);
		});

		// Fails on the old code: the default was major units, so "1050" was charged as 1050.00 (105000).
		it('reads the amount in minor units unless told otherwise', async () => {
			const parent = sb.addStoredCard();
			const billingKey = key('minor');
			const { amountUnit: _unit, ...params } = debitParams(parent, billingKey, { amount: '1050' });
			const json = only(await run(params), 0);
			expect(json).toMatchObject({ amountMinor: 1050, amount: '10.50', baseamount: '1050' });
			const major = key('major');
			expect(only(await run(debitParams(parent, major, { amount: '10.50', amountUnit: 'major' })), 0)).toMatchObject({ amountMinor: 1050, baseamount: '1050' });
		});
	});

	// Issue 15: refunds find earlier refunds with documented filters and refund exactly the remainder.
	describe('refund remainder', () => {
		const refundParams = (transactionReference: string, extra: INodeParameters = {}): INodeParameters => ({
			resource: 'payment',
			operation: 'refund',
			transactionReference,
			refundType: 'full',
			...extra,
			options: { verificationDelayMs: 0, ...((extra.options as IDataObject) ?? {}) },
		});
		const refundsOf = (reference: string) =>
			sb.transactions().filter((t) => t.fields.requesttypedescription === 'REFUND' && t.fields.parenttransactionreference === reference);
		const settledPayment = async (label: string) => {
			const paid = only(await run(debitParams(sb.addStoredCard(), key(label))), 0);
			const reference = String(paid.transactionreference);
			sb.settle(reference);
			return reference;
		};

		// Fails on the old code: the full refund returned the earlier partial one and refunded nothing.
		it('a full refund after a partial one refunds exactly the rest, then nothing', async () => {
			const reference = await settledPayment('rest');
			only(await run(refundParams(reference, { refundType: 'partial', amount: '300', amountUnit: 'minor', currency: 'GBP' })), 0);
			const rest = only(await run(refundParams(reference)), 0);
			expect(rest).toMatchObject({
				outcome: 'refunded',
				reusedExisting: false,
				baseamount: '750',
				amountMinor: 750,
				amount: '7.50',
				currency: 'GBP',
				paymentMinor: 1050,
				refundedBeforeMinor: 300,
				remainingBeforeMinor: 750,
			});
			const again = only(await run(refundParams(reference)), 0);
			expect(again).toMatchObject({ outcome: 'alreadyRefunded', amountMinor: 0, refundedBeforeMinor: 1050, remainingBeforeMinor: 0 });
			expect(String(again.reason)).toMatch(/^nothing left to refund: 10.50 GBP paid, 10.50 GBP refunded in 2 earlier refunds/);
			expect(refundsOf(reference).map((t) => t.fields.baseamount)).toEqual(['300', '750']);
			// Every refund carries the payment's order reference, so later runs can find it.
			expect(refundsOf(reference).every((t) => t.fields.orderreference === rest.orderreference)).toBe(true);
		});

		// Fails on the old code: it sent a parenttransactionreference filter the documentation does not list.
		it('queries only with documented filters (transactionreference, orderreference, sitereference)', async () => {
			const reference = await settledPayment('filters');
			const from = sb.requests().length;
			only(await run(refundParams(reference, { refundType: 'partial', amount: '100', amountUnit: 'minor', currency: 'GBP' })), 0);
			only(await run(refundParams(reference)), 0);
			const filterKeys = sb
				.requests()
				.slice(from)
				.flatMap((r) => ((r.body as { request?: Array<Record<string, unknown>> }).request ?? []))
				.filter((r) => (r.requesttypedescriptions as string[])[0] === 'TRANSACTIONQUERY')
				.flatMap((r) => Object.keys(r.filter as Record<string, unknown>));
			expect(filterKeys.length).toBeGreaterThan(0);
			expect([...new Set(filterKeys)].sort()).toEqual(['orderreference', 'sitereference', 'transactionreference']);
		});

		it('refuses a partial refund in another currency than the payment, sending nothing', async () => {
			const reference = await settledPayment('ccy');
			const before = sb.callCounts().REFUND;
			const json = only(await run(refundParams(reference, { refundType: 'partial', amount: '100', amountUnit: 'minor', currency: 'EUR' })), 1);
			expect(json).toMatchObject({ outcome: 'invalid', field: 'currency', error: { field: 'currency' } });
			expect(sb.callCounts().REFUND).toBe(before);
		});
	});

	describe('refund', () => {
		const refundParams = (transactionReference: string, extra: INodeParameters = {}): INodeParameters => ({
			resource: 'payment',
			operation: 'refund',
			transactionReference,
			refundType: 'full',
			...extra,
			options: { verificationDelayMs: 0, ...((extra.options as IDataObject) ?? {}) },
		});

		it('needs a settled payment, refunds partially and fully, and does not repeat a refund', async () => {
			const parent = sb.addStoredCard();
			const billingKey = key('refund');
			const paid = only(await run(debitParams(parent, billingKey)), 0);
			const reference = String(paid.transactionreference);

			const early = only(await run(refundParams(reference)), 1);
			expect(early).toMatchObject({ outcome: 'retryable', retryable: true, errorcode: '20012' });
			sb.settle(reference);

			const partial = only(await run(refundParams(reference, { refundType: 'partial', amount: '3.00', amountUnit: 'major', currency: 'GBP' })), 0);
			expect(partial).toMatchObject({ outcome: 'refunded', reusedExisting: false, baseamount: '300', amountMinor: 300, parenttransactionreference: reference });
			const repeat = only(await run(refundParams(reference, { refundType: 'partial', amount: '3.00', amountUnit: 'major', currency: 'GBP' })), 0);
			expect(repeat).toMatchObject({ outcome: 'refunded', reusedExisting: true, transactionreference: partial.transactionreference });

			// More than what is left (10.50 - 3.00): refused by the node before any REFUND is sent.
			const refundsBefore = sb.callCounts().REFUND;
			const tooMuch = only(await run(refundParams(reference, { refundType: 'partial', amount: '9.00', amountUnit: 'major', currency: 'GBP' })), 1);
			expect(tooMuch).toMatchObject({ outcome: 'invalid', retryable: false, field: 'amount', remainingBeforeMinor: 750 });
			expect(tooMuch.error).toMatchObject({ field: 'amount', retryable: false });
			expect(String(tooMuch.reason)).toContain('more than the 7.50 GBP left to refund');
			expect(sb.callCounts().REFUND).toBe(refundsBefore);

			const second = only(
				await run(refundParams(reference, { refundType: 'partial', amount: '3.00', amountUnit: 'major', currency: 'GBP', options: { reuseEarlierRefund: false } })),
				0,
			);
			expect(second).toMatchObject({ outcome: 'refunded', reusedExisting: false, baseamount: '300' });
			const refunds = sb.transactions().filter((t) => t.fields.requesttypedescription === 'REFUND' && t.fields.parenttransactionreference === reference);
			expect(refunds).toHaveLength(2);
		});

		it('a full refund happens once; a dropped answer is confirmed by a query', async () => {
			const parent = sb.addStoredCard();
			const paid = only(await run(debitParams(parent, key('fullref'))), 0);
			const reference = String(paid.transactionreference);
			sb.settle(reference);
			sb.injectFault({ kind: 'dropAfterCharge', requestTypes: ['REFUND'] });
			const full = only(await run(refundParams(reference)), 0);
			expect(full).toMatchObject({ outcome: 'refunded', reusedExisting: true, baseamount: '1050' });
			// Nothing is left: a second full refund sends nothing and says so.
			expect(only(await run(refundParams(reference)), 0)).toMatchObject({ outcome: 'alreadyRefunded', retryable: false, amountMinor: 0, remainingBeforeMinor: 0, earlierRefunds: [full.transactionreference] });
			expect(sb.transactions().filter((t) => t.fields.requesttypedescription === 'REFUND' && t.fields.parenttransactionreference === reference)).toHaveLength(1);
		});

		it('an unknown payment is invalid (missing parent)', async () => {
			expect(only(await run(refundParams('1-1-1')), 1)).toMatchObject({ outcome: 'invalid', errorcode: '20004' });
		});
	});

	describe('account check', () => {
		const checkParams = (parent: string, extra: INodeParameters = {}): INodeParameters => ({
			resource: 'payment',
			operation: 'accountCheck',
			storedCardReference: parent,
			currency: 'GBP',
			accountType: 'ECOM',
			...extra,
		});

		it('verifies a good card and declines an expired one, charging nothing', async () => {
			expect(only(await run(checkParams(sb.addStoredCard())), 0)).toMatchObject({ outcome: 'verified', requesttypedescription: 'ACCOUNTCHECK', baseamount: '0' });
			expect(only(await run(checkParams(sb.addStoredCard({ behaviour: 'expiredCard' }))), 1)).toMatchObject({
				outcome: 'declined',
				reason: 'expired card',
				acquirerresponsecode: '54',
			});
		});
	});

	describe('query transactions', () => {
		const queryParams = (queryBy: string, references: string): INodeParameters => ({ resource: 'transaction', operation: 'query', queryBy, references });

		it('finds by order reference and transaction reference, each record with its outcome', async () => {
			const parent = sb.addStoredCard({ behaviour: 'insufficientFunds' });
			const billingKey = key('query');
			only(await run(debitParams(parent, billingKey)), 1);
			sb.setCardBehaviour(parent, 'approve');
			const paid = only(await run(debitParams(parent, billingKey)), 0);

			const byOrder = only(await run(queryParams('orderReference', billingKey)), 0);
			expect(byOrder).toMatchObject({ outcome: 'found', found: 2 });
			expect((byOrder.records as IDataObject[]).map((r) => [r.outcome, r.reason])).toEqual([
				['declined', 'insufficient funds'],
				['paid', 'authorised, pending settlement'],
			]);
			const byRef = only(await run(queryParams('transactionReference', `${String(paid.transactionreference)}, 1-1-1`)), 0);
			expect(byRef).toMatchObject({ outcome: 'found', found: 1, records: [expect.objectContaining({ transactionreference: paid.transactionreference })] });
			expect(only(await run(queryParams('orderReference', 'no-such-key')), 0)).toMatchObject({ outcome: 'notFound', found: 0, records: [] });
		});

		it('rejects a malformed transaction reference', async () => {
			const error = await thrown(run(queryParams('transactionReference', 'abc')));
			expect(error.message).toMatch(/References \(references\) "abc"/);
		});
	});

	describe('concurrent executions in one process (per-billing-key lock)', () => {
		/** Request types in arrival order, for the requests that name `billingKey`. */
		const arrivals = (billingKey: string, from: number) =>
			sb
				.requests()
				.slice(from)
				.filter((r) => JSON.stringify(r.body).includes(`"${billingKey}"`))
				.map((r) => ((r.body as { request: Array<{ requesttypedescriptions: string[] }> }).request[0].requesttypedescriptions[0]));

		afterEach(() => sb.setLatency(undefined));

		it('two runs charging the same billing key at once make one charge; the second finds it', async () => {
			const parent = sb.addStoredCard();
			const billingKey = key('concurrent');
			// Every answer takes 150 ms, so without the lock both pre-charge queries would see nothing.
			sb.setLatency(150);
			const from = sb.requests().length;
			const authsBefore = sb.callCounts().AUTH;
			const [a, b] = await Promise.all([
				run(debitParams(parent, billingKey), { items: [{ json: { run: 'a' } }] }),
				run(debitParams(parent, billingKey), { items: [{ json: { run: 'b' } }] }),
			]);
			const results = [only(a, 0), only(b, 0)];
			expect(results.map((r) => r.outcome)).toEqual(['paid', 'paid']);
			expect(results.map((r) => r.reusedExisting).sort()).toEqual([false, true]);
			expect(results[0].transactionreference).toBe(results[1].transactionreference);
			expect([a[0][0].pairedItem, b[0][0].pairedItem]).toEqual([{ item: 0 }, { item: 0 }]);
			expect(sb.chargesFor(billingKey)).toHaveLength(1);
			expect(sb.callCounts().AUTH - authsBefore).toBe(1);
			// The second run waited for the first one's AUTH, then knew the charge without asking the gateway.
			expect(arrivals(billingKey, from)).toEqual(['TRANSACTIONQUERY', 'AUTH']);
			expect(chargeLock.size).toBe(0);
		});

		it('different billing keys, or the same key on another site, are not held up by each other', async () => {
			const parent = sb.addStoredCard();
			const otherParent = sb.addStoredCard({ sitereference: 'test_other99' });
			const first = key('parallel-a');
			const second = key('parallel-b');
			sb.setLatency(150);
			const from = sb.requests().length;
			const other = credentials({ username: 'other@example.com', password: 'Other1^', siteReference: 'test_other99' });
			const outputs = await Promise.all([
				run(debitParams(parent, first)),
				run(debitParams(parent, second)),
				run(debitParams(otherParent, first), { credentials: other }),
			]);
			expect(outputs.map((o) => only(o, 0)).map((j) => [j.outcome, j.reusedExisting])).toEqual([
				['paid', false],
				['paid', false],
				['paid', false],
			]);
			// All three pre-charge queries arrived before any AUTH: nothing waited for anything.
			const types = sb
				.requests()
				.slice(from)
				.map((r) => (r.body as { request: Array<{ requesttypedescriptions: string[] }> }).request[0].requesttypedescriptions[0]);
			expect(types.slice(0, 3)).toEqual(['TRANSACTIONQUERY', 'TRANSACTIONQUERY', 'TRANSACTIONQUERY']);
			expect(sb.chargesFor(first)).toHaveLength(2);
			expect(new Set(sb.chargesFor(first).map((t) => t.fields.sitereference))).toEqual(new Set(['test_site12345', 'test_other99']));
			expect(sb.chargesFor(second)).toHaveLength(1);
		});

		it('the lock runs holders in arrival order, survives a failing holder, and a cancelled waiter gives up without jumping the queue', async () => {
			const order: string[] = [];
			let releaseFirst!: () => void;
			const firstGate = new Promise<void>((resolve) => (releaseFirst = resolve));
			const first = chargeLock.run(chargeLockKey('test_site', 'K'), async () => {
				order.push('first:start');
				await firstGate;
				order.push('first:end');
				throw new Error('gateway exploded');
			});
			const controller = new AbortController();
			const cancelled = chargeLock.run(chargeLockKey('test_site', 'K'), async () => order.push('cancelled ran'), controller.signal);
			const third = chargeLock.run(chargeLockKey('test_site', 'K'), async () => {
				order.push('third');
				return 3;
			});
			const unrelated = await chargeLock.run(chargeLockKey('test_site', 'other'), async () => 'free');
			expect(unrelated).toBe('free');
			controller.abort();
			await expect(cancelled).rejects.toBeInstanceOf(LockWaitAborted);
			expect(order).toEqual(['first:start']);
			releaseFirst();
			await expect(first).rejects.toThrow('gateway exploded');
			await expect(third).resolves.toBe(3);
			expect(order).toEqual(['first:start', 'first:end', 'third']);
			expect(chargeLock.size).toBe(0);
		});
	});

	// Issue 15 (part A): the debit never charges twice, whatever the gateway's timing, and a
	// never-retry decline is final. `chargeMemo.clear()` stands for another n8n process (a
	// queue-mode worker, a restart): only what the gateway and the item carry is left.
	describe('no double charge, whatever the gateway timing', () => {
		let lag: SecureTradingSandbox;
		beforeAll(async () => {
			lag = await startSecureTradingSandbox({ seed: 15, queryVisibilityDelayMs: 1500 });
		});
		afterAll(async () => {
			await lag.close();
		});
		const lagCredentials = () => ({
			secureTradingApi: { username: lag.username, password: lag.password, siteReference: lag.siteReference, gateway: 'custom', customUrl: lag.url },
		});
		const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
		const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
		/** An unscheduled charge (valid on any version of the request fields). */
		const guardParams = (parent: string, billingKey: string, options: IDataObject = {}, extra: INodeParameters = {}): INodeParameters => ({
			resource: 'payment',
			operation: 'debitStoredCard',
			storedCardReference: parent,
			billingKey,
			amount: '10.50',
			amountUnit: 'major',
			currency: 'GBP',
			accountType: 'ECOM',
			initiationReason: 'C',
			...extra,
			options: { verificationDelayMs: 0, timeoutMs: 2000, ...options },
		});
		const authsFor = (box: SecureTradingSandbox, billingKey: string) =>
			box.transactions().filter((t) => t.fields.requesttypedescription === 'AUTH' && t.fields.orderreference === billingKey);

		// Seen: the retry of an "unknown" AUTH queried, saw nothing yet, and charged again.
		it('an AUTH the gateway answers after our timeout is never sent again; the handed-back settle record finds the charge later', async () => {
			const parent = lag.addStoredCard();
			const billingKey = key('slow');
			lag.injectFault({ kind: 'slowAnswer', delayMs: 800 });
			const first = only(await run(guardParams(parent, billingKey, { timeoutMs: 300 }), { credentials: lagCredentials() }), 1);
			expect(first).toMatchObject({ outcome: 'unknown', retryable: false, verifiedNoCharge: true, error: { code: 'unknown', retryable: false } });
			// The gateway did charge; it just answered too late and does not show it yet.
			expect(lag.chargesFor(billingKey)).toHaveLength(1);
			const auths = lag.callCounts().AUTH;
			const queries = lag.callCounts().TRANSACTIONQUERY;

			// The workflow retries at once in the same process: the memo answers, nothing is sent.
			const retried = await run(guardParams(parent, billingKey, { timeoutMs: 300 }), { credentials: lagCredentials() });
			expect(lag.callCounts().AUTH).toBe(auths);
			expect(lag.chargesFor(billingKey)).toHaveLength(1);
			const settle = first.settle as IDataObject;
			expect(settle).toMatchObject({ checks: 1, spacedChecks: 1, requestreference: first.requestreference, uncertainResult: expect.stringMatching(/No answer/) });
			expect(Date.now() - Date.parse(String(settle.uncertainSince))).toBeLessThan(5000);
			expect(Date.parse(String(settle.lastCheckedAt))).toBeGreaterThanOrEqual(Date.parse(String(settle.uncertainSince)));
			expect(only(retried, 1)).toMatchObject({ outcome: 'unknown', retryable: false, settle: { uncertainSince: settle.uncertainSince } });
			expect(lag.callCounts().TRANSACTIONQUERY).toBe(queries);

			// Another process, the settle record back on the item (the parameter's default reads it): it only checks.
			chargeMemo.clear();
			const elsewhere = only(await run(guardParams(parent, billingKey), { credentials: lagCredentials(), items: [{ json: { settle } }] }), 1);
			expect(elsewhere).toMatchObject({ outcome: 'unknown', retryable: false, settle: { checks: 2, uncertainSince: settle.uncertainSince } });
			expect(elsewhere.reason).toMatch(/earlier AUTH for this billing key is unknown/);
			expect(lag.callCounts().TRANSACTIONQUERY).toBe(queries + 1);

			// Once the gateway shows the charge, the retry reports it as paid.
			await wait(1600);
			chargeMemo.clear();
			const found = only(await run(guardParams(parent, billingKey), { credentials: lagCredentials(), items: [{ json: { payment: { settle: elsewhere.settle } } }] }), 0);
			expect(found).toMatchObject({ outcome: 'paid', reusedExisting: true, transactionreference: lag.chargesFor(billingKey)[0].fields.transactionreference });
			expect(lag.callCounts().AUTH).toBe(auths);
			expect(lag.chargesFor(billingKey)).toHaveLength(1);
		});

		// Seen: with a lagging query the second item of a batch did not see the first one's charge.
		it('two items with the same billing key in one batch are charged once even when the query lags', async () => {
			const parent = lag.addStoredCard();
			const billingKey = key('lagbatch');
			const items = [{ json: { n: 1 } }, { json: { n: 2 } }];
			const before = lag.callCounts();
			const outputs = await run(guardParams(parent, billingKey), { credentials: lagCredentials(), items });
			expect(outputs[1]).toEqual([]);
			expect(outputs[0].map((i) => [i.json.outcome, i.json.reusedExisting])).toEqual([
				['paid', false],
				['paid', true],
			]);
			expect(outputs[0][1].json.transactionreference).toBe(outputs[0][0].json.transactionreference);
			expect(lag.chargesFor(billingKey)).toHaveLength(1);
			// The second item was answered from memory: one query and one AUTH in all.
			expect(lag.callCounts().AUTH - before.AUTH).toBe(1);
			expect(lag.callCounts().TRANSACTIONQUERY - before.TRANSACTIONQUERY).toBe(1);

			// The first AUTH's answer comes too late: the second item gets the same unknown, nothing sent.
			const slow = key('lagbatch-slow');
			lag.injectFault({ kind: 'slowAnswer', delayMs: 800 });
			const mid = lag.callCounts();
			const unsure = await run(guardParams(parent, slow, { timeoutMs: 300 }), { credentials: lagCredentials(), items });
			expect(unsure[0]).toEqual([]);
			expect(unsure[1].map((i) => [i.json.outcome, i.json.retryable])).toEqual([
				['unknown', false],
				['unknown', false],
			]);
			expect(unsure[1][1].json.settle).toEqual(unsure[1][0].json.settle);
			expect(unsure[1].map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
			expect(lag.callCounts().AUTH - mid.AUTH).toBe(1);
			// The pre-charge query and the verifying one, both for the first item.
			expect(lag.callCounts().TRANSACTIONQUERY - mid.TRANSACTIONQUERY).toBe(2);
			expect(lag.chargesFor(slow)).toHaveLength(1);
		});

		// Seen: a lost/stolen/closed-account decline was AUTHed again on redelivery or replay.
		it.each(['04', '07', '12', '14', '15', '41', '43', '46', '57', 'R0', 'R1', 'R3'])(
			'a never-retry decline (%s) is final for the billing key: redelivery and replay send no AUTH',
			async (code) => {
				const parent = sb.addStoredCard({ behaviour: { declineCode: code } });
				const billingKey = key(`hard${code}`);
				const first = only(await run(guardParams(parent, billingKey)), 1);
				expect(first).toMatchObject({ outcome: 'declined', retryable: false, reusedExisting: false, acquirerresponsecode: code });
				const auths = sb.callCounts().AUTH;
				const redelivered = only(await run(guardParams(parent, billingKey)), 1);
				chargeMemo.clear();
				const replayed = only(await run(guardParams(parent, billingKey)), 1);
				for (const json of [redelivered, replayed]) {
					expect(json).toMatchObject({
						outcome: 'declined',
						retryable: false,
						reusedExisting: true,
						previouslyDeclined: true,
						errorcode: '70000',
						acquirerresponsecode: code,
						transactionreference: first.transactionreference,
					});
					expect(json.reason).toMatch(/declined before \(transaction \d+-\d+-\d+\) for a reason that must not be retried, so it is not attempted again/);
					expect(json.error).toMatchObject({ code, retryable: false });
				}
				expect(sb.callCounts().AUTH).toBe(auths);
				expect(sb.reattemptsAfterHardDecline(billingKey)).toBe(0);
			},
		);

		it('soft declines stop at Max Charge Attempts (default 3), counted from the gateway', async () => {
			const parent = sb.addStoredCard({ behaviour: 'insufficientFunds' });
			const billingKey = key('softcap');
			for (let n = 0; n < 3; n++) {
				expect(only(await run(guardParams(parent, billingKey)), 1)).toMatchObject({ outcome: 'declined', retryable: true, acquirerresponsecode: '51' });
			}
			const auths = sb.callCounts().AUTH;
			chargeMemo.clear();
			const capped = only(await run(guardParams(parent, billingKey)), 1);
			expect(capped).toMatchObject({ outcome: 'declined', retryable: false, reusedExisting: true, previouslyDeclined: true, chargeAttempts: 3, acquirerresponsecode: '51' });
			expect(capped.reason).toMatch(/^insufficient funds; the gateway already shows 3 declined AUTHs for this billing key \(Max Charge Attempts 3\), so it is not attempted again$/);
			expect(capped.error).toEqual({ message: capped.reason, code: '51', retryable: false });
			expect(sb.callCounts().AUTH).toBe(auths);
			// A higher cap lets the next dunning attempt through; the card pays now.
			sb.setCardBehaviour(parent, 'approve');
			expect(only(await run(guardParams(parent, billingKey, { maxChargeAttempts: 4 })), 0)).toMatchObject({ outcome: 'paid', reusedExisting: false });
			expect(sb.chargesFor(billingKey)).toHaveLength(1);

			const once = key('cap1');
			const other = sb.addStoredCard({ behaviour: 'insufficientFunds' });
			only(await run(guardParams(other, once, { maxChargeAttempts: 1 })), 1);
			expect(only(await run(guardParams(other, once, { maxChargeAttempts: 1 })), 1)).toMatchObject({ retryable: false, chargeAttempts: 1 });
			expect(authsFor(sb, once)).toHaveLength(1);
		});

		it('a dunning attempt redelivered after a crash is not made again: its decline is returned (Charge Attempt)', async () => {
			const parent = sb.addStoredCard({ behaviour: 'insufficientFunds' });
			const billingKey = key('redeliv');
			// Attempts 1 and 2 were made (attempt 2's execution was then killed and its message redelivered).
			for (const chargeAttempt of [1, 2]) expect(only(await run(guardParams(parent, billingKey, { chargeAttempt })), 1)).toMatchObject({ outcome: 'declined', retryable: true });
			chargeMemo.clear();
			const auths = sb.callCounts().AUTH;
			const again = only(await run(guardParams(parent, billingKey, { chargeAttempt: 2 })), 1);
			// Still a soft decline: dunning goes on to attempt 3 as planned.
			expect(again).toMatchObject({ outcome: 'declined', retryable: true, reusedExisting: true, previouslyDeclined: true, chargeAttempts: 2, acquirerresponsecode: '51' });
			expect(again.reason).toMatch(/attempt 2 was made before \(the gateway shows 2 declined AUTHs for this billing key\), so it is not made again$/);
			expect(sb.callCounts().AUTH).toBe(auths);
			// Attempt 3 is a new one.
			only(await run(guardParams(parent, billingKey, { chargeAttempt: 3 })), 1);
			expect(sb.callCounts().AUTH).toBe(auths + 1);
		});

		it('with a settle record, a new AUTH only after the settle window AND two spaced queries that showed no charge', async () => {
			const parent = sb.addStoredCard();
			const tenSecondsAgo = new Date(Date.now() - 10_000).toISOString();
			const cases: Array<[string, IDataObject | string, IDataObject, 'unknown' | 'paid', IDataObject]> = [
				// Within the window, however many checks.
				['young', { uncertainSince: minutesAgo(5), checks: 3, spacedChecks: 3, lastCheckedAt: minutesAgo(2) }, {}, 'unknown', { checks: 4, spacedChecks: 4 }],
				// Past the window, but the last check was 10 s ago: this one does not count as spaced.
				['close', { uncertainSince: minutesAgo(20), checks: 1, spacedChecks: 1, lastCheckedAt: tenSecondsAgo }, {}, 'unknown', { checks: 2, spacedChecks: 1, lastCheckedAt: tenSecondsAgo }],
				// A longer window, as an option.
				['window', JSON.stringify({ uncertainSince: minutesAgo(20), checks: 1, spacedChecks: 1, lastCheckedAt: minutesAgo(2) }), { settleWindowMinutes: 30 }, 'unknown', { checks: 2, spacedChecks: 2 }],
				// Past the window, second spaced check shows nothing: charged, once.
				['settled', JSON.stringify({ uncertainSince: minutesAgo(20), checks: 1, spacedChecks: 1, lastCheckedAt: minutesAgo(2) }), {}, 'paid', { checks: 2, spacedChecks: 2 }],
			];
			for (const [label, settleRecord, options, outcome, expected] of cases) {
				const billingKey = key(`settle-${label}`);
				const auths = sb.callCounts().AUTH;
				const json = only(await run(guardParams(parent, billingKey, options, { settleRecord } as INodeParameters)), outcome === 'paid' ? 0 : 1);
				expect({ label, outcome: json.outcome, retryable: json.retryable }).toEqual({ label, outcome, retryable: false });
				if (outcome === 'paid') {
					expect(json).toMatchObject({ reusedExisting: false, previousSettle: expected });
					expect(sb.callCounts().AUTH).toBe(auths + 1);
					expect(sb.chargesFor(billingKey)).toHaveLength(1);
				} else {
					expect(json.settle).toMatchObject(expected);
					expect(sb.callCounts().AUTH).toBe(auths);
				}
			}
		});

		it('refuses a settle record it cannot read, and guard options out of range, before any request', async () => {
			const parent = sb.addStoredCard();
			const before = sb.callCounts();
			const cases: Array<[INodeParameters, IDataObject, RegExp]> = [
				[{ settleRecord: '{not json' }, {}, /^Settle Record is not JSON \(parameter "settleRecord"\) \[item 0\]$/],
				[{ settleRecord: { checks: 1 } }, {}, /^Settle Record: "uncertainSince" must be an ISO date and time/],
				[{ settleRecord: { uncertainSince: minutesAgo(1), checks: -1 } }, {}, /^Settle Record: "checks" must be a whole number/],
				[{ settleRecord: '[]' }, {}, /^Settle Record must be an object/],
				[{}, { settleWindowMinutes: 0 }, /Settle Window \(Minutes\)/],
				[{}, { maxChargeAttempts: 11 }, /Max Charge Attempts/],
			];
			for (const [extra, options, message] of cases) {
				const error = await thrown(run(guardParams(parent, key('badsettle'), options, extra)));
				expect(error).toBeInstanceOf(NodeOperationError);
				expect(error.message).toMatch(message);
			}
			expect(sb.callCounts().AUTH).toBe(before.AUTH);
			expect(sb.callCounts().TRANSACTIONQUERY).toBe(before.TRANSACTIONQUERY);
		});

		it('the memo is bounded (the oldest entry goes first) and forgets after its time to live', () => {
			let now = 0;
			const memo = new ChargeMemo(2, 1000, () => now);
			const charged = (n: number) => ({ kind: 'charged' as const, record: { errorcode: '0', transactionreference: `1-1-${n}` } });
			memo.set('a', charged(1));
			memo.set('b', charged(2));
			memo.set('a', charged(3));
			memo.set('c', charged(4));
			expect(memo.size).toBe(2);
			expect(memo.get('b')).toBeUndefined();
			expect(memo.get('a')).toEqual(charged(3));
			now = 999;
			expect(memo.get('c')).toEqual(charged(4));
			now = 1000;
			expect(memo.get('c')).toBeUndefined();
			expect(memo.size).toBe(1);
		});
	});

	describe('credential test', () => {
		const test = (data: IDataObject) =>
			node.methods.credentialTest.secureTradingApiTest.call({} as never, { id: '1', name: 'st', type: 'secureTradingApi', data: { ...credentials().secureTradingApi, ...data } });

		it('reports success, a wrong password, an unknown site and a foreign site clearly', async () => {
			expect(await test({})).toEqual({ status: 'OK', message: 'Connection successful' });
			expect(await test({ password: 'nope' })).toEqual({ status: 'Error', message: expect.stringMatching(/Wrong webservices username or password \(HTTP 401\)/) });
			expect(await test({ siteReference: 'test_missing' })).toEqual({ status: 'Error', message: expect.stringMatching(/Unknown site reference "test_missing" \(errorcode 30001/) });
			expect(await test({ siteReference: 'test_other99' })).toEqual({ status: 'Error', message: expect.stringMatching(/not valid for webservices user .*30006/) });
			expect(await test({ siteReference: '' })).toEqual({ status: 'Error', message: 'Secure Trading credential: Site Reference is empty' });
		});
	});
});
