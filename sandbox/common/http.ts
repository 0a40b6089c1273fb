// Small shared pieces for the sandbox HTTP servers: listen on a free loopback port,
// read bodies, answer JSON, match routes strictly, inject latency, seeded randomness.
// Kept dependency-free on purpose (no n8n packages: the sandbox also runs on its own).
import * as http from 'http';
import type { AddressInfo } from 'net';
import type { RouteTable } from './routes';

export interface RunningServer {
	/** Base URL, e.g. http://127.0.0.1:39211 */
	url: string;
	port: number;
	close(): Promise<void>;
}

/** Starts `server` on 127.0.0.1 (port 0 = any free port) and returns how to reach and stop it. */
export async function listen(server: http.Server, port = 0, host = '127.0.0.1'): Promise<RunningServer> {
	const sockets = new Set<import('net').Socket>();
	server.on('connection', (socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, host, () => {
			server.off('error', reject);
			resolve();
		});
	});
	const actual = (server.address() as AddressInfo).port;
	return {
		url: `http://${host}:${actual}`,
		port: actual,
		close: async () => {
			// Destroy keep-alive and hung sockets so tests never wait on them.
			for (const socket of sockets) socket.destroy();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}

export async function readBody(req: http.IncomingMessage, limitBytes = 10 * 1024 * 1024): Promise<Buffer> {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of req) {
		size += (chunk as Buffer).length;
		if (size > limitBytes) throw new Error(`request body over ${limitBytes} bytes`);
		chunks.push(chunk as Buffer);
	}
	return Buffer.concat(chunks);
}

export function sendJson(
	res: http.ServerResponse,
	status: number,
	body: unknown,
	headers: Record<string, string> = {},
): void {
	const text = JSON.stringify(body);
	res.writeHead(status, {
		'Content-Type': 'application/json; charset=utf-8',
		'Content-Length': Buffer.byteLength(text),
		...headers,
	});
	res.end(text);
}

/**
 * `table.match`, except that a trailing slash is not forgiven: the CRM API and the SMTP view
 * never accepted one (the Secure Trading endpoint does, and uses the table directly).
 * Throws URIError for a malformed %-escape in a path parameter, as `match` does.
 */
export function matchRoute<TContext>(table: RouteTable<TContext>, method: string, path: string): ReturnType<RouteTable<TContext>['match']> {
	if (path.length > 1 && path.endsWith('/')) return { route: undefined, allowed: [] };
	return table.match(method, path);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Latency setting: a fixed number of ms, or a [min, max] range drawn uniformly. */
export type Latency = number | [number, number];

export function drawLatency(latency: Latency | undefined, random: () => number = Math.random): number {
	if (latency === undefined) return 0;
	if (typeof latency === 'number') return latency;
	const [min, max] = latency;
	return min + Math.floor(random() * (max - min + 1));
}

/** Deterministic PRNG (mulberry32) so seeded fault injection and data are repeatable. */
export function seededRandom(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}
