// Values the model computes with: money in minor units (exact decimal arithmetic with bigint
// scaling, half away from zero), calendar days as epoch ms at midnight UTC, and Xero's GUID ids.

/** Midnight UTC of today, as Xero defaults a missing invoice date to the organisation's today. */
export function todayUtc(now = Date.now()): number {
	const d = new Date(now);
	return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}

/** Minor units (cents) → decimal number (2 dp), as amounts are shown and filtered on. */
export function fromCents(cents: number): number {
	return Number((cents / 100).toFixed(2));
}

/** Minor units as printed on documents: "1234.50". */
export const centsText = (cents: number): string => fromCents(cents).toFixed(2);

/** Decimal → scaled integer (e.g. 4 dp → ×10000), rounding half away from zero. */
export function toScaled(value: number, dp: number): bigint {
	const [intPart, fracPart = ''] = Math.abs(value).toFixed(dp + 2).split('.');
	const digits = BigInt(intPart + fracPart); // value × 10^(dp+2)
	let scaled = digits / 100n;
	if (digits % 100n >= 50n) scaled += 1n;
	return value < 0 ? -scaled : scaled;
}

/** Divides with rounding half away from zero. */
export function divRound(n: bigint, d: bigint): bigint {
	const neg = n < 0n !== d < 0n;
	const [an, ad] = [n < 0n ? -n : n, d < 0n ? -d : d];
	let q = an / ad;
	if ((an % ad) * 2n >= ad) q += 1n;
	return neg ? -q : q;
}

/** A decimal amount given on input (e.g. a payment of 12.34) → cents, or null if it has more than 2 dp. */
export function amountToCents(value: number): number | null {
	const cents = Math.round(value * 100);
	if (Math.abs(cents - value * 100) > 1e-6) return null;
	return cents;
}

export const EMPTY_GUID = '00000000-0000-0000-0000-000000000000';

export function isGuid(value: unknown): value is string {
	return typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
