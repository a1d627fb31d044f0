import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../simulator";
import { tempDir } from "./credentialPlugins";

/** The suite's reporter on a project of two test files, run as `npm run test:unit` runs mocha (in parallel). */
function runMocha(files: Record<string, string>) {
	const project = tempDir("reporter-");
	try {
		fs.mkdirSync(path.join(project.dir, "test"));
		for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(project.dir, "test", name), text);
		const mocha = path.join(ROOT, "node_modules", "mocha", "bin", "mocha.js");
		const reporter = path.join(ROOT, "test", "summary-reporter.js");
		return spawnSync(process.execPath, [mocha, "--parallel", "--jobs", "2", "--reporter", reporter, "test/*.test.js"], {
			cwd: project.dir,
			encoding: "utf8",
		});
	} finally {
		project.remove();
	}
}

describe("the suite's reporter (test/summary-reporter.js)", function () {
	this.timeout(20_000);
	// One run (a mocha start costs half a second): a file that cannot load, one whose test fails, one that passes.
	let run: ReturnType<typeof runMocha>;
	before(() => {
		run = runMocha({
			"broken.test.js": 'require("node:fs").readFileSync("/no/such/Dockerfile");\ndescribe("b", () => { it("t", () => {}); });\n',
			"failing.test.js": 'describe("f", () => { it("fails", () => { throw new Error("no"); }); });\n',
			"fine.test.js": 'describe("fine", () => { it("passes", () => {}); });\n',
		});
	});

	it("names a test file that cannot load, fails the run, and prints the closing line CI reads", () => {
		assert.notEqual(run.status, 0);
		assert.match(run.stdout, /^test\/broken\.test\.js did not load, so none of its tests ran: ENOENT.*\/no\/such\/Dockerfile/m);
		assert.match(run.stdout, /^1 passed, 2 failed, 0 skipped$/m);
	});

	it("says nothing of loading for a file that loaded, even when its test fails", () => {
		assert.match(run.stdout, /Error: no/);
		assert.doesNotMatch(run.stdout, /failing\.test\.js did not load/);
		assert.equal(run.stdout.match(/did not load/g)?.length, 1);
	});
});
