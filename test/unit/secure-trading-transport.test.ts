import * as net from 'net';
import { startSecureTradingSandbox, type SecureTradingSandbox } from '../../sandbox/secure-trading';
import { endpointFor, sendToGateway, TransportError, type GatewayRequest, type TransportConfig } from '../../nodes/SecureTrading/transport';
import { classifyResponse, describeAcquirerCode, pickGatewayFields } from '../../nodes/SecureTrading/helpers/outcome';
import { connectionFromCredentials } from '../../nodes/SecureTrading/transport/credentials';
import { FieldError, ServiceError } from '../../nodes/shared/errors';

async function freePort(): Promise<number> {
	const server = net.createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const port = (server.address() as net.AddressInfo).port;
	await new Promise<void>((resolve) => server.close(() => resolve()));
	return port;
}

async function transportError(promise: Promise<unknown>): Promise<TransportError> {
	try {
		await promise;
	} catch (error) {
		expect(error).toBeInstanceOf(TransportError);
		return error as TransportError;
	}
	throw new Error('expected a TransportError');
}

describe('Secure Trading transport', () => {
	let sb: SecureTradingSandbox;
	let config: TransportConfig;
	let auth: (order: string) => GatewayRequest;
	let parent: string;

	beforeAll(async () => {
		sb = await startSecureTradingSandbox({ seed: 3 });
		config = { endpoint: sb.endpoint, username: sb.username, password: sb.password, timeoutMs: 2000, connectTimeoutMs: 1000 };
		auth = (order) => ({
			requesttypedescriptions: ['AUTH'],
			sitereference: sb.siteReference,
			accounttypedescription: 'RECUR',
			currencyiso3a: 'GBP',
			baseamount: '1050',
			parenttransactionreference: parent,
			credentialsonfile: '2',
			subscriptiontype: 'RECURRING',
			subscriptionnumber: '2',
			orderreference: order,
		});
	});
	afterAll(async () => {
		await sb.close();
	});
	beforeEach(() => {
		sb.reset();
		parent = sb.addStoredCard();
	});

	it('sends the envelope and headers of the official libraries and reads a gzip answer', async () => {
		const result = await sendToGateway(config, [auth('T-1')], 'Afixedref01');
		expect(result.requestReference).toBe('Afixedref01');
		expect(result.responses[0]).toMatchObject({ errorcode: '0', requesttypedescription: 'AUTH' });
		const [logged] = sb.requests();
		expect(logged.headers).toMatchObject({
			'content-type': 'application/json;charset=utf-8',
			accept: 'application/json',
			'accept-encoding': 'gzip',
			connection: 'close',
			requestreference: 'Afixedref01',
		});
		expect(logged.headers.versioninfo).toMatch(/^Node\.js::/);
		expect(logged.headers['user-agent']).toMatch(/n8n-nodes-billing-pipeline/);
		expect(logged.body).toMatchObject({
			alias: sb.username,
			version: '1.00',
			libraryversion: expect.stringMatching(/n8n-nodes-billing-pipeline/),
			request: [{ requestreference: 'Afixedref01', requesttypedescriptions: ['AUTH'] }],
		});
	});

	it('generates a fresh request reference per call', async () => {
		const a = await sendToGateway(config, [{ requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { orderreference: [{ value: 'x' }] } }]);
		const b = await sendToGateway(config, [{ requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { orderreference: [{ value: 'x' }] } }]);
		expect(a.requestReference).toMatch(/^A[0-9a-f]{10}$/);
		expect(b.requestReference).not.toBe(a.requestReference);
	});

	it('reports HTTP 401 as unauthorized, not processed', async () => {
		const error = await transportError(sendToGateway({ ...config, password: 'wrong' }, [auth('T-401')]));
		expect(error).toMatchObject({ kind: 'unauthorized', httpStatus: 401, mayHaveBeenProcessed: false });
		// A kit ServiceError: the kind is its code; a refused login is not worth retrying as is.
		expect(error).toBeInstanceOf(ServiceError);
		expect(error).toMatchObject({ code: 'unauthorized', retryable: false, httpCode: '401' });
		expect(error.message).not.toContain('wrong');
	});

	it('retries while the connection cannot be made, then gets through', async () => {
		const port = await freePort();
		let late: SecureTradingSandbox | undefined;
		const timer = setTimeout(() => {
			void startSecureTradingSandbox({ port }).then((box) => {
				late = box;
			});
		}, 150);
		try {
			const result = await sendToGateway(
				{ ...config, endpoint: `http://127.0.0.1:${port}/json/`, maxConnectAttempts: 40, connectRetryDelayMs: 25, connectWindowMs: 5000 },
				[{ requesttypedescriptions: ['TRANSACTIONQUERY'], filter: { orderreference: [{ value: 'x' }] } }],
			);
			expect(result.responses[0].errorcode).toBe('0');
		} finally {
			clearTimeout(timer);
			await late?.close();
		}
	});

	it('gives up on a refused connection as "connect", nothing sent', async () => {
		const port = await freePort();
		const started = Date.now();
		const error = await transportError(
			sendToGateway({ ...config, endpoint: `http://127.0.0.1:${port}/json/`, maxConnectAttempts: 3, connectRetryDelayMs: 30 }, [auth('T-refused')]),
		);
		expect(error).toMatchObject({ kind: 'connect', mayHaveBeenProcessed: false, code: 'connect', retryable: true });
		expect(error.message).toMatch(/ECONNREFUSED/);
		expect(Date.now() - started).toBeGreaterThanOrEqual(55);
	});

	it('never re-sends after the connection was made: dropped answer', async () => {
		sb.injectFault({ kind: 'dropAfterCharge' });
		const error = await transportError(sendToGateway(config, [auth('T-drop')]));
		expect(error).toMatchObject({ kind: 'connectionLost', mayHaveBeenProcessed: true, retryable: false });
		expect(sb.callCounts().AUTH).toBe(1);
		expect(sb.chargesFor('T-drop')).toHaveLength(1);
	});

	it('never re-sends after the connection was made: timeout', async () => {
		sb.injectFault({ kind: 'timeout', charged: true });
		const started = Date.now();
		const error = await transportError(sendToGateway({ ...config, timeoutMs: 300 }, [auth('T-timeout')]));
		expect(error).toMatchObject({ kind: 'timeout', mayHaveBeenProcessed: true });
		expect(Date.now() - started).toBeLessThan(1500);
		expect(sb.callCounts().AUTH).toBe(1);
	});

	it('reports 5xx, garbled bodies and a foreign requestreference as possibly processed', async () => {
		sb.injectFault({ kind: 'serverError', status: 503, charged: false });
		expect(await transportError(sendToGateway(config, [auth('T-5xx')]))).toMatchObject({ kind: 'httpStatus', httpStatus: 503, mayHaveBeenProcessed: true });
		sb.injectFault({ kind: 'malformed' });
		expect(await transportError(sendToGateway(config, [auth('T-trunc')]))).toMatchObject({ kind: 'malformed', mayHaveBeenProcessed: true });
		sb.injectFault({ kind: 'notJson' });
		expect(await transportError(sendToGateway(config, [auth('T-html')]))).toMatchObject({ kind: 'malformed' });
		sb.injectFault({ kind: 'wrongRequestReference' });
		const mismatch = await transportError(sendToGateway(config, [auth('T-ref')]));
		expect(mismatch).toMatchObject({ kind: 'referenceMismatch', mayHaveBeenProcessed: true });
		expect(mismatch.message).toMatch(/instead of A/);
		expect(sb.callCounts().AUTH).toBe(4);
	});

	it('maps URLs to the /json/ endpoint', () => {
		expect(endpointFor('https://webservices.securetrading.net')).toBe('https://webservices.securetrading.net/json/');
		expect(endpointFor('http://127.0.0.1:1234/')).toBe('http://127.0.0.1:1234/json/');
		expect(endpointFor('http://127.0.0.1:1234/json')).toBe('http://127.0.0.1:1234/json/');
		expect(endpointFor('http://127.0.0.1:1234/prefix/json/')).toBe('http://127.0.0.1:1234/prefix/json/');
	});
});

describe('credential parsing', () => {
	it('maps the gateway choice to its endpoint', () => {
		const base = { username: 'u@example.com', password: 'p', siteReference: 'test_site1' };
		expect(connectionFromCredentials({ ...base, gateway: 'eu' }).transport.endpoint).toBe('https://webservices.securetrading.net/json/');
		expect(connectionFromCredentials({ ...base, gateway: 'euBackup' }).transport.endpoint).toBe('https://webservices2.securetrading.net/json/');
		expect(connectionFromCredentials({ ...base, gateway: 'us' }).transport.endpoint).toBe('https://webservices.securetrading.us/json/');
		expect(connectionFromCredentials({ ...base, gateway: 'custom', customUrl: 'http://127.0.0.1:9' }).transport.endpoint).toBe('http://127.0.0.1:9/json/');
		expect(connectionFromCredentials({ ...base }).siteReference).toBe('test_site1');
	});

	it('names the missing credential field', () => {
		const cases: Array<[Record<string, string>, string]> = [
			[{ password: 'p', siteReference: 's' }, 'username'],
			[{ username: 'u', siteReference: 's' }, 'password'],
			[{ username: 'u', password: 'p' }, 'siteReference'],
			[{ username: 'u', password: 'p', siteReference: 's', gateway: 'custom' }, 'customUrl'],
			[{ username: 'u', password: 'p', siteReference: 's', gateway: 'custom', customUrl: 'not a url' }, 'customUrl'],
			[{ username: 'u', password: 'p', siteReference: 's', gateway: 'mars' }, 'gateway'],
		];
		for (const [data, field] of cases) {
			let caught: unknown;
			try {
				connectionFromCredentials(data);
			} catch (error) {
				caught = error;
			}
			expect(caught).toBeInstanceOf(FieldError);
			expect((caught as FieldError).field).toBe(field);
			expect((caught as FieldError).message).toMatch(/^Secure Trading credential: /);
		}
	});
});

describe('outcome classification', () => {
	it('classifies AUTH results', () => {
		expect(classifyResponse('AUTH', { errorcode: '0', settlestatus: '0' })).toMatchObject({ outcome: 'paid', retryable: false });
		expect(classifyResponse('AUTH', { errorcode: '0', settlestatus: '100' }).reason).toMatch(/settled/);
		expect(classifyResponse('AUTH', { errorcode: '0', settlestatus: '3' })).toMatchObject({ outcome: 'declined' });
		expect(classifyResponse('AUTH', { errorcode: '0', settlestatus: '2' })).toMatchObject({ outcome: 'unknown' });
		expect(classifyResponse('AUTH', { errorcode: '70000', acquirerresponsecode: '51' })).toEqual({ outcome: 'declined', retryable: true, declineCategory: 'tryLater', reason: 'insufficient funds' });
		// "Do not honour" is Visa's generic category 4: it may be retried (issue #21).
		expect(classifyResponse('AUTH', { errorcode: '70000', acquirerresponsecode: '05' })).toEqual({ outcome: 'declined', retryable: true, declineCategory: 'tryLater', reason: 'do not honour' });
		for (const [code, reason, declineCategory] of [
			['41', 'lost card', 'neverApprove'],
			['43', 'stolen card', 'neverApprove'],
			['54', 'expired card', 'dataQuality'],
		]) {
			expect(classifyResponse('AUTH', { errorcode: '70000', acquirerresponsecode: code })).toEqual({ outcome: 'declined', retryable: false, declineCategory, reason });
		}
		expect(classifyResponse('AUTH', { errorcode: '70000', acquirerresponsecode: 'Z9' }).reason).toMatch(/Z9/);
		expect(classifyResponse('AUTH', { errorcode: '30000', errordata: ['baseamount'] })).toMatchObject({ outcome: 'invalid', field: 'baseamount', reason: 'Invalid field: baseamount' });
		expect(classifyResponse('AUTH', { errorcode: '20004' })).toMatchObject({ outcome: 'invalid', field: 'parenttransactionreference' });
		for (const code of ['60010', '60034', '99999', '70001']) expect(classifyResponse('AUTH', { errorcode: code })).toMatchObject({ outcome: 'unknown', retryable: false });
		for (const code of ['50000', '50005', '21000', '88888']) expect(classifyResponse('AUTH', { errorcode: code })).toMatchObject({ outcome: 'retryable', retryable: true });
		expect(classifyResponse('AUTH', { errorcode: '71000' })).toMatchObject({ outcome: 'declined', retryable: false });
		expect(classifyResponse('AUTH', { errorcode: '12345' })).toMatchObject({ outcome: 'unknown' });
	});

	it('classifies other request types', () => {
		expect(classifyResponse('REFUND', { errorcode: '0' }).outcome).toBe('refunded');
		expect(classifyResponse('REFUND', { errorcode: '20012' })).toMatchObject({ outcome: 'retryable', retryable: true });
		expect(classifyResponse('REFUND', { errorcode: '20007' })).toMatchObject({ outcome: 'invalid', field: 'baseamount' });
		expect(classifyResponse('ACCOUNTCHECK', { errorcode: '0', settlestatus: '0' }).outcome).toBe('verified');
		expect(classifyResponse('TRANSACTIONQUERY', { errorcode: '0', records: [{}] }).outcome).toBe('found');
		expect(classifyResponse('TRANSACTIONQUERY', { errorcode: '0', records: [] }).outcome).toBe('notFound');
		expect(classifyResponse('TRANSACTIONQUERY', { errorcode: '60019' })).toMatchObject({ outcome: 'invalid' });
		// No code is a generic decline (Visa category 4): retried within Max Charge Attempts.
		expect(describeAcquirerCode(undefined)).toEqual({ reason: 'declined by the bank', retryable: true, category: 'tryLater' });
	});

	it('copies only whitelisted gateway fields', () => {
		expect(pickGatewayFields({ errorcode: '0', maskedpan: '411111######1111', pan: '4111111111111111', securitycode: '123', errordata: ['x'] })).toEqual({
			errorcode: '0',
			maskedpan: '411111######1111',
			errordata: ['x'],
		});
	});
});
