// What every Billing Report operation gets from the router: the run ledger's store and the
// report fold over it.
import type { RunReport } from './model';
import type { RunLedgerStore } from '../store/types';

export interface ReportClient {
	store: RunLedgerStore;
	/** The run's report as of now (undefined: no such run in the ledger). */
	report(runId: string): Promise<RunReport | undefined>;
}
