// The Secure Trading node run in-process against the sandbox: every outcome, the
// no-double-charge guarantees under faults, bad input, wrong credentials.
import * as net from 'net';
import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { runNode } from '../helpers/run-node';
import { SecureTrading } from '../../nodes/SecureTrading/SecureTrading.node';
import { chargeLock, chargeLockKey } from '../../nodes/SecureTrading/actions/payment/debitStoredCard.operation';
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
		accountType: 'RECUR',
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
			expect(tx.fields).toMatchObject({ credentialsonfile: '2', accounttypedescription: 'RECUR', parenttransactionreference: parent });
		});

		it('re-running for the same billing key returns the existing charge (query first, always)', async () => {
			const parent = sb.addStoredCard();
			const billingKey = key('rerun');
			const first = only(await run(debitParams(parent, billingKey)), 0);
			const before = sb.callCounts();
			const second = only(await run(debitParams(parent, billingKey)), 0);
			expect(second).toMatchObject({ outcome: 'paid', reusedExisting: true, transactionreference: first.transactionreference });
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
			['doNotHonour', '05', 'do not honour', false],
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

		it('sends ECOM/MOTO charges with an initiation reason', async () => {
			const parent = sb.addStoredCard();
			const billingKey = key('ecom');
			only(await run(debitParams(parent, billingKey, { accountType: 'ECOM', initiationReason: 'C' })), 0);
			expect(sb.chargesFor(billingKey)[0].fields).toMatchObject({ accounttypedescription: 'ECOM', initiationreason: 'C', credentialsonfile: '2' });
			const moto = key('moto');
			only(await run(debitParams(parent, moto, { accountType: 'MOTO', initiationReason: 'D', options: { subscriptionType: 'RECURRING', subscriptionNumber: 3 } })), 0);
			expect(sb.chargesFor(moto)[0].fields).toMatchObject({ accounttypedescription: 'MOTO', initiationreason: 'D' });
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
				// The later re-run finds nothing and charges, once.
				expect(only(await run(debitParams(parent, clean)), 0)).toMatchObject({ outcome: 'paid', reusedExisting: false });
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
				expect(only(await run(debitParams(parent, 'BK-lag'), { credentials: creds }), 0)).toMatchObject({ outcome: 'paid', reusedExisting: true });
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

			const tooMuch = only(await run(refundParams(reference, { refundType: 'partial', amount: '9.00', amountUnit: 'major', currency: 'GBP' })), 1);
			expect(tooMuch).toMatchObject({ outcome: 'invalid', field: 'baseamount', errorcode: '20007' });

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
			expect(only(await run(refundParams(reference)), 0)).toMatchObject({ outcome: 'refunded', reusedExisting: true });
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
			// The second run queried only after the first one's AUTH.
			expect(arrivals(billingKey, from)).toEqual(['TRANSACTIONQUERY', 'AUTH', 'TRANSACTIONQUERY']);
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
