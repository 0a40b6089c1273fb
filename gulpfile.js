// Copies node and credential icons (light and *.dark.svg), and the nodes' codex files
// (<Node>.node.json: categories, documentation links, search aliases), next to the compiled
// files, where n8n looks for them.
const path = require('path');
const { task, src, dest } = require('gulp');

task('build:icons', copyIcons);

/** Resolves when the stream has written every file, so the task ends only after both copies. */
function copy(glob, destination) {
	return new Promise((resolve, reject) => {
		src(path.resolve(glob), { encoding: false }).pipe(dest(path.resolve(destination))).on('finish', resolve).on('error', reject);
	});
}

function copyIcons() {
	return Promise.all([
		copy(path.join('nodes', '**', '*.{png,svg,node.json}'), path.join('dist', 'nodes')),
		copy(path.join('credentials', '**', '*.{png,svg}'), path.join('dist', 'credentials')),
	]);
}
