// A tiny builder for n8n workflow JSON, so the shipped workflows are written once, stay
// consistent (same queue setup and credentials on every node) and can be re-generated with
// test settings. `npm run workflows` writes workflows/*.json; a test checks they are current.
import { createHash } from 'crypto';
import { GRID, LABEL_WIDTH, NODE_SIZE, STICKY, stickyTextHeight } from './geometry';

export type Params = Record<string, unknown>;

export interface WfNode {
	id: string;
	name: string;
	type: string;
	typeVersion: number;
	position: [number, number];
	parameters: Params;
	credentials?: Record<string, { id: string; name: string }>;
	webhookId?: string;
	executeOnce?: boolean;
	alwaysOutputData?: boolean;
	notesInFlow?: boolean;
	notes?: string;
	onError?: 'stopWorkflow' | 'continueRegularOutput' | 'continueErrorOutput';
	retryOnFail?: boolean;
	maxTries?: number;
	waitBetweenTries?: number;
}

/** What every shipped workflow saves: all executions, so ops can look back at any run. */
export const DEFAULT_WORKFLOW_SETTINGS: Record<string, unknown> = {
	executionOrder: 'v1',
	saveManualExecutions: true,
	saveDataSuccessExecution: 'all',
	saveDataErrorExecution: 'all',
};

export const PKG = 'n8n-nodes-billing-pipeline';

/** Space between a header note and the nodes below it. */
const NOTE_GAP = 48;
/** n8n 2.x moves a node onto its 16 px canvas grid when it loads a workflow: place them there. */
const snap = (v: number) => Math.round(v / GRID) * GRID;

const uuid = (seed: string) => {
	const h = createHash('sha256').update(seed).digest('hex');
	return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

export class Workflow {
	private readonly nodes: WfNode[] = [];
	private readonly notes: Array<{ width: number; content: string; color?: number }> = [];
	private readonly connections: Record<string, { main: Array<Array<{ node: string; type: 'main'; index: number }>> }> = {};

	constructor(
		readonly id: string,
		readonly name: string,
		private readonly meta: Record<string, unknown> = {},
		/** Benchmarks pass n8n's defaults instead, to measure n8n as it ships. */
		private readonly settings: Record<string, unknown> = DEFAULT_WORKFLOW_SETTINGS,
	) {}

	/** Adds a node at grid cell (col, row); returns its name for wiring. */
	add(name: string, type: string, typeVersion: number, col: number, row: number, parameters: Params, extra: Partial<WfNode> = {}): string {
		if (this.nodes.some((n) => n.name === name)) throw new Error(`duplicate node name ${name}`);
		this.nodes.push({
			id: uuid(`${this.id}/${name}`),
			name,
			type,
			typeVersion,
			position: [snap(col * 240), snap(row * 180)],
			parameters,
			...extra,
		});
		return name;
	}

	/**
	 * A sticky note above the workflow's nodes, describing the whole workflow: as wide as asked,
	 * as tall as its text (see stickyTextHeight), clear of every node and label.
	 */
	note(width: number, content: string, color?: number): void {
		this.notes.push({ width, content, color });
	}

	/** Connects output `fromOutput` of `from` to input `toInput` of `to`. */
	link(from: string, to: string, fromOutput = 0, toInput = 0): this {
		const entry = (this.connections[from] ??= { main: [] });
		while (entry.main.length <= fromOutput) entry.main.push([]);
		entry.main[fromOutput].push({ node: to, type: 'main', index: toInput });
		return this;
	}

	/** The header notes, stacked above the topmost node and its label overhang. */
	private placedNotes(): WfNode[] {
		const left = Math.min(...this.nodes.map((n) => n.position[0])) - (LABEL_WIDTH - NODE_SIZE) / 2;
		let bottom = Math.min(...this.nodes.map((n) => n.position[1])) - NOTE_GAP;
		return this.notes.map(({ width, content, color }, i) => {
			const name = `Note ${i + 1}`;
			const height = stickyTextHeight(content, width);
			bottom = Math.floor((bottom - height) / GRID) * GRID;
			const note: WfNode = {
				id: uuid(`${this.id}/${name}`),
				name,
				type: STICKY,
				typeVersion: 1,
				position: [left, bottom],
				parameters: { width, height, content, ...(color ? { color } : {}) },
			};
			bottom -= NOTE_GAP;
			return note;
		});
	}

	toJSON(): Record<string, unknown> {
		return {
			id: this.id,
			name: this.name,
			active: false,
			settings: this.settings,
			tags: [],
			meta: this.meta,
			nodes: [...this.placedNotes(), ...this.nodes],
			connections: this.connections,
			pinData: {},
		};
	}
}

// Conditions for If/Switch (filter parameter, version 2 as n8n 2.x writes it).
export function condition(leftValue: string, operator: { type: string; operation: string; singleValue?: boolean }, rightValue: unknown = '') {
	return {
		options: { caseSensitive: true, leftValue: '', typeValidation: 'loose', version: 2 },
		conditions: [{ id: uuid(`${leftValue}/${operator.operation}/${String(rightValue)}`), leftValue, rightValue, operator }],
		combinator: 'and',
	};
}

export const isTrue = (expr: string) => condition(expr, { type: 'boolean', operation: 'true', singleValue: true });
export const notEmpty = (expr: string) => condition(expr, { type: 'string', operation: 'notEmpty', singleValue: true });
export const equals = (expr: string, value: string) => condition(expr, { type: 'string', operation: 'equals' }, value);
