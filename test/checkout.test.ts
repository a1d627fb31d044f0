import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { sameCheckoutElsewhere } from "./checkout";
import { tempDir } from "./credentialPlugins";

const git = (cwd: string, ...args: string[]) =>
	execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd, encoding: "utf8" });

/** Every file under `dir` (not .git, not node_modules) with its text. */
function tree(dir: string, rel = ""): Record<string, string> {
	const out: Record<string, string> = {};
	for (const name of fs.readdirSync(path.join(dir, rel))) {
		if (name === ".git" || name === "node_modules") continue;
		const r = rel ? `${rel}/${name}` : name;
		if (fs.statSync(path.join(dir, r)).isDirectory()) Object.assign(out, tree(dir, r));
		else out[r] = fs.readFileSync(path.join(dir, r), "utf8");
	}
	return out;
}

// The copy the fork, second-service and lifecycle tests run in: what they see must not depend on
// what of the working tree is committed, staged or neither, nor on how node_modules is installed.
describe("test/checkout.ts: the same checkout elsewhere", () => {
	it("holds the working tree whatever git knows of it: committed, staged, unstaged, untracked and deleted alike", () => {
		const repo = tempDir("checkout-source-");
		const modules = tempDir("modules-");
		try {
			fs.writeFileSync(path.join(repo.dir, ".gitignore"), fs.readFileSync(path.join(__dirname, "..", ".gitignore")));
			for (const f of ["committed", "staged", "unstaged", "deleted", "staged-deleted"])
				fs.writeFileSync(path.join(repo.dir, f), "v1\n");
			git(repo.dir, "init", "-q");
			git(repo.dir, "add", ".");
			git(repo.dir, "commit", "-qm", "one");
			fs.writeFileSync(path.join(repo.dir, "staged"), "v2\n");
			git(repo.dir, "add", "staged");
			fs.writeFileSync(path.join(repo.dir, "unstaged"), "v2\n");
			fs.mkdirSync(path.join(repo.dir, "new"));
			fs.writeFileSync(path.join(repo.dir, "new", "untracked"), "v2\n");
			fs.rmSync(path.join(repo.dir, "deleted"));
			git(repo.dir, "rm", "-q", "staged-deleted");
			// An install that links node_modules instead of making a directory.
			fs.symlinkSync(modules.dir, path.join(repo.dir, "node_modules"), "dir");
			assert.equal(git(repo.dir, "status", "--porcelain", "--", "node_modules"), "", ".gitignore matches a linked node_modules");

			const copy = sameCheckoutElsewhere(repo.dir);
			try {
				assert.deepEqual(tree(copy.dir), tree(repo.dir));
				assert.equal(tree(copy.dir).staged, "v2\n");
				assert.ok(fs.existsSync(path.join(copy.dir, "node_modules")), "the packages are linked in");
			} finally {
				copy.remove();
			}
		} finally {
			repo.remove();
			modules.remove();
		}
	});

	it("copies a tree that is not a git checkout as it is", () => {
		const dir = tempDir("download-");
		try {
			fs.mkdirSync(path.join(dir.dir, "app"));
			fs.writeFileSync(path.join(dir.dir, "app", "package.json"), "{}\n");
			const copy = sameCheckoutElsewhere(dir.dir);
			try {
				assert.deepEqual(tree(copy.dir), { "app/package.json": "{}\n" });
			} finally {
				copy.remove();
			}
		} finally {
			dir.remove();
		}
	});
});
