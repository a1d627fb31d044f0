import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "../simulator";
import { tempDir } from "./credentialPlugins";

/** scripts/run-side-by-side.mjs, which `npm test` is: run in a project of its own with the given scripts. */
function sideBySide(scripts: Record<string, string>, ...names: string[]) {
	const project = tempDir("side-by-side-");
	try {
		fs.mkdirSync(path.join(project.dir, "scripts"));
		fs.copyFileSync(
			path.join(ROOT, "scripts", "run-side-by-side.mjs"),
			path.join(project.dir, "scripts", "run-side-by-side.mjs"),
		);
		fs.writeFileSync(path.join(project.dir, "package.json"), JSON.stringify({ scripts }));
		fs.mkdirSync(path.join(project.dir, "node_modules", ".bin"), { recursive: true });
		fs.writeFileSync(path.join(project.dir, "node_modules", ".bin", "local-tool"), "#!/bin/sh\necho local tool ran\n", {
			mode: 0o755,
		});
		return spawnSync(process.execPath, [path.join(project.dir, "scripts", "run-side-by-side.mjs"), ...names], {
			cwd: os.tmpdir(),
			encoding: "utf8",
		});
	} finally {
		project.remove();
	}
}

describe("npm test's runner (scripts/run-side-by-side.mjs)", () => {
	it("is npm test, and runs the mocha suite, the app's tests, the type-check and the linter", () => {
		const { scripts } = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
		const [runner, ...names] = scripts.test.split(/\s+/).slice(1);
		assert.equal(runner, "scripts/run-side-by-side.mjs");
		assert.deepEqual([...names].sort(), ["lint", "test:app", "test:unit", "typecheck"]);
		assert.match(scripts.lint, /^biome check \.$/);
		// Build mode checks the whole program once and then only when one of its files (the packages'
		// declarations included) has changed; the project's tsconfig.json emits nothing.
		assert.equal(scripts.typecheck, "tsc --build");
		const { compilerOptions } = JSON.parse(fs.readFileSync(path.join(ROOT, "tsconfig.json"), "utf8"));
		assert.equal(compilerOptions.noEmit, true);
	});

	it("runs every script, in the project, with its node_modules/.bin on PATH, and passes when all pass", () => {
		const run = sideBySide({ first: "echo first in $PWD", tool: "local-tool" }, "first", "tool");
		assert.equal(run.status, 0, run.stderr);
		assert.match(run.stdout, /^first in .*side-by-side-/m);
		assert.match(run.stdout, /--- npm run tool ---\nlocal tool ran/);
	});

	it("fails when any script fails, whichever it is, naming it and its exit code, after all have run", () => {
		const run = sideBySide({ ok: "echo ok", lint: "echo lint says no >&2; exit 3", last: "echo last ran" }, "ok", "lint", "last");
		assert.equal(run.status, 1);
		assert.match(run.stderr, /^npm run lint failed \(exit 3\)$/m);
		assert.match(run.stdout, /lint says no/);
		assert.match(run.stdout, /last ran/);
	});

	it("refuses a script package.json does not have, before running any", () => {
		const run = sideBySide({ ok: "echo ran" }, "ok", "typo");
		assert.equal(run.status, 2);
		assert.match(run.stderr, /no such script in package\.json: typo/);
		assert.doesNotMatch(run.stdout, /ran/);
	});
});
