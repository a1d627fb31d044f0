// npm run rename -- <new-name>: renames the project everywhere it is named. The name in
// Pulumi.yaml is the old one; every file git tracks (and every new one it does not ignore) has each
// whole-word occurrence of it replaced: Pulumi.yaml, the stack files' key prefixes, package.json
// and its lock, the policy pack, the dev container, the docs and the tests. It prints each file it
// changed; review them with `git diff`. A deployed project's resources are replaced when it is
// renamed: rename before the first `pulumi up`.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
/** What Pulumi and npm both take as a project's name: lower-case letters, digits, '-', '_' and '.', starting with a letter. */
const NAME = /^[a-z][a-z0-9._-]{0,99}$/;

const fail = (message) => {
	process.stderr.write(`rename: ${message}\n`);
	process.exit(2);
};

const [next, ...rest] = process.argv.slice(2);
if (!next || rest.length > 0) fail("usage: npm run rename -- <new-name>");
if (!NAME.test(next))
	fail(
		`${JSON.stringify(next)} is not accepted: expected lower-case letters, digits, '-', '_' or '.', starting with a letter, at most 100`,
	);
const old = /^name:\s*(\S+)\s*$/m.exec(readFileSync(path.join(root, "Pulumi.yaml"), "utf8"))?.[1];
if (!old) fail("Pulumi.yaml has no name: line");
if (old === next) fail(`the project is already named ${next}`);

const escaped = old.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
// A whole word: not inside a longer name (letters, digits, '_' and '.' on either side); `old-policy` and `old:key` are its.
const occurrence = new RegExp(`(?<![A-Za-z0-9_.])${escaped}(?![A-Za-z0-9_])`, "g");
const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
	cwd: root,
	encoding: "utf8",
})
	.split("\0")
	.filter(Boolean);
let changed = 0;
for (const file of files) {
	const full = path.join(root, file);
	let text;
	try {
		text = readFileSync(full, "utf8");
	} catch {
		continue; // deleted in the working tree, or a directory (a submodule)
	}
	if (text.includes("\0")) continue; // binary
	const count = text.match(occurrence)?.length ?? 0;
	if (count === 0) continue;
	writeFileSync(full, text.replace(occurrence, next));
	changed++;
	process.stdout.write(`${file}: ${count}\n`);
}
process.stdout.write(
	`renamed ${old} to ${next} in ${changed} files; review with git diff. A deployed project's resources are replaced when it is renamed.\n`,
);
