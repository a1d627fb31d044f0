import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT } from "../simulator";
import { sameCheckoutElsewhere } from "./checkout";

/** The tests whose expectations depend on the project's name, its settings and its app. */
const SUITES = ["stack", "config", "plan", "policy", "deployers", "readme"].map((s) => `test/${s}.test.ts`);

/**
 * What a team does first with the template, done for real in a copy: rename the project (one edit
 * in Pulumi.yaml and the stack files, as the README says), change the dev stack's settings, and
 * bump the app's version. The tests that read those must still pass there, because they derive
 * their expectations from the parsed configuration, the project name and the app's package.
 */
/** Makes the copy, edits it, and starts the tests there; the result is awaited later. */
function forkAndTest() {
	const copy = sameCheckoutElsewhere();
	const edit = (file: string, change: (text: string) => string) => {
		const full = path.join(copy.dir, file);
		fs.writeFileSync(full, change(fs.readFileSync(full, "utf8")));
	};
	edit("Pulumi.yaml", (t) => t.replace(`name: ${PROJECT}\n`, "name: shop-infra\n"));
	for (const stack of ["Pulumi.dev.yaml", "Pulumi.prod.yaml"]) edit(stack, (t) => t.replaceAll(`${PROJECT}:`, "shop-infra:"));
	edit("Pulumi.dev.yaml", (t) => `${t}  shop-infra:nodeVmSize: Standard_D4s_v5\n  shop-infra:appReplicas: "2"\n`);
	edit("app/package.json", (t) => t.replace(/"version": "[^"]+"/, '"version": "2.4.0"'));
	const mocha = [path.join("node_modules", "mocha", "bin", "mocha.js"), "--no-config", "-r", "tsx/cjs", "--extension", "ts"];
	const result = new Promise<{ code: number | null; output: string }>((resolve) => {
		execFile(
			process.execPath,
			[...mocha, "--timeout", "30000", ...SUITES],
			{ cwd: copy.dir, timeout: 110_000, maxBuffer: 16 << 20 },
			(err, stdout, stderr) =>
				resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}\n${stderr}` }),
		);
	});
	return { copy, result };
}

describe("a fork stays green: renamed, reconfigured, with a new app version", function () {
	this.timeout(120_000);
	// Started when mocha loads this file: the fork's own test run, a process of its own, then
	// overlaps the rest of the suite on the other core instead of adding to it.
	const fork = forkAndTest();
	const { copy } = fork;
	let result: { code: number | null; output: string };
	before(async () => {
		result = await fork.result;
	});
	after(() => copy.remove());

	it("really is a different project there", () => {
		assert.match(fs.readFileSync(path.join(copy.dir, "Pulumi.yaml"), "utf8"), /^name: shop-infra$/m);
		assert.ok(!fs.readFileSync(path.join(copy.dir, "Pulumi.dev.yaml"), "utf8").includes(`${PROJECT}:`));
	});

	it(`passes ${SUITES.map((s) => path.basename(s, ".test.ts")).join(", ")} there`, () => {
		const failing = result.output.split("\n").filter((l) => /^\s+\d+\) /.test(l));
		assert.equal(result.code, 0, `failing in the fork:\n${failing.join("\n")}\n${result.output.slice(-3000)}`);
		assert.match(result.output, /\b(\d{2,}) passing\b/);
		assert.doesNotMatch(result.output, /\d+ failing/);
	});
});
