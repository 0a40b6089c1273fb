// The n8n settings the README recommends for the billing pipeline, as environment variables of
// the n8n process (main and workers). `npm run bench:memory` runs the pipeline with n8n's
// defaults and with these, and prints the difference; tests run n8n with its defaults.
export interface RecommendedSetting {
	name: string;
	value: string;
	/** Why, in one line (the README's table says the same). */
	why: string;
}

export const RECOMMENDED_SETTINGS: RecommendedSetting[] = [
	{
		name: 'NODE_OPTIONS',
		value: '--max-old-space-size=448',
		why: "caps V8's old generation: without it V8 lets the heap grow to about 1.2 GB of mostly garbage before its first full collection (n8n's live heap stays under 400 MB)",
	},
	{
		name: 'MALLOC_ARENA_MAX',
		value: '2',
		why: "glibc's allocator keeps up to 8 arenas per core for Node's threads; two keep native memory (buffers, SQLite) from fragmenting across them",
	},
];

/** The settings as an environment for n8n. */
export const RECOMMENDED_N8N_ENV: Record<string, string> = Object.fromEntries(RECOMMENDED_SETTINGS.map((s) => [s.name, s.value]));
