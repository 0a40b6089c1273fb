// The machine's PostgreSQL for tests of the shared sent and charge records: one query on its own
// connection, and a database of the test file's own (created before, dropped after).
import { randomBytes } from 'crypto';
import { Client } from 'pg';
import type { IDataObject } from 'n8n-workflow';
import { POSTGRES } from '../../support/queue-mode';

export async function sql<T extends IDataObject>(db: string, text: string, values: unknown[] = []): Promise<T[]> {
	const client = new Client({ ...POSTGRES, database: db });
	await client.connect();
	try {
		return (await client.query<T>(text, values)).rows;
	} finally {
		await client.end();
	}
}

/** A database name of this process's own (`billing_journal_<pid>_<random>`). */
export function testDatabaseName(): string {
	return `billing_journal_${process.pid}_${randomBytes(4).toString('hex')}`;
}
