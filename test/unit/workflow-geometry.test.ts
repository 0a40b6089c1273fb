// The shipped workflows as n8n 2.x draws them (scripts/workflows/geometry.ts): no two nodes,
// labels included, overlap; no sticky note covers a node; every note is as tall as its text and
// speaks n8n 2.x's words. The browser test checks the same model against the real editor.
import * as fs from 'fs';
import * as path from 'path';
import type { INodeType } from 'n8n-workflow';
import type { CanvasNode } from '../../scripts/workflows/geometry';
import { intersects, nodeBox, nodeWithLabelBox, outputCount, overlaps, STICKY, stickyTextHeight } from '../../scripts/workflows/geometry';

const root = path.resolve(__dirname, '..', '..');
const dir = path.join(root, 'workflows');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; n8n: { nodes: string[] } };

/** Outputs each node type of this package declares (from the TS sources). */
const ownOutputs = new Map<string, number>(
	pkg.n8n.nodes.map((file) => {
		const mod = require(path.join(root, file.replace(/^dist\//, '').replace(/\.js$/, '.ts'))) as Record<string, new () => INodeType>;
		const { description } = new (Object.values(mod)[0])();
		return [`${pkg.name}.${description.name}`, Array.isArray(description.outputs) ? description.outputs.length : 1];
	}),
);
const outputsOf = (type: string) => ownOutputs.get(type);

const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
const load = (file: string) => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { nodes: CanvasNode[] };
const node = (name: string, type: string, x: number, y: number, extra: Partial<CanvasNode> = {}): CanvasNode => ({ name, type, position: [x, y], parameters: {}, ...extra });

describe('workflow geometry (n8n 2.x canvas)', () => {
	it('sizes nodes as n8n does: 96×96, 32 px more per output beyond two (a four-way Switch, an error output)', () => {
		const sw = node('Outcome', 'n8n-nodes-base.switch', 0, 0, {
			parameters: { rules: { values: [{}, {}, {}] }, options: { fallbackOutput: 'extra' } },
		});
		expect(outputCount(sw)).toBe(4);
		expect(nodeBox(sw, 4)).toEqual({ x: 0, y: 0, width: 96, height: 160 });
		const xero = node('Create', `${pkg.name}.xeroBilling`, 0, 0, { onError: 'continueErrorOutput' });
		expect(outputCount(xero, outputsOf)).toBe(3);
		expect(nodeBox(node('If', 'n8n-nodes-base.if', 0, 0), 2).height).toBe(96);
	});

	it('finds a node whose label runs into the node below, and a sticky over a node', () => {
		const wf = {
			nodes: [
				node('Upper', 'n8n-nodes-base.noOp', 0, 0),
				// 120 px lower: clear of the upper node's box, but not of its label.
				node('Lower', 'n8n-nodes-base.noOp', 0, 120),
				// Far to the right, so only the note covers it.
				node('Apart', 'n8n-nodes-base.noOp', 1000, 0),
				node('Note 1', STICKY, 900, -50, { parameters: { width: 300, height: 100 } }),
			],
		};
		expect(intersects(nodeBox(wf.nodes[0], 1), nodeBox(wf.nodes[1], 1))).toBe(false);
		expect(overlaps(wf, outputsOf)).toEqual(['"Upper" overlaps "Lower"', 'sticky "Note 1" covers "Apart"']);
		// Side by side one grid column (240 px) apart: labels twice a node's width still clear.
		expect(intersects(nodeWithLabelBox(node('A', 'x', 0, 0), 1), nodeWithLabelBox(node('B', 'x', 240, 0), 1))).toBe(false);
	});

	it.each(files)('%s: no two nodes (with labels) overlap, no sticky note covers a node', (file) => {
		expect(overlaps(load(file), outputsOf)).toEqual([]);
	});

	it.each(files)('%s: sticky notes are as tall as their text and use n8n 2.x wording', (file) => {
		for (const note of load(file).nodes.filter((n) => n.type === STICKY)) {
			const { width, height, content } = note.parameters as { width: number; height: number; content: string };
			const needed = stickyTextHeight(content, width);
			// Room for the text, and no large empty area under it.
			expect({ note: note.name, fits: height >= needed, emptyBelow: height - needed <= 40 }).toEqual({ note: note.name, fits: true, emptyBelow: true });
			expect(content).not.toMatch(/Test workflow/i);
		}
	});
});
