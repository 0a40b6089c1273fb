// The run ledger in PostgreSQL (queue mode: every worker records and reads the same runs), on the
// shared journal's pool for n8n's Postgres credential. Events are appended, never updated: a
// redelivered outcome (same event id) is skipped by the unique index, and the report is a fold.
import type { IDataObject } from 'n8n-workflow';
import type { Journal } from '../../shared/journal';
import type { LedgerEvent, OutcomeEvent, RunHeader } from '../helpers/model';
import { CLEANUP_EVERY_MS, LEDGER_RETENTION_DAYS, type RunLedgerStore } from './types';

export const EVENTS_TABLE = 'n8n_billing_pipeline_run_events';
export const STATE_TABLE = 'n8n_billing_pipeline_run_state';

const SCHEMA = [
	`CREATE TABLE IF NOT EXISTS ${EVENTS_TABLE} (
		id bigserial PRIMARY KEY,
		run_id text NOT NULL,
		event_id text NOT NULL,
		type text NOT NULL,
		at timestamptz NOT NULL,
		data jsonb NOT NULL
	)`,
	`CREATE UNIQUE INDEX IF NOT EXISTS ${EVENTS_TABLE}_event ON ${EVENTS_TABLE} (run_id, event_id)`,
	`CREATE INDEX IF NOT EXISTS ${EVENTS_TABLE}_type_at ON ${EVENTS_TABLE} (type, at)`,
	`CREATE TABLE IF NOT EXISTS ${STATE_TABLE} (
		key text PRIMARY KEY,
		data jsonb NOT NULL DEFAULT '{}'::jsonb,
		updated_at timestamptz NOT NULL DEFAULT now()
	)`,
];

/** The id that makes an event's row unique in its run: one start and one report per run. */
export function eventIdOf(event: LedgerEvent): string {
	return event.type === 'outcome' ? `outcome:${event.eventId}` : event.type;
}

export class PostgresRunLedger implements RunLedgerStore {
	readonly target: string;
	private lastCleanUp = 0;

	constructor(private readonly journal: Journal) {
		this.target = `PostgreSQL ${journal.target}`;
	}

	private async ready(): Promise<void> {
		await this.journal.ensureTables('run ledger', SCHEMA);
	}

	async append(events: readonly LedgerEvent[]): Promise<void> {
		if (events.length === 0) return;
		await this.ready();
		// Housekeeping never fails the recording it rides on.
		if (Date.now() - this.lastCleanUp >= CLEANUP_EVERY_MS) await this.cleanUp().catch(() => undefined);
		// One statement for the batch: it is recorded whole or not at all.
		await this.journal.sql(
			`INSERT INTO ${EVENTS_TABLE} (run_id, event_id, type, at, data)
			 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::jsonb[])
			 ON CONFLICT (run_id, event_id) DO NOTHING`,
			[events.map((e) => e.runId), events.map(eventIdOf), events.map((e) => e.type), events.map((e) => e.at), events.map((e) => JSON.stringify(e))],
			'recording run events',
		);
	}

	async read(runId: string): Promise<LedgerEvent[]> {
		await this.ready();
		const rows = await this.journal.sql<{ data: LedgerEvent }>(`SELECT data FROM ${EVENTS_TABLE} WHERE run_id = $1 ORDER BY id`, [runId], 'reading a run');
		return rows.map((r) => r.data);
	}

	async listRuns(limit: number): Promise<RunHeader[]> {
		await this.ready();
		const rows = await this.journal.sql<{ data: LedgerEvent; reported_at: Date | null }>(
			`SELECT s.data, r.at AS reported_at FROM ${EVENTS_TABLE} s
			 LEFT JOIN ${EVENTS_TABLE} r ON r.run_id = s.run_id AND r.event_id = 'reported'
			 WHERE s.type = 'start' ORDER BY s.at DESC, s.id DESC LIMIT $1`,
			[limit],
			'listing runs',
		);
		return rows.map(({ data, reported_at }) => headerOf(data, reported_at ? reported_at.toISOString() : undefined));
	}

	async outcomesSince(since: string): Promise<OutcomeEvent[]> {
		await this.ready();
		const rows = await this.journal.sql<{ data: OutcomeEvent }>(
			`SELECT data FROM ${EVENTS_TABLE} WHERE type = 'outcome' AND at >= $1 ORDER BY at, id`,
			[since],
			'reading recent outcomes',
		);
		return rows.map((r) => r.data);
	}

	async getState(key: string): Promise<IDataObject | undefined> {
		await this.ready();
		const rows = await this.journal.sql<{ data: IDataObject }>(`SELECT data FROM ${STATE_TABLE} WHERE key = $1`, [`state:${key}`], 'reading alert state');
		return rows[0]?.data;
	}

	async setState(key: string, value: IDataObject): Promise<void> {
		await this.ready();
		await this.journal.sql(
			`INSERT INTO ${STATE_TABLE} (key, data, updated_at) VALUES ($1, $2::jsonb, now())
			 ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data, updated_at = now()`,
			[`state:${key}`, JSON.stringify(value)],
			'writing alert state',
		);
	}

	async cleanUp(days = LEDGER_RETENTION_DAYS): Promise<number> {
		this.lastCleanUp = Date.now();
		await this.ready();
		// A run goes whole: every event of a run whose start is older than the retention.
		const runs = await this.journal.sql(
			`DELETE FROM ${EVENTS_TABLE} WHERE run_id IN (SELECT run_id FROM ${EVENTS_TABLE} GROUP BY run_id HAVING max(at) < now() - make_interval(days => $1)) RETURNING 1`,
			[days],
			'deleting old runs',
		);
		const state = await this.journal.sql(`DELETE FROM ${STATE_TABLE} WHERE key LIKE 'claim:%' AND updated_at < now() - make_interval(days => $1) RETURNING 1`, [days], 'deleting old claims');
		return runs.length + state.length;
	}

	async claim(key: string): Promise<boolean> {
		await this.ready();
		const rows = await this.journal.sql(`INSERT INTO ${STATE_TABLE} (key) VALUES ($1) ON CONFLICT (key) DO NOTHING RETURNING key`, [`claim:${key}`], 'claiming an alert');
		return rows.length === 1;
	}
}

function headerOf(event: LedgerEvent, reportedAt: string | undefined): RunHeader {
	const start = event.type === 'start' ? event : undefined;
	return {
		runId: event.runId,
		startedAt: event.at,
		...(start?.periodStart ? { periodStart: start.periodStart } : {}),
		...(start?.periodEnd ? { periodEnd: start.periodEnd } : {}),
		...(reportedAt ? { reportedAt } : {}),
	};
}
