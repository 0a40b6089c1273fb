// What the router builds once per execution and every operation works with.
import type { OperationContext } from '../../shared/operation';
import type { XeroTransport } from '../transport';

export interface XeroClient {
	transport: XeroTransport;
	/** Records per Xero call: option Batch Size (1..50); 1 for Xero's PDF and the online invoice link (one invoice per call). */
	batchSize: number;
}

export type XeroContext = OperationContext<XeroClient>;
