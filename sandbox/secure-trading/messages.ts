// Gateway error codes and their English messages, as the gateway returns them
// (texts as in SecureTrading/st-python-api securetrading/data/errormessages.json).
export const ERROR_MESSAGES: Readonly<Record<string, string>> = {
	'0': 'Ok',
	'10205': 'Malformed JSON',
	'20004': 'Missing parent',
	'20005': 'Refund requires settled parent or parent thats due to settle today',
	'20006': 'Refund requires authorisation parent',
	'20007': 'Refund amount too great',
	'20011': 'Cannot refund a decline transaction',
	'20012': 'Refund requires a settled parent',
	'20015': 'Cannot override currency in child transaction',
	'30000': 'Invalid field',
	'30001': 'Unknown site',
	'30006': 'Invalid sitereference for alias',
	'30007': 'Invalid version number',
	'50000': 'Socket receive error',
	'60010': 'Bank System Error',
	'60018': 'Invalid requesttype',
	'60019': 'No searchable filter specified',
	'60034': 'Manual investigation required',
	'60037': 'Invalid filters',
	'70000': 'Decline',
	'99999': 'Unknown error',
};

export function messageFor(code: string): string {
	return ERROR_MESSAGES[code] ?? 'Unknown error';
}

/** Acquirer (ISO 8583) response codes the sandbox's stored cards can be set to decline with. */
export const ACQUIRER_DECLINE_CODES: Readonly<Record<string, string>> = {
	'01': 'Refer to card issuer',
	'04': 'Pick up card',
	'05': 'Do not honour',
	'12': 'Invalid transaction',
	'14': 'Invalid card number',
	'41': 'Lost card',
	'43': 'Stolen card',
	'51': 'Insufficient funds',
	'54': 'Expired card',
	'57': 'Transaction not permitted to cardholder',
	'59': 'Suspected fraud',
	'61': 'Exceeds withdrawal amount limit',
	'62': 'Restricted card',
	'65': 'Exceeds withdrawal frequency limit',
	'91': 'Issuer unavailable',
	'96': 'System malfunction',
	R1: 'Revocation of authorisation order',
};

/**
 * Acquirer codes after which card-scheme rules forbid another attempt on that card (pick up,
 * fraud, invalid card or transaction, no such issuer, lost, stolen, closed account, not
 * permitted, stop-payment and revocation orders). See the reference's "Card-scheme rules".
 */
export const NEVER_RETRY_DECLINE_CODES: ReadonlySet<string> = new Set(['04', '07', '12', '14', '15', '41', '43', '46', '57', 'R0', 'R1', 'R3']);
