// What the n8n editor reads from this package: every node and credential listed in package.json
// loads, its icons (light and dark) exist beside it, every node has a codex file naming it, and
// every credential is tested (by the node's credential-test method, since none can be declarative).
import * as fs from 'fs';
import * as path from 'path';
import { NodeConnectionTypes, type ICredentialType, type INodeType, type INodeTypeDescription } from 'n8n-workflow';

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
	name: string;
	n8n: { nodes: string[]; credentials: string[] };
};
/** dist/nodes/X/X.node.js → nodes/X/X.node.ts (the source, so the test needs no build). */
const source = (distFile: string) => path.join(root, distFile.replace(/^dist\//, '').replace(/\.js$/, '.ts'));

function loadExport<T>(file: string): T {
	const mod = require(file) as Record<string, new () => T>;
	const [Ctor] = Object.values(mod);
	return new Ctor();
}

function iconFiles(icon: unknown): string[] {
	if (typeof icon === 'string') return [icon];
	if (icon && typeof icon === 'object') return Object.values(icon as Record<string, string>);
	return [];
}

const nodes = pkg.n8n.nodes.map((file) => ({ file: source(file), node: loadExport<INodeType>(source(file)) }));
/** n8n's own credential types the package uses as they are: only with displayOptions tying them to a choice. */
const REUSED_N8N_CREDENTIALS = ['xeroOAuth2Api', 'postgres'];
const credentials = pkg.n8n.credentials.map((file) => ({ file: source(file), cred: loadExport<ICredentialType>(source(file)) }));

describe('what the editor reads from the package', () => {
	it.each(nodes.map((n) => [n.node.description.displayName, n]))('%s: icons exist, light and dark', (_name, { file, node }) => {
		const files = iconFiles(node.description.icon);
		expect(files.length).toBeGreaterThan(0);
		for (const icon of files) {
			expect(icon).toMatch(/^file:.+\.svg$/);
			expect(fs.existsSync(path.join(path.dirname(file), icon.slice('file:'.length)))).toBe(true);
		}
	});

	it.each(nodes.map((n) => [n.node.description.displayName, n]))('%s: a codex file names the node and links documentation', (_name, { file, node }) => {
		const codexFile = file.replace(/\.ts$/, '.json');
		const codex = JSON.parse(fs.readFileSync(codexFile, 'utf8')) as {
			node: string;
			categories: string[];
			resources: { primaryDocumentation: Array<{ url: string }> };
		};
		expect(codex.node).toBe(`${pkg.name}.${node.description.name}`);
		expect(codex.categories.length).toBeGreaterThan(0);
		expect(codex.resources.primaryDocumentation[0].url).toMatch(/^https:\/\//);
	});

	it.each(nodes.map((n) => [n.node.description.displayName, n.node.description]))(
		'%s: a subtitle, a description for every visible parameter, credentials that exist',
		(_name, description: INodeTypeDescription) => {
			if (!description.group.includes('trigger')) expect(description.subtitle).toMatch(/^=\{\{/);
			for (const prop of description.properties) {
				// Collections ("Options") describe their entries instead of themselves, as n8n's own nodes do.
				if (['notice', 'hidden', 'collection', 'fixedCollection'].includes(prop.type) || prop.name === 'operation' || prop.name === 'resource') continue;
				expect({ parameter: prop.name, description: typeof prop.description === 'string' && prop.description.length > 0 }).toEqual({
					parameter: prop.name,
					description: true,
				});
			}
			const credentialNames = credentials.map((c) => c.cred.name);
			for (const cred of description.credentials ?? []) {
				// n8n's own credentials we reuse on purpose (users keep the connections they have);
				// n8n-nodes-base, which every n8n ships, defines them.
				if (REUSED_N8N_CREDENTIALS.includes(cred.name)) continue;
				expect(credentialNames).toContain(cred.name);
			}
		},
	);

	// The head is a literal in each <Node>.node.ts (so n8n's lint reads it); these are the rules it follows.
	it.each(nodes.map((n) => [n.node.description.displayName, n.node.description]))(
		'%s: version 1, defaults named after the node, one main input (none for a trigger), one main output per output name',
		(_name, description: INodeTypeDescription) => {
			expect(description.version).toBe(1);
			expect(description.defaults).toEqual({ name: description.displayName });
			const trigger = description.group.includes('trigger');
			expect(description.inputs).toEqual(trigger ? [] : [NodeConnectionTypes.Main]);
			const outputs = description.outputNames?.length ?? 1;
			expect(description.outputs).toEqual(Array.from({ length: outputs }, () => NodeConnectionTypes.Main));
			// A node whose items can fail names its two outputs; a trigger is never an AI tool.
			if (outputs > 1) expect(description.outputNames).toHaveLength(2);
			if (trigger) expect(description).not.toHaveProperty('usableAsTool');
		},
	);

	it('only nodes that cannot move money are usable as AI tools', () => {
		const tools = nodes.filter((n) => n.node.description.usableAsTool).map((n) => n.node.description.name).sort();
		expect(tools).toEqual(['invoicePreparation', 'xeroBilling']);
	});

	it.each(credentials.map((c) => [c.cred.displayName, c]))('%s credential: icon, documentation link, and a test', (_name, { file, cred }) => {
		for (const icon of iconFiles(cred.icon)) expect(fs.existsSync(path.join(path.dirname(file), icon.slice('file:'.length)))).toBe(true);
		expect(cred.documentationUrl).toMatch(/^https:\/\//);
		// Tested either declaratively or by a node's credentialTest method named in testedBy.
		const testedBy = nodes.flatMap((n) =>
			(n.node.description.credentials ?? []).filter((c) => c.name === cred.name && c.testedBy).map((c) => ({ node: n.node, method: c.testedBy as string })),
		);
		expect(cred.test !== undefined || testedBy.length > 0).toBe(true);
		for (const { node, method } of testedBy) expect(typeof node.methods?.credentialTest?.[method]).toBe('function');
	});
});

describe("n8n's own credentials reused on purpose", () => {
	it('exist in the n8n the e2e tests install, and are only offered behind the parameter choosing them', () => {
		const fs = jest.requireActual('fs') as typeof import('fs');
		const pathMod = jest.requireActual('path') as typeof import('path');
		const { N8N_DIR } = jest.requireActual('../../support/paths') as { N8N_DIR?: string };
		for (const name of REUSED_N8N_CREDENTIALS) {
			const offered = nodes.flatMap((n) => (n.node.description.credentials ?? []).filter((c) => c.name === name));
			expect(offered.length).toBeGreaterThan(0);
			// Xero's Authentication, Billing Email's Sent Record, the debit's Charge Record, Billing Report's Store.
			const choosers = ['authentication', 'sentRecord', 'chargeRecord', 'store'];
			for (const c of offered) expect({ name, chooser: choosers.filter((p) => c.displayOptions?.show?.[p] !== undefined) }).toEqual({ name, chooser: [expect.any(String)] });
			if (N8N_DIR) {
				const file = pathMod.join(N8N_DIR, 'node_modules/n8n-nodes-base/dist/credentials', `${name[0].toUpperCase()}${name.slice(1)}.credentials.js`);
				if (fs.existsSync(pathMod.dirname(file))) expect(fs.existsSync(file)).toBe(true);
			}
		}
	});
});
