// The signature every gateway request type handler (AUTH, ACCOUNTCHECK, ...) implements.
import type { RequestFields } from '../fields';
import type { Ledger } from '../ledger';
import type { CallContext, GatewayResponse } from '../model';

/**
 * Handles one request type of one request element. `chainedParent` is the transaction an
 * earlier type of the same element created (ACCOUNTCHECK then AUTH). Throws GatewayError.
 */
export type RequestTypeHandler = (ledger: Ledger, fields: RequestFields, ctx: CallContext, chainedParent?: string) => GatewayResponse;
