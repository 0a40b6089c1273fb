// Reading and checking node parameters. Bad input becomes a NodeOperationError that names the
// field and the item, before anything is sent to the gateway.
import type { IExecuteFunctions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { AmountError, normaliseCurrency, toMinorUnits, type AmountMode } from '../../shared/currency';

/** Thrown for bad input; carries the offending field so continueOnFail items can name it. */
export class InputError extends NodeOperationError {
	field = '';
}

export function inputError(fns: IExecuteFunctions, itemIndex: number, field: string, message: string, description?: string): InputError {
	const error = new InputError(fns.getNode(), `${message} [item ${itemIndex}]`, { itemIndex, description });
	error.field = field;
	return error;
}

export function requiredString(fns: IExecuteFunctions, itemIndex: number, name: string, label: string): string {
	const raw = fns.getNodeParameter(name, itemIndex, '') as unknown;
	const value = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
	if (!value) throw inputError(fns, itemIndex, name, `${label} (${name}) is required`);
	return value;
}

/** Gateway transaction references look like "55-9-35032". */
export function transactionReference(fns: IExecuteFunctions, itemIndex: number, name: string, label: string): string {
	const value = requiredString(fns, itemIndex, name, label);
	if (!/^\d+-\d+-\d+$/.test(value)) {
		throw inputError(fns, itemIndex, name, `${label} (${name}) "${value}" is not a Secure Trading transaction reference like 55-9-35032`);
	}
	return value;
}

export function currencyParam(fns: IExecuteFunctions, itemIndex: number, name = 'currency'): string {
	try {
		return normaliseCurrency(fns.getNodeParameter(name, itemIndex, '') as unknown, name);
	} catch (error) {
		if (error instanceof AmountError) throw inputError(fns, itemIndex, name, error.message);
		throw error;
	}
}

/** Amount in integer minor units of `currency`, from the `amount` and `amountUnit` parameters. */
export function amountParam(fns: IExecuteFunctions, itemIndex: number, currency: string): number {
	const mode = fns.getNodeParameter('amountUnit', itemIndex, 'major') as AmountMode;
	const raw = fns.getNodeParameter('amount', itemIndex, '') as unknown;
	try {
		return toMinorUnits(raw, currency, { mode, field: 'amount', allowZero: false });
	} catch (error) {
		if (error instanceof AmountError) throw inputError(fns, itemIndex, 'amount', error.message);
		throw error;
	}
}

export function numberOption(fns: IExecuteFunctions, itemIndex: number, name: string, fallback: number, min: number): number {
	const value = fns.getNodeParameter(`options.${name}`, itemIndex, fallback) as unknown;
	const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
	if (typeof number !== 'number' || !Number.isFinite(number) || number < min) {
		throw inputError(fns, itemIndex, `options.${name}`, `Option ${name} must be a number of at least ${min}`);
	}
	return number;
}
