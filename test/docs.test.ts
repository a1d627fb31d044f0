import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CONFIG_KEYS } from "../configTable";
import { PROJECT, ROOT } from "../simulator";

/** The prerequisites table's rows: the files it says declare each prerequisite, and the test it says proves it. */
function prerequisiteRows() {
	const doc = fs.readFileSync(path.join(ROOT, "docs", "azure-prerequisites.md"), "utf8");
	return doc
		.split("\n")
		.filter((line) => line.startsWith("| ") && !line.startsWith("| feature") && !line.startsWith("| ---"))
		.map((line) => {
			const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
			return { line, declaredBy: cells[4], provedBy: cells[5] };
		});
}

describe("docs/azure-prerequisites.md: every prerequisite points at code and at a test that exist", () => {
	const rows = prerequisiteRows();

	it("has its rows", () => assert.ok(rows.length >= 15, `${rows.length} rows`));

	it("names, for each row, files that exist and a test file and title that exist", () => {
		for (const row of rows) {
			const files = [...row.declaredBy.matchAll(/`([\w./-]+\.(?:ts|sh))`/g)].map((m) => m[1]);
			assert.ok(files.length > 0, `no declaring file in: ${row.line}`);
			for (const file of files) assert.ok(fs.existsSync(path.join(ROOT, file)), `${file} (${row.line})`);
			const proof = /^`(test\/[\w.-]+\.test\.ts)` › "([^"]+)"$/.exec(row.provedBy);
			assert.ok(proof, `no test named in: ${row.line}`);
			const [, testFile, title] = proof;
			const source = fs.readFileSync(path.join(ROOT, testFile), "utf8");
			assert.ok(source.includes(title), `${testFile} has no test "${title}"`);
		}
	});
});

/**
 * Every configuration key a reader is told to set: `<project>:key` (or the project's own name) and
 * `pulumi config set key` in README.md, docs/ and the program's messages, `set`/`change` a backticked
 * camelCase name in the docs, and the keys an error message lists after "config".
 */
function keysTold(): { where: string; key: string }[] {
	const md = [
		"README.md",
		...fs.readdirSync(path.join(ROOT, "docs"), { recursive: true }).map((f) => path.join("docs", String(f))),
	].filter((f) => f.endsWith(".md"));
	const sourceDirs = ["components", "lib", "offline", "scripts", "policy/rules", "e2e"];
	const sources = [
		"index.ts",
		"config.ts",
		...sourceDirs.flatMap((d) => fs.readdirSync(path.join(ROOT, d)).map((f) => path.join(d, f))),
	].filter((f) => /\.[cm]?[jt]s$/.test(f));
	const project = `(?:<project>|${PROJECT}|\\$\\{[^}]*(?:getProject\\(\\)|project|PROJECT)[^}]*\\})`;
	const patterns = [
		new RegExp(`${project}:([A-Za-z]\\w*)`, "g"),
		new RegExp(`pulumi config set (?:--path )?(?:${project}:)?([A-Za-z]\\w*)(?![-:\\w])`, "g"),
	];
	const docPattern = /\b(?:set|change)\s+`([a-z]+[A-Z]\w*)`((?:\/`[a-z]+[A-Z]\w*`)*)/g;
	const found: { where: string; key: string }[] = [];
	for (const file of [...md, ...sources]) {
		const text = fs.readFileSync(path.join(ROOT, file), "utf8");
		for (const re of patterns) for (const m of text.matchAll(re)) found.push({ where: `${file}: ${m[0]}`, key: m[1] });
		if (file.endsWith(".md"))
			for (const m of text.matchAll(docPattern))
				for (const key of [m[1], ...[...m[2].matchAll(/`(\w+)`/g)].map((k) => k[1])])
					found.push({ where: `${file}: ${m[0]}`, key });
		else
			for (const m of text.matchAll(/\(config ((?:[a-z]\w*, )*[a-z]\w*)\)/g))
				for (const key of m[1].split(", ")) found.push({ where: `${file}: ${m[0]}`, key });
	}
	return found;
}

describe("every configuration key the docs and messages tell a user to set is one the parser reads", () => {
	const told = keysTold();

	it("finds them (README's own examples among them)", () => {
		assert.ok(told.some((t) => t.where.startsWith("README.md")));
		assert.ok(told.length >= 10, `${told.length} found`);
	});

	it("is in the configuration table (configTable.ts)", () => {
		const known = new Set<string>(CONFIG_KEYS);
		assert.deepEqual(
			told.filter((t) => !known.has(t.key)).map((t) => `${t.where} (${t.key})`),
			[],
		);
	});
});
