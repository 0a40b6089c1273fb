// Which run ledger a node uses: the Store parameter (file: n8n's user folder, one n8n; postgres:
// n8n's Postgres credential, every queue-mode worker).
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import { journalFor, journalSettings } from '../../shared/journal';
import { FileRunLedger, defaultLedgerFolder } from './file';
import { PostgresRunLedger } from './postgres';
import type { RunLedgerStore } from './types';

export type StoreKind = 'file' | 'postgres';

export function openStore(kind: StoreKind, credentials: ICredentialDataDecryptedObject | undefined, folder: string): RunLedgerStore {
	if (kind === 'postgres') return new PostgresRunLedger(journalFor(journalSettings(credentials ?? {})));
	return new FileRunLedger(folder.trim() || defaultLedgerFolder());
}

export { defaultLedgerFolder, FileRunLedger } from './file';
export { PostgresRunLedger } from './postgres';
export type { RunLedgerStore } from './types';
