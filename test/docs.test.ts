import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../simulator";

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
			const files = [...row.declaredBy.matchAll(/`([\w./-]+\.ts)`/g)].map((m) => m[1]);
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
