// The gateway's books: stored cards and transactions, how a transaction is recorded, and
// the field sets and response elements built from them. No PAN or security code is kept.
import { messageFor } from './messages';
import { GatewayError, type Card, type GatewayOptions, type GatewayResponse, type SandboxTransaction, type TxInternal } from './model';

export class Ledger {
	readonly transactions: TxInternal[] = [];
	readonly byReference = new Map<string, TxInternal>();
	readonly cards = new Map<number, Card>();
	private cardSeq = 0;
	private txSeq: number;

	constructor(readonly opts: GatewayOptions) {
		this.txSeq = 30000 + Math.floor(opts.random() * 10000);
	}

	/** Next card id; card ids keep counting across reset(), as they always did. */
	nextCardId(): number {
		return ++this.cardSeq;
	}

	cardOf(reference: string): Card | undefined {
		const tx = this.byReference.get(reference);
		return tx?.cardId !== undefined ? this.cards.get(tx.cardId) : undefined;
	}

	allTransactions(): SandboxTransaction[] {
		return this.transactions.map((tx) => ({ fields: { ...tx.fields }, charged: tx.charged, createdAtMs: tx.createdAtMs }));
	}

	reset(): void {
		this.transactions.length = 0;
		this.byReference.clear();
		this.cards.clear();
	}

	record(fields: Record<string, string>, cardId: number | undefined, alias: string): TxInternal {
		const nowMs = this.opts.now();
		const shard = 50 + Math.floor(this.opts.random() * 10);
		const reference = `${shard}-9-${++this.txSeq}`;
		const tx: TxInternal = {
			fields: {
				transactionreference: reference,
				transactionstartedtimestamp: this.timestamp(nowMs),
				settleduedate: this.timestamp(nowMs).slice(0, 10),
				livestatus: '0',
				splitfinalnumber: '1',
				dccenabled: '0',
				tid: '27882788',
				merchantnumber: '00000000',
				merchantcountryiso2a: 'GB',
				merchantname: 'Test Merchant',
				operatorname: alias,
				...fields,
			},
			charged: false,
			createdAtMs: nowMs,
			cardId,
			refundedMinor: 0,
		};
		this.transactions.push(tx);
		this.byReference.set(reference, tx);
		return tx;
	}

	// ---- field sets (the authcode draw happens here, before record()'s draw) -------------

	cardFields(card: Card): Record<string, string> {
		return {
			maskedpan: card.maskedpan,
			paymenttypedescription: card.paymenttypedescription,
			issuer: 'SecureTrading Test Issuer1',
			issuercountryiso2a: 'US',
		};
	}

	approvedFields(card: Card): Record<string, string> {
		return {
			...this.cardFields(card),
			errorcode: '0',
			errormessage: messageFor('0'),
			acquirerresponsecode: '00',
			authcode: `TEST${String(10 + Math.floor(this.opts.random() * 90))}`,
			settlestatus: '0',
			securityresponseaddress: '0',
			securityresponsepostcode: '0',
			securityresponsesecuritycode: '0',
		};
	}

	declinedFields(card: Card, code: string): Record<string, string> {
		return {
			...this.cardFields(card),
			errorcode: '70000',
			errormessage: messageFor('70000'),
			acquirerresponsecode: code,
			authcode: 'DECLINED',
			settlestatus: '3',
		};
	}

	bankErrorFields(card: Card): Record<string, string> {
		return { ...this.cardFields(card), errorcode: '60010', errormessage: messageFor('60010'), settlestatus: '3' };
	}

	// ---- response elements -----------------------------------------------------------------

	toResponse(tx: TxInternal): GatewayResponse {
		const { sitereference: _site, credentialsonfile: _cof, ...fields } = tx.fields;
		return { ...fields };
	}

	errorResponse(type: string, error: GatewayError): GatewayResponse {
		return {
			requesttypedescription: type,
			transactionstartedtimestamp: this.timestamp(),
			errorcode: error.errorcode,
			errormessage: error.message,
			...(error.errordata.length > 0 ? { errordata: error.errordata } : {}),
			...error.extra,
		};
	}

	timestamp(ms = this.opts.now()): string {
		return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
	}
}
