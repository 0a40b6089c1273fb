// The world around the pipeline during the chaos run: a bookkeeper who changes invoices in Xero
// between invoicing and charging (bank transfers in full or in part, voids, credit notes), seeded
// and logged with the time of each change, so the verdict can say what was due at every charge.
import { currencyExponent } from '../../sandbox/crm/data';
import { seededRandom } from '../../sandbox/common/http';
import type { BillingSandbox } from '../../sandbox';

export type BookkeeperKind = 'pay' | 'partPay' | 'void' | 'credit' | 'partCredit';

export interface BookkeeperAction {
	billingKey: string;
	invoiceId: string;
	kind: BookkeeperKind;
	/** Xero cents paid or credited (0 for a void). */
	cents: number;
	/** ms since epoch, when the change was made in Xero. */
	at: number;
	/** What the pipeline must end with for this client. */
	expect: 'nothingToCharge' | 'chargedRemainder';
}

export interface BookkeeperRates {
	pay: number;
	partPay: number;
	void: number;
	credit: number;
}

interface Invoice {
	InvoiceID: string;
	Reference: string;
	Status: string;
	Total: number;
	AmountDue: number;
	CurrencyCode: string;
	SentToContact?: boolean;
}

/**
 * Polls Xero's invoices and acts on each one at most once, as soon as it may: transfers and
 * credit notes when the invoice appears, voids once it was marked sent (Xero refuses to mark a
 * voided invoice sent, which is a different story from the one told here). It acts only while
 * the gateway shows no charge for the key AND the debit stage has not read the invoice back yet
 * (no GET /Invoices naming it): a change after that read is a race no pipeline can win.
 */
export class Bookkeeper {
	readonly actions: BookkeeperAction[] = [];
	/** Changes planned but dropped because the invoice was already read for charging or charged. */
	tooLate = 0;
	private readonly planned = new Map<string, BookkeeperKind | null>();
	private readonly readForCharging = new Set<string>();
	private readCursor = 0;
	private readonly random: () => number;
	private timer: NodeJS.Timeout | undefined;
	private stopped = false;

	constructor(
		private readonly sandbox: BillingSandbox,
		/** Billing key → the client's expected card outcome. */
		private readonly clients: Map<string, string>,
		seed: number,
		private readonly rates: BookkeeperRates = { pay: 0.02, partPay: 0.02, void: 0.01, credit: 0.01 },
		private readonly pollMs = 50,
	) {
		this.random = seededRandom(seed * 104_729 + 3);
	}

	start(): void {
		const tick = () => {
			if (this.stopped) return;
			try {
				this.poll();
			} finally {
				// Unref'd: a forgotten bookkeeper never keeps the process alive.
				if (!this.stopped) this.timer = setTimeout(tick, this.pollMs).unref();
			}
		};
		tick();
	}

	stop(): void {
		this.stopped = true;
		if (this.timer) clearTimeout(this.timer);
	}

	counts(): Record<BookkeeperKind | 'tooLate', number> {
		const out: Record<BookkeeperKind | 'tooLate', number> = { pay: 0, partPay: 0, void: 0, credit: 0, partCredit: 0, tooLate: this.tooLate };
		for (const a of this.actions) out[a.kind]++;
		return out;
	}

	private noteReads(): void {
		const reads = this.sandbox.xero.calls({ method: 'GET' }).filter((c) => /\/Invoices\/?$/.test(c.path));
		for (; this.readCursor < reads.length; this.readCursor++) {
			for (const v of Object.values(reads[this.readCursor].query)) for (const id of v.split(',')) this.readForCharging.add(id.trim().toLowerCase());
		}
	}

	private choose(inv: Invoice): BookkeeperKind | null {
		const expected = this.clients.get(inv.Reference);
		if (!expected || expected === 'rejected') return null;
		// Part payments and part credits only where a remainder can be charged: a working card,
		// and a currency with cents (a part of a whole-yen invoice is not a whole yen in Xero cents).
		const partial = expected === 'paid' && currencyExponent(inv.CurrencyCode) === 2 && Math.round(inv.Total * 100) >= 200;
		let roll = this.random();
		const r = this.rates;
		if ((roll -= r.pay) < 0) return 'pay';
		if ((roll -= r.partPay) < 0) return partial ? 'partPay' : null;
		if ((roll -= r.void) < 0) return 'void';
		if ((roll -= r.credit) < 0) return partial && this.random() < 0.5 ? 'partCredit' : 'credit';
		return null;
	}

	private poll(): void {
		this.noteReads();
		for (const raw of this.sandbox.xero.invoices()) {
			const inv = raw as unknown as Invoice;
			if (!this.planned.has(inv.InvoiceID)) this.planned.set(inv.InvoiceID, this.choose(inv));
			const kind = this.planned.get(inv.InvoiceID);
			if (!kind) continue;
			if (kind === 'void' && !inv.SentToContact) continue;
			this.planned.set(inv.InvoiceID, null);
			const late = this.readForCharging.has(inv.InvoiceID.toLowerCase()) || this.sandbox.secureTrading.chargesFor(inv.Reference).length > 0;
			if (late || inv.Status !== 'AUTHORISED' || !(inv.AmountDue > 0)) {
				this.tooLate++;
				continue;
			}
			this.act(inv, kind);
		}
	}

	private act(inv: Invoice, kind: BookkeeperKind): void {
		const book = this.sandbox.xero.bookkeeper;
		const due = Math.round(inv.AmountDue * 100);
		// 20-80 % of what is due, in whole cents.
		const part = () => Math.max(1, Math.min(due - 1, Math.round(due * (0.2 + 0.6 * this.random()))));
		let cents = 0;
		let expect: BookkeeperAction['expect'] = 'nothingToCharge';
		switch (kind) {
			case 'pay':
				cents = due;
				book.pay(inv.InvoiceID, cents, { reference: 'Bank transfer' });
				break;
			case 'partPay':
				cents = part();
				book.partPay(inv.InvoiceID, cents, { reference: 'Bank transfer' });
				expect = 'chargedRemainder';
				break;
			case 'void':
				book.void(inv.InvoiceID);
				break;
			case 'credit':
				cents = due;
				book.credit(inv.InvoiceID, cents, { reference: 'Goodwill credit' });
				break;
			case 'partCredit':
				cents = part();
				book.credit(inv.InvoiceID, cents, { reference: 'Goodwill credit' });
				expect = 'chargedRemainder';
				break;
		}
		this.actions.push({ billingKey: inv.Reference, invoiceId: inv.InvoiceID, kind, cents, at: Date.now(), expect });
	}
}

/** Xero cents the gateway took in an AUTH (baseamount is in the currency's minor units). */
export function chargeCents(baseamount: string, currency: string): number {
	return Math.round((Number(baseamount) * 100) / 10 ** currencyExponent(currency));
}
