// The node's own input checks, on top of the kit's parameter readers: each throws a FieldError
// naming the parameter, before anything is sent to the gateway.
import type { IExecuteFunctions } from 'n8n-workflow';
import { FieldError } from '../../shared/errors';
import { normaliseCurrency, toMinorUnits } from '../../shared/currency';
import { choiceParameter, requiredTextParameter } from '../../shared/parameters';

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
	return normaliseCurrency(fns.getNodeParameter(name, itemIndex, '') as unknown, name);
}

/** Amount in integer minor units of `currency`, from the `amount` and `amountUnit` parameters. */
export function amountParameter(fns: IExecuteFunctions, itemIndex: number, currency: string): number {
	const mode = choiceParameter(fns, 'amountUnit', itemIndex, ['major', 'minor'] as const, 'major');
	return toMinorUnits(fns.getNodeParameter('amount', itemIndex, '') as unknown, currency, { mode, field: 'amount', allowZero: false });
}
