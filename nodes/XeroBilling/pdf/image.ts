// Whether a logo can go into a PDF, checked before any invoice uses it. pdfkit decodes a PNG with
// transparency in a zlib callback that throws on corrupt data, which no caller can catch (it would
// end the n8n process), so a PNG's pixel data is inflated here first; its size is bounded too.
import { inflateSync } from 'zlib';
import { pdfDocumentClass } from './pdfkit';
import { logoKind } from '../transport';

/** A logo is at most this many pixels (e.g. 4000 × 2500): bigger is no logo but a photo. */
const MAX_PIXELS = 10_000_000;
const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function pngProblem(data: Buffer): string | undefined {
	let pos = 8;
	let header: { width: number; height: number; bits: number; colorType: number; interlaced: boolean } | undefined;
	const idat: Buffer[] = [];
	while (pos + 12 <= data.length) {
		const length = data.readUInt32BE(pos);
		const type = data.toString('latin1', pos + 4, pos + 8);
		if (pos + 12 + length > data.length) return 'its data is cut short';
		const body = data.subarray(pos + 8, pos + 8 + length);
		if (type === 'IHDR') header = { width: body.readUInt32BE(0), height: body.readUInt32BE(4), bits: body[8], colorType: body[9], interlaced: body[12] === 1 };
		if (type === 'IDAT') idat.push(body);
		if (type === 'IEND') break;
		pos += 12 + length;
	}
	if (!header || !CHANNELS[header.colorType] || idat.length === 0) return 'it is not a complete PNG image';
	if (header.width === 0 || header.height === 0 || header.width * header.height > MAX_PIXELS) return `it is ${header.width} × ${header.height} pixels (at most ${MAX_PIXELS} pixels)`;
	const rowBytes = 1 + Math.ceil((header.width * CHANNELS[header.colorType] * header.bits) / 8);
	const expected = header.height * rowBytes;
	let pixels: Buffer;
	try {
		pixels = inflateSync(Buffer.concat(idat), { maxOutputLength: expected * 2 + 1024 });
	} catch (error) {
		return `its pixel data cannot be read (${(error as Error).message})`;
	}
	if (!header.interlaced && pixels.length < expected) return 'its pixel data is cut short';
	return undefined;
}

/** Why `data` cannot be a logo (not PNG or JPEG, corrupt, too large); undefined when it can. */
export function logoProblem(data: Buffer): string | undefined {
	const kind = logoKind(data);
	if (!kind) return 'it is not a PNG or JPEG image';
	if (kind === 'png') {
		const problem = pngProblem(data);
		if (problem) return problem;
	}
	try {
		// pdfkit's own reading of the image (JPEG markers, PNG chunks) on a scratch document; openImage
		// is documented pdfkit API that @types/pdfkit does not declare.
		const scratch = new (pdfDocumentClass())({ autoFirstPage: false }) as unknown as { openImage(src: Buffer): { width: number; height: number } };
		const image = scratch.openImage(data);
		if (!image.width || !image.height || image.width * image.height > MAX_PIXELS) return `it is ${image.width} × ${image.height} pixels (at most ${MAX_PIXELS} pixels)`;
	} catch (error) {
		return `it cannot be read as ${kind.toUpperCase()} (${(error as Error).message})`;
	}
	return undefined;
}
