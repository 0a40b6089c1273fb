// Where n8n 2.x draws a workflow's nodes, so a test can tell that no two overlap (labels
// included) and that a sticky note covers only the nodes it describes, and so sticky notes can be
// sized to their text. The sizes are n8n's own (editor-ui `calculateNodeSize`: a node is 96×96
// and grows 32 px per output beyond two; its label sits below it, up to two lines of the name
// plus a subtitle line, twice the node's width, centred). The browser test checks them against
// what the real editor renders.
export interface Box {
	x: number;
	y: number;
	width: number;
	height: number;
}

export const NODE_SIZE = 96;
/** n8n's canvas grid; every output beyond the second adds two grid steps of height. */
export const GRID = 16;
/** Margin above the label (8), two lines of the name (16 px, line height 1.25), the gap (4) and the subtitle (12 px), rounded up. */
export const LABEL_HEIGHT = 8 + 40 + 4 + 15 + 1;
export const LABEL_WIDTH = NODE_SIZE * 2;

export interface CanvasNode {
	name: string;
	type: string;
	position: [number, number];
	parameters: Record<string, unknown>;
	onError?: string;
}

export const STICKY = 'n8n-nodes-base.stickyNote';

/**
 * Main outputs as n8n draws them: the node's own (If: true/false; Switch: one per rule plus the
 * fallback; this package's nodes: their output names), plus the error output that
 * "Continue (using error output)" adds.
 */
export function outputCount(node: CanvasNode, ownOutputs: (type: string) => number | undefined = () => undefined): number {
	let own = ownOutputs(node.type) ?? 1;
	if (node.type === 'n8n-nodes-base.if') own = 2;
	if (node.type === 'n8n-nodes-base.switch') {
		const rules = (node.parameters.rules as { values?: unknown[] } | undefined)?.values?.length ?? 0;
		const fallback = (node.parameters.options as { fallbackOutput?: unknown } | undefined)?.fallbackOutput === 'extra' ? 1 : 0;
		own = rules + fallback;
	}
	return own + (node.onError === 'continueErrorOutput' ? 1 : 0);
}

/** The node's own box (n8n places a node by its top-left corner). */
export function nodeBox(node: CanvasNode, outputs: number): Box {
	const handles = Math.max(outputs, 1);
	return { x: node.position[0], y: node.position[1], width: NODE_SIZE, height: NODE_SIZE + Math.max(0, handles - 2) * GRID * 2 };
}

/** The node with its label: the label is twice as wide as the node, centred below it. */
export function nodeWithLabelBox(node: CanvasNode, outputs: number): Box {
	const box = nodeBox(node, outputs);
	return { x: box.x - (LABEL_WIDTH - box.width) / 2, y: box.y, width: LABEL_WIDTH, height: box.height + LABEL_HEIGHT };
}

export function stickyBox(node: CanvasNode): Box {
	const p = node.parameters as { width?: number; height?: number };
	return { x: node.position[0], y: node.position[1], width: p.width ?? 240, height: p.height ?? 160 };
}

export function intersects(a: Box, b: Box): boolean {
	return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

// Sticky note text as n8n 2.x renders it (measured in the editor): markdown in 14 px Inter with
// 18.9 px lines, 13 px padding at the sides and 9 px above; a line break in the text breaks the
// line, a blank line starts a paragraph (8 px apart); a heading is 32 px tall. Words are wrapped
// as the browser does, with a character a little wider than Inter's average, so the estimate is
// never short; the browser test checks it against the real editor.
const STICKY_PADDING_X = 13;
const STICKY_PADDING_TOP = 9;
const STICKY_PADDING_BOTTOM = 12;
const LINE_HEIGHT = 18.9;
const HEADING_HEIGHT = 32;
const PARAGRAPH_GAP = 8;
const CHAR_WIDTH = 6.6;
/** `code` is set in a wider monospace font on a padded background. */
const CODE_CHAR_WIDTH = 8.6;
const CODE_PADDING = 8;

/** Lines one line of markdown text takes at this text width. */
function wrappedLines(line: string, textWidth: number): number {
	let lines = 1;
	let used = 0;
	let code = false;
	for (const word of line.split(' ')) {
		let width = 0;
		for (const part of word.split('`')) {
			width += part.replace(/\*/g, '').length * (code ? CODE_CHAR_WIDTH : CHAR_WIDTH) + (code ? CODE_PADDING : 0);
			code = !code;
		}
		code = !code; // a word without a backtick does not switch
		const space = used === 0 ? 0 : CHAR_WIDTH;
		if (used + space + width > textWidth && used > 0) {
			lines += 1;
			used = width;
		} else used += space + width;
	}
	return lines;
}

/** The height a sticky of this width needs for its markdown text. */
export function stickyTextHeight(content: string, width: number): number {
	const textWidth = width - 2 * STICKY_PADDING_X;
	// Paragraphs, and every heading a block of its own.
	const blocks = content
		.split(/\n\s*\n/)
		.flatMap((block) => block.split(/\n(?=#+ )|(?<=^#+ [^\n]*)\n/m))
		.map((block) => block.split('\n'));
	const heights = blocks.map((lines) => (/^#+ /.test(lines[0]) ? HEADING_HEIGHT : lines.reduce((sum, l) => sum + wrappedLines(l, textWidth) * LINE_HEIGHT, 0)));
	return Math.ceil(STICKY_PADDING_TOP + heights.reduce((a, b) => a + b, 0) + PARAGRAPH_GAP * (blocks.length - 1) + STICKY_PADDING_BOTTOM);
}

interface WorkflowJson {
	nodes: CanvasNode[];
}

/**
 * Every overlap in a workflow as n8n draws it: two nodes (with their labels) that intersect, or a
 * sticky note over a node. The shipped notes describe the whole workflow and sit above its nodes,
 * so a note over any node hides something it does not describe.
 */
export function overlaps(workflow: WorkflowJson, ownOutputs: (type: string) => number | undefined): string[] {
	const nodes = workflow.nodes.filter((n) => n.type !== STICKY).map((n) => ({ name: n.name, box: nodeWithLabelBox(n, outputCount(n, ownOutputs)) }));
	const problems: string[] = [];
	nodes.forEach((a, i) => {
		for (const b of nodes.slice(i + 1)) if (intersects(a.box, b.box)) problems.push(`"${a.name}" overlaps "${b.name}"`);
	});
	for (const note of workflow.nodes.filter((n) => n.type === STICKY)) {
		for (const n of nodes) if (intersects(stickyBox(note), n.box)) problems.push(`sticky "${note.name}" covers "${n.name}"`);
	}
	return problems;
}
