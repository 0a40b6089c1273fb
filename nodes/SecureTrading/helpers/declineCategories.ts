// Which bank declines may be charged again, per the card schemes' own decline categories.
//
// Visa sorts issuer response codes into four categories: 1 "issuer will never approve" (no
// reattempt, a fee on every one), 2 "cannot approve at this time", 3 "data quality: revalidate
// the payment data before reattempting" and 4 "generic" (every code not listed elsewhere); 2, 3
// and 4 may be reattempted within a limit per 30 days. Mastercard groups its card-not-present
// declines into lifecycle (79), policy (82) and security (83) and sends a Merchant Advice Code
// (MAC) with them: 03 "do not try again" and 21 "payment cancelled" must never be retried. This
// node keeps three categories: `neverApprove` (Visa 1, and Mastercard codes that can only be
// retried with a MAC this gateway does not return), `tryLater` (Visa 2 and 4) and `dataQuality`
// (Visa 3). A data-quality decline is not retried here: a dunning attempt sends the same stored
// card, and the schemes allow a reattempt only once the data was corrected, so the client is
// asked to update the card instead. docs/declines.md has the table with its sources.
import { FieldError } from '../../shared/errors';

export type DeclineCategory = 'neverApprove' | 'tryLater' | 'dataQuality';
export const DECLINE_CATEGORIES: readonly DeclineCategory[] = ['neverApprove', 'tryLater', 'dataQuality'];

/** Whether a later attempt with the same stored card may succeed. */
export function isRetryableCategory(category: DeclineCategory): boolean {
	return category === 'tryLater';
}

/** The published rules each code follows; `urls` are where they were read (third-party restatements where the scheme's own text is not public). */
export const DECLINE_SOURCES = {
	'visa-cat1': {
		title: 'Visa decline category 1, issuer will never approve: no reattempt',
		urls: [
			'https://www.checkout.com/docs/developer-resources/codes/visa-response-codes',
			'https://developer.worldpay.com/products/access/reference/response-codes/scheme-codes/',
			'https://developers.getevolved.com/enterprise/docs/visas-processing-integrity-fee-program',
		],
	},
	'visa-cat2': {
		title: 'Visa decline category 2, issuer cannot approve at this time: reattempt within the limit',
		urls: [
			'https://www.checkout.com/docs/developer-resources/codes/visa-response-codes',
			'https://midmetrics.com/news/visas-rule-changes-for-declined-transaction-codes',
			'https://docs.cielo.com.br/ecommerce-cielo-en/changelog/new-retry-codes-for-visa-5c-e-9g',
		],
	},
	'visa-cat3': {
		title: 'Visa decline category 3, data quality: revalidate the payment data before a reattempt',
		urls: [
			'https://www.checkout.com/docs/developer-resources/codes/visa-response-codes-categories',
			'https://support.forte.net/support/solutions/articles/11000097635-visa-decline-response-code-rules-and-integrity-fees',
		],
	},
	'visa-cat4': {
		title: 'Visa decline category 4, generic: every code not in categories 1 to 3, reattempt within the limit',
		urls: [
			'https://www.checkout.com/docs/developer-resources/codes/visa-response-codes-categories',
			'https://developer.worldpay.com/products/access/reference/response-codes/scheme-codes/',
		],
	},
	'mc-lifecycle': {
		title: 'Mastercard lifecycle decline (79): retry only with updated card data (MAC 01), never with MAC 03',
		urls: ['https://developer.kalixa.com/docs/mastercard-decline-reason-code-service', 'https://help.maast.com/help/mastercards-decline-code-grouping-and-mac'],
	},
	'mc-security': {
		title: 'Mastercard security decline (83): MAC 03 suspected fraud, do not retry; MAC 01 only with cardholder authentication, impossible for a merchant-initiated charge',
		urls: ['https://developer.kalixa.com/docs/mastercard-decline-reason-code-service', 'https://help.maast.com/help/mastercards-decline-code-grouping-and-mac'],
	},
} as const satisfies Record<string, { title: string; urls: readonly string[] }>;

export type DeclineSourceKey = keyof typeof DECLINE_SOURCES;

export interface DeclineCode {
	reason: string;
	category: DeclineCategory;
	retryable: boolean;
	/** The rule the category follows, or `override` when the node's Decline Category Overrides option set it. */
	source: DeclineSourceKey | 'override';
}

const code = (reason: string, category: DeclineCategory, source: DeclineSourceKey): DeclineCode => ({ reason, category, retryable: isRetryableCategory(category), source });

/**
 * ISO 8583 acquirer response codes as Secure Trading returns them in `acquirerresponsecode`.
 * Where sources disagree the stricter reading wins (see the comment on each).
 */
export const DECLINE_CODES: Readonly<Record<string, DeclineCode>> = {
	'01': code('refer to card issuer', 'tryLater', 'visa-cat4'),
	'02': code('refer to card issuer (special condition)', 'tryLater', 'visa-cat4'),
	// Category 1 until April 2021, category 2 since (midmetrics.com).
	'03': code('invalid merchant', 'tryLater', 'visa-cat2'),
	'04': code('pick up card', 'neverApprove', 'visa-cat1'),
	'05': code('do not honour', 'tryLater', 'visa-cat4'),
	'06': code('error at the issuer', 'tryLater', 'visa-cat4'),
	'07': code('pick up card (special condition)', 'neverApprove', 'visa-cat1'),
	'12': code('invalid transaction', 'neverApprove', 'visa-cat1'),
	'13': code('invalid amount', 'tryLater', 'visa-cat4'),
	// Visa lists 14 in category 1 and counts it for data quality too (midmetrics.com): never retried.
	'14': code('invalid card number', 'neverApprove', 'visa-cat1'),
	'15': code('no such issuer', 'neverApprove', 'visa-cat1'),
	'19': code('re-enter transaction', 'tryLater', 'visa-cat2'),
	'30': code('format error', 'tryLater', 'visa-cat4'),
	'39': code('no credit account', 'tryLater', 'visa-cat2'),
	'41': code('lost card', 'neverApprove', 'visa-cat1'),
	'43': code('stolen card', 'neverApprove', 'visa-cat1'),
	'46': code('closed account', 'neverApprove', 'visa-cat1'),
	'51': code('insufficient funds', 'tryLater', 'visa-cat2'),
	'52': code('no checking account', 'tryLater', 'visa-cat2'),
	'53': code('no savings account', 'tryLater', 'visa-cat2'),
	'54': code('expired card', 'dataQuality', 'visa-cat3'),
	'55': code('incorrect PIN', 'dataQuality', 'visa-cat3'),
	// Reclassified to "do not honour" in October 2025 and to category 1 from 25 October 2026 (checkout.com, tabapay.com): category 1 throughout.
	'57': code('transaction not permitted to cardholder', 'neverApprove', 'visa-cat1'),
	'58': code('transaction not permitted to terminal', 'tryLater', 'visa-cat4'),
	'59': code('suspected fraud', 'tryLater', 'visa-cat2'),
	'61': code('exceeds withdrawal amount limit', 'tryLater', 'visa-cat2'),
	// Category 1 until April 2021, category 2 since (midmetrics.com, checkout.com).
	'62': code('restricted card', 'tryLater', 'visa-cat2'),
	'63': code('security violation', 'dataQuality', 'visa-cat3'),
	'65': code('exceeds withdrawal frequency limit', 'tryLater', 'visa-cat2'),
	'75': code('PIN tries exceeded', 'tryLater', 'visa-cat2'),
	// Category 1 until April 2021, category 2 since (midmetrics.com).
	'78': code('card blocked or not yet activated', 'tryLater', 'visa-cat2'),
	'79': code('lifecycle decline (card expired, replaced or closed)', 'dataQuality', 'mc-lifecycle'),
	// Visa: negative CAM, dCVV, iCVV or CVV result (category 3); Mastercard: policy decline, retried only on MAC 01 or 02.
	'82': code('card verification or policy decline', 'dataQuality', 'visa-cat3'),
	// Mastercard security decline; Visa's own 83 becomes category 2 on 25 October 2026 (tabapay.com). Without the MAC the stricter rule holds.
	'83': code('security decline (suspected fraud)', 'neverApprove', 'mc-security'),
	'91': code('issuer unavailable', 'tryLater', 'visa-cat2'),
	'92': code('unable to route to the issuer', 'tryLater', 'visa-cat4'),
	// Category 1 until April 2021, category 2 since (midmetrics.com, checkout.com).
	'93': code('transaction cannot be completed (violation of law)', 'tryLater', 'visa-cat2'),
	'96': code('system malfunction', 'tryLater', 'visa-cat2'),
	'1A': code('strong customer authentication required', 'dataQuality', 'visa-cat3'),
	'5C': code('transaction not supported or blocked by the issuer', 'tryLater', 'visa-cat2'),
	'6P': code('cardholder identity verification failed', 'dataQuality', 'visa-cat3'),
	'9G': code('blocked by the cardholder', 'tryLater', 'visa-cat2'),
	N0: code('unable to authorise', 'tryLater', 'visa-cat4'),
	N3: code('cash service not available', 'tryLater', 'visa-cat2'),
	N4: code('cash request exceeds issuer limit', 'tryLater', 'visa-cat2'),
	N7: code('security code mismatch', 'dataQuality', 'visa-cat3'),
	R0: code('stop payment order', 'neverApprove', 'visa-cat1'),
	R1: code('revocation of authorisation order', 'neverApprove', 'visa-cat1'),
	R3: code('revocation of all authorisations order', 'neverApprove', 'visa-cat1'),
};

/**
 * A code not in the table (or none at all) is generic: Visa puts every code it does not list in
 * category 4, which may be reattempted, and Mastercard forbids retries only on MAC 03/21, which
 * this gateway does not return. Retrying it loses nothing the schemes protect; calling it final
 * would lose the payments a retry collects. Max Charge Attempts still bounds the retries.
 */
export const UNKNOWN_CODE: Omit<DeclineCode, 'reason'> = { category: 'tryLater', retryable: true, source: 'visa-cat4' };

/** Per-node changes of a code's category (Decline Category Overrides). */
export type DeclineOverrides = ReadonlyMap<string, DeclineCategory>;

/** An ISO 8583 response code (field 39): two letters or digits. */
const RESPONSE_CODE = /^[0-9A-Z]{2}$/;

export function normaliseResponseCode(raw: unknown): string {
	return typeof raw === 'string' ? raw.trim().toUpperCase() : '';
}

/** The code's reason and category, after the node's overrides. */
export function declineCategoryOf(raw: unknown, overrides?: DeclineOverrides): DeclineCode {
	const key = normaliseResponseCode(raw);
	const known: DeclineCode = DECLINE_CODES[key] ?? {
		...UNKNOWN_CODE,
		reason: key ? `declined by the bank (acquirer response code ${key})` : 'declined by the bank',
	};
	const override = key ? overrides?.get(key) : undefined;
	if (override === undefined || override === known.category) return known;
	return { reason: known.reason, category: override, retryable: isRetryableCategory(override), source: 'override' };
}

export const OVERRIDES_FIELD = 'options.declineCategoryOverrides';
export const OVERRIDES_LABEL = 'Decline Category Overrides';

/**
 * Reads "05=neverApprove, 51=tryLater" (entries separated by commas, semicolons or new lines).
 * A malformed entry, an unknown category or a code named twice is a FieldError naming the entry:
 * a silently ignored override would charge (or not charge) against what ops decided.
 */
export function parseDeclineOverrides(raw: unknown, field = OVERRIDES_FIELD, label = OVERRIDES_LABEL): DeclineOverrides {
	const overrides = new Map<string, DeclineCategory>();
	if (raw === undefined || raw === null || raw === '') return overrides;
	if (typeof raw !== 'string') throw new FieldError(field, `${label} (${field}) must be text like "05=neverApprove, 51=tryLater", got ${Array.isArray(raw) ? 'a list' : typeof raw}`);
	const hint = `Write entries like "05=neverApprove, 51=tryLater": a two-character acquirer response code, "=", and one of ${DECLINE_CATEGORIES.join(', ')}.`;
	for (const entry of raw.split(/[,;\n]/).map((part) => part.trim()).filter(Boolean)) {
		const match = /^([^=\s]+)\s*=\s*(\S+)$/.exec(entry);
		if (!match) throw new FieldError(field, `${label} (${field}) entry "${entry}" is not of the form code=category`, hint);
		const codeText = match[1].toUpperCase();
		if (!RESPONSE_CODE.test(codeText)) throw new FieldError(field, `${label} (${field}) entry "${entry}": "${match[1]}" is not an acquirer response code (two letters or digits, e.g. 05 or N7)`, hint);
		const category = DECLINE_CATEGORIES.find((c) => c.toLowerCase() === match[2].toLowerCase());
		if (!category) throw new FieldError(field, `${label} (${field}) entry "${entry}": "${match[2]}" is not a decline category; use one of ${DECLINE_CATEGORIES.join(', ')}`, hint);
		if (overrides.has(codeText)) throw new FieldError(field, `${label} (${field}) entry "${entry}": code ${codeText} is named more than once`, hint);
		overrides.set(codeText, category);
	}
	return overrides;
}

export interface SchemeRetryLimit {
	scheme: 'Visa' | 'Mastercard';
	/** What the limit counts. */
	rule: string;
	/** Attempts after the first decline (reattempts) or declined attempts, as the rule counts them; 0 = none. */
	maxAttempts: number;
	counts: 'reattempts' | 'declinedAttempts';
	windowHours: number;
	/** The categories the limit applies to. */
	categories: readonly DeclineCategory[];
	sources: readonly string[];
	/** Where sources disagree or a number could not be confirmed. */
	note?: string;
}

/**
 * The schemes' limits on retrying one card, as found in November 2026 (docs/declines.md). The node's
 * Max Charge Attempts (at most 10 AUTHs per billing key) stays within each.
 */
export const SCHEME_RETRY_LIMITS: readonly SchemeRetryLimit[] = [
	{
		scheme: 'Visa',
		rule: 'Category 1 (issuer will never approve): any reattempt is excessive and charged a fee',
		maxAttempts: 0,
		counts: 'reattempts',
		windowHours: 30 * 24,
		categories: ['neverApprove'],
		sources: ['https://support.cardpointe.com/compliance/visa-decline-rules', 'https://www.payway.com/visa-excessive-reattempts-rule-fees'],
	},
	{
		scheme: 'Visa',
		rule: 'Categories 2, 3 and 4: at most 15 reattempts of the declined transaction in 30 days; each further one is charged a fee',
		maxAttempts: 15,
		counts: 'reattempts',
		windowHours: 30 * 24,
		categories: ['tryLater', 'dataQuality'],
		sources: [
			'https://developer.worldpay.com/products/access/reference/response-codes/scheme-codes/',
			'https://support.cardpointe.com/compliance/visa-decline-rules',
			'https://developer.cas.cybersource.com/docs/cybs/en-us/payments/developer/ctv/rest/payments/payments-processing-basic-intro/payments-processing-basic-auth-intro/payments-intro-processing-auth-decline.html',
		],
		note:
			'Later sources say 20 in 30 days (Cielo: from 25 May 2025; TabaPay; a blog citing Visa Core Rules of 18 April 2026), Adyen and Worldpay still say 15. Not confirmed from Visa itself: the stricter 15 is kept.',
	},
	{
		scheme: 'Mastercard',
		rule: 'Transaction Processing Excellence, excessive attempts: at most 10 declined attempts on the same card in 24 hours',
		maxAttempts: 10,
		counts: 'declinedAttempts',
		windowHours: 24,
		categories: ['neverApprove', 'tryLater', 'dataQuality'],
		sources: ['https://retries.com/guides/transaction-processing-excellence', 'https://developers.tabapay.com/docs/excessive-retry-rules'],
		note: 'An older US/Canada fee counted 20 declines in 24 hours (support.forte.net); Brazilian acquirers quote 8 retries (payzu). The stricter 10 is kept.',
	},
	{
		scheme: 'Mastercard',
		rule: 'Transaction Processing Excellence, excessive attempts: at most 35 attempts on the same card, merchant and amount in 30 days',
		maxAttempts: 35,
		counts: 'declinedAttempts',
		windowHours: 30 * 24,
		categories: ['neverApprove', 'tryLater', 'dataQuality'],
		sources: ['https://retries.com/guides/transaction-processing-excellence', 'https://developers.tabapay.com/docs/excessive-retry-rules'],
	},
	{
		scheme: 'Mastercard',
		rule: 'Merchant Advice Code 03 (do not try again) or 21 (payment cancelled): no card-not-present retry of the same card and amount in 30 days',
		maxAttempts: 0,
		counts: 'reattempts',
		windowHours: 30 * 24,
		categories: ['neverApprove'],
		sources: ['https://help.maast.com/help/mastercards-decline-code-grouping-and-mac', 'https://developers.tabapay.com/docs/merchant-advice-code-mac'],
		note: 'Secure Trading does not return the MAC in the fields this node reads, so codes whose retry depends on it (79, 82, 83) are never retried.',
	},
];
