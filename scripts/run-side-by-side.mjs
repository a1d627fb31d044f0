// Runs package.json scripts side by side and fails if any fails: `npm test` runs the mocha suite,
// the app's tests, the type-check and the linter this way, because the app's slow-client tests
// spend about 20 s waiting on the server's timers, which the rest can use. The first script's
// output streams; each other script's is held and printed, whole, once it ends, so they never
// interleave. Each runs as `npm run` would run it (the platform's shell, node_modules/.bin on PATH)
// but without an npm process each: npm's start costs some 0.2 s of CPU, taken from the tests.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const scripts = process.argv.slice(2);
if (scripts.length === 0) {
	process.stderr.write("usage: node scripts/run-side-by-side.mjs <npm script> [<npm script> ...]\n");
	process.exit(2);
}
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const defined = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")).scripts;
const unknown = scripts.filter((name) => typeof defined[name] !== "string");
if (unknown.length > 0) {
	process.stderr.write(`no such script in package.json: ${unknown.join(", ")}\n`);
	process.exit(2);
}
const env = { ...process.env, PATH: `${path.join(root, "node_modules", ".bin")}${path.delimiter}${process.env.PATH}` };
const runs = scripts.map(
	(name, i) =>
		new Promise((resolve) => {
			const child = spawn(defined[name], {
				cwd: root,
				env,
				shell: true,
				stdio: i === 0 ? "inherit" : ["ignore", "pipe", "pipe"],
			});
			let held = "";
			child.stdout?.on("data", (c) => {
				held += c;
			});
			child.stderr?.on("data", (c) => {
				held += c;
			});
			child.on("close", (code, signal) => resolve({ name, code: code ?? 1, signal, held }));
		}),
);
// The streamed one first, then the held ones in order.
const results = [];
for (const run of runs) {
	const result = await run;
	if (result.held) process.stdout.write(`\n--- npm run ${result.name} ---\n${result.held}`);
	results.push(result);
}
const failed = results.filter((r) => r.code !== 0);
for (const r of failed) process.stderr.write(`npm run ${r.name} failed (exit ${r.code}${r.signal ? `, ${r.signal}` : ""})\n`);
process.exit(failed.length > 0 ? 1 : 0);
