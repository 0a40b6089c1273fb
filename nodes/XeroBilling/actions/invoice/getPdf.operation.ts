// Get invoice PDF, from one of two sources:
// - Xero's PDF: one GET /Invoices/{id} (Accept: application/pdf) per item, run side by side; the
//   organisation's limiter keeps it within Xero's 5 concurrent calls.
// - Rendered Here: the invoices read back 50 a call (with their lines) and rendered by the package
//   (pdf/), the organisation's details read once per billing run (helpers/organisationDetails.ts).
//   A DRAFT, DELETED or VOIDED invoice gets no PDF: its item goes to output 2, never emailed.
import type { IDataObject, INodeProperties } from 'n8n-workflow';
import { itemParameter } from '../../../shared/itemParameter';
import { chunk } from '../../../shared/concurrency';
import { choiceProperty, forOperation, optionsCollection } from '../../../shared/descriptions';
import { readPath } from '../../../shared/itemFields';
import { forEachBatch } from '../../../shared/operation';
import { choiceParameter, requiredTextParameter, textParameter } from '../../../shared/parameters';
import { XeroApiError, type XeroInvoice } from '../../transport';
import type { XeroContext } from '../../helpers/client';
import { refusal } from '../../helpers/errors';
import { settingsIssuer, xeroIssuer, type Issuer } from '../../helpers/organisationDetails';
import { xeroIdField } from '../../helpers/xeroIds';
import { parseOrganisationSettings, renderInvoicePdf, resolveLayout, type InvoiceLayout } from '../../pdf';
import { callOptions, fieldProperty } from '../common.descriptions';

const rendered = { pdfSource: ['rendered'] };
const fromSettings = { pdfSource: ['rendered'], organisationDetails: ['fromSettings'] };

export const description: INodeProperties[] = forOperation('invoice', 'getPdf', [
	choiceProperty(
		'PDF Source',
		'pdfSource',
		'xero',
		[
			{ name: "Xero's PDF", value: 'xero', description: 'The PDF Xero renders: one Xero call per invoice' },
			{
				name: 'Rendered Here',
				value: 'rendered',
				description: 'Read the invoices from Xero 50 a call and render the PDF in n8n: one call per 50 invoices, plus 2 per billing run for the organisation',
			},
		],
		'Where the PDF comes from. Xero allows 60 calls a minute and 5000 a day per organisation.',
	),
	fieldProperty('invoiceIdField', 'Invoice ID Field', 'xeroInvoice.invoiceId', 'Input field with the Xero InvoiceID'),
	{
		displayName: 'Put Output File in Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		required: true,
		description: 'Name of the binary property the PDF is written to',
	},
	fieldProperty('invoiceNumberField', 'Invoice Number Field', 'xeroInvoice.invoiceNumber', 'Input field with the invoice number, used for the file name when present', false),
	choiceProperty(
		'Organisation Details',
		'organisationDetails',
		'fromXero',
		[
			{
				name: 'From Xero',
				value: 'fromXero',
				description: "Name, address, tax number and the branding theme's logo from Xero: 2 calls per billing run (kept for an hour)",
			},
			{ name: 'From Settings', value: 'fromSettings', description: 'Name, address and logo file given below: no Xero call' },
		],
		'Where the organisation shown at the top of the invoice comes from',
		{ displayOptions: { show: rendered } },
	),
	{
		displayName: 'Organisation Name',
		name: 'organisationName',
		type: 'string',
		default: '',
		required: true,
		description: 'The name printed at the top of every invoice',
		displayOptions: { show: fromSettings },
	},
	{
		displayName: 'Organisation Address',
		name: 'organisationAddress',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '',
		description: 'One address line per line',
		displayOptions: { show: fromSettings },
	},
	{
		displayName: 'Organisation Tax Number',
		name: 'organisationTaxNumber',
		type: 'string',
		default: '',
		description: 'Printed as "Tax number" under the address (e.g. a VAT number); empty to leave it out',
		displayOptions: { show: fromSettings },
	},
	{
		displayName: 'Logo File',
		name: 'logoFile',
		type: 'string',
		default: '',
		placeholder: '/home/node/.n8n/logo.png',
		description: 'Absolute path of a PNG or JPEG (at most 1 MB) on the n8n server; empty for no logo',
		displayOptions: { show: fromSettings },
	},
	{
		...optionsCollection(
			[
				{ displayName: 'Accent Color', name: 'accentColor', type: 'color', default: '#1F4E79', description: 'Colour of the title, the table header and the amount due' },
				{
					displayName: 'Font File',
					name: 'fontFile',
					type: 'string',
					default: '',
					placeholder: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
					description:
						'Absolute path of a TrueType or OpenType font on the n8n server, for text Helvetica cannot show (Greek, Cyrillic, CJK, …). Without it such characters print as their plain letters or "?".',
				},
				{ displayName: 'Footer', name: 'footer', type: 'string', typeOptions: { rows: 3 }, default: '', description: 'Printed at the foot of every page (up to 4 lines), e.g. payment details' },
				{
					displayName: 'Layout File',
					name: 'layoutFile',
					type: 'string',
					default: '',
					placeholder: '/home/node/.n8n/invoice-layout.json',
					description:
						'Absolute path of a JSON file with any of these settings (paperSize, accentColor, title, footer, showLogo, fontFile, organisationName, organisationAddress); a setting made here wins over the file',
				},
				{
					displayName: 'Organisation Address (Override)',
					name: 'organisationAddress',
					type: 'string',
					typeOptions: { rows: 4 },
					default: '',
					description: "Shown instead of the organisation's address, one line per line",
				},
				{ displayName: 'Organisation Name (Override)', name: 'organisationName', type: 'string', default: '', description: "Shown instead of the organisation's name" },
				{
					displayName: 'Paper Size',
					name: 'paperSize',
					type: 'options',
					options: [
						{ name: 'A4', value: 'A4' },
						{ name: 'Letter', value: 'LETTER' },
					],
					default: 'A4',
				},
				{ displayName: 'Show Logo', name: 'showLogo', type: 'boolean', default: true, description: "Whether to print the logo (the branding theme's, or the Logo File). A logo that cannot be had is left out and the item's pdfWarnings says why." },
				{ displayName: 'Title', name: 'title', type: 'string', default: 'TAX INVOICE', description: 'The heading of the invoice' },
			],
			{ displayName: 'Layout', name: 'layout', placeholder: 'Add Layout Setting' },
		),
		default: {},
		displayOptions: { show: rendered },
	},
	callOptions({ batch: false }),
]);

interface Wanted {
	i: number;
	id: string;
	fileName: string;
	property: string;
}

export async function execute(ctx: XeroContext): Promise<void> {
	const source = choiceParameter(ctx.fns, 'pdfSource', 0, ['xero', 'rendered'] as const, 'xero', 'PDF Source');
	const wanted = readItems(ctx);
	if (wanted.length === 0) return;
	if (source === 'rendered') await renderHere(ctx, wanted);
	else await fromXero(ctx, wanted);
}

function readItems(ctx: XeroContext): Wanted[] {
	const { fns, items, results } = ctx;
	const wanted: Wanted[] = [];
	items.forEach((item, i) => {
		try {
			const path = textParameter(fns, 'invoiceIdField', i, 'xeroInvoice.invoiceId');
			const id = xeroIdField(item.json, path, 'Xero invoice ID', 'InvoiceID');
			const property = requiredTextParameter(fns, 'binaryPropertyName', i, 'Put Output File in Field');
			// Empty means "name the file by the invoice ID": not replaced by the default path.
			const numberPath = String(itemParameter(fns, 'invoiceNumberField', i, 'xeroInvoice.invoiceNumber') ?? '').trim();
			const number = numberPath ? readPath(item.json, numberPath) : undefined;
			const safe = String(typeof number === 'string' && number ? number : id).replace(/[^A-Za-z0-9._-]+/g, '_');
			wanted.push({ i, id, fileName: `Invoice ${safe}.pdf`, property });
		} catch (error) {
			results.error(i, error);
		}
	});
	return wanted;
}

async function fromXero(ctx: XeroContext, wanted: Wanted[]): Promise<void> {
	const { fns, items, results } = ctx;
	const { transport } = ctx.client;
	transport.checkDayBudget(wanted.length, `downloading ${wanted.length} invoice PDF(s)`);
	const settled = await Promise.allSettled(wanted.map((w) => transport.getInvoicePdf(w.id)));
	for (let k = 0; k < wanted.length; k++) {
		const w = wanted[k];
		const s = settled[k];
		if (s.status === 'fulfilled') {
			const binary = await fns.helpers.prepareBinaryData(s.value, w.fileName, 'application/pdf');
			results.success(w.i, { ...items[w.i].json }, { [w.property]: binary });
		} else if (s.reason instanceof XeroApiError && s.reason.kind === 'notFound') {
			results.failure(w.i, refusal('notFound', `Xero has no invoice ${w.id}`));
		} else {
			results.error(w.i, s.reason);
		}
	}
}

/** Invoices in these states get no PDF: a draft is not approved, a deleted or voided one is void. */
const NOT_SENDABLE = new Set(['DRAFT', 'DELETED', 'VOIDED']);

async function renderHere(ctx: XeroContext, wanted: Wanted[]): Promise<void> {
	const { fns, items, results } = ctx;
	const { transport, batchSize } = ctx.client;
	// One layout and one organisation for all items (read for item 0), checked before any call.
	const layout = await resolveLayout((fns.getNodeParameter('layout', 0, {}) ?? {}) as IDataObject);
	const issuer = await issuerOf(ctx, layout);

	const byId = new Map<string, Wanted[]>();
	for (const w of wanted) byId.set(w.id.toLowerCase(), [...(byId.get(w.id.toLowerCase()) ?? []), w]);
	const batches = chunk([...byId.keys()], batchSize);
	await forEachBatch(
		ctx,
		batches,
		(id) => byId.get(id)!.map((w) => w.i),
		async (ids, b) => {
			transport.checkDayBudget(batches.length - b, `reading ${byId.size} invoice(s) to render their PDFs`);
			const found = new Map((await transport.findInvoices({ ids, withLineItems: true })).map((inv) => [inv.invoiceId.toLowerCase(), inv]));
			for (const id of ids) for (const w of byId.get(id)!) await renderOne(w, found.get(id));
		},
	);

	async function renderOne(w: Wanted, invoice: XeroInvoice | undefined): Promise<void> {
		const json = items[w.i].json;
		if (!invoice) {
			results.failure(w.i, refusal('notFound', `Xero has no invoice ${w.id}: no PDF was rendered and it was not emailed`));
			return;
		}
		if (NOT_SENDABLE.has(invoice.status)) {
			const key = typeof json.billingKey === 'string' && json.billingKey ? json.billingKey : invoice.reference;
			results.failure(
				w.i,
				refusal('notSendable', `Invoice ${invoice.invoiceNumber || invoice.invoiceId} (billing key ${key || 'unknown'}) is ${invoice.status} in Xero: no PDF was rendered and it was not emailed`),
			);
			return;
		}
		try {
			const runId = typeof json.billingRunId === 'string' ? json.billingRunId : '';
			const { organisation, warnings } = await issuer.forInvoice(invoice, runId);
			const pdf = await renderInvoicePdf(invoice, organisation, layout);
			const binary = await fns.helpers.prepareBinaryData(pdf, w.fileName, 'application/pdf');
			results.success(w.i, { ...json, ...(warnings.length ? { pdfWarnings: warnings } : {}) }, { [w.property]: binary });
		} catch (error) {
			results.error(w.i, error);
		}
	}
}

async function issuerOf(ctx: XeroContext, layout: InvoiceLayout): Promise<Issuer> {
	const { fns } = ctx;
	const details = choiceParameter(fns, 'organisationDetails', 0, ['fromXero', 'fromSettings'] as const, 'fromXero', 'Organisation Details');
	if (details === 'fromXero') return xeroIssuer(ctx.client.transport, { showLogo: layout.showLogo });
	const settings = parseOrganisationSettings({
		name: fns.getNodeParameter('organisationName', 0, ''),
		address: fns.getNodeParameter('organisationAddress', 0, ''),
		taxNumber: fns.getNodeParameter('organisationTaxNumber', 0, ''),
		logoFile: fns.getNodeParameter('logoFile', 0, ''),
	});
	return await settingsIssuer({ ...settings, showLogo: layout.showLogo });
}
