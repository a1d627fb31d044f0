import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { PROJECT } from "../simulator";
import { sameCheckoutElsewhere } from "./checkout";

/** `npm run rename -- <name>` in a copy of this checkout, as `npm run` runs it. */
const rename = (dir: string, ...args: string[]) =>
	spawnSync(process.execPath, [path.join(dir, "scripts", "rename.mjs"), ...args], { cwd: dir, encoding: "utf8" });

/** Every line of the copy's files (tracked, and new ones git does not ignore) that names `name` as a word. */
const naming = (dir: string, name: string) =>
	spawnSync("git", ["grep", "-n", "-I", "--untracked", "-w", "-F", name], { cwd: dir, encoding: "utf8" })
		.stdout.split("\n")
		.filter(Boolean);

describe("npm run rename -- <new-name>", function () {
	this.timeout(30_000);
	let copy: { dir: string; remove: () => void };
	let first: ReturnType<typeof rename>;
	before(() => {
		copy = sameCheckoutElsewhere();
		first = rename(copy.dir, "shop-platform");
	});
	after(() => copy.remove());

	it("is the package's rename script", () => {
		assert.equal(
			JSON.parse(fs.readFileSync(path.join(copy.dir, "package.json"), "utf8")).scripts.rename,
			"node scripts/rename.mjs",
		);
	});

	it("leaves no file naming the old project, and says which files it changed", () => {
		assert.equal(first.status, 0, first.stderr);
		assert.ok(naming(copy.dir, PROJECT).length === 0, naming(copy.dir, PROJECT).join("\n"));
		for (const file of ["Pulumi.yaml", "package.json", "README.md"])
			assert.match(first.stdout, new RegExp(`^${file.replace(".", "\\.")}: \\d+$`, "m"));
		assert.match(first.stdout, new RegExp(`renamed ${PROJECT} to shop-platform in \\d+ files; review with git diff`));
	});

	it("names the new project in Pulumi.yaml, package.json and every stack file's keys", () => {
		assert.equal(parse(fs.readFileSync(path.join(copy.dir, "Pulumi.yaml"), "utf8")).name, "shop-platform");
		assert.equal(JSON.parse(fs.readFileSync(path.join(copy.dir, "package.json"), "utf8")).name, "shop-platform");
		for (const f of fs.readdirSync(copy.dir).filter((f) => /^Pulumi\..+\.yaml$/.test(f))) {
			const keys = Object.keys(parse(fs.readFileSync(path.join(copy.dir, f), "utf8")).config ?? {});
			assert.ok(keys.length > 0, f);
			for (const k of keys) assert.ok(k.startsWith("shop-platform:") || k.startsWith("azure-native:"), `${f}: ${k}`);
		}
	});

	it("renames again from the new name, and refuses a bad one or the same one, changing nothing", () => {
		for (const [args, message] of [
			[["Shop Platform"], /"Shop Platform" is not accepted: expected lower-case letters/],
			[["shop-platform"], /already named shop-platform/],
			[[], /usage: npm run rename -- <new-name>/],
		] as const) {
			const run = rename(copy.dir, ...args);
			assert.equal(run.status, 2);
			assert.match(run.stderr, message);
		}
		assert.equal(naming(copy.dir, "shop-platform").length > 0, true);
		const again = rename(copy.dir, "shop");
		assert.equal(again.status, 0, again.stderr);
		assert.deepEqual(naming(copy.dir, "shop-platform"), []);
	});
});
