// `GET /api/clients` (paged, by id) and `GET /api/clients/{id}`.
import { HttpError, paginate } from '../query';
import type { CrmRequest } from '../state';

export function listClients({ state, query, reply }: CrmRequest): void {
	const sorted = [...state.clients].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
	reply(200, paginate(sorted, (c) => c.id, query, state.defaultPageSize, state.maxPageSize));
}

export function getClient({ state, reply }: CrmRequest, params: Record<string, string>): void {
	const client = state.clients.find((c) => c.id === params.id);
	if (!client) throw new HttpError(404, 'not_found', `client ${params.id} not found`);
	reply(200, client);
}
