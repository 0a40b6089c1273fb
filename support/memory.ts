// Memory of a process tree, from /proc (Linux): n8n and its task runner, for the benchmarks.
import * as fs from 'fs';

function childrenOf(): Map<number, number[]> {
	const map = new Map<number, number[]>();
	for (const entry of fs.readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		try {
			const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
			// Field 4 is the parent pid; the command name (field 2) may contain spaces, so split after ")".
			const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
			const list = map.get(ppid) ?? [];
			list.push(Number(entry));
			map.set(ppid, list);
		} catch {
			// The process ended while we looked.
		}
	}
	return map;
}

interface ProcMemory {
	rss: number;
	/** Anonymous memory (heaps: V8's and native) and file-backed pages (the node binary, mapped files), kB. */
	anon: number;
	file: number;
}

function memoryOf(pid: number): ProcMemory {
	try {
		const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
		const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? 0);
		return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') + kb('RssShmem') };
	} catch {
		return { rss: 0, anon: 0, file: 0 };
	}
}

function rssKb(pid: number): number {
	return memoryOf(pid).rss;
}

/** `pid` and all its descendants. */
function treeOf(pid: number): number[] {
	const children = childrenOf();
	const out: number[] = [];
	const stack = [pid];
	const seen = new Set<number>();
	while (stack.length) {
		const p = stack.pop()!;
		if (seen.has(p)) continue;
		seen.add(p);
		out.push(p);
		stack.push(...(children.get(p) ?? []));
	}
	return out;
}

/** Summed VmRSS (kB) of `pid` and all its descendants (n8n and its task runner). */
export function treeRssKb(pid: number): number {
	return treeOf(pid).reduce((sum, p) => sum + rssKb(p), 0);
}

/** The tree's memory at its peak: the root process (n8n main) and its descendants (the task runner), kB. */
export interface PeakBreakdown {
	totalKb: number;
	mainKb: number;
	childrenKb: number;
	anonKb: number;
	fileKb: number;
}

/**
 * Samples the tree's RSS every `everyMs` until stopped; reports the peak, the last sample, and
 * where the peak sample's memory was (root vs descendants, anonymous vs file-backed).
 */
export class RssSampler {
	peakKb = 0;
	lastKb = 0;
	samples = 0;
	peak: PeakBreakdown = { totalKb: 0, mainKb: 0, childrenKb: 0, anonKb: 0, fileKb: 0 };
	private timer?: NodeJS.Timeout;

	constructor(
		private readonly pid: number,
		private readonly everyMs = 200,
	) {}

	start(): this {
		const tick = () => {
			const sample: PeakBreakdown = { totalKb: 0, mainKb: 0, childrenKb: 0, anonKb: 0, fileKb: 0 };
			for (const p of treeOf(this.pid)) {
				const m = memoryOf(p);
				sample.totalKb += m.rss;
				sample.anonKb += m.anon;
				sample.fileKb += m.file;
				if (p === this.pid) sample.mainKb += m.rss;
				else sample.childrenKb += m.rss;
			}
			this.lastKb = sample.totalKb;
			if (sample.totalKb > this.peakKb) {
				this.peakKb = sample.totalKb;
				this.peak = sample;
			}
			this.samples += 1;
		};
		tick();
		this.timer = setInterval(tick, this.everyMs);
		return this;
	}

	stop(): void {
		if (this.timer) clearInterval(this.timer);
		this.timer = undefined;
	}
}
