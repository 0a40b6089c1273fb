// The node's own input checks, on top of the kit's parameter readers: each throws a FieldError
// naming the parameter, before anything is sent to the gateway.
import type { IExecuteFunctions } from 'n8n-workflow';
import { itemParameter } from '../../shared/itemParameter';
import { FieldError } from '../../shared/errors';
import { normaliseCurrency, toMinorUnits } from '../../shared/currency';
import { choiceParameter, numberParameter, requiredTextParameter } from '../../shared/parameters';

/** Gateway transaction references look like "55-9-35032". */
export const TRANSACTION_REFERENCE = /^\d+-\d+-\d+$/;

export function transactionReference(fns: IExecuteFunctions, itemIndex: number, name: string, label: string): string {
	const value = requiredTextParameter(fns, name, itemIndex, label);
	if (!TRANSACTION_REFERENCE.test(value)) {
		throw new FieldError(name, `${label} (${name}) "${value}" is not a Secure Trading transaction reference like 55-9-35032`);
	}
	return value;
}

/** An ISO 4217 code (AmountError, a FieldError, when it is not one). */
export function currencyParameter(fns: IExecuteFunctions, itemIndex: number, name = 'currency'): string {
	return normaliseCurrency(itemParameter(fns, name, itemIndex, '') as unknown, name);
}

/** Amount in integer minor units of `currency`, from the `amount` and `amountUnit` parameters (default minor, as across the package). */
export function amountParameter(fns: IExecuteFunctions, itemIndex: number, currency: string): number {
	const mode = choiceParameter(fns, 'amountUnit', itemIndex, ['minor', 'major'] as const, 'minor');
	return toMinorUnits(itemParameter(fns, 'amount', itemIndex, '') as unknown, currency, { mode, field: 'amount', allowZero: false });
}

/** Which kind of merchant-initiated charge a debit is (the Charge Type parameter). */
export type ChargeType = 'unscheduled' | 'recurring';

/** The request fields a merchant-initiated charge on a stored card sends besides parent, amount and order reference. */
export interface MerchantInitiatedFields {
	accounttypedescription: 'ECOM' | 'MOTO' | 'RECUR';
	credentialsonfile: '2';
	initiationreason?: 'C';
	subscriptiontype?: 'RECURRING' | 'INSTALLMENT';
	subscriptionnumber?: string;
}

/**
 * Exactly the fields Trust Payments documents for each kind of merchant-initiated charge
 * (docs/secure-trading.md, "Merchant-initiated charges: which fields and why"):
 * - unscheduled (amounts and dates vary): ECOM or MOTO, credentialsonfile 2, initiationreason C;
 * - recurring series: RECUR, credentialsonfile 2, subscriptiontype and subscriptionnumber (1 = first payment).
 */
export function merchantInitiatedFields(fns: IExecuteFunctions, itemIndex: number): MerchantInitiatedFields {
	const chargeType = choiceParameter(fns, 'chargeType', itemIndex, ['unscheduled', 'recurring'] as const, 'unscheduled', 'Charge Type');
	if (chargeType === 'recurring') {
		const subscriptionType = choiceParameter(fns, 'subscriptionType', itemIndex, ['RECURRING', 'INSTALLMENT'] as const, 'RECURRING', 'Subscription Type');
		const subscriptionNumber = numberParameter(fns, 'subscriptionNumber', itemIndex, { default: 0, min: 1, max: 99999, integer: true, label: 'Subscription Number' });
		return { accounttypedescription: 'RECUR', credentialsonfile: '2', subscriptiontype: subscriptionType, subscriptionnumber: String(subscriptionNumber) };
	}
	const raw = itemParameter(fns, 'accountType', itemIndex, 'ECOM') as unknown;
	if (raw === 'RECUR') {
		// The old default: RECUR alone is neither documented kind, so say how to send a complete one.
		throw new FieldError(
			'accountType',
			'Account Type (accountType) RECUR is only for a recurring series: set Charge Type to Recurring Series (with Subscription Type and Subscription Number), or use ECOM or MOTO for an unscheduled charge',
		);
	}
	const accountType = choiceParameter(fns, 'accountType', itemIndex, ['ECOM', 'MOTO'] as const, 'ECOM', 'Account Type');
	return { accounttypedescription: accountType, credentialsonfile: '2', initiationreason: 'C' };
}
