import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../simulator";

/** The relative modules a TypeScript file imports or re-exports, resolved against the repository's root. */
function imports(file: string, text = fs.readFileSync(path.join(ROOT, file), "utf8")): string[] {
	return [...text.matchAll(/^(?:import|export)[^"']*from\s+["'](\.{1,2}\/[^"']+)["']/gm)].map((m) =>
		path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, file)), m[1])),
	);
}
/** What a file imports from outside lib/, one line each. */
const beyondLib = (file: string, text?: string) =>
	imports(file, text)
		.filter((i) => !i.startsWith("lib/"))
		.map((i) => `${file} → ${i}`);
const tsFiles = (dir: string) =>
	fs
		.readdirSync(path.join(ROOT, dir))
		.filter((f) => f.endsWith(".ts"))
		.map((f) => path.join(dir, f));

describe("dependencies point one way: lib below configuration below components below the program", () => {
	it("lib/ imports nothing from above it", () => {
		assert.deepEqual(
			tsFiles("lib").flatMap((f) => beyondLib(f)),
			[],
		);
	});

	it("configTable.ts (the keys, their defaults and documentation) imports from lib/ only; config.ts (the parser) from it and lib/: configuration flows into components, never back", () => {
		assert.deepEqual(beyondLib("configTable.ts"), []);
		assert.deepEqual(
			beyondLib("config.ts").filter((l) => l !== "config.ts → configTable"),
			[],
		);
	});

	it("would catch an upward import, a type-only one and a re-export included (the check can fail)", () => {
		const text = [
			'import * as fs from "node:fs";',
			'import type { Environment } from "../config";',
			'export { App } from "../components/app";',
			'import { cidrProblem } from "./cidr";',
		].join("\n");
		assert.deepEqual(beyondLib("lib/example.ts", text), ["lib/example.ts → config", "lib/example.ts → components/app"]);
	});

	it("config.ts keeps each function short enough to read at once (about 60 lines)", () => {
		const lines = fs.readFileSync(path.join(ROOT, "config.ts"), "utf8").split("\n");
		const long: string[] = [];
		let start = -1;
		let name = "";
		for (const [i, line] of lines.entries()) {
			const m = /^(?:export )?function (\w+)/.exec(line);
			if (m) [start, name] = [i, m[1]];
			if (start >= 0 && line === "}") {
				if (i - start + 1 > 62) long.push(`${name}: ${i - start + 1} lines`);
				start = -1;
			}
		}
		assert.deepEqual(long, []);
	});
});
