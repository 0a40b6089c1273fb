// `POST /json/`: the webservices endpoint. Authenticates the user, reads the envelope, counts
// request types, applies a chosen fault (the table in this folder's faults.ts) or runs every
// request element through the gateway, and answers with the response envelope.
import { authenticate } from '../auth';
import { readEnvelope, requestTypesOf } from '../envelope';
import { countFault, countRequestTypes } from '../records';
import { HTML, respond, sendEnvelope, UNAUTHORIZED_HTML } from '../reply';
import type { RequestContext } from '../state';
import { answerLater, FAULT_REPLIES } from './faults';

export async function webservices(ctx: RequestContext): Promise<void> {
	const { state } = ctx;
	const user = authenticate(state.users, ctx.req.headers.authorization);
	if (!user) {
		state.counts.unauthorized++;
		ctx.res.setHeader('WWW-Authenticate', 'Basic realm="Secure Trading Webservices"');
		await respond(ctx, 401, UNAUTHORIZED_HTML, HTML);
		return;
	}
	const envelope = readEnvelope(ctx, user.username);
	if (!envelope.ok) {
		await sendEnvelope(ctx, envelope.reference, [envelope.error]);
		return;
	}
	const { requests, reference } = envelope;
	const types = requestTypesOf(requests);
	countRequestTypes(state.counts, types);
	const fault = state.faults.choose(types[0] ?? '');
	if (fault) countFault(state.counts, fault.kind);
	const call = { alias: user.username, allowedSites: user.sites };
	const process = () => requests.flatMap((r) => state.gateway.handleRequest(r, call));
	if (!fault) {
		const responses = process();
		// A slow acquirer: the charge is made now, the answer comes late.
		if (state.authAnswerDelayMs > 0 && types.includes('AUTH')) await answerLater(state.authAnswerDelayMs);
		await sendEnvelope(ctx, reference, responses);
		return;
	}
	await FAULT_REPLIES[fault.kind]({ ctx, reference, types, fault, process });
}
