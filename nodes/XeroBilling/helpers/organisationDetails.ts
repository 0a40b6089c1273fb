// Who issues the rendered invoices: the organisation as Xero holds it (GET /Organisation, GET
// /BrandingThemes and the theme's logo), or as the node's settings say (no Xero call). Xero's side
// is kept in this process per organisation and billing run for an hour (a bounded number of runs),
// so the invoices of one run cost those 2 calls once, however many batches and executions carry
// them. A logo that cannot be had never fails an invoice: it is left out and the item says why.
import { promises as fsp } from 'fs';
import { downloadLogo, LOGO_MAX_BYTES, organisationAddress, type XeroBrandingTheme, type XeroInvoice, type XeroOrganisation, type XeroTransport } from '../transport';
import { logoProblem, type InvoiceOrganisation, type OrganisationSettings } from '../pdf';

export interface Issuer {
	/** The organisation block for one invoice, and what the item should say (a logo left out). */
	forInvoice(invoice: XeroInvoice, billingRunId: string): Promise<{ organisation: InvoiceOrganisation; warnings: string[] }>;
}

interface Logo {
	data?: Buffer;
	warning?: string;
}

interface Themes {
	list: XeroBrandingTheme[];
	warning?: string;
}

/** One organisation's details for one billing run; each part read on first need. */
interface Details {
	expiresAt: number;
	organisation?: Promise<XeroOrganisation>;
	themes?: Promise<Themes>;
	/** By logo URL. */
	logos: Map<string, Promise<Logo>>;
}

export const DETAILS_TTL_MS = 60 * 60 * 1000;
export const DETAILS_MAX_RUNS = 64;
const LOGO_TIMEOUT_MS = 10_000;

const cache = new Map<string, Details>();

/** For tests: forget every organisation's cached details. */
export function forgetOrganisationDetails(): void {
	cache.clear();
}

function cached(key: string): Details {
	const now = Date.now();
	const hit = cache.get(key);
	if (hit && hit.expiresAt > now) return hit;
	cache.delete(key);
	const fresh: Details = { expiresAt: now + DETAILS_TTL_MS, logos: new Map() };
	cache.set(key, fresh);
	// Bounded: the oldest runs go first (a Map iterates in insertion order).
	for (const old of cache.keys()) {
		if (cache.size <= DETAILS_MAX_RUNS) break;
		cache.delete(old);
	}
	return fresh;
}

/** The theme an invoice is printed with: its own, else the default (SortOrder 0, else the first). */
function themeOf(invoice: XeroInvoice, themes: XeroBrandingTheme[]): XeroBrandingTheme | undefined {
	const own = invoice.brandingThemeId?.toLowerCase();
	const sorted = [...themes].sort((a, b) => a.sortOrder - b.sortOrder);
	return (own ? themes.find((t) => t.brandingThemeId.toLowerCase() === own) : undefined) ?? sorted.find((t) => t.sortOrder === 0) ?? sorted[0];
}

function checked(data: Buffer, what: string): Logo {
	const problem = logoProblem(data);
	return problem ? { warning: `Logo not shown: ${what} cannot be used (${problem})` } : { data };
}

/** Xero's organisation details, cached per organisation and billing run (see above). */
export function xeroIssuer(transport: XeroTransport, opts: { showLogo: boolean }): Issuer {
	// This execution's details by run: a failed read stays failed here (each invoice would retry
	// it otherwise) while the process-wide cache forgets it, so the next execution tries again.
	const local = new Map<string, Details>();
	const detailsFor = (runId: string): Details => {
		let details = local.get(runId);
		if (!details) local.set(runId, (details = cached(`${transport.organisationKey}\n${runId}`)));
		return details;
	};
	const forget = (runId: string, details: Details) => {
		const key = `${transport.organisationKey}\n${runId}`;
		if (cache.get(key) === details) cache.delete(key);
	};

	const organisationOf = (runId: string, details: Details): Promise<XeroOrganisation> => {
		if (!details.organisation) {
			transport.checkDayBudget(opts.showLogo ? 2 : 1, 'reading the organisation for the invoice PDFs');
			details.organisation = transport.getOrganisation();
			details.organisation.catch(() => forget(runId, details));
		}
		return details.organisation;
	};
	// A failure is kept for the run (the invoices go out without a logo, each saying so), unless
	// it came from this execution being cancelled: then the next execution asks again.
	const cancelled = () => transport.policy.signal?.aborted === true;
	const themesOf = (details: Details): Promise<Themes> => {
		details.themes ??= transport.getBrandingThemes().then(
			(list) => ({ list }),
			(error: Error) => {
				if (cancelled()) details.themes = undefined;
				return { list: [], warning: `Logo not shown: the branding themes could not be read from Xero (${error.message})` };
			},
		);
		return details.themes;
	};
	const logoOf = (details: Details, url: string): Promise<Logo> => {
		let logo = details.logos.get(url);
		if (!logo) {
			logo = downloadLogo(url, { timeoutMs: Math.min(LOGO_TIMEOUT_MS, transport.policy.timeoutMs), signal: transport.policy.signal }).then(
				(data) => checked(data, `the logo at ${url}`),
				(error: Error) => {
					if (cancelled()) details.logos.delete(url);
					return { warning: `Logo not shown: ${error.message}` };
				},
			);
			details.logos.set(url, logo);
		}
		return logo;
	};

	return {
		async forInvoice(invoice, billingRunId) {
			const details = detailsFor(billingRunId);
			const [org, themes] = await Promise.all([organisationOf(billingRunId, details), opts.showLogo ? themesOf(details) : undefined]);
			const warnings: string[] = [];
			let logo: Logo = {};
			if (themes?.warning) warnings.push(themes.warning);
			const theme = themes ? themeOf(invoice, themes.list) : undefined;
			if (theme?.logoUrl) logo = await logoOf(details, theme.logoUrl);
			if (logo.warning) warnings.push(logo.warning);
			const phone = org.phones.find((p) => p.type === 'OFFICE' || p.type === 'DEFAULT') ?? org.phones[0];
			return {
				organisation: {
					name: org.name,
					legalName: org.legalName,
					addressLines: organisationAddress(org),
					...(phone ? { phone: phone.number } : {}),
					...(org.taxNumber ? { taxNumber: org.taxNumber } : {}),
					...(logo.data ? { logo: logo.data } : {}),
				},
				warnings,
			};
		},
	};
}

/** The organisation as the node's settings give it: no Xero call; the logo file read once. */
export async function settingsIssuer(settings: OrganisationSettings & { showLogo: boolean }): Promise<Issuer> {
	let logo: Logo = {};
	if (settings.showLogo && settings.logoFile) logo = await readLogoFile(settings.logoFile);
	const organisation: InvoiceOrganisation = {
		name: settings.name,
		addressLines: settings.addressLines,
		...(settings.taxNumber ? { taxNumber: settings.taxNumber } : {}),
		...(logo.data ? { logo: logo.data } : {}),
	};
	const warnings = logo.warning ? [logo.warning] : [];
	return { forInvoice: async () => ({ organisation, warnings }) };
}

async function readLogoFile(path: string): Promise<Logo> {
	try {
		const stat = await fsp.stat(path);
		if (!stat.isFile()) return { warning: `Logo not shown: the logo file ${path} is not a file` };
		if (stat.size > LOGO_MAX_BYTES) return { warning: `Logo not shown: the logo file ${path} is larger than ${LOGO_MAX_BYTES} bytes` };
		return checked(await fsp.readFile(path), `the logo file ${path}`);
	} catch (error) {
		return { warning: `Logo not shown: the logo file ${path} cannot be read (${(error as Error).message})` };
	}
}
