// Runs npm scripts side by side and fails if any fails: `npm test` runs the mocha suite and the
// app's tests this way, because the app's slow-client tests spend about 20 s waiting on the
// server's timers, which the mocha suite can use. The first script's output streams; each other
// script's is held and printed, whole, once it ends, so the two never interleave.
import { spawn } from "node:child_process";

const scripts = process.argv.slice(2);
if (scripts.length === 0) {
	process.stderr.write("usage: node scripts/run-side-by-side.mjs <npm script> [<npm script> ...]\n");
	process.exit(2);
}
const runs = scripts.map(
	(name, i) =>
		new Promise((resolve) => {
			const child = spawn("npm", ["run", "-s", name], { stdio: i === 0 ? "inherit" : ["ignore", "pipe", "pipe"] });
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
