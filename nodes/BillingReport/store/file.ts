// The run ledger in a folder (by default in n8n's user folder): one append-only JSON-lines file
// per run, an index of runs, small state files and claim files. Lines are fsynced before append()
// returns, so an event the report workflow recorded survives a crash; a redelivered event is
// appended again and dropped by the fold (same event id). Claims are files created exclusively
// (O_EXCL), which holds across processes sharing the folder.
import { createHash } from 'crypto';
import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { IDataObject } from 'n8n-workflow';
import { KeyedLock } from '../../shared/concurrency';
import { ServiceError } from '../../shared/errors';
import type { LedgerEvent, OutcomeEvent, RunHeader } from '../helpers/model';
import { CLEANUP_EVERY_MS, LEDGER_RETENTION_DAYS, type RunLedgerStore } from './types';

/** n8n's user folder (`N8N_USER_FOLDER`/.n8n, else ~/.n8n), where the ledger lives by default. */
export function defaultLedgerFolder(): string {
	return path.join(process.env.N8N_USER_FOLDER ?? os.homedir(), '.n8n', 'billing-run-ledger');
}

/** A file name for any run id or key: readable part plus a hash, so odd characters cannot escape the folder. */
export function safeName(id: string): string {
	const readable = id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
	return `${readable}-${createHash('sha256').update(id).digest('hex').slice(0, 12)}`;
}

interface IndexLine {
	runId: string;
	startedAt?: string;
	periodStart?: string;
	periodEnd?: string;
	reportedAt?: string;
}

const locks = new KeyedLock();

/** A folder the ledger cannot use (permissions, a full disk): retryable, the batch comes back. */
function folderError(error: unknown, file: string, doing: string): ServiceError {
	const e = error as NodeJS.ErrnoException;
	return new ServiceError(`Run ledger: ${doing} ${file} failed: ${e.message ?? String(error)}`, {
		code: e.code ?? 'ledgerFolder',
		retryable: true,
		description: "Check that n8n can write to the Ledger Folder (by default billing-run-ledger in n8n's user folder) and that the disk is not full.",
	});
}

export class FileRunLedger implements RunLedgerStore {
	readonly target: string;
	private lastCleanUp = 0;

	constructor(readonly folder: string) {
		this.target = `folder ${folder}`;
	}

	private runFile(runId: string): string {
		return path.join(this.folder, 'runs', `${safeName(runId)}.jsonl`);
	}

	private get indexFile(): string {
		return path.join(this.folder, 'runs.jsonl');
	}

	async append(events: readonly LedgerEvent[]): Promise<void> {
		if (events.length === 0) return;
		const byRun = new Map<string, LedgerEvent[]>();
		for (const e of events) byRun.set(e.runId, [...(byRun.get(e.runId) ?? []), e]);
		await fsp.mkdir(path.join(this.folder, 'runs'), { recursive: true });
		// Housekeeping never fails the recording it rides on.
		if (Date.now() - this.lastCleanUp >= CLEANUP_EVERY_MS) await this.cleanUp().catch(() => undefined);
		for (const [runId, list] of byRun) {
			const file = this.runFile(runId);
			await locks.run(file, async () => await appendSynced(file, list.map((e) => JSON.stringify(e)).join('\n') + '\n'));
			const index: IndexLine[] = [];
			for (const e of list) {
				if (e.type === 'start') index.push({ runId, startedAt: e.at, ...(e.periodStart ? { periodStart: e.periodStart } : {}), ...(e.periodEnd ? { periodEnd: e.periodEnd } : {}) });
				if (e.type === 'reported') index.push({ runId, reportedAt: e.at });
			}
			if (index.length) await locks.run(this.indexFile, async () => await appendSynced(this.indexFile, index.map((l) => JSON.stringify(l)).join('\n') + '\n'));
		}
	}

	async read(runId: string): Promise<LedgerEvent[]> {
		return await readLines<LedgerEvent>(this.runFile(runId));
	}

	async listRuns(limit: number): Promise<RunHeader[]> {
		const runs = new Map<string, IndexLine>();
		for (const line of await readLines<IndexLine>(this.indexFile)) {
			const known = runs.get(line.runId);
			// The first start of a run is its start; a second (a crashed collect run again) changes nothing.
			runs.set(line.runId, { ...line, ...known, ...(line.reportedAt && !known?.reportedAt ? { reportedAt: line.reportedAt } : {}) });
		}
		return [...runs.values()]
			.filter((r): r is IndexLine & { startedAt: string } => typeof r.startedAt === 'string')
			.sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0))
			.slice(0, limit)
			.map((r) => ({
				runId: r.runId,
				startedAt: r.startedAt,
				...(r.periodStart ? { periodStart: r.periodStart } : {}),
				...(r.periodEnd ? { periodEnd: r.periodEnd } : {}),
				...(r.reportedAt ? { reportedAt: r.reportedAt } : {}),
			}));
	}

	async outcomesSince(since: string): Promise<OutcomeEvent[]> {
		const dir = path.join(this.folder, 'runs');
		const sinceMs = Date.parse(since);
		let names: string[];
		try {
			names = await fsp.readdir(dir);
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
			throw folderError(error, dir, 'listing');
		}
		const out: OutcomeEvent[] = [];
		for (const name of names) {
			const file = path.join(dir, name);
			// A file untouched since then holds nothing newer.
			if ((await fsp.stat(file)).mtimeMs < sinceMs) continue;
			for (const e of await readLines<LedgerEvent>(file)) if (e.type === 'outcome' && Date.parse(e.at) >= sinceMs) out.push(e);
		}
		return out.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
	}

	async getState(key: string): Promise<IDataObject | undefined> {
		try {
			return JSON.parse(await fsp.readFile(path.join(this.folder, 'state', `${safeName(key)}.json`), 'utf8')) as IDataObject;
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
			throw folderError(error, key, 'reading state');
		}
	}

	async setState(key: string, value: IDataObject): Promise<void> {
		const dir = path.join(this.folder, 'state');
		await fsp.mkdir(dir, { recursive: true });
		const file = path.join(dir, `${safeName(key)}.json`);
		// Written aside and renamed: a reader never sees half a file.
		const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
		await fsp.writeFile(temp, JSON.stringify(value));
		await fsp.rename(temp, file);
	}

	/** Run files and claims untouched for `days`; the index keeps only the runs still on disk. */
	async cleanUp(days = LEDGER_RETENTION_DAYS, now = Date.now()): Promise<number> {
		this.lastCleanUp = now;
		const oldest = now - days * 86_400_000;
		let removed = 0;
		for (const dir of ['runs', 'claims']) {
			let names: string[];
			try {
				names = await fsp.readdir(path.join(this.folder, dir));
			} catch {
				continue;
			}
			for (const name of names) {
				const file = path.join(this.folder, dir, name);
				if ((await fsp.stat(file)).mtimeMs >= oldest) continue;
				await fsp.rm(file, { force: true });
				removed++;
			}
		}
		if (removed > 0) {
			await locks.run(this.indexFile, async () => {
				const kept: IndexLine[] = [];
				for (const line of await readLines<IndexLine>(this.indexFile)) {
					if (await fsp.stat(this.runFile(line.runId)).then(() => true, () => false)) kept.push(line);
				}
				const temp = `${this.indexFile}.${process.pid}.tmp`;
				await fsp.writeFile(temp, kept.map((l) => JSON.stringify(l)).join('\n') + (kept.length ? '\n' : ''));
				await fsp.rename(temp, this.indexFile);
			});
		}
		return removed;
	}

	async claim(key: string): Promise<boolean> {
		const dir = path.join(this.folder, 'claims');
		await fsp.mkdir(dir, { recursive: true });
		try {
			const handle = await fsp.open(path.join(dir, safeName(key)), 'wx');
			await handle.close();
			return true;
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
			throw folderError(error, key, 'claiming');
		}
	}
}

async function appendSynced(file: string, text: string): Promise<void> {
	const handle = await fsp.open(file, 'a');
	try {
		await handle.write(text);
		await handle.datasync();
	} finally {
		await handle.close();
	}
}

/** Every complete line of a JSON-lines file (a torn last line from a crash is skipped). */
async function readLines<T>(file: string): Promise<T[]> {
	let text: string;
	try {
		text = await fsp.readFile(file, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
		throw folderError(error, file, 'reading');
	}
	const out: T[] = [];
	for (const line of text.split('\n')) {
		if (!line.trim()) continue;
		try {
			out.push(JSON.parse(line) as T);
		} catch {
			// A line cut short by a crash mid-write: its event comes again with the redelivered batch.
		}
	}
	return out;
}
