// What each injected fault does to a request: the fault-kind table (drop the socket, hold
// the request, answer 5xx/HTML/truncated JSON/a wrong reference, or a gateway error code),
// processing (charging) first where the fault says so.
import { drawLatency, sleep } from '../../common/http';
import type { ChosenFault, FaultKind } from '../faults';
import type { GatewayResponse } from '../model';
import { envelopeText, errorPage, gatewayReference, HTML, respond, sendEnvelope } from '../reply';
import type { RequestContext } from '../state';

export interface FaultedRequest {
	ctx: RequestContext;
	/** The request reference the answer would echo. */
	reference: string;
	/** The envelope's request types; the first one decides the fault response's type. */
	types: string[];
	fault: ChosenFault;
	/** Runs every request element through the gateway (records charges) and returns the responses. */
	process: () => GatewayResponse[];
}

type FaultReply = (request: FaultedRequest) => Promise<void>;

/** Waits before a late answer; the timer does not keep the process alive (close() ends the socket anyway). */
export function answerLater(ms: number): Promise<void> {
	return new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
}

/** The socket is destroyed after the latency, with no answer. */
async function dropSocket({ ctx }: FaultedRequest): Promise<void> {
	await sleep(drawLatency(ctx.state.latency, ctx.state.random));
	ctx.req.socket.destroy();
}

/** A gateway error element with no transaction behind it (the request may have charged first). */
const gatewayError =
	(errorcode: string): FaultReply =>
	async ({ ctx, reference, types, fault, process }) => {
		if (fault.charged) process();
		await sendEnvelope(ctx, reference, [ctx.state.gateway.faultResponse(types[0], errorcode)]);
	};

export const FAULT_REPLIES: Readonly<Record<FaultKind, FaultReply>> = {
	dropBeforeProcessing: dropSocket,
	dropAfterCharge: async (request) => {
		request.process();
		await dropSocket(request);
	},
	timeout: async ({ ctx, fault, process }) => {
		if (fault.charged) process();
		// Hold the request open; the client's own timeout ends it (close() destroys it too).
		const { res, state } = ctx;
		state.held.add(res);
		res.on('close', () => state.held.delete(res));
	},
	serverError: async ({ ctx, fault, process }) => {
		if (fault.charged) process();
		await respond(ctx, fault.status, errorPage(fault.status), HTML);
	},
	malformed: async ({ ctx, reference, process }) => {
		const text = envelopeText(ctx.state.random, reference, process());
		await respond(ctx, 200, text.slice(0, Math.floor(text.length / 2)), 'application/json');
	},
	notJson: async ({ ctx, process }) => {
		process();
		await respond(ctx, 200, '<html><body>Service Unavailable</body></html>', 'text/html');
	},
	wrongRequestReference: async ({ ctx, process }) => {
		// The wrong reference is drawn before processing, as the seeded order requires.
		const wrong = gatewayReference(ctx.state.random);
		await sendEnvelope(ctx, wrong, process());
	},
	slowAnswer: async ({ ctx, reference, fault, process }) => {
		// The gateway charges at once; only its answer is late (later than the client waits).
		const responses = process();
		await answerLater(fault.delayMs ?? 0);
		await sendEnvelope(ctx, reference, responses);
	},
	socketError: async ({ ctx, reference, types }) => {
		await sendEnvelope(ctx, reference, [ctx.state.gateway.faultResponse(types[0], '50000')]);
	},
	bankError: gatewayError('60010'),
	manualInvestigation: gatewayError('60034'),
	unknownError: gatewayError('99999'),
};
