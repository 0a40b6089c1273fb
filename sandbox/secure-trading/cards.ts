// Where the card for a charge comes from (a stored card behind a parent transaction, or a
// PAN in the request, kept only masked) and what its issuer answers.
import { optionalString, type RequestFields } from './fields';
import type { Ledger } from './ledger';
import { GatewayError, type Card, type CardBehaviour } from './model';

/** Test PANs that decline (Trust Payments' documented test cards); every other valid PAN authorises. */
const DECLINING_TEST_PANS: Record<string, string> = { '4000000000000812': '05', '4242424242424242': '05' };

export type IssuerDecision = { kind: 'approve' } | { kind: 'decline'; code: string } | { kind: 'bankError' };

/** The card to charge: a stored card through `parenttransactionreference`, or a PAN in the request. */
export function cardSource(ledger: Ledger, fields: RequestFields, site: string, chainedParent?: string): { card: Card; parent?: string } {
	const parentRef = optionalString(fields, 'parenttransactionreference') ?? chainedParent;
	const pan = fields.pan;
	if (parentRef !== undefined && pan === undefined) {
		const parent = ledger.byReference.get(parentRef);
		const card = parent?.cardId !== undefined ? ledger.cards.get(parent.cardId) : undefined;
		if (!parent || !card || parent.fields.sitereference !== site) throw new GatewayError('20004', ['parenttransactionreference']);
		return { card, parent: parentRef };
	}
	if (pan === undefined) throw new GatewayError('30000', ['pan']);
	if (typeof pan !== 'string' || !/^\d{12,19}$/.test(pan) || !luhn(pan)) throw new GatewayError('30000', ['pan']);
	const expiry = fields.expirydate;
	if (typeof expiry !== 'string' || !/^(0[1-9]|1[0-2])\/\d{4}$/.test(expiry)) throw new GatewayError('30000', ['expirydate']);
	const code = fields.securitycode;
	if (code !== undefined && (typeof code !== 'string' || !/^\d{3,4}$/.test(code))) throw new GatewayError('30000', ['securitycode']);
	const [month, year] = expiry.split('/').map(Number);
	const now = new Date(ledger.opts.now());
	const expired = year < now.getUTCFullYear() || (year === now.getUTCFullYear() && month < now.getUTCMonth() + 1);
	const type = pan.startsWith('4') ? 'VISA' : /^5[1-5]/.test(pan) ? 'MASTERCARD' : /^3[47]/.test(pan) ? 'AMEX' : 'VISA';
	const declineCode = expired ? '54' : DECLINING_TEST_PANS[pan];
	const card: Card = {
		id: ledger.nextCardId(),
		maskedpan: `${pan.slice(0, 6)}${'#'.repeat(pan.length - 10)}${pan.slice(-4)}`,
		paymenttypedescription: type,
		behaviour: declineCode ? { declineCode } : 'approve',
		sitereference: site,
	};
	ledger.cards.set(card.id, card);
	return { card };
}

export function issuerDecision(card: Card, amount: string, zeroAmountCheck: boolean): IssuerDecision {
	// Test bank amounts: 70000 always declines, 60010 always gives a bank system error.
	if (amount === '70000') return { kind: 'decline', code: '05' };
	if (amount === '60010') return { kind: 'bankError' };
	const behaviour = card.behaviour;
	if (behaviour === 'approve') return { kind: 'approve' };
	if (behaviour === 'bankError') return { kind: 'bankError' };
	const code = declineCodeOf(behaviour);
	if (typeof behaviour === 'object' && behaviour.approveAfter !== undefined && !zeroAmountCheck) {
		// The issuer approves once the client has sorted it out (after `approveAfter` declines).
		if ((card.declinedAuths ?? 0) >= behaviour.approveAfter) return { kind: 'approve' };
		card.declinedAuths = (card.declinedAuths ?? 0) + 1;
		return { kind: 'decline', code };
	}
	// A zero-amount account check does not test the balance.
	if (zeroAmountCheck && (code === '51' || code === '61')) return { kind: 'approve' };
	return { kind: 'decline', code };
}

function declineCodeOf(behaviour: Exclude<CardBehaviour, 'approve' | 'bankError'>): string {
	if (typeof behaviour === 'object') return behaviour.declineCode;
	return { insufficientFunds: '51', doNotHonour: '05', expiredCard: '54', lostCard: '41', stolenCard: '43' }[behaviour];
}

export function defaultMaskedPan(type: string, seq: number): string {
	const last4 = String(1000 + (seq % 9000)).padStart(4, '0');
	if (type === 'MASTERCARD') return `510000######${last4}`;
	if (type === 'AMEX') return `340000#####${last4}`;
	return `411111######${last4}`;
}

function luhn(pan: string): boolean {
	let sum = 0;
	for (let i = 0; i < pan.length; i++) {
		let digit = Number(pan[pan.length - 1 - i]);
		if (i % 2 === 1) {
			digit *= 2;
			if (digit > 9) digit -= 9;
		}
		sum += digit;
	}
	return sum % 10 === 0;
}
