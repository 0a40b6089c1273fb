// A minimal PNG encoder (8-bit truecolour, no interlace) and the branding themes' logo drawn with
// it: the sandbox serves a real image without an image library. zlib deflates the scanlines; the
// CRC-32 is computed here because zlib.crc32 only exists from Node 20.15 (the package needs 20).
import * as zlib from 'zlib';

export type Rgb = readonly [number, number, number];

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
	let c = n;
	for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
	return c >>> 0;
});

/** CRC-32 (ISO 3309, the one PNG chunks carry). */
export function crc32(data: Buffer): number {
	let c = 0xffffffff;
	for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
	return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
	const length = Buffer.alloc(4);
	length.writeUInt32BE(data.length);
	const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
	const crc = Buffer.alloc(4);
	crc.writeUInt32BE(crc32(typeAndData));
	return Buffer.concat([length, typeAndData, crc]);
}

/** Encodes a width×height RGB image whose pixels `pixel(x, y)` gives. */
export function encodePng(width: number, height: number, pixel: (x: number, y: number) => Rgb): Buffer {
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(width, 0);
	ihdr.writeUInt32BE(height, 4);
	ihdr.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type 2 (RGB), deflate, adaptive filters, no interlace
	const stride = 1 + width * 3;
	const raw = Buffer.alloc(stride * height);
	for (let y = 0; y < height; y++) {
		raw[y * stride] = 0; // filter: none
		for (let x = 0; x < width; x++) raw.set(pixel(x, y), y * stride + 1 + x * 3);
	}
	return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

export const LOGO_WIDTH = 240;
export const LOGO_HEIGHT = 80;
const WHITE: Rgb = [255, 255, 255];
/** One colour per branding theme (by SortOrder), so two themes' logos differ. */
const THEME_COLOURS: Rgb[] = [
	[31, 111, 178],
	[196, 82, 40],
	[46, 139, 87],
];

/** Inside a rectangle with rounded corners of radius r. */
function inRoundedRect(x: number, y: number, left: number, top: number, right: number, bottom: number, r: number): boolean {
	if (x < left || x >= right || y < top || y >= bottom) return false;
	const cx = Math.min(Math.max(x, left + r), right - 1 - r);
	const cy = Math.min(Math.max(y, top + r), bottom - 1 - r);
	return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

const logos = new Map<number, Buffer>();

/**
 * The logo of the branding theme with this SortOrder: a 240×80 white banner with a coloured
 * rounded badge holding a white ring, and three bars standing for the company name and strapline.
 */
export function brandingLogoPng(sortOrder: number): Buffer {
	const index = sortOrder % THEME_COLOURS.length;
	const cached = logos.get(index);
	if (cached) return cached;
	const colour = THEME_COLOURS[index];
	const png = encodePng(LOGO_WIDTH, LOGO_HEIGHT, (x, y) => {
		const ring = (x - 40) ** 2 + (y - 40) ** 2;
		if (inRoundedRect(x, y, 8, 8, 72, 72, 12)) return ring <= 18 ** 2 && ring >= 10 ** 2 ? WHITE : colour;
		const bar = [inRoundedRect(x, y, 88, 18, 228, 34, 4), inRoundedRect(x, y, 88, 42, 196, 50, 3), inRoundedRect(x, y, 88, 56, 170, 62, 3)];
		return bar.some(Boolean) ? colour : WHITE;
	});
	logos.set(index, png);
	return png;
}
