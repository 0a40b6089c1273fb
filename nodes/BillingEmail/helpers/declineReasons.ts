// Customer-facing wording for acquirer response codes (ISO 8583, as Secure Trading returns
// them in `acquirerresponsecode`). Deliberately vague for fraud-related codes.
const REASONS: Record<string, string> = {
	'05': 'your card issuer did not authorise the payment',
	'51': 'insufficient funds',
	'54': 'the card has expired',
	'14': 'the card number is not valid',
	'41': 'your card issuer did not authorise the payment',
	'43': 'your card issuer did not authorise the payment',
	'57': 'the card cannot be used for this type of payment',
	'61': 'the payment exceeds the card’s withdrawal limit',
	'62': 'the card is restricted',
	'65': 'the card’s activity limit has been exceeded',
	'91': 'your card issuer could not be reached',
};

/** Readable reason for a decline; falls back to a generic sentence for unknown codes. */
export function readableDeclineReason(acquirerResponseCode: string): string {
	const code = acquirerResponseCode.trim().padStart(2, '0');
	return REASONS[code] ?? 'your card issuer did not authorise the payment';
}
