// The Billing RabbitMQ credential's Host list (one host, or a cluster's nodes) and the transport
// rotating over it. Parsing needs no broker; the rest runs against the real RabbitMQ at
// 127.0.0.1:5672, reached directly and through two TCP relays that play two cluster nodes (a node
// "stops" when its relay closes its connections and stops listening).
import * as net from 'net';
import { BillingQueue } from '../../nodes/BillingQueue/BillingQueue.node';
import { acquireConnection, closeAllConnections, pooledConnections } from '../../nodes/BillingQueue/transport';
import { connectionFromCredentials, parseHosts } from '../../nodes/BillingQueue/transport/credentials';
import { connectionOptions, describeEndpoint, settingsKey } from '../../nodes/BillingQueue/transport/settings';
import { BrokerError } from '../../nodes/BillingQueue/transport/errors';
import { FieldError } from '../../nodes/shared/errors';
import { BROKER_CREDENTIALS } from '../../support/broker';

const base = { username: 'u', password: 'p' };

function fieldError(fn: () => unknown): { field: string; message: string } {
	try {
		fn();
	} catch (error) {
		expect(error).toBeInstanceOf(FieldError);
		return { field: (error as FieldError).field, message: (error as FieldError).message };
	}
	throw new Error('expected a FieldError');
}

describe('Host list parsing', () => {
	test('one host works as before: one endpoint on the Port field', () => {
		const s = connectionFromCredentials({ ...base, hostname: ' mq.example ', port: 5673 });
		expect(s).toMatchObject({ hostname: 'mq.example', port: 5673, endpoints: [{ host: 'mq.example', port: 5673 }] });
		expect(connectionOptions(s, 'n').url).toMatchObject({ hostname: 'mq.example', port: 5673 });
		expect(describeEndpoint(s)).toBe('amqp://mq.example:5673/');
	});

	test('a comma-separated list in order; entries without a port take the Port field; IPv6 in brackets', () => {
		expect(parseHosts('mq1.example, mq2.example:5673 ,10.0.0.3:5674,[::1]:5675, [fe80::2], ::3, rabbit_1', 5672)).toEqual([
			{ host: 'mq1.example', port: 5672 },
			{ host: 'mq2.example', port: 5673 },
			{ host: '10.0.0.3', port: 5674 },
			{ host: '::1', port: 5675 },
			{ host: 'fe80::2', port: 5672 },
			{ host: '::3', port: 5672 },
			{ host: 'rabbit_1', port: 5672 },
		]);
		const s = connectionFromCredentials({ ...base, hostname: 'mq1.example, [::1]:5675', port: 5671, ssl: true, vhost: 'billing' });
		expect(s.endpoints.map((e) => describeEndpoint(s, e))).toEqual(['amqps://mq1.example:5671/billing', 'amqps://[::1]:5675/billing']);
		// Each endpoint gets its own connection options; SNI only for names, never for an IP.
		const [first, second] = s.endpoints.map((e) => connectionOptions(s, 'n', 10000, e));
		expect(first.url).toMatchObject({ protocol: 'amqps', hostname: 'mq1.example', port: 5671, vhost: 'billing' });
		expect(first.socket.servername).toBe('mq1.example');
		expect(second.url).toMatchObject({ hostname: '::1', port: 5675 });
		expect(second.socket).not.toHaveProperty('servername');
	});

	test('a bad entry is a FieldError on the Host field naming the entry and what is wrong', () => {
		const check = (hostname: string) => fieldError(() => connectionFromCredentials({ ...base, hostname, port: 5672 }));
		expect(check('mq1, , mq3')).toEqual({ field: 'hostname', message: 'Billing RabbitMQ credential: Host entry 2 of 3 is empty: separate hosts with single commas' });
		expect(check('mq1,')).toMatchObject({ field: 'hostname', message: expect.stringContaining('Host entry 2 of 2 is empty') });
		expect(check('mq1, mq2:99999')).toEqual({ field: 'hostname', message: 'Billing RabbitMQ credential: Host entry 2 of 2 ("mq2:99999") has an invalid port: use 1-65535' });
		expect(check('mq1:0, mq2')).toMatchObject({ message: expect.stringContaining('Host entry 1 of 2 ("mq1:0") has an invalid port') });
		expect(check('mq1, mq2:')).toMatchObject({ message: expect.stringContaining('Host entry 2 of 2 ("mq2:") has an invalid port') });
		expect(check('mq1:56a')).toEqual({ field: 'hostname', message: 'Billing RabbitMQ credential: Host "mq1:56a" has an invalid port: use 1-65535' });
		expect(check('amqp://mq1:5672, mq2')).toMatchObject({ message: expect.stringMatching(/Host entry 1 of 2 \("amqp:\/\/mq1:5672"\) is not a host: give host or host:port only/) });
		expect(check('mq1, guest:guest@mq2')).toMatchObject({ message: expect.stringContaining('Host entry 2 of 2 ("guest:guest@mq2") is not a host') });
		expect(check('mq 1, mq2')).toMatchObject({ message: expect.stringContaining('Host entry 1 of 2 ("mq 1") is not a valid host name or IP address') });
		expect(check('mq1, -mq2')).toMatchObject({ message: expect.stringContaining('("-mq2") is not a valid host name') });
		expect(check('mq1, mq2:5672:5673')).toMatchObject({ message: expect.stringContaining('Host entry 2 of 2 ("mq2:5672:5673") is not valid: write an IPv6 address with a port in brackets') });
		expect(check('mq1, [fe80::1')).toMatchObject({ message: expect.stringContaining('Host entry 2 of 2 ("[fe80::1")') });
		expect(check('[mq1]:5672')).toMatchObject({ message: expect.stringContaining('has brackets around something that is not an IPv6 address') });
		expect(check('mq1:5672, MQ2, mq1')).toEqual({ field: 'hostname', message: 'Billing RabbitMQ credential: Host entry 3 of 3 ("mq1") repeats entry 1' });
		// The other fields are checked as before.
		expect(check(' ')).toEqual({ field: 'hostname', message: 'Billing RabbitMQ credential: Host is empty' });
		expect(fieldError(() => connectionFromCredentials({ ...base, hostname: 'mq1, mq2', port: 70000 })).field).toBe('port');
	});

	test('the pool key covers the whole list, in order', () => {
		const key = (hostname: string) => settingsKey(connectionFromCredentials({ ...base, hostname, port: 5672 }));
		expect(key('mq1, mq2')).toBe(key('mq1,mq2:5672'));
		expect(new Set([key('mq1'), key('mq1, mq2'), key('mq2, mq1'), key('mq1, mq2, mq3')]).size).toBe(4);
	});
});

// ---------------------------------------------------------------------------------------------
// Against the real broker

/** A TCP relay to the real broker: one "node" of a pretend cluster that can be stopped. */
class Relay {
	private readonly sockets = new Set<net.Socket>();
	private server?: net.Server;
	port = 0;

	async start(port = 0): Promise<this> {
		const server = net.createServer((client) => {
			const upstream = net.connect(5672, '127.0.0.1');
			for (const s of [client, upstream]) {
				this.sockets.add(s);
				s.on('error', () => undefined);
				s.on('close', () => {
					this.sockets.delete(s);
					client.destroy();
					upstream.destroy();
				});
			}
			client.pipe(upstream);
			upstream.pipe(client);
		});
		await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
		this.server = server;
		this.port = (server.address() as net.AddressInfo).port;
		return this;
	}

	get connections(): number {
		return this.sockets.size / 2;
	}

	/** The node goes away: it stops listening and its connections drop. */
	async stop(): Promise<void> {
		const server = this.server;
		this.server = undefined;
		for (const s of this.sockets) s.destroy();
		if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
	}
}

async function closedPort(): Promise<number> {
	const r = await new Relay().start();
	await r.stop();
	return r.port;
}

const credentials = (hostname: string) => ({ ...BROKER_CREDENTIALS, hostname });

describe('the transport over a host list (real RabbitMQ)', () => {
	const relays: Relay[] = [];
	const relay = async () => {
		const r = await new Relay().start();
		relays.push(r);
		return r;
	};

	afterEach(async () => {
		await closeAllConnections();
		for (const r of relays.splice(0)) await r.stop();
	});

	test('a node that is down is skipped: the connection lands on one that answers, and says which', async () => {
		const down = await closedPort();
		const up = await relay();
		const settings = connectionFromCredentials(credentials(`127.0.0.1:${down}, 127.0.0.1:${up.port}`));
		const lease = await acquireConnection(settings, 'publisher');
		try {
			expect(lease.connection.connected).toBe(true);
			expect(lease.connection.endpoint).toBe(`amqp://127.0.0.1:${up.port}/`);
			expect(pooledConnections()).toEqual([
				expect.objectContaining({ role: 'publisher', endpoint: `amqp://127.0.0.1:${up.port}/`, endpoints: [`amqp://127.0.0.1:${down}/`, `amqp://127.0.0.1:${up.port}/`] }),
			]);
			const ch = await lease.connection.openChannel(true);
			await ch.close();
		} finally {
			await lease.release();
		}
	});

	test('a node that stops: the connection moves to another node without a restart, channels open there', async () => {
		const a = await relay();
		const b = await relay();
		const settings = connectionFromCredentials(credentials(`127.0.0.1:${a.port},127.0.0.1:${b.port}`));
		const lease = await acquireConnection(settings, 'consumer');
		try {
			const conn = lease.connection;
			const [on, other] = conn.endpoint.endsWith(`:${a.port}/`) ? [a, b] : [b, a];
			expect(on.connections).toBe(1);
			const reconnected = new Promise<number>((resolve) => conn.once('connect', resolve));
			await on.stop();
			expect(await reconnected).toBe(2);
			expect(conn.endpoint).toBe(`amqp://127.0.0.1:${other.port}/`);
			expect(other.connections).toBe(1);
			// A round trip on a channel of the new connection.
			const ch = await conn.openChannel(false);
			await ch.prefetch(5);
			expect(ch.closed).toBe(false);
			await ch.close();
			// And back again when that node stops in turn and the first is up again.
			await on.start(on.port);
			const again = new Promise<number>((resolve) => conn.once('connect', resolve));
			await other.stop();
			expect(await again).toBe(3);
			expect(conn.endpoint).toBe(`amqp://127.0.0.1:${on.port}/`);
		} finally {
			await lease.release();
		}
	});

	test('every node down at the start: one error naming each node', async () => {
		const [p1, p2] = [await closedPort(), await closedPort()];
		const settings = connectionFromCredentials(credentials(`127.0.0.1:${p1}, 127.0.0.1:${p2}`));
		const error = await acquireConnection(settings, 'publisher').then(
			() => undefined,
			(e: unknown) => e,
		);
		expect(error).toBeInstanceOf(BrokerError);
		expect(error).toMatchObject({ kind: 'connect', retryable: true, code: 'connect' });
		expect((error as Error).message).toMatch(
			new RegExp(`^Could not connect to RabbitMQ at any of its 2 hosts: amqp://127\\.0\\.0\\.1:${p1}/: .*ECONNREFUSED.*; amqp://127\\.0\\.0\\.1:${p2}/: .*ECONNREFUSED`),
		);
		expect(pooledConnections()).toEqual([]);
	});

	describe('credential test', () => {
		const test$ = new BillingQueue().methods.credentialTest.billingRabbitMqConnectionTest;
		const check = (hostname: string, extra: Record<string, unknown> = {}) =>
			test$.call({} as never, { id: 'c1', name: 'Billing RabbitMQ', type: 'billingRabbitMqApi', data: { ...credentials(hostname), ...extra } } as never);

		test('OK when any host answers; names the hosts that did not', async () => {
			const down = await closedPort();
			const result = await check(`127.0.0.1:${down}, 127.0.0.1`);
			expect(result.status).toBe('OK');
			expect(result.message).toMatch(
				new RegExp(`^Connected to RabbitMQ 3\\.\\d+\\.\\d+ at amqp://127\\.0\\.0\\.1:5672/, but 1 of 2 hosts did not answer: amqp://127\\.0\\.0\\.1:${down}/: connect ECONNREFUSED`),
			);
			const r = await relay();
			expect(await check(`127.0.0.1, 127.0.0.1:${r.port}`)).toEqual({ status: 'OK', message: expect.stringMatching(/^Connected to RabbitMQ \S+ at amqp:\/\/127\.0\.0\.1:5672\/; all 2 hosts answered$/) });
		});

		test('Error when none answers, with each host’s reason; a bad entry names the entry', async () => {
			const [p1, p2] = [await closedPort(), await closedPort()];
			const none = await check(`127.0.0.1:${p1}, 127.0.0.1:${p2}`);
			expect(none.status).toBe('Error');
			expect(none.message).toMatch(new RegExp(`^Could not connect to RabbitMQ at any of its 2 hosts: amqp://127\\.0\\.0\\.1:${p1}/: .*ECONNREFUSED.*; amqp://127\\.0\\.0\\.1:${p2}/: `));
			const refused = await check(`127.0.0.1:${p1}, 127.0.0.1`, { password: 'wrong' });
			expect(refused.status).toBe('Error');
			expect(refused.message).toMatch(/any of its 2 hosts: .*ECONNREFUSED.*; amqp:\/\/127\.0\.0\.1:5672\/: login refused, check user and password/);
			expect(await check('127.0.0.1, 127.0.0.1:0')).toEqual({
				status: 'Error',
				message: 'Billing RabbitMQ credential: Host entry 2 of 2 ("127.0.0.1:0") has an invalid port: use 1-65535',
			});
		});
	});
});
