// What ops may adjust on a rendered invoice, from a template file (JSON with the layout keys) and
// the node's Layout collection, whose values win. Every value is checked here, so a bad one stops
// the run with the field named before any invoice is read; a font file is opened once to prove it.
import { promises as fsp } from 'fs';
import { isAbsolute } from 'path';
import { pdfDocumentClass } from './pdfkit';
import { FieldError } from '../../shared/errors';
import { CONTROL_CHARACTERS } from '../../shared/itemFields';

export type PaperSize = 'A4' | 'LETTER';

export interface InvoiceLayout {
	paperSize: PaperSize;
	/** #RRGGBB: the title, the table header and the amount due. */
	accentColor: string;
	title: string;
	/** Printed at the foot of every page; may hold line breaks. */
	footer: string;
	showLogo: boolean;
	/** A TrueType/OpenType font (absolute path on the n8n server) for any Unicode text; else Helvetica. */
	fontFile?: string;
	/** Shown instead of the organisation's own name and address. */
	organisationName?: string;
	organisationAddress?: string[];
}

export const DEFAULT_LAYOUT: Readonly<InvoiceLayout> = Object.freeze({ paperSize: 'A4', accentColor: '#1F4E79', title: 'TAX INVOICE', footer: '', showLogo: true });

export const LAYOUT_KEYS = ['paperSize', 'accentColor', 'title', 'footer', 'showLogo', 'fontFile', 'organisationName', 'organisationAddress'] as const;
type LayoutKey = (typeof LAYOUT_KEYS)[number];

const MAX_TITLE = 60;
const MAX_FOOTER = 500;
const MAX_FOOTER_LINES = 4;
const MAX_NAME = 200;
const MAX_ADDRESS_LINES = 8;
const MAX_TEMPLATE_BYTES = 64 * 1024;
const MAX_FONT_BYTES = 20 * 1024 * 1024;
// Footers keep their line breaks (and tabs); any other control character is refused.
// eslint-disable-next-line no-control-regex -- matching control characters is the point: they are refused.
const CONTROL_BUT_BREAKS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029]/;

/** Where a value came from, for messages: a node parameter, or a key of the template file. */
interface Source {
	field: (key: string) => string;
	where: (key: string) => string;
}

const fromParameters: Source = { field: (key) => `layout.${key.replace(/\[\d+\]$/, '')}`, where: (key) => `Layout option "${key}"` };
const fromFile = (path: string): Source => ({ field: () => 'layout.layoutFile', where: (key) => `"${key}" in the layout file ${path}` });

function text(raw: unknown, key: string, src: Source, max: number, opts: { lineBreaks?: boolean; empty?: boolean } = {}): string {
	if (typeof raw !== 'string') throw new FieldError(src.field(key), `${src.where(key)} must be text, got ${describe(raw)}`);
	const value = raw.trim();
	if (!value && !opts.empty) throw new FieldError(src.field(key), `${src.where(key)} is empty: leave it out for the default`);
	if ((opts.lineBreaks ? CONTROL_BUT_BREAKS : CONTROL_CHARACTERS).test(value)) {
		throw new FieldError(src.field(key), `${src.where(key)} contains ${opts.lineBreaks ? 'control characters' : 'line breaks or control characters'}`);
	}
	if (value.length > max) throw new FieldError(src.field(key), `${src.where(key)} is longer than ${max} characters`);
	return value;
}

function lines(raw: unknown, key: string, src: Source): string[] {
	// A list (template file) or one text with a line per address line (the node's text box).
	const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(/\r?\n/) : undefined;
	if (!list) throw new FieldError(src.field(key), `${src.where(key)} must be text (a line per address line) or a list of lines, got ${describe(raw)}`);
	const out = list.map((line, n) => text(line, `${key}[${n}]`, src, MAX_NAME, { empty: true })).filter(Boolean);
	if (out.length > MAX_ADDRESS_LINES) throw new FieldError(src.field(key), `${src.where(key)} has ${out.length} lines, more than ${MAX_ADDRESS_LINES}`);
	return out;
}

/** The layout values one source sets, checked; unknown keys are refused (a typo would be ignored otherwise). */
function parseValues(raw: Record<string, unknown>, src: Source): Partial<InvoiceLayout> {
	const out: Partial<InvoiceLayout> = {};
	for (const [key, value] of Object.entries(raw)) {
		if (value === undefined || value === null || value === '') continue;
		if (!(LAYOUT_KEYS as readonly string[]).includes(key)) {
			throw new FieldError(src.field(key), `${src.where(key)} is not a layout setting: use ${LAYOUT_KEYS.join(', ')}`);
		}
		switch (key as LayoutKey) {
			case 'paperSize': {
				const size = typeof value === 'string' ? value.trim().toUpperCase() : '';
				if (size !== 'A4' && size !== 'LETTER') throw new FieldError(src.field(key), `${src.where(key)} must be A4 or LETTER, got ${describe(value)}`);
				out.paperSize = size;
				break;
			}
			case 'accentColor': {
				if (typeof value !== 'string' || !/^#[0-9a-f]{6}$/i.test(value.trim())) {
					throw new FieldError(src.field(key), `${src.where(key)} must be a colour as #RRGGBB (e.g. #1F4E79), got ${describe(value)}`);
				}
				out.accentColor = value.trim().toUpperCase();
				break;
			}
			case 'title':
				out.title = text(value, key, src, MAX_TITLE);
				break;
			case 'footer': {
				out.footer = text(value, key, src, MAX_FOOTER, { lineBreaks: true });
				if (out.footer.split(/\r?\n/).length > MAX_FOOTER_LINES) throw new FieldError(src.field(key), `${src.where(key)} has more than ${MAX_FOOTER_LINES} lines`);
				break;
			}
			case 'showLogo':
				if (typeof value !== 'boolean') throw new FieldError(src.field(key), `${src.where(key)} must be true or false, got ${describe(value)}`);
				out.showLogo = value;
				break;
			case 'fontFile':
				out.fontFile = absolutePath(value, key, src);
				break;
			case 'organisationName':
				out.organisationName = text(value, key, src, MAX_NAME);
				break;
			case 'organisationAddress':
				out.organisationAddress = lines(value, key, src);
				break;
		}
	}
	return out;
}

function absolutePath(raw: unknown, key: string, src: Source): string {
	const path = text(raw, key, src, 4096);
	if (!isAbsolute(path)) throw new FieldError(src.field(key), `${src.where(key)} "${path}" must be an absolute path on the n8n server`);
	return path;
}

export interface OrganisationSettings {
	name: string;
	addressLines: string[];
	taxNumber?: string;
	logoFile?: string;
}

/** The organisation as the node's settings give it (Organisation Details "From Settings"), checked like the layout. */
export function parseOrganisationSettings(raw: { name: unknown; address: unknown; taxNumber: unknown; logoFile: unknown }): OrganisationSettings {
	const src: Source = { field: (key) => key.replace(/\[\d+\]$/, ''), where: (key) => `Organisation setting "${key}"` };
	const given = (v: unknown) => v !== undefined && v !== null && !(typeof v === 'string' && v.trim() === '');
	if (!given(raw.name)) throw new FieldError('organisationName', 'Organisation Name (organisationName) is required when Organisation Details is "From Settings"');
	return {
		name: text(raw.name, 'organisationName', src, MAX_NAME),
		addressLines: given(raw.address) ? lines(raw.address, 'organisationAddress', src) : [],
		...(given(raw.taxNumber) ? { taxNumber: text(raw.taxNumber, 'organisationTaxNumber', src, MAX_NAME) } : {}),
		...(given(raw.logoFile) ? { logoFile: absolutePath(raw.logoFile, 'logoFile', src) } : {}),
	};
}

/**
 * The layout: defaults, then the template file's values, then the node's. `parameters` is the
 * node's Layout collection (its `layoutFile` names the template). Font files are opened here.
 */
export async function resolveLayout(parameters: Record<string, unknown>): Promise<InvoiceLayout> {
	const { layoutFile, ...own } = parameters;
	const values = parseValues(own, fromParameters);
	let template: Partial<InvoiceLayout> = {};
	let templateSource = fromParameters;
	if (layoutFile !== undefined && layoutFile !== null && layoutFile !== '') {
		const path = absolutePath(layoutFile, 'layoutFile', fromParameters);
		templateSource = fromFile(path);
		template = parseValues(await readTemplate(path), templateSource);
	}
	const layout: InvoiceLayout = { ...DEFAULT_LAYOUT, ...template, ...values };
	if (layout.fontFile) await loadFont(layout.fontFile, values.fontFile ? fromParameters : templateSource);
	return layout;
}

/** What a step gave, or why it failed: the caller turns the reason into a FieldError naming the setting. */
type Outcome<T> = { value: T } | { error: string };

const reason = (error: unknown): string => (error && typeof (error as Error).message === 'string' ? (error as Error).message : String(error));

async function settle<T>(work: Promise<T>): Promise<Outcome<T>> {
	return await work.then(
		(value) => ({ value }),
		(error: unknown) => ({ error: reason(error) }),
	);
}

function attempt<T>(work: () => T): Outcome<T> {
	try {
		return { value: work() };
	} catch (error) {
		return { error: reason(error) };
	}
}

async function readTemplate(path: string): Promise<Record<string, unknown>> {
	const field = 'layout.layoutFile';
	const stat = await settle(fsp.stat(path));
	if ('error' in stat) throw new FieldError(field, `Layout file ${path} cannot be read: ${stat.error}`);
	if (!stat.value.isFile()) throw new FieldError(field, `Layout file ${path} is not a file`);
	if (stat.value.size > MAX_TEMPLATE_BYTES) throw new FieldError(field, `Layout file ${path} is larger than ${MAX_TEMPLATE_BYTES / 1024} KB`);
	const raw = await settle(fsp.readFile(path, 'utf8'));
	if ('error' in raw) throw new FieldError(field, `Layout file ${path} cannot be read: ${raw.error}`);
	const parsed = attempt(() => JSON.parse(raw.value) as unknown);
	if ('error' in parsed) throw new FieldError(field, `Layout file ${path} is not valid JSON: ${parsed.error}`);
	const value = parsed.value;
	if (!value || typeof value !== 'object' || Array.isArray(value)) throw new FieldError(field, `Layout file ${path} must hold a JSON object with layout settings (${LAYOUT_KEYS.join(', ')})`);
	return value as Record<string, unknown>;
}

/** Font files by path, with the size and time they were read at: read and parsed once. */
const fonts = new Map<string, { size: number; mtimeMs: number; data: Buffer }>();

async function loadFont(path: string, src: Source): Promise<Buffer> {
	const field = src.field('fontFile');
	const what = `${src.where('fontFile')} ${path}`;
	const stat = await settle(fsp.stat(path));
	if ('error' in stat) throw new FieldError(field, `${what} cannot be read: ${stat.error}`);
	const { size, mtimeMs } = stat.value;
	const known = fonts.get(path);
	if (known && known.size === size && known.mtimeMs === mtimeMs) return known.data;
	if (!stat.value.isFile()) throw new FieldError(field, `${what} is not a file`);
	if (size > MAX_FONT_BYTES) throw new FieldError(field, `${what} is larger than ${MAX_FONT_BYTES / 1024 / 1024} MB`);
	const read = await settle(fsp.readFile(path));
	if ('error' in read) throw new FieldError(field, `${what} cannot be read: ${read.error}`);
	const data = read.value;
	// TrueType (00 01 00 00, "true") or OpenType ("OTTO"); a collection (.ttc) would need a face name.
	const magic = data.subarray(0, 4).toString('latin1');
	if (magic !== '\u0000\u0001\u0000\u0000' && magic !== 'true' && magic !== 'OTTO') throw new FieldError(field, `${what} is not a TrueType or OpenType font (.ttf, .otf)`);
	const opened = attempt(() => new (pdfDocumentClass())({ autoFirstPage: false }).font(data).widthOfString('Invoice'));
	if ('error' in opened) throw new FieldError(field, `${what} cannot be used as a font: ${opened.error}`);
	if (fonts.size >= 8) fonts.delete(fonts.keys().next().value!);
	fonts.set(path, { size, mtimeMs, data });
	return data;
}

/** The font file's bytes (read by resolveLayout; read again only when the file changed). */
export async function fontData(path: string): Promise<Buffer> {
	return await loadFont(path, fromParameters);
}

function describe(value: unknown): string {
	if (Array.isArray(value)) return 'a list';
	if (value === null) return 'null';
	return typeof value === 'object' ? 'an object' : JSON.stringify(value);
}
