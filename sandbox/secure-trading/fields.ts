// Validation of request fields shared by the request types: each check throws the
// GatewayError (usually 30000 naming the field) the real gateway answers with.
import { GatewayError, type CallContext, type GatewayOptions } from './model';

const ACCOUNT_TYPES_FOR: Record<string, string[]> = {
	AUTH: ['ECOM', 'MOTO', 'RECUR'],
	ACCOUNTCHECK: ['ECOM', 'MOTO'],
	REFUND: ['ECOM', 'MOTO', 'RECUR'],
};

export type RequestFields = Record<string, unknown>;

export function optionalString(fields: RequestFields, key: string): string | undefined {
	const value = fields[key];
	if (value === undefined) return undefined;
	if (typeof value !== 'string') throw new GatewayError('30000', [key]);
	return value;
}

export function site(opts: GatewayOptions, fields: RequestFields, ctx: CallContext): string {
	const value = optionalString(fields, 'sitereference');
	if (value === undefined || value === '') throw new GatewayError('30000', ['sitereference']);
	checkSite(opts, value, ctx);
	return value;
}

export function checkSite(opts: GatewayOptions, value: string, ctx: CallContext): void {
	if (!opts.sites.includes(value)) throw new GatewayError('30001', ['sitereference']);
	if (!ctx.allowedSites.includes(value)) throw new GatewayError('30006', ['sitereference']);
}

export function accountType(fields: RequestFields, type: string): string {
	const value = optionalString(fields, 'accounttypedescription');
	if (value === undefined || !ACCOUNT_TYPES_FOR[type].includes(value)) throw new GatewayError('30000', ['accounttypedescription']);
	return value;
}

export function currency(opts: GatewayOptions, fields: RequestFields): string {
	const value = optionalString(fields, 'currencyiso3a');
	if (value === undefined || !opts.currencies.includes(value)) throw new GatewayError('30000', ['currencyiso3a']);
	return value;
}

/** `baseamount`: digits only, at most 13; zero exactly when `zero` (ACCOUNTCHECK), positive otherwise. */
export function amount(fields: RequestFields, zero: boolean): string {
	const value = fields.baseamount;
	if (typeof value !== 'string' || !/^\d{1,13}$/.test(value)) throw new GatewayError('30000', ['baseamount']);
	const minor = Number(value);
	if (zero ? minor !== 0 : minor <= 0) throw new GatewayError('30000', ['baseamount']);
	return String(minor);
}

export function orderReference(fields: RequestFields): string | undefined {
	const value = fields.orderreference;
	if (value === undefined) return undefined;
	if (typeof value !== 'string' || value.length > 255) throw new GatewayError('30000', ['orderreference']);
	return value;
}

export function credentialsOnFile(fields: RequestFields): string | undefined {
	const value = fields.credentialsonfile;
	if (value === undefined) return undefined;
	if (value !== '0' && value !== '1' && value !== '2') throw new GatewayError('30000', ['credentialsonfile']);
	return value;
}

export function subscriptionFields(fields: RequestFields): { subscriptiontype?: string; subscriptionnumber?: string } {
	const type = fields.subscriptiontype;
	if (type !== undefined && type !== 'RECURRING' && type !== 'INSTALLMENT') throw new GatewayError('30000', ['subscriptiontype']);
	const number = fields.subscriptionnumber;
	if (number !== undefined && (typeof number !== 'string' || !/^\d{1,5}$/.test(number) || Number(number) < 1)) {
		throw new GatewayError('30000', ['subscriptionnumber']);
	}
	return { ...(type !== undefined ? { subscriptiontype: type } : {}), ...(number !== undefined ? { subscriptionnumber: String(Number(number)) } : {}) };
}

/**
 * A charge on stored credentials (a parent, no card number) is merchant-initiated and must say
 * so with all the fields of its kind (docs/secure-trading.md, "Merchant-initiated charges"):
 * - always `credentialsonfile: "2"` (Credentials on File: flag every payment that uses stored credentials);
 * - RECUR (a recurring series): `subscriptiontype` and `subscriptionnumber`;
 * - ECOM/MOTO (unscheduled and other MIT reasons): `initiationreason`.
 * A missing field is refused with 30000 naming it, as the gateway does for a missing required field.
 */
export function merchantInitiatedFields(
	accountType: string,
	cof: string | undefined,
	initiationReason: string | undefined,
	subscription: { subscriptiontype?: string; subscriptionnumber?: string },
): void {
	if (cof !== '2') throw new GatewayError('30000', ['credentialsonfile']);
	if (accountType === 'RECUR') {
		if (subscription.subscriptiontype === undefined) throw new GatewayError('30000', ['subscriptiontype']);
		if (subscription.subscriptionnumber === undefined) throw new GatewayError('30000', ['subscriptionnumber']);
	} else if (initiationReason === undefined) {
		throw new GatewayError('30000', ['initiationreason']);
	}
}
