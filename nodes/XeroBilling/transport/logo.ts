// A branding theme's logo: a plain HTTP(S) GET of its LogoUrl, which is a file, not an API call (no
// token, no limiter slot, not counted against Xero's limits). Bounded on every side: a timeout, at
// most 1 MB, and only PNG or JPEG (told by their first bytes), the image kinds a PDF can hold.
import { ServiceError } from '../../shared/errors';

export const LOGO_MAX_BYTES = 1024 * 1024;

export type LogoKind = 'png' | 'jpeg';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** PNG or JPEG by the file's own signature (never by its name or Content-Type); else undefined. */
export function logoKind(data: Buffer): LogoKind | undefined {
	if (data.length > 8 && data.subarray(0, 8).equals(PNG_SIGNATURE)) return 'png';
	if (data.length > 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'jpeg';
	return undefined;
}

/** Why a logo could not be had. The invoice is rendered without it: never a reason to fail one. */
export class LogoError extends ServiceError {
	constructor(message: string) {
		super(message, { code: 'logo', retryable: false });
		this.name = 'LogoError';
	}
}

export interface LogoRequest {
	timeoutMs: number;
	maxBytes?: number;
	signal?: AbortSignal;
}

/** Downloads a logo: 2xx, at most `maxBytes` (1 MB), PNG or JPEG; anything else is a LogoError. */
export async function downloadLogo(url: string, request: LogoRequest): Promise<Buffer> {
	const max = request.maxBytes ?? LOGO_MAX_BYTES;
	if (!URL.canParse(url)) throw new LogoError(`the logo URL "${url}" is not a valid URL`);
	const parsed = new URL(url);
	if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new LogoError(`the logo URL "${url}" is not an http(s) URL`);
	const signal = AbortSignal.any([AbortSignal.timeout(request.timeoutMs), ...(request.signal ? [request.signal] : [])]);
	// Settled into a value or a reason: fetch's errors come from another realm under some runners
	// (DOMException, TypeError), so they are told apart by shape, not by class.
	const got = await readLimited(parsed, signal, max).then(
		(data) => ({ data }),
		(error: unknown) => ({ error }),
	);
	if ('error' in got) {
		if (got.error instanceof LogoError) throw got.error;
		if (signal.aborted && !request.signal?.aborted) throw new LogoError(`the logo at ${url} did not arrive within ${request.timeoutMs} ms`);
		const message = got.error && typeof (got.error as Error).message === 'string' ? (got.error as Error).message : String(got.error);
		throw new LogoError(`the logo at ${url} could not be downloaded (${message})`);
	}
	if (!logoKind(got.data)) throw new LogoError(`the logo at ${url} is not a PNG or JPEG image`);
	return got.data;
}

/** The body of a 2xx answer, counted as it arrives: a missing or wrong length header changes nothing. */
async function readLimited(url: URL, signal: AbortSignal, max: number): Promise<Buffer> {
	const res = await fetch(url, { signal, headers: { Accept: 'image/png, image/jpeg' } });
	if (!res.ok || Number(res.headers.get('content-length') ?? 0) > max) {
		await res.body?.cancel();
		throw new LogoError(res.ok ? `the logo at ${url.href} is larger than ${max} bytes` : `the logo at ${url.href} answered ${res.status}`);
	}
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of res.body ?? []) {
		size += (chunk as Uint8Array).length;
		if (size > max) throw new LogoError(`the logo at ${url.href} is larger than ${max} bytes`);
		chunks.push(Buffer.from(chunk as Uint8Array));
	}
	return Buffer.concat(chunks);
}
