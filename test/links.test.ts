import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../simulator";

/** GitHub's anchor for a heading: lower case, punctuation but `-` and `_` dropped, spaces to `-`. */
function anchorOf(heading: string): string {
	return heading
		.trim()
		.toLowerCase()
		.replace(/[^\p{L}\p{N}\- _]/gu, "")
		.replace(/ /g, "-");
}

/** The anchors a Markdown file's headings give (outside code blocks), with GitHub's -1, -2 for repeats. */
function anchors(text: string): Set<string> {
	const seen = new Map<string, number>();
	const out = new Set<string>();
	let fenced = false;
	for (const line of text.split("\n")) {
		if (/^\s*```/.test(line)) fenced = !fenced;
		const m = fenced ? null : /^#{1,6} (.+)$/.exec(line);
		if (!m) continue;
		const base = anchorOf(m[1]);
		const n = seen.get(base) ?? 0;
		seen.set(base, n + 1);
		out.add(n === 0 ? base : `${base}-${n}`);
	}
	return out;
}

/** Every relative link `[text](target)` in a Markdown file that does not resolve, with why. */
function brokenLinks(file: string, read = (f: string) => fs.readFileSync(f, "utf8")): string[] {
	const text = read(file);
	const problems: string[] = [];
	const body = text.replace(/^\s*```[\s\S]*?^\s*```/gm, "");
	for (const m of body.matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)) {
		const target = m[1];
		if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
		const [rel, anchor] = target.split("#");
		const dest = rel === "" ? file : path.resolve(path.dirname(file), decodeURIComponent(rel));
		const where = `${path.relative(ROOT, file)}: ${target}`;
		if (!fs.existsSync(dest)) {
			problems.push(`${where}: no such file`);
			continue;
		}
		if (anchor !== undefined && dest.endsWith(".md") && !anchors(read(dest)).has(anchor))
			problems.push(`${where}: no such anchor`);
	}
	return problems;
}

const markdown = [
	path.join(ROOT, "README.md"),
	...fs
		.readdirSync(path.join(ROOT, "docs"), { recursive: true, encoding: "utf8" })
		.filter((f) => f.endsWith(".md"))
		.map((f) => path.join(ROOT, "docs", f)),
];

describe("README.md and docs/: every relative link and anchor resolves", () => {
	it("breaks none", () => {
		assert.deepEqual(
			markdown.flatMap((f) => brokenLinks(f)),
			[],
		);
	});

	it("would name a missing file and a missing anchor (the check can fail)", () => {
		const files: Record<string, string> = {
			[path.join(ROOT, "README.md")]:
				"# Title\n\n## Day 2: what holds\n\n[a](docs/gone.md) [b](#day-2-what-holds) [c](#nowhere) [d](index.ts#L1)\n",
		};
		const read = (f: string) => files[f] ?? fs.readFileSync(f, "utf8");
		assert.deepEqual(brokenLinks(path.join(ROOT, "README.md"), read), [
			"README.md: docs/gone.md: no such file",
			"README.md: #nowhere: no such anchor",
		]);
	});

	it("keeps the README a first sitting's length", () => {
		const lines = fs.readFileSync(path.join(ROOT, "README.md"), "utf8").split("\n").length;
		assert.ok(lines <= 250, `README.md has ${lines} lines`);
	});
});
