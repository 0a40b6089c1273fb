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

function rssKb(pid: number): number {
	try {
		const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
		const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
		return m ? Number(m[1]) : 0;
	} catch {
		return 0;
	}
}

/** Summed VmRSS (kB) of `pid` and all its descendants (n8n and its task runner). */
export function treeRssKb(pid: number): number {
	const children = childrenOf();
	let total = 0;
	const stack = [pid];
	const seen = new Set<number>();
	while (stack.length) {
		const p = stack.pop()!;
		if (seen.has(p)) continue;
		seen.add(p);
		total += rssKb(p);
		stack.push(...(children.get(p) ?? []));
	}
	return total;
}

/** Samples the tree's RSS every `everyMs` until stopped; reports the peak and the last sample. */
export class RssSampler {
	peakKb = 0;
	lastKb = 0;
	samples = 0;
	private timer?: NodeJS.Timeout;

	constructor(
		private readonly pid: number,
		private readonly everyMs = 200,
	) {}

	start(): this {
		const tick = () => {
			this.lastKb = treeRssKb(this.pid);
			this.peakKb = Math.max(this.peakKb, this.lastKb);
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
