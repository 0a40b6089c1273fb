// In-memory model of the Secure Trading / Trust Payments webservices gateway: the state
// operations tests use (stored cards, behaviours, settlement) and the handling of one request
// element, dispatched by request type through requests/index.ts. The books live in ledger.ts.
// HTTP, auth and fault injection live in server.ts and handlers/.
import { defaultMaskedPan } from './cards';
import { Ledger } from './ledger';
import { GatewayError, type CallContext, type CardBehaviour, type GatewayOptions, type GatewayResponse, type SandboxTransaction, type StoredCardInput } from './model';
import { requestTypeHandler, type RequestTypeHandler } from './requests';

export type { CallContext, CardBehaviour, GatewayOptions, GatewayResponse, SandboxTransaction, StoredCardInput } from './model';

export class Gateway {
	private readonly ledger: Ledger;

	constructor(opts: GatewayOptions) {
		this.ledger = new Ledger(opts);
	}

	// ---- state for tests and benchmarks -------------------------------------------------

	addStoredCard(input: StoredCardInput = {}): string {
		const ledger = this.ledger;
		const site = input.sitereference ?? ledger.opts.sites[0];
		if (!ledger.opts.sites.includes(site)) throw new Error(`addStoredCard: unknown site ${site}`);
		const type = (input.paymenttypedescription ?? 'VISA').toUpperCase();
		const id = ledger.nextCardId();
		const card = {
			id,
			maskedpan: input.maskedpan ?? defaultMaskedPan(type, id),
			paymenttypedescription: type,
			behaviour: input.behaviour ?? 'approve',
			sitereference: site,
		};
		if (/\d{13,}/.test(card.maskedpan)) throw new Error('addStoredCard: maskedpan must be masked');
		ledger.cards.set(card.id, card);
		// The card is stored by a successful zero-amount ACCOUNTCHECK (credentialsonfile 1); its
		// transaction reference is what later merchant-initiated AUTHs name as parent.
		const tx = ledger.record(
			{
				requesttypedescription: 'ACCOUNTCHECK',
				sitereference: site,
				accounttypedescription: 'ECOM',
				baseamount: '0',
				currencyiso3a: input.currencyiso3a ?? 'GBP',
				credentialsonfile: '1',
				...(input.orderreference ? { orderreference: input.orderreference } : {}),
				...ledger.approvedFields(card),
			},
			card.id,
			'webservices',
		);
		return tx.fields.transactionreference;
	}

	/** Changes how the card behind `parentReference` answers future charges. */
	setCardBehaviour(parentReference: string, behaviour: CardBehaviour): void {
		const card = this.ledger.cardOf(parentReference);
		if (!card) throw new Error(`setCardBehaviour: no stored card behind ${parentReference}`);
		card.behaviour = behaviour;
	}

	/** Settles pending transactions (settle status 0/1 → 100); all of them, or one. Returns how many. */
	settle(transactionreference?: string): number {
		let count = 0;
		for (const tx of this.ledger.transactions) {
			if (transactionreference && tx.fields.transactionreference !== transactionreference) continue;
			if (tx.fields.settlestatus === '0' || tx.fields.settlestatus === '1') {
				tx.fields.settlestatus = '100';
				count++;
			}
		}
		return count;
	}

	allTransactions(): SandboxTransaction[] {
		return this.ledger.allTransactions();
	}

	reset(): void {
		this.ledger.reset();
	}

	// ---- request handling ---------------------------------------------------------------

	/** Handles one request object of the envelope; returns one response element per request type. */
	handleRequest(request: unknown, ctx: CallContext): GatewayResponse[] {
		if (!request || typeof request !== 'object' || Array.isArray(request)) {
			return [this.ledger.errorResponse('ERROR', new GatewayError('30000', ['request']))];
		}
		const fields = request as Record<string, unknown>;
		const types = fields.requesttypedescriptions;
		const handlers = Array.isArray(types) ? types.map((type) => requestTypeHandler(type)) : [];
		if (!Array.isArray(types) || types.length === 0 || handlers.some((handler) => handler === undefined)) {
			const shown = Array.isArray(types) ? types.map(String).join(',') : String(types);
			return [this.ledger.errorResponse('ERROR', new GatewayError('60018', [shown === 'undefined' ? 'None' : shown]))];
		}
		const responses: GatewayResponse[] = [];
		let chainedParent: string | undefined;
		for (let i = 0; i < types.length; i++) {
			const type = types[i] as string;
			const handle = handlers[i] as RequestTypeHandler;
			let response: GatewayResponse;
			try {
				response = handle(this.ledger, fields, ctx, chainedParent);
			} catch (error) {
				if (!(error instanceof GatewayError)) throw error;
				response = this.ledger.errorResponse(type, error);
			}
			responses.push(response);
			// A chain (e.g. ACCOUNTCHECK then AUTH) stops at the first failure, as on the gateway.
			if (response.errorcode !== '0') break;
			if (typeof response.transactionreference === 'string') chainedParent = response.transactionreference;
		}
		return responses;
	}

	/** The error element the gateway returns for a whole-envelope problem (bad JSON, version...). */
	envelopeError(errorcode: string, errordata: string[] = []): GatewayResponse {
		return this.ledger.errorResponse('ERROR', new GatewayError(errorcode, errordata));
	}

	/** A response element for an injected fault (60010, 50000, 99999...), with no transaction. */
	faultResponse(type: string, errorcode: string): GatewayResponse {
		return this.ledger.errorResponse(errorcode === '50000' || errorcode === '99999' ? 'ERROR' : type, new GatewayError(errorcode));
	}
}
