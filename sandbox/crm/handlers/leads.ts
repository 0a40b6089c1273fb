// `GET /api/leads` (leads in [from, to), optionally of one client) and
// `GET /api/billable-leads` (the same, `from`/`to` required, joined with their client).
import { compareLeads, type BillableLeadRow, type CrmLead } from '../data';
import { HttpError, inRange, leadKey, paginate, parseInstant } from '../query';
import type { CrmRequest } from '../state';

/** The leads a request selects, in key order; `from`/`to` are required when `required`. */
function selectLeads({ state, query }: CrmRequest, required: boolean): CrmLead[] {
	const from = parseInstant(query, 'from', required);
	const to = parseInstant(query, 'to', required);
	if (from !== undefined && to !== undefined && to <= from) {
		throw new HttpError(400, 'invalid_parameter', 'to must be after from (the range is [from, to))');
	}
	const clientId = query.get('clientId');
	return [...state.leads].sort(compareLeads).filter((l) => inRange(l, from, to) && (clientId === null || l.clientId === clientId));
}

export function listLeads(request: CrmRequest): void {
	const { state, query, reply } = request;
	reply(200, paginate(selectLeads(request, false), leadKey, query, state.defaultPageSize, state.maxPageSize));
}

export function listBillableLeads(request: CrmRequest): void {
	const { state, query, reply } = request;
	const selected = selectLeads(request, true);
	const byId = new Map(state.clients.map((c) => [c.id, c]));
	// Left join: a lead whose client is missing still shows up (client fields null),
	// so the consumer notices instead of silently losing a billable item.
	const rows: BillableLeadRow[] = selected.map((lead) => {
		const client = byId.get(lead.clientId);
		return {
			leadId: lead.leadId,
			clientId: lead.clientId,
			clientName: client ? client.name : null,
			billingEmail: client ? client.billingEmail : null,
			currency: client ? client.currency : null,
			cardReference: client ? client.cardReference : null,
			description: lead.description,
			price: lead.price,
			quantity: lead.quantity,
			deliveredAt: lead.deliveredAt,
		};
	});
	reply(200, paginate(rows, leadKey, query, state.defaultPageSize, state.maxPageSize));
}
