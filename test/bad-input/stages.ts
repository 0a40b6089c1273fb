// The pipeline's stages run in-process, node by node, with the very parameters of the shipped
// workflows (taken from scripts/workflows/pipeline.ts) and their expressions resolved per item,
// against one billing sandbox. Used by the bad-input suite to push hostile items through the
// real nodes quickly; the real-n8n run of the same workflows is test/e2e/bad-input.test.ts.
import type { IDataObject, INodeExecutionData, INodeType } from 'n8n-workflow';
import { BillingEmail } from '../../nodes/BillingEmail/BillingEmail.node';
import { InvoicePreparation } from '../../nodes/InvoicePreparation/InvoicePreparation.node';
import { SecureTrading } from '../../nodes/SecureTrading/SecureTrading.node';
import { XeroBilling } from '../../nodes/XeroBilling/XeroBilling.node';
import type { BillingSandbox } from '../../sandbox';
import { buildWorkflows, DEFAULT_SETTINGS } from '../../scripts/workflows/pipeline';
import { runNode } from '../helpers/run-node';

type Wf = { nodes: Array<{ name: string; parameters: IDataObject; onError?: string }> };
const WORKFLOWS = buildWorkflows({ ...DEFAULT_SETTINGS, invoiceDocument: 'xeroPdf' }) as unknown as Record<string, Wf>;

/** Parameters of one node of a shipped workflow, and whether its "On Error" setting continues. */
export function shippedParameters(file: string, nodeName: string): IDataObject & { [CONTINUES]?: boolean } {
	const node = WORKFLOWS[file].nodes.find((n) => n.name === nodeName);
	if (!node) throw new Error(`no node "${nodeName}" in ${file}`);
	const parameters = JSON.parse(JSON.stringify(node.parameters)) as IDataObject;
	Object.defineProperty(parameters, CONTINUES, { value: node.onError === 'continueRegularOutput' || node.onError === 'continueErrorOutput', enumerable: false });
	return parameters;
}

const CONTINUES = Symbol('continueOnFail');

/** Evaluates n8n-style `={{ … }}` values against one item (only `$json` is needed here). */
export function resolveExpression(value: unknown, json: IDataObject): unknown {
	if (typeof value === 'string' && value.startsWith('=')) {
		const body = value.slice(1);
		const whole = /^\{\{([\s\S]*)\}\}$/.exec(body.trim());
		// eslint-disable-next-line @typescript-eslint/no-implied-eval
		const evaluate = (expr: string) => new Function('$json', `return (${expr});`)(json) as unknown;
		if (whole && !whole[1].includes('}}')) return evaluate(whole[1]);
		return body.replace(/\{\{([\s\S]*?)\}\}/g, (_, expr: string) => String(evaluate(expr) ?? ''));
	}
	if (Array.isArray(value)) return value.map((v) => resolveExpression(v, json));
	if (value && typeof value === 'object') {
		return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveExpression(v, json)]));
	}
	return value;
}

/** n8n stores every visible parameter's default (e.g. `={{ $json.billingEmail }}`) with the node. */
function withDefaults(nodeType: INodeType, parameters: IDataObject): IDataObject {
	const out: IDataObject = { ...parameters };
	for (const p of nodeType.description.properties) {
		if (p.name in out || p.type === 'notice') continue;
		const show = p.displayOptions?.show ?? {};
		const visible = Object.entries(show).every(([k, v]) => !(k in parameters) || (v as unknown[]).includes(parameters[k]));
		if (visible && Object.keys(show).every((k) => k in parameters || k === 'resource')) out[p.name] = p.default as IDataObject[string];
	}
	return out;
}

export interface StageResult {
	/** Items that went on (to the next stage, or were finished). */
	ok: IDataObject[];
	/** Items a node sent to its error output: what the workflow's Retry or Park receives. */
	failed: IDataObject[];
}

export class Stages {
	private readonly xero = new XeroBilling();
	private readonly st = new SecureTrading();
	private readonly email = new BillingEmail();
	private readonly prepareNode = new InvoicePreparation();

	constructor(private readonly sb: BillingSandbox) {}

	private credentials() {
		const byType: Record<string, IDataObject> = {};
		for (const c of this.sb.credentials()) byType[c.type] = c.data as IDataObject;
		return byType as never;
	}

	/** One node over a batch, expressions resolved per item, error output enabled (as in the workflows). */
	async node(nodeType: INodeType, parameters: IDataObject, items: IDataObject[], binary?: Array<INodeExecutionData['binary']>): Promise<{ out: IDataObject[][]; items: INodeExecutionData[][] }> {
		if (items.length === 0) return { out: [[], []], items: [[], []] };
		const continueOnFail = (parameters as { [CONTINUES]?: boolean })[CONTINUES] ?? true;
		let outputs;
		try {
			outputs = await runNode(nodeType, {
				parameters: withDefaults(nodeType, parameters) as never,
				items: items.map((json, i) => ({ json, ...(binary?.[i] ? { binary: binary[i] } : {}) })),
				credentials: this.credentials(),
				continueOnFail,
				resolve: (value, _i, item) => resolveExpression(value, (item?.json ?? {}) as IDataObject),
			});
		} catch (error) {
			// As in n8n: the node failed the execution, so the whole batch fails (and is retried).
			const failed = items.map((json) => ({ ...json, error: `batch failed: ${(error as Error).message}` }));
			return { out: [[], failed], items: [[], failed.map((json) => ({ json }))] };
		}
		return { out: outputs.map((o) => o.map((i) => i.json)), items: outputs };
	}

	/** 01-collect: Invoice Preparation over CRM rows. */
	async prepare(rows: IDataObject[]): Promise<StageResult> {
		const params = { ...shippedParameters('01-collect.json', 'Invoice Preparation'), periodStart: this.sb.period.from, periodEnd: this.sb.period.to };
		const { out } = await this.node(this.prepareNode, params, rows);
		return { ok: out[0] ?? [], failed: out[1] ?? [] };
	}

	/** 02-create-invoices: Ensure Contacts → Find Unbilled Leads → Create Invoices → Invoice Facts. */
	async invoice(items: IDataObject[]): Promise<StageResult> {
		const f = '02-create-invoices.json';
		const contacts = await this.node(this.xero, shippedParameters(f, 'Ensure Contacts'), items);
		const unbilled = await this.node(this.xero, shippedParameters(f, 'Find Unbilled Leads'), contacts.out[0]);
		const toBill = (unbilled.out[0] ?? []).filter((j) => (j.billing as IDataObject | undefined)?.status !== 'billed');
		const created = await this.node(this.xero, shippedParameters(f, 'Create Invoices'), toBill);
		const facts = created.out[0].map((j) => {
			const x = j.xeroInvoice as IDataObject;
			return { ...j, invoiceNumber: x.invoiceNumber, amountMinor: x.totalMinor, dueDate: x.dueDate };
		});
		return { ok: facts, failed: [...(contacts.out[1] ?? []), ...(unbilled.out[1] ?? []), ...(created.out[1] ?? [])] };
	}

	/** 03-email-invoices: Invoice PDF → Email Invoice (skips what its journal says was sent) → Mark as Sent. */
	async emailInvoice(items: IDataObject[]): Promise<StageResult> {
		const f = '03-email-invoices.json';
		const pdf = await this.node(this.xero, shippedParameters(f, 'Invoice PDF'), items);
		const email = await this.node(this.email, shippedParameters(f, 'Email Invoice'), pdf.out[0], pdf.items[0].map((i) => i.binary));
		const sent = await this.node(this.xero, shippedParameters(f, 'Mark as Sent'), email.out[0]);
		return { ok: sent.out[0], failed: [...(pdf.out[1] ?? []), ...(email.out[1] ?? []), ...(sent.out[1] ?? [])] };
	}

	/** 04-debit-cards: Read Invoice from Xero → Anything to Charge? → Card on File? → Debit Stored Card, or the no-card notice path. */
	async debit(items: IDataObject[]): Promise<StageResult & { declined: IDataObject[]; noCard: IDataObject[]; nothingDue: IDataObject[] }> {
		const f = '04-debit-cards.json';
		const read = await this.node(this.xero, shippedParameters(f, 'Read Invoice from Xero'), items);
		const found = read.out[0] ?? [];
		const due = found.filter((j) => (j.chargeable as IDataObject | undefined)?.charge === true);
		const hasCard = (j: IDataObject) => String(j.cardReference ?? '') !== '';
		const debit = await this.node(this.st, shippedParameters(f, 'Debit Stored Card'), due.filter(hasCard));
		const notPaid = debit.out[1] ?? [];
		return {
			ok: debit.out[0] ?? [],
			// "invalid" outcomes and errors are what the workflow parks or retries; declines go to dunning.
			failed: [...(read.out[1] ?? []), ...notPaid.filter((j) => j.outcome !== 'declined')],
			declined: notPaid.filter((j) => j.outcome === 'declined'),
			noCard: due.filter((j) => !hasCard(j)),
			nothingDue: found.filter((j) => (j.chargeable as IDataObject | undefined)?.charge !== true),
		};
	}

	/** 05-payment-notifications: Email Payment Notice. */
	async notify(items: IDataObject[]): Promise<StageResult> {
		const email = await this.node(this.email, shippedParameters('05-payment-notifications.json', 'Email Payment Notice'), items);
		return { ok: email.out[0] ?? [], failed: email.out[1] ?? [] };
	}
}

/** The error text of a failed item, whichever node produced it. */
export function errorText(j: IDataObject): string {
	const e = j.error as IDataObject | string | undefined;
	const parts = [typeof e === 'string' ? e : [e?.message, e?.description].filter(Boolean).join(' — '), j.reason, j.errormessage, j.field]
		.filter((p) => typeof p === 'string' && p !== '');
	return parts.join(' | ');
}
