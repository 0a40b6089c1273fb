// Seeded, deterministic CRM data: clients and the leads delivered to them in a period.
// The same options always give byte-identical data, so a test (or a rerun of a billing
// period) sees exactly the same records.
import { seededRandom } from '../common/http';

export interface CrmClient {
	id: string;
	name: string;
	/** null (or, for hostile records, absent) when the CRM has no billing address. */
	billingEmail: string | null;
	currency: string;
	/** Secure Trading stored-card parent transaction reference; null = no card on file. */
	cardReference: string | null;
}

export interface CrmLead {
	leadId: string;
	clientId: string;
	description: string;
	/** Decimal string in the client's currency, e.g. "12.50" (JPY: "1250"). */
	price: string;
	quantity: number;
	/** ISO 8601 UTC timestamp. */
	deliveredAt: string;
}

/** One lead joined with its client: what `GET /api/billable-leads` returns. */
export interface BillableLeadRow {
	leadId: string;
	clientId: string;
	clientName: string | null;
	billingEmail: string | null;
	currency: string | null;
	cardReference: string | null;
	description: string;
	price: string;
	quantity: number;
	deliveredAt: string;
}

export interface CrmData {
	clients: CrmClient[];
	leads: CrmLead[];
}

export interface CrmPeriod {
	/** Inclusive start, ISO 8601. */
	from: string;
	/** Exclusive end, ISO 8601. */
	to: string;
}

/** Card references obtained elsewhere (the Secure Trading sandbox issues them). */
export type CardReferenceSource =
	| ReadonlyArray<string | null | undefined>
	| Readonly<Record<string, string | null | undefined>>
	| ((client: Omit<CrmClient, 'cardReference'>, index: number) => string | null | undefined);

export const HOSTILE_KINDS = [
	'missingEmail', // billingEmail key absent
	'nullEmail', // billingEmail: null
	'emptyEmail', // ""
	'invalidEmail', // no @
	'headerInjectionEmail', // CRLF + Bcc inside the address
	'badCurrency', // "EURO"
	'lowercaseCurrency', // "gbp"
	'missingCurrency', // currency key absent
	'negativePrice',
	'zeroPrice',
	'nonNumericPrice',
	'excessPrecisionPrice', // more decimals than the currency has
	'zeroQuantity',
	'fractionalQuantity',
	'unicodeName', // accents, CJK, emoji
	'rtlName', // Hebrew/Arabic plus a U+202E override
	'htmlName', // <script> and & in the name
	'crlfName', // header-injection attempt in the name
	'veryLongName', // 500 characters
	'orphanLead', // lead whose client does not exist
] as const;
export type HostileKind = (typeof HOSTILE_KINDS)[number];

/** Odd but valid records: the pipeline bills them (escaped, normalised); the rest must be refused. */
export const ACCEPTED_HOSTILE_KINDS: readonly HostileKind[] = ['lowercaseCurrency', 'unicodeName', 'rtlName', 'htmlName'];

export interface GenerateCrmDataOptions {
	seed: number;
	clients: number;
	/** Leads per client: a fixed number or an inclusive [min, max] range drawn per client. */
	leadsPerClient: number | [number, number];
	period: CrmPeriod;
	/** Currencies drawn for clients; default GBP, EUR, USD. */
	currencies?: string[];
	/** Card references to attach; without it every client has none (null). */
	cardReferences?: CardReferenceSource;
	/** Unit price range in major units, inclusive; default [5, 250]. */
	priceRange?: [number, number];
	/** Largest quantity drawn; default 1 (every lead quantity 1). */
	quantityMax?: number;
	/** Client id prefix; ids look like C0001. */
	idPrefix?: string;
	/** Append hostile/malformed records (all kinds, or the listed ones). */
	hostile?: boolean | readonly HostileKind[];
}

const NAME_FIRST = ['Northwind', 'Bluebell', 'Harbour', 'Oakridge', 'Silverline', 'Kestrel', 'Meridian', 'Thistle', 'Granite', 'Lakeside', 'Copperfield', 'Juniper', 'Ashdown', 'Falcon', 'Wren', 'Bramble'];
const NAME_TRADE = ['Plumbing', 'Roofing', 'Electrical', 'Dental', 'Legal', 'Joinery', 'Landscaping', 'Removals', 'Glazing', 'Heating', 'Solar', 'Cleaning', 'Kitchens', 'Optics'];
const NAME_SUFFIX = ['Ltd', 'LLP', 'Group', '& Sons', 'Services', 'Co'];
const TOWNS = ['Leeds', 'Bristol', 'York', 'Bath', 'Derby', 'Exeter', 'Hull', 'Kendal', 'Truro', 'Ely', 'Ripon', 'Wells'];
const LEAD_KIND = ['Quote request', 'Call-back request', 'Site survey', 'Emergency call-out', 'Consultation booking', 'Price enquiry'];

/** Number of decimal places a currency uses (ISO 4217 via Intl); 2 for codes Intl rejects. */
export function currencyExponent(currency: string): number {
	try {
		return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
	} catch {
		return 2;
	}
}

/** Formats integer minor units as a plain decimal string ("1250" → "12.50"). */
export function minorToDecimal(minor: number, exponent: number): string {
	const sign = minor < 0 ? '-' : '';
	const digits = String(Math.abs(minor)).padStart(exponent + 1, '0');
	if (exponent === 0) return sign + digits;
	return `${sign}${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
}

function parseInstant(value: string, field: string): number {
	const ms = Date.parse(value);
	if (Number.isNaN(ms)) throw new Error(`generateCrmData: period.${field} "${value}" is not an ISO date`);
	return ms;
}

const slug = (text: string) => text.toLowerCase().replace(/&/g, 'and').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

/** Resolves the card reference for one client from any supported source. */
export function resolveCardReference(
	source: CardReferenceSource | undefined,
	client: Omit<CrmClient, 'cardReference'>,
	index: number,
): string | null {
	if (!source) return null;
	let value: string | null | undefined;
	if (typeof source === 'function') value = source(client, index);
	else if (Array.isArray(source)) value = (source as ReadonlyArray<string | null | undefined>)[index];
	else value = (source as Readonly<Record<string, string | null | undefined>>)[client.id];
	return value ?? null;
}

/** Returns a copy of `data` with card references (re)assigned from `source`. */
export function assignCardReferences(data: CrmData, source: CardReferenceSource): CrmData {
	return {
		clients: data.clients.map((client, index) => {
			const { cardReference: _previous, ...rest } = client;
			return { ...client, cardReference: resolveCardReference(source, rest, index) };
		}),
		leads: data.leads.map((lead) => ({ ...lead })),
	};
}

/** Stable order for leads: delivery time, then id. */
export function compareLeads(a: CrmLead, b: CrmLead): number {
	const d = Date.parse(a.deliveredAt) - Date.parse(b.deliveredAt);
	if (d !== 0) return d;
	return a.leadId < b.leadId ? -1 : a.leadId > b.leadId ? 1 : 0;
}

export function generateCrmData(options: GenerateCrmDataOptions): CrmData {
	const { seed, period } = options;
	if (!Number.isInteger(options.clients) || options.clients < 0) {
		throw new Error(`generateCrmData: clients must be a non-negative integer, got ${options.clients}`);
	}
	const fromMs = parseInstant(period.from, 'from');
	const toMs = parseInstant(period.to, 'to');
	if (toMs <= fromMs) throw new Error('generateCrmData: period.to must be after period.from');
	const currencies = options.currencies ?? ['GBP', 'EUR', 'USD'];
	if (currencies.length === 0) throw new Error('generateCrmData: currencies must not be empty');
	const [priceMin, priceMax] = options.priceRange ?? [5, 250];
	const quantityMax = options.quantityMax ?? 1;
	const prefix = options.idPrefix ?? 'C';
	const random = seededRandom(seed);
	const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
	const intBetween = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));

	const clients: CrmClient[] = [];
	const leads: CrmLead[] = [];
	for (let i = 0; i < options.clients; i++) {
		const id = `${prefix}${String(i + 1).padStart(4, '0')}`;
		const name = `${pick(NAME_FIRST)} ${pick(NAME_TRADE)} ${pick(NAME_SUFFIX)}`;
		const currency = pick(currencies);
		const billingEmail = `accounts+${id.toLowerCase()}@${slug(name)}.example`;
		const base = { id, name, billingEmail, currency };
		clients.push({ ...base, cardReference: resolveCardReference(options.cardReferences, base, i) });

		const exponent = currencyExponent(currency);
		const count = Array.isArray(options.leadsPerClient)
			? intBetween(options.leadsPerClient[0], options.leadsPerClient[1])
			: options.leadsPerClient;
		for (let n = 0; n < count; n++) {
			const minor = intBetween(Math.round(priceMin * 10 ** exponent), Math.round(priceMax * 10 ** exponent));
			// Whole seconds, like most CRMs store them.
			const deliveredMs = Math.floor((fromMs + Math.floor(random() * (toMs - fromMs))) / 1000) * 1000;
			leads.push({
				leadId: `${id}-L${String(n + 1).padStart(4, '0')}`,
				clientId: id,
				description: `${pick(LEAD_KIND)} from ${pick(TOWNS)}`,
				price: minorToDecimal(minor, exponent),
				quantity: quantityMax > 1 ? intBetween(1, quantityMax) : 1,
				deliveredAt: new Date(Math.max(deliveredMs, fromMs)).toISOString(),
			});
		}
	}

	const data: CrmData = { clients, leads };
	if (options.hostile) {
		const kinds = options.hostile === true ? HOSTILE_KINDS : options.hostile;
		const hostile = hostileRecords(period, kinds);
		const offset = clients.length;
		for (const [j, client] of hostile.clients.entries()) {
			const { cardReference: _none, ...rest } = client;
			data.clients.push({ ...client, cardReference: resolveCardReference(options.cardReferences, rest, offset + j) });
		}
		data.leads.push(...hostile.leads);
	}
	data.leads.sort(compareLeads);
	return data;
}

/**
 * Malformed and hostile records, one client (and one lead) per kind, id `HX-<kind>`.
 * The sandbox serves them exactly as built; consumers must reject or neutralise them.
 */
export function hostileRecords(period: CrmPeriod, kinds: readonly HostileKind[] = HOSTILE_KINDS): CrmData {
	const fromMs = parseInstant(period.from, 'from');
	const toMs = parseInstant(period.to, 'to');
	const clients: CrmClient[] = [];
	const leads: CrmLead[] = [];
	kinds.forEach((kind, index) => {
		const id = `HX-${kind}`;
		const client: Record<string, unknown> = {
			id,
			name: `Hostile ${kind} Ltd`,
			billingEmail: `accounts@${kind.toLowerCase()}.example`,
			currency: 'GBP',
			cardReference: null,
		};
		const lead: Record<string, unknown> = {
			leadId: `${id}-L0001`,
			clientId: id,
			description: `Malformed record: ${kind}`,
			price: '10.00',
			quantity: 1,
			// Spread through the period, away from its edges.
			deliveredAt: new Date(Math.floor((fromMs + ((index + 1) * (toMs - fromMs)) / (kinds.length + 2)) / 1000) * 1000).toISOString(),
		};
		switch (kind) {
			case 'missingEmail': delete client.billingEmail; break;
			case 'nullEmail': client.billingEmail = null; break;
			case 'emptyEmail': client.billingEmail = ''; break;
			case 'invalidEmail': client.billingEmail = 'accounts.at.example'; break;
			case 'headerInjectionEmail': client.billingEmail = 'victim@hostile.example\r\nBcc: attacker@evil.example'; break;
			case 'badCurrency': client.currency = 'EURO'; break;
			case 'lowercaseCurrency': client.currency = 'gbp'; break;
			case 'missingCurrency': delete client.currency; break;
			case 'negativePrice': lead.price = '-25.00'; break;
			case 'zeroPrice': lead.price = '0.00'; break;
			case 'nonNumericPrice': lead.price = 'ten pounds'; break;
			case 'excessPrecisionPrice': lead.price = '10.005'; break;
			case 'zeroQuantity': lead.quantity = 0; break;
			case 'fractionalQuantity': lead.quantity = 1.5; break;
			case 'unicodeName': client.name = 'Zoë Ångström 株式会社 Müller 🚀'; break;
			case 'rtlName': client.name = 'שלום בע"מ شركة \u202Egnp.exe'; break;
			case 'htmlName': client.name = '<script>alert("x")</script> & <b>Bold</b> Co'; break;
			case 'crlfName': client.name = 'Acme Ltd\r\nBcc: attacker@evil.example'; break;
			case 'veryLongName': client.name = `Long ${'Name '.repeat(99)}Ltd`; break;
			case 'orphanLead': lead.clientId = 'HX-does-not-exist'; break;
		}
		// An orphan lead has no client of its own.
		if (kind !== 'orphanLead') clients.push(client as unknown as CrmClient);
		leads.push(lead as unknown as CrmLead);
	});
	return { clients, leads };
}
