// The Secure Trading sandbox speaks the gateway's JSON webservices protocol: these tests drive it
// with raw HTTP, as any client would.
import * as http from 'http';
import * as zlib from 'zlib';
import { startSecureTradingSandbox, type SecureTradingSandbox } from '../../sandbox/secure-trading';

interface Reply {
	status: number;
	headers: http.IncomingHttpHeaders;
	text: string;
	json?: Record<string, unknown>;
}

function post(url: string, body: string, headers: Record<string, string> = {}): Promise<Reply> {
	return new Promise((resolve, reject) => {
		const req = http.request(url, { method: 'POST', agent: false, headers: { 'Content-Type': 'application/json;charset=utf-8', ...headers } }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (c: Buffer) => chunks.push(c));
			res.on('end', () => {
				let raw = Buffer.concat(chunks);
				if (res.headers['content-encoding'] === 'gzip') raw = zlib.gunzipSync(raw);
				const text = raw.toString('utf8');
				let json: Record<string, unknown> | undefined;
				try {
					json = JSON.parse(text);
				} catch {
					json = undefined;
				}
				resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
			});
			res.on('error', reject);
		});
		req.on('error', reject);
		req.end(body);
	});
}

describe('Secure Trading sandbox (JSON webservices)', () => {
	let sb: SecureTradingSandbox;
	let auth: string;
	let seq = 0;

	beforeAll(async () => {
		sb = await startSecureTradingSandbox({
			seed: 42,
			users: [
				{ username: 'webservices@example.com', password: 'Password1^', sites: ['test_site12345'] },
				{ username: 'other@example.com', password: 'Other1^', sites: ['test_other99'] },
			],
		});
		auth = `Basic ${Buffer.from(`${sb.username}:${sb.password}`).toString('base64')}`;
	});
	afterAll(async () => {
		await sb.close();
	});

	const call = async (requests: Record<string, unknown>[], overrides: Record<string, unknown> = {}, authHeader = auth) => {
		const reference = `A${String(++seq).padStart(8, '0')}`;
		const body = {
			alias: sb.username,
			version: '1.00',
			request: requests.map((r) => ({ requestreference: reference, ...r })),
			...overrides,
		};
		const reply = await post(sb.endpoint, JSON.stringify(body), { Authorization: authHeader, 'Accept-Encoding': 'gzip' });
		return { reply, reference, responses: (reply.json?.response ?? []) as Record<string, unknown>[] };
	};
	const auth1050 = (parent: string, extra: Record<string, unknown> = {}) => ({
		requesttypedescriptions: ['AUTH'],
		sitereference: sb.siteReference,
		accounttypedescription: 'RECUR',
		currencyiso3a: 'GBP',
		baseamount: '1050',
		parenttransactionreference: parent,
		credentialsonfile: '2',
		// A recurring child AUTH carries its place in the series (issue 15: required by the sandbox).
		subscriptiontype: 'RECURRING',
		subscriptionnumber: '2',
		...extra,
	});
	const expectAllStrings = (value: Record<string, unknown>) => {
		for (const [key, inner] of Object.entries(value)) {
			if (key === 'errordata') expect((inner as unknown[]).every((v) => typeof v === 'string')).toBe(true);
			else if (key === 'records') (inner as Record<string, unknown>[]).forEach(expectAllStrings);
			else expect(typeof inner).toBe('string');
		}
	};

	it('refuses a wrong password with HTTP 401 and an HTML body', async () => {
		const wrong = `Basic ${Buffer.from(`${sb.username}:nope`).toString('base64')}`;
		const { reply } = await call([auth1050(sb.addStoredCard())], {}, wrong);
		expect(reply.status).toBe(401);
		expect(reply.headers['content-type']).toMatch(/text\/html/);
		expect(reply.headers['www-authenticate']).toMatch(/^Basic/);
		expect(reply.json).toBeUndefined();
		expect(reply.text).toMatch(/401 Unauthorized/);
		const none = await post(sb.endpoint, '{}');
		expect(none.status).toBe(401);
		expect(sb.transactions().filter((t) => t.fields.requesttypedescription === 'AUTH')).toHaveLength(0);
	});

	it('serves /json and /json/ only, by POST: other paths 404, other methods 405, as HTML', async () => {
		const body = JSON.stringify({ alias: sb.username, version: '1.00', request: [{ requestreference: 'Apath', requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { orderreference: [{ value: 'none' }] } }] });
		const noSlash = await post(`${sb.url}/json`, body, { Authorization: auth });
		expect(noSlash.status).toBe(200);
		expect(noSlash.json).toMatchObject({ requestreference: 'Apath', response: [{ errorcode: '0', found: '0' }] });
		const withQuery = await post(`${sb.url}/json/?x=1`, body, { Authorization: auth });
		expect(withQuery.status).toBe(200);
		for (const path of ['/json//', '/JSON/', '/other']) {
			const reply = await post(`${sb.url}${path}`, body, { Authorization: auth });
			expect(reply.status).toBe(404);
			expect(reply.text).toMatch(/404 Not Found/);
		}
		const put = await new Promise<number>((resolve, reject) => {
			const req = http.request(sb.endpoint, { method: 'PUT', agent: false, headers: { Authorization: auth } }, (res) => {
				res.resume();
				resolve(res.statusCode ?? 0);
			});
			req.on('error', reject);
			req.end(body);
		});
		expect(put).toBe(405);
	});

	it('charges a stored card: envelope echoes the requestreference, every value is a string', async () => {
		const parent = sb.addStoredCard({ paymenttypedescription: 'MASTERCARD' });
		expect(parent).toMatch(/^\d+-\d+-\d+$/);
		const { reply, reference, responses } = await call([auth1050(parent, { orderreference: 'BK-ok-1' })]);
		expect(reply.status).toBe(200);
		expect(reply.headers['content-type']).toBe('application/json');
		expect(reply.headers['content-encoding']).toBe('gzip');
		expect(reply.json).toMatchObject({ requestreference: reference, version: '1.00' });
		expect(typeof reply.json?.secrand).toBe('string');
		expect(responses).toHaveLength(1);
		const r = responses[0];
		expectAllStrings(r);
		expect(r).toMatchObject({
			requesttypedescription: 'AUTH',
			errorcode: '0',
			errormessage: 'Ok',
			acquirerresponsecode: '00',
			settlestatus: '0',
			livestatus: '0',
			baseamount: '1050',
			currencyiso3a: 'GBP',
			accounttypedescription: 'RECUR',
			parenttransactionreference: parent,
			paymenttypedescription: 'MASTERCARD',
		});
		expect(r.transactionreference).toMatch(/^\d+-\d+-\d+$/);
		expect(r.maskedpan).toMatch(/^\d{6}#+\d{4}$/);
		expect(r.authcode).toMatch(/^TEST\d\d$/);
		expect(r.settleduedate).toMatch(/^\d{4}-\d\d-\d\d$/);
		expect(r.transactionstartedtimestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
		expect(sb.chargesFor('BK-ok-1')).toHaveLength(1);
	});

	it.each([
		['insufficientFunds', '51'],
		['doNotHonour', '05'],
		['expiredCard', '54'],
		['lostCard', '41'],
		['stolenCard', '43'],
	] as const)('declines a %s card with 70000 and acquirer code %s', async (behaviour, code) => {
		const parent = sb.addStoredCard({ behaviour });
		const { responses } = await call([auth1050(parent, { orderreference: `BK-${behaviour}` })]);
		expect(responses[0]).toMatchObject({ errorcode: '70000', errormessage: 'Decline', acquirerresponsecode: code, authcode: 'DECLINED', settlestatus: '3' });
		expect(sb.chargesFor(`BK-${behaviour}`)).toHaveLength(0);
	});

	it('follows the test bank: 70000 declines, 60010 is a bank system error', async () => {
		const parent = sb.addStoredCard();
		const decline = await call([auth1050(parent, { baseamount: '70000' })]);
		expect(decline.responses[0]).toMatchObject({ errorcode: '70000', authcode: 'DECLINED' });
		const bank = await call([auth1050(parent, { baseamount: '60010', orderreference: 'BK-60010' })]);
		expect(bank.responses[0]).toMatchObject({ errorcode: '60010', errormessage: 'Bank System Error' });
		expect(sb.chargesFor('BK-60010')).toHaveLength(0);
	});

	it('declines a card the first N AUTHs and approves the next (a retried decline that collects)', async () => {
		const parent = sb.addStoredCard({ behaviour: { declineCode: '05', approveAfter: 1 } });
		const first = await call([auth1050(parent, { orderreference: 'BK-later-1' })]);
		expect(first.responses[0]).toMatchObject({ errorcode: '70000', acquirerresponsecode: '05' });
		const second = await call([auth1050(parent, { orderreference: 'BK-later-1' })]);
		expect(second.responses[0]).toMatchObject({ errorcode: '0', settlestatus: '0' });
		expect(sb.chargesFor('BK-later-1')).toHaveLength(1);
	});

	it('can change a card behaviour later and supports a custom decline code', async () => {
		const parent = sb.addStoredCard();
		sb.setCardBehaviour(parent, { declineCode: '59' });
		const { responses } = await call([auth1050(parent)]);
		expect(responses[0]).toMatchObject({ errorcode: '70000', acquirerresponsecode: '59' });
	});

	it('answers 30000 naming the invalid or missing field', async () => {
		const parent = sb.addStoredCard();
		const cases: Array<[Record<string, unknown>, string]> = [
			[{ baseamount: undefined }, 'baseamount'],
			[{ baseamount: '10.50' }, 'baseamount'],
			[{ baseamount: '-5' }, 'baseamount'],
			[{ baseamount: '0' }, 'baseamount'],
			[{ baseamount: 1050 }, 'baseamount'],
			[{ currencyiso3a: 'XXX' }, 'currencyiso3a'],
			[{ currencyiso3a: undefined }, 'currencyiso3a'],
			[{ sitereference: undefined }, 'sitereference'],
			[{ accounttypedescription: 'CARDSTORE' }, 'accounttypedescription'],
			[{ accounttypedescription: 'ECOM' }, 'initiationreason'],
			[{ accounttypedescription: 'ECOM', initiationreason: 'Q' }, 'initiationreason'],
			[{ credentialsonfile: '7' }, 'credentialsonfile'],
			[{ parenttransactionreference: undefined }, 'pan'],
			[{ orderreference: 'x'.repeat(256) }, 'orderreference'],
		];
		for (const [changes, field] of cases) {
			const request = auth1050(parent, changes);
			for (const key of Object.keys(changes)) if (changes[key] === undefined) delete (request as Record<string, unknown>)[key];
			const { responses } = await call([request]);
			expect({ field, response: responses[0] }).toMatchObject({ field, response: { errorcode: '30000', errormessage: 'Invalid field', errordata: [field] } });
		}
	});

	it('accepts a merchant-initiated ECOM/MOTO charge with an initiation reason', async () => {
		const parent = sb.addStoredCard();
		for (const accounttypedescription of ['ECOM', 'MOTO']) {
			const { responses } = await call([auth1050(parent, { accounttypedescription, initiationreason: 'C' })]);
			expect(responses[0]).toMatchObject({ errorcode: '0', accounttypedescription, initiationreason: 'C' });
		}
	});

	// Issue 15: a merchant-initiated AUTH on a stored card must carry every field of its kind. Fails on
	// the old sandbox, which checked these fields only when they were present.
	it('refuses with 30000 a merchant-initiated AUTH that lacks a field its kind requires, charging nothing', async () => {
		const parent = sb.addStoredCard();
		const cases: Array<[Record<string, unknown>, string]> = [
			[{ subscriptiontype: undefined }, 'subscriptiontype'],
			[{ subscriptionnumber: undefined }, 'subscriptionnumber'],
			[{ subscriptionnumber: '0' }, 'subscriptionnumber'],
			[{ credentialsonfile: undefined }, 'credentialsonfile'],
			[{ credentialsonfile: '1' }, 'credentialsonfile'],
			[{ accounttypedescription: 'ECOM', subscriptiontype: undefined, subscriptionnumber: undefined }, 'initiationreason'],
			[{ accounttypedescription: 'MOTO', credentialsonfile: undefined, subscriptiontype: undefined, subscriptionnumber: undefined }, 'credentialsonfile'],
		];
		for (const [index, [changes, field]] of cases.entries()) {
			const request = auth1050(parent, { ...changes, orderreference: `BK-mit-${index}` });
			for (const key of Object.keys(changes)) if (changes[key] === undefined) delete (request as Record<string, unknown>)[key];
			const { responses } = await call([request]);
			expect({ field, response: responses[0] }).toMatchObject({ field, response: { errorcode: '30000', errormessage: 'Invalid field', errordata: [field] } });
			expect(sb.chargesFor(`BK-mit-${index}`)).toHaveLength(0);
		}
		// Complete sets of both kinds are accepted and recorded with their fields.
		const recurring = await call([auth1050(parent, { orderreference: 'BK-mit-recur' })]);
		expect(recurring.responses[0]).toMatchObject({ errorcode: '0', accounttypedescription: 'RECUR', subscriptiontype: 'RECURRING', subscriptionnumber: '2' });
		const unscheduled = await call([
			auth1050(parent, { accounttypedescription: 'ECOM', initiationreason: 'C', subscriptiontype: undefined, subscriptionnumber: undefined, orderreference: 'BK-mit-cof' }),
		]);
		expect(unscheduled.responses[0]).toMatchObject({ errorcode: '0', accounttypedescription: 'ECOM', initiationreason: 'C' });
		expect(sb.chargesFor('BK-mit-cof')[0].fields).toMatchObject({ credentialsonfile: '2', initiationreason: 'C' });
		// A card number in the request is not a stored-credential charge: none of these fields is required.
		const withPan = await call([
			{ requesttypedescriptions: ['AUTH'], sitereference: sb.siteReference, accounttypedescription: 'RECUR', currencyiso3a: 'GBP', baseamount: '1050', pan: '4111111111111111', expirydate: '12/2099' },
		]);
		expect(withPan.responses[0]).toMatchObject({ errorcode: '0' });
	});

	it('answers 20004 for an unknown parent and 30001/30006 for site problems', async () => {
		const missing = await call([auth1050('99-9-1')]);
		expect(missing.responses[0]).toMatchObject({ errorcode: '20004', errormessage: 'Missing parent' });
		const parent = sb.addStoredCard();
		const unknown = await call([auth1050(parent, { sitereference: 'test_nosuchsite' })]);
		expect(unknown.responses[0]).toMatchObject({ errorcode: '30001', errormessage: 'Unknown site' });
		const foreign = await call([auth1050(parent, { sitereference: 'test_other99' })]);
		expect(foreign.responses[0]).toMatchObject({ errorcode: '30006', errormessage: 'Invalid sitereference for alias' });
	});

	it('answers 10205 to malformed JSON, 60018 to an unknown request type, 30007 to a bad version', async () => {
		const bad = await post(sb.endpoint, '{"alias": "x", "request": [', { Authorization: auth });
		expect(bad.status).toBe(200);
		expect((bad.json?.response as Record<string, unknown>[])[0]).toMatchObject({ errorcode: '10205', errormessage: 'Malformed JSON', requesttypedescription: 'ERROR' });
		const type = await call([{ requesttypedescriptions: ['FLY'] }]);
		expect(type.responses[0]).toMatchObject({ errorcode: '60018', errordata: ['FLY'] });
		const version = await call([auth1050(sb.addStoredCard())], { version: '2.00' });
		expect(version.responses[0]).toMatchObject({ errorcode: '30007' });
	});

	it('runs a zero-amount ACCOUNTCHECK on a stored card', async () => {
		const parent = sb.addStoredCard();
		const ok = await call([{ requesttypedescriptions: ['ACCOUNTCHECK'], sitereference: sb.siteReference, accounttypedescription: 'ECOM', currencyiso3a: 'GBP', baseamount: '0', parenttransactionreference: parent, credentialsonfile: '2' }]);
		expect(ok.responses[0]).toMatchObject({ requesttypedescription: 'ACCOUNTCHECK', errorcode: '0', baseamount: '0' });
		const nonZero = await call([{ requesttypedescriptions: ['ACCOUNTCHECK'], sitereference: sb.siteReference, accounttypedescription: 'ECOM', currencyiso3a: 'GBP', baseamount: '100', parenttransactionreference: parent }]);
		expect(nonZero.responses[0]).toMatchObject({ errorcode: '30000', errordata: ['baseamount'] });
		const expired = sb.addStoredCard({ behaviour: 'expiredCard' });
		const declined = await call([{ requesttypedescriptions: ['ACCOUNTCHECK'], sitereference: sb.siteReference, accounttypedescription: 'ECOM', currencyiso3a: 'GBP', baseamount: '0', parenttransactionreference: expired }]);
		expect(declined.responses[0]).toMatchObject({ errorcode: '70000', acquirerresponsecode: '54' });
	});

	it('stores a card from a PAN without keeping it, and charges it later through the parent', async () => {
		const first = await call([{ requesttypedescriptions: ['AUTH'], sitereference: sb.siteReference, accounttypedescription: 'ECOM', currencyiso3a: 'GBP', baseamount: '1050', pan: '4111111111111111', expirydate: '12/2099', securitycode: '123', credentialsonfile: '1' }]);
		expect(first.responses[0]).toMatchObject({ errorcode: '0', maskedpan: '411111######1111', paymenttypedescription: 'VISA' });
		const later = await call([auth1050(String(first.responses[0].transactionreference))]);
		expect(later.responses[0]).toMatchObject({ errorcode: '0', maskedpan: '411111######1111' });
		const declining = await call([{ requesttypedescriptions: ['AUTH'], sitereference: sb.siteReference, accounttypedescription: 'ECOM', currencyiso3a: 'GBP', baseamount: '1050', pan: '4000000000000812', expirydate: '12/2099' }]);
		expect(declining.responses[0]).toMatchObject({ errorcode: '70000' });
		const badPan = await call([{ requesttypedescriptions: ['AUTH'], sitereference: sb.siteReference, accounttypedescription: 'ECOM', currencyiso3a: 'GBP', baseamount: '1050', pan: '4111111111111112', expirydate: '12/2099' }]);
		expect(badPan.responses[0]).toMatchObject({ errorcode: '30000', errordata: ['pan'] });
		const everything = JSON.stringify([sb.transactions(), sb.requests()]);
		expect(everything).not.toContain('4111111111111111');
		expect(everything).not.toContain('"123"');
		expect(everything).not.toContain('Password1^');
	});

	it('refunds by the real rules: settled parent, partial, too great, missing parent', async () => {
		const parent = sb.addStoredCard();
		const charge = await call([auth1050(parent, { orderreference: 'BK-refund' })]);
		const paid = String(charge.responses[0].transactionreference);
		const refund = (extra: Record<string, unknown>) => call([{ requesttypedescriptions: ['REFUND'], sitereference: sb.siteReference, parenttransactionreference: paid, ...extra }]);
		expect((await refund({})).responses[0]).toMatchObject({ errorcode: '20012', errormessage: 'Refund requires a settled parent' });
		expect(sb.settle(paid)).toBe(1);
		const part = await refund({ baseamount: '300' });
		expect(part.responses[0]).toMatchObject({ requesttypedescription: 'REFUND', errorcode: '0', baseamount: '300', parenttransactionreference: paid, orderreference: 'BK-refund', authcode: 'TEST REFUND ACCEPTED' });
		expect((await refund({ baseamount: '800' })).responses[0]).toMatchObject({ errorcode: '20007', errormessage: 'Refund amount too great' });
		expect((await refund({ baseamount: '100', currencyiso3a: 'EUR' })).responses[0]).toMatchObject({ errorcode: '20015' });
		const rest = await refund({});
		expect(rest.responses[0]).toMatchObject({ errorcode: '0', baseamount: '750' });
		expect((await refund({})).responses[0]).toMatchObject({ errorcode: '20007' });
		const missing = await call([{ requesttypedescriptions: ['REFUND'], sitereference: sb.siteReference, parenttransactionreference: '1-1-1' }]);
		expect(missing.responses[0]).toMatchObject({ errorcode: '20004', errormessage: 'Missing parent' });
		const declinedParent = await call([auth1050(sb.addStoredCard({ behaviour: 'doNotHonour' }))]);
		const ofDecline = await call([{ requesttypedescriptions: ['REFUND'], sitereference: sb.siteReference, parenttransactionreference: declinedParent.responses[0].transactionreference }]);
		expect(ofDecline.responses[0]).toMatchObject({ errorcode: '20011' });
	});

	// Issue 15: the node finds a payment's refunds with documented filters only (orderreference),
	// matching parenttransactionreference itself; partial refunds add up to at most the settled amount.
	it('lists refunds under the payment\'s order reference; partials add up to exactly the payment', async () => {
		const parent = sb.addStoredCard();
		const charge = await call([auth1050(parent, { orderreference: 'BK-refund-list' })]);
		const paid = String(charge.responses[0].transactionreference);
		sb.settle(paid);
		const refund = (baseamount: string) =>
			call([{ requesttypedescriptions: ['REFUND'], sitereference: sb.siteReference, parenttransactionreference: paid, baseamount, currencyiso3a: 'GBP', orderreference: 'BK-refund-list' }]);
		expect((await refund('300')).responses[0]).toMatchObject({ errorcode: '0', baseamount: '300' });
		expect((await refund('751')).responses[0]).toMatchObject({ errorcode: '20007' });
		expect((await refund('750')).responses[0]).toMatchObject({ errorcode: '0', baseamount: '750' });
		expect((await refund('1')).responses[0]).toMatchObject({ errorcode: '20007' });
		const query = await call([{ requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { sitereference: [{ value: sb.siteReference }], orderreference: [{ value: 'BK-refund-list' }] } }]);
		const records = (query.responses[0].records ?? []) as Array<Record<string, string>>;
		expect(records.map((r) => [r.requesttypedescription, r.baseamount, r.parenttransactionreference ?? ''])).toEqual([
			['AUTH', '1050', parent],
			['REFUND', '300', paid],
			['REFUND', '750', paid],
		]);
	});

	it('queries by transaction or order reference, and needs a searchable filter', async () => {
		const parent = sb.addStoredCard();
		await call([auth1050(parent, { orderreference: 'BK-query', baseamount: '70000' })]);
		const ok = await call([auth1050(parent, { orderreference: 'BK-query' })]);
		const byOrder = await call([{ requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { orderreference: [{ value: 'BK-query' }], sitereference: [{ value: sb.siteReference }] } }]);
		expect(byOrder.responses[0]).toMatchObject({ requesttypedescription: 'TRANSACTIONQUERY', errorcode: '0', found: '2' });
		const records = byOrder.responses[0].records as Record<string, unknown>[];
		expect(records.map((r) => r.errorcode)).toEqual(['70000', '0']);
		records.forEach(expectAllStrings);
		const byRef = await call([{ requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { transactionreference: [{ value: ok.responses[0].transactionreference }] } }]);
		expect(byRef.responses[0]).toMatchObject({ found: '1' });
		const none = await call([{ requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { transactionreference: [{ value: '0-0-0' }] } }]);
		expect(none.responses[0]).toMatchObject({ errorcode: '0', found: '0', records: [] });
		const siteOnly = await call([{ requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { sitereference: [{ value: sb.siteReference }] } }]);
		expect(siteOnly.responses[0]).toMatchObject({ errorcode: '60019', errormessage: 'No searchable filter specified' });
		const noFilter = await call([{ requesttypedescriptions: ['TRANSACTIONQUERY'] }]);
		expect(noFilter.responses[0]).toMatchObject({ errorcode: '60019' });
		const foreign = await call([{ requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { orderreference: [{ value: 'BK-query' }], sitereference: [{ value: 'test_other99' }] } }]);
		expect(foreign.responses[0]).toMatchObject({ errorcode: '30006' });
	});

	it('other users do not see this site, and counts calls by request type', async () => {
		sb.reset();
		const parent = sb.addStoredCard();
		await call([auth1050(parent, { orderreference: 'BK-count' })]);
		const other = `Basic ${Buffer.from('other@example.com:Other1^').toString('base64')}`;
		const body = { alias: 'other@example.com', version: '1.00', request: [{ requestreference: 'Aother', requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { orderreference: [{ value: 'BK-count' }] } }] };
		const reply = await post(sb.endpoint, JSON.stringify(body), { Authorization: other });
		expect((reply.json?.response as Record<string, unknown>[])[0]).toMatchObject({ errorcode: '0', found: '0' });
		expect(sb.callCounts()).toMatchObject({ http: 2, AUTH: 1, TRANSACTIONQUERY: 1, REFUND: 0, ACCOUNTCHECK: 0 });
		expect(sb.chargeCounts()).toEqual({ 'BK-count': 1 });
	});

	describe('faults', () => {
		it('charge then drop the response: charge recorded, socket destroyed', async () => {
			sb.reset();
			const parent = sb.addStoredCard();
			sb.injectFault({ kind: 'dropAfterCharge' });
			await expect(call([auth1050(parent, { orderreference: 'BK-drop' })])).rejects.toThrow(/socket hang up|ECONNRESET/);
			expect(sb.chargesFor('BK-drop')).toHaveLength(1);
			const next = await call([auth1050(parent, { orderreference: 'BK-drop-2' })]);
			expect(next.responses[0].errorcode).toBe('0');
			expect(sb.callCounts().faults).toEqual({ dropAfterCharge: 1 });
		});

		it('60010 with and without a charge behind it, 50000 without', async () => {
			const parent = sb.addStoredCard();
			sb.injectFault({ kind: 'bankError', charged: true });
			const charged = await call([auth1050(parent, { orderreference: 'BK-60010-charged' })]);
			expect(charged.responses[0]).toMatchObject({ errorcode: '60010', errormessage: 'Bank System Error' });
			expect(charged.responses[0].transactionreference).toBeUndefined();
			expect(sb.chargesFor('BK-60010-charged')).toHaveLength(1);
			sb.injectFault({ kind: 'bankError', charged: false });
			await call([auth1050(parent, { orderreference: 'BK-60010-clean' })]);
			expect(sb.chargesFor('BK-60010-clean')).toHaveLength(0);
			sb.injectFault({ kind: 'socketError' });
			const socket = await call([auth1050(parent, { orderreference: 'BK-50000' })]);
			expect(socket.responses[0]).toMatchObject({ errorcode: '50000', errormessage: 'Socket receive error', requesttypedescription: 'ERROR' });
			expect(sb.chargesFor('BK-50000')).toHaveLength(0);
		});

		it('5xx with an HTML page, forced for the next N matching requests only', async () => {
			const parent = sb.addStoredCard();
			sb.injectFault({ kind: 'serverError', status: 502, count: 2 });
			const query = await call([{ requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { orderreference: [{ value: 'x' }] } }]);
			expect(query.reply.status).toBe(200);
			for (let i = 0; i < 2; i++) {
				const { reply } = await call([auth1050(parent)]);
				expect(reply.status).toBe(502);
				expect(reply.text).toMatch(/<html>/);
			}
			expect((await call([auth1050(parent)])).reply.status).toBe(200);
		});

		it('is reproducible for a seed and honours fault rates', async () => {
			const run = async (seed: number) => {
				const box = await startSecureTradingSandbox({ seed, faults: { socketError: 0.5 } });
				try {
					const parent = box.addStoredCard();
					const codes: string[] = [];
					const basic = `Basic ${Buffer.from(`${box.username}:${box.password}`).toString('base64')}`;
					for (let i = 0; i < 20; i++) {
						const body = { alias: box.username, version: '1.00', request: [{ requestreference: `A${i}`, ...auth1050(parent), sitereference: box.siteReference }] };
						const reply = await post(box.endpoint, JSON.stringify(body), { Authorization: basic });
						codes.push(String((reply.json?.response as Record<string, unknown>[])[0].errorcode));
					}
					return codes;
				} finally {
					await box.close();
				}
			};
			const a = await run(7);
			expect(await run(7)).toEqual(a);
			const failures = a.filter((c) => c === '50000').length;
			expect(failures).toBeGreaterThan(3);
			expect(failures).toBeLessThan(17);
		});

		it('adds the configured latency', async () => {
			sb.setLatency(120);
			try {
				const started = Date.now();
				const { responses } = await call([{ requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { orderreference: [{ value: 'x' }] } }]);
				expect(responses[0].errorcode).toBe('0');
				expect(Date.now() - started).toBeGreaterThanOrEqual(110);
			} finally {
				sb.setLatency(undefined);
			}
		});

		it('lets the first N matching requests through before a forced fault', async () => {
			const parent = sb.addStoredCard();
			sb.injectFault({ kind: 'socketError', skip: 1 });
			expect((await call([auth1050(parent)])).responses[0].errorcode).toBe('0');
			expect((await call([auth1050(parent)])).responses[0].errorcode).toBe('50000');
			expect((await call([auth1050(parent)])).responses[0].errorcode).toBe('0');
		});

		it('a timeout holds the request open until the client gives up', async () => {
			const parent = sb.addStoredCard();
			sb.injectFault({ kind: 'timeout' });
			const started = Date.now();
			const attempt = new Promise<string>((resolve) => {
				const body = JSON.stringify({ alias: sb.username, version: '1.00', request: [{ requestreference: 'Atimeout', ...auth1050(parent, { orderreference: 'BK-timeout' }) }] });
				const req = http.request(sb.endpoint, { method: 'POST', agent: false, headers: { Authorization: auth } });
				req.setTimeout(300, () => {
					req.destroy();
					resolve('timed out');
				});
				req.on('error', () => undefined);
				req.on('response', () => resolve('answered'));
				req.end(body);
			});
			expect(await attempt).toBe('timed out');
			expect(Date.now() - started).toBeGreaterThanOrEqual(280);
			expect(sb.chargesFor('BK-timeout')).toHaveLength(1);
		});
	});

	describe('slow acquirer and hard declines (issue 15)', () => {
		// An unscheduled credential-on-file charge, valid whatever the RECUR rules are.
		const ecom = (parent: string, orderreference: string) => auth1050(parent, { orderreference, accounttypedescription: 'ECOM', initiationreason: 'C' });
		const query = (orderreference: string) => call([{ requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { orderreference: [{ value: orderreference }] } }]);
		// Forced faults left over by an earlier test would otherwise hit these AUTHs.
		beforeEach(() => sb.reset());

		it('a slowAnswer fault charges at once and answers only after its delay, with the real response', async () => {
			const parent = sb.addStoredCard();
			sb.injectFault({ kind: 'slowAnswer', delayMs: 400 });
			const started = Date.now();
			const pending = call([ecom(parent, 'BK-slow')]);
			await new Promise((resolve) => setTimeout(resolve, 100));
			// Charged (and queryable) while the answer is still on its way.
			expect(sb.chargesFor('BK-slow')).toHaveLength(1);
			expect((await query('BK-slow')).responses[0].found).toBe('1');
			const { responses } = await pending;
			expect(Date.now() - started).toBeGreaterThanOrEqual(380);
			expect(responses[0]).toMatchObject({ errorcode: '0', orderreference: 'BK-slow', transactionreference: sb.chargesFor('BK-slow')[0].fields.transactionreference });
			expect(sb.callCounts().faults.slowAnswer).toBe(1);
		});

		it('authAnswerDelayMs / setAuthAnswerDelay slow every AUTH, not queries; with queryVisibilityDelayMs the charge shows later still', async () => {
			const box = await startSecureTradingSandbox({ seed: 3, authAnswerDelayMs: 250, queryVisibilityDelayMs: 600 });
			try {
				const basic = `Basic ${Buffer.from(`${box.username}:${box.password}`).toString('base64')}`;
				const send = (request: Record<string, unknown>) =>
					post(box.endpoint, JSON.stringify({ alias: box.username, version: '1.00', request: [{ requestreference: 'Aslow', ...request }] }), { Authorization: basic });
				const parent = box.addStoredCard();
				const q = { requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { orderreference: [{ value: 'BK-box' }] } };
				let started = Date.now();
				const charged = await send({ ...ecom(parent, 'BK-box'), sitereference: box.siteReference });
				expect(Date.now() - started).toBeGreaterThanOrEqual(240);
				expect((charged.json?.response as Record<string, unknown>[])[0].errorcode).toBe('0');
				started = Date.now();
				expect((((await send(q)).json?.response as Record<string, unknown>[])[0]).found).toBe('0');
				expect(Date.now() - started).toBeLessThan(240);
				await new Promise((resolve) => setTimeout(resolve, 400));
				expect((((await send(q)).json?.response as Record<string, unknown>[])[0]).found).toBe('1');
				box.setAuthAnswerDelay(0);
				started = Date.now();
				await send({ ...ecom(parent, 'BK-box-2'), sitereference: box.siteReference });
				expect(Date.now() - started).toBeLessThan(240);
			} finally {
				await box.close();
			}
		});

		it('counts AUTHs sent for an order reference after a never-retry decline', async () => {
			const lost = sb.addStoredCard({ behaviour: 'lostCard' });
			const soft = sb.addStoredCard({ behaviour: 'insufficientFunds' });
			const revoked = sb.addStoredCard({ behaviour: { declineCode: 'R1' } });
			expect((await call([ecom(soft, 'BK-soft')])).responses[0].acquirerresponsecode).toBe('51');
			await call([ecom(soft, 'BK-soft')]);
			expect(sb.reattemptsAfterHardDecline('BK-soft')).toBe(0);
			expect((await call([ecom(lost, 'BK-lost')])).responses[0].acquirerresponsecode).toBe('41');
			expect(sb.reattemptsAfterHardDecline('BK-lost')).toBe(0);
			await call([ecom(lost, 'BK-lost')]);
			await call([ecom(lost, 'BK-lost')]);
			expect(sb.reattemptsAfterHardDecline('BK-lost')).toBe(2);
			await call([ecom(revoked, 'BK-revoked')]);
			await call([ecom(revoked, 'BK-revoked')]);
			expect(sb.reattemptsAfterHardDecline('BK-revoked')).toBe(1);
			expect(sb.reattemptsAfterHardDecline()).toBeGreaterThanOrEqual(3);
		});
	});
});
