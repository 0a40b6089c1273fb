// Invoice line arithmetic, exact in minor units: quantity (4 dp) × unit amount (2 or 4 dp) → line
// amount in cents, tax per line for Exclusive / Inclusive / NoTax amounts, and the invoice totals,
// with Xero's per-line validation messages.
import { randomUUID } from 'crypto';
import { amountToCents, divRound, fromCents, toScaled } from './values';
import type { AccountDef } from './accounts';
import type { NumberInput } from './inputs';
import type { Organisation } from './organisation';

/** What one line of an invoice element gives. */
export interface LineInput {
	description?: string;
	itemCode?: string;
	quantity: NumberInput;
	unitAmount: NumberInput;
	lineAmount: NumberInput;
	accountCode?: string;
	taxType?: string;
}

export interface LineRec {
	LineItemID: string;
	Description: string;
	Quantity: number;
	UnitAmount: number;
	AccountCode?: string;
	TaxType: string;
	TaxAmountCents: number;
	LineAmountCents: number;
}

export interface LineContext {
	type: string;
	lineAmountTypes: string;
	status: string;
	unitdp: number;
}

export interface ComputedLines {
	lines: LineRec[];
	subTotal: number;
	totalTax: number;
	total: number;
	errors: string[];
}

function round4(n: number): number {
	return Math.round(n * 10000) / 10000;
}

/** Quantity, unit amount and line amount in cents of one line; undefined (with errors) when a number is unusable. */
function lineAmounts(
	lineIn: LineInput,
	ctx: LineContext,
	errors: string[],
): { quantity: number; unitAmount: number; lineCents: number } | undefined {
	const { quantity: qty, unitAmount: unit, lineAmount: lineAmountIn } = lineIn;
	if (qty === 'invalid') errors.push('Quantity must be a valid number.');
	if (unit === 'invalid') errors.push('Unit Price must be a valid number.');
	if (lineAmountIn === 'invalid') errors.push('Line Amount must be a valid number.');
	if (qty === 'invalid' || unit === 'invalid' || lineAmountIn === 'invalid') return undefined;
	const quantity = round4(qty ?? 1);
	if (quantity === 0 && ctx.status !== 'DRAFT') errors.push('Quantity must not be zero.');
	// Xero keeps UnitAmount at 2 decimals unless the call passes unitdp=4, rounding half away from
	// zero on the decimal value (KWD 10.125 became 10.13 in Xero; toFixed would turn 1.005 into 1.00).
	// https://developer.xero.com/documentation/guides/how-to-guides/rounding-in-xero
	const unitDp = ctx.unitdp === 4 ? 4 : 2;
	const keep = (v: number) => Number(toScaled(v, unitDp)) / 10 ** unitDp;
	let unitAmount: number;
	if (unit !== undefined) unitAmount = keep(unit);
	else if (lineAmountIn !== undefined && quantity !== 0) unitAmount = keep(lineAmountIn / quantity);
	else unitAmount = 0;
	const q4 = toScaled(quantity, 4);
	const u4 = toScaled(unitAmount, 4);
	// LineAmount and every total are 2-decimal in Xero whatever the currency's minor unit (JPY, BHD).
	const lineCents = Number(divRound(q4 * u4, 1000000n)); // 4dp × 4dp → 2dp
	if (lineAmountIn !== undefined && unit !== undefined && amountToCents(lineAmountIn) !== lineCents) {
		errors.push(`The line total ${lineAmountIn.toFixed(2)} does not match the expected line total ${fromCents(lineCents).toFixed(2)}`);
	}
	return { quantity, unitAmount, lineCents };
}

function lineAccount(org: Organisation, lineIn: LineInput, ctx: LineContext, errors: string[]): AccountDef | undefined {
	const accountCode = lineIn.accountCode;
	if (accountCode) {
		const account = org.account(accountCode);
		const unusable = !account || account.Type === 'BANK';
		if (unusable) errors.push(`Account code '${accountCode}' is not a valid code for this document.`);
		return account;
	}
	if (ctx.status !== 'DRAFT') errors.push('Account code must be specified.');
	return undefined;
}

/** Tax of one line, rounded to 2 decimals per line; the invoice's tax is the sum of the lines' (Rounding in Xero). */
function taxCentsOf(lineCents: number, ratePercent: number, lineAmountTypes: string): number {
	const r4 = toScaled(ratePercent, 4); // percent × 10^4
	if (lineAmountTypes === 'Exclusive') return Number(divRound(BigInt(lineCents) * r4, 1000000n));
	if (lineAmountTypes === 'Inclusive') return Number(divRound(BigInt(lineCents) * r4, 1000000n + r4));
	return 0;
}

/** Works out line amounts and totals; returns errors instead when a line is unusable. */
export function computeLines(org: Organisation, linesIn: LineInput[], ctx: LineContext): ComputedLines {
	const errors: string[] = [];
	const lines: LineRec[] = [];
	let sumLines = 0;
	let sumTax = 0;
	linesIn.forEach((lineIn) => {
		const description = lineIn.description ?? '';
		const itemCode = lineIn.itemCode;
		if (!description.trim() && !itemCode) errors.push('Description must be specified.');
		if (description.length > 4000) errors.push('Description must not be more than 4000 characters long.');
		const amounts = lineAmounts(lineIn, ctx, errors);
		if (!amounts) return;
		const account = lineAccount(org, lineIn, ctx, errors);

		let taxType = lineIn.taxType?.toUpperCase();
		if (ctx.lineAmountTypes === 'NoTax') taxType = 'NONE';
		if (!taxType) taxType = account?.TaxType ?? 'NONE';
		const rate = org.taxRate(taxType);
		const fits = rate && (ctx.type === 'ACCREC' ? rate.CanApplyToRevenue : rate.CanApplyToExpenses);
		if (!fits) {
			errors.push(`The TaxType code '${taxType}' does not exist or cannot be used for this type of transaction.`);
			return;
		}
		const taxCents = taxCentsOf(amounts.lineCents, rate.Rate, ctx.lineAmountTypes);
		sumLines += amounts.lineCents;
		sumTax += taxCents;
		lines.push({
			LineItemID: randomUUID(),
			Description: description,
			Quantity: amounts.quantity,
			UnitAmount: amounts.unitAmount,
			AccountCode: account?.Code,
			TaxType: rate.TaxType,
			TaxAmountCents: taxCents,
			LineAmountCents: amounts.lineCents,
		});
	});
	const subTotal = ctx.lineAmountTypes === 'Inclusive' ? sumLines - sumTax : sumLines;
	return { lines, subTotal, totalTax: sumTax, total: subTotal + sumTax, errors };
}
