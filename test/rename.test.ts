import * as assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../simulator";
import { tempDir } from "./credentialPlugins";

/**
 * `npm run rename -- <name>` (scripts/rename.mjs) in a small repository of its own, with the kinds
 * of file the project names itself in. That no file of the real repository names the old project
 * after it is test/fork.test.ts's (its copy is renamed with this script).
 */
describe("npm run rename -- <new-name>", function () {
	this.timeout(20_000);
	const OLD = "shop-infra";
	let repo: { dir: string; remove: () => void };
	const rename = (...args: string[]) =>
		spawnSync(process.execPath, [path.join(repo.dir, "scripts", "rename.mjs"), ...args], { cwd: repo.dir, encoding: "utf8" });
	const read = (f: string) => fs.readFileSync(path.join(repo.dir, f), "utf8");
	let first: ReturnType<typeof rename>;

	before(() => {
		repo = tempDir("rename-");
		const files: Record<string, string> = {
			"Pulumi.yaml": `name: ${OLD}\nruntime: nodejs\n`,
			"Pulumi.dev.yaml": `config:\n  ${OLD}:environment: dev\n  azure-native:location: westeurope\n`,
			"package.json": JSON.stringify({ name: OLD, scripts: {} }),
			"policy/package.json": JSON.stringify({ name: `${OLD}-policy` }),
			"docs/a.md": `Set \`${OLD}:deployers\`; the stack acme/${OLD}/dev; not ${OLD}s, x${OLD} or ${OLD}_x.\n`,
			".gitignore": "ignored.txt\n",
			"ignored.txt": `${OLD}\n`,
			"data.bin": `${OLD}\0binary`,
		};
		for (const [f, text] of Object.entries(files)) {
			fs.mkdirSync(path.dirname(path.join(repo.dir, f)), { recursive: true });
			fs.writeFileSync(path.join(repo.dir, f), text);
		}
		fs.mkdirSync(path.join(repo.dir, "scripts"));
		fs.copyFileSync(path.join(ROOT, "scripts", "rename.mjs"), path.join(repo.dir, "scripts", "rename.mjs"));
		execFileSync("git", ["init", "-q"], { cwd: repo.dir });
		execFileSync("git", ["add", "."], { cwd: repo.dir });
		fs.writeFileSync(path.join(repo.dir, "new.md"), `${OLD} in a file git does not track yet\n`);
		first = rename("shop-platform");
	});
	after(() => repo.remove());

	it("is the package's rename script", () => {
		assert.equal(JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts.rename, "node scripts/rename.mjs");
	});

	it("renames every whole-word occurrence, in tracked and new files, and lists each file it changed", () => {
		assert.equal(first.status, 0, first.stderr);
		assert.equal(read("Pulumi.yaml"), "name: shop-platform\nruntime: nodejs\n");
		assert.match(read("Pulumi.dev.yaml"), /^ {2}shop-platform:environment: dev$/m);
		assert.equal(JSON.parse(read("package.json")).name, "shop-platform");
		assert.equal(JSON.parse(read("policy/package.json")).name, "shop-platform-policy");
		assert.equal(
			read("docs/a.md"),
			`Set \`shop-platform:deployers\`; the stack acme/shop-platform/dev; not ${OLD}s, x${OLD} or ${OLD}_x.\n`,
		);
		assert.match(read("new.md"), /^shop-platform in a file/);
		assert.equal(read("ignored.txt"), `${OLD}\n`, "what git ignores is not the project's");
		assert.equal(read("data.bin"), `${OLD}\0binary`, "binary files are left alone");
		assert.deepEqual(
			first.stdout
				.split("\n")
				.filter((l) => /: \d+$/.test(l))
				.sort(),
			["Pulumi.dev.yaml: 1", "Pulumi.yaml: 1", "docs/a.md: 2", "new.md: 1", "package.json: 1", "policy/package.json: 1"],
		);
		assert.match(first.stdout, new RegExp(`renamed ${OLD} to shop-platform in 6 files; review with git diff`));
	});

	it("renames again from the name Pulumi.yaml has now, and refuses a bad name or the same one, changing nothing", () => {
		for (const [args, message] of [
			[["Shop Platform"], /"Shop Platform" is not accepted: expected lower-case letters/],
			[["shop-platform"], /already named shop-platform/],
			[[], /usage: npm run rename -- <new-name>/],
		] as const) {
			const run = rename(...args);
			assert.equal(run.status, 2);
			assert.match(run.stderr, message);
		}
		assert.equal(read("Pulumi.yaml"), "name: shop-platform\nruntime: nodejs\n");
		const again = rename("shop");
		assert.equal(again.status, 0, again.stderr);
		assert.equal(read("Pulumi.yaml"), "name: shop\nruntime: nodejs\n");
		assert.match(read("Pulumi.dev.yaml"), /^ {2}shop:environment: dev$/m);
	});
});
