// Local stand-in for the Secure Trading (Trust Payments) JSON webservices gateway.
export { startSecureTradingSandbox } from './server';
export type {
	CallCounts,
	FaultKind,
	FaultRates,
	ForcedFault,
	LoggedRequest,
	SandboxUser,
	SecureTradingSandbox,
	SecureTradingSandboxOptions,
} from './server';
export type { CardBehaviour, GatewayResponse, SandboxTransaction, StoredCardInput } from './gateway';
export { ERROR_MESSAGES, ACQUIRER_DECLINE_CODES, NEVER_RETRY_DECLINE_CODES } from './messages';
