// `npm run workflows`: regenerate workflows/*.json from scripts/workflows/pipeline.ts.
import * as fs from 'fs';
import * as path from 'path';
import { buildWorkflows } from './pipeline';

const dir = path.resolve(__dirname, '..', '..', 'workflows');
for (const [file, wf] of Object.entries(buildWorkflows())) {
	fs.writeFileSync(path.join(dir, file), `${JSON.stringify(wf, null, 2)}\n`);
	console.log(`wrote workflows/${file}`);
}
