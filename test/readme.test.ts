import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CONFIG_KEYS, ENVIRONMENT_DEFAULTS } from "../config";
import { ROOT } from "../simulator";

/** The README's configuration table, by key: what it accepts, and the dev and prod defaults it states. */
function configurationTable(): Map<string, { accepted: string; dev: string; prod: string }> {
	const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
	const section = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("## Outputs"));
	const rows = new Map<string, { accepted: string; dev: string; prod: string }>();
	for (const line of section.split("\n")) {
		const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
		const key = /^`([^`]+)`$/.exec(cells[1] ?? "")?.[1];
		if (key) rows.set(key, { accepted: cells[2], dev: cells[3], prod: cells[4] });
	}
	return rows;
}

describe("README: the configuration table says what config.ts does", () => {
	const table = configurationTable();

	it("has a row for every key the stack reads, and none for a key it does not", () => {
		const documented = [...table.keys()].filter((k) => k !== "azure-native:location");
		assert.deepEqual(documented.sort(), [...CONFIG_KEYS].sort());
	});

	it("states config.ts's dev and prod defaults", () => {
		// Every default that is one value and a key of its own (the zones, a list, are checked below).
		const simple = (Object.keys(ENVIRONMENT_DEFAULTS.dev) as (keyof typeof ENVIRONMENT_DEFAULTS.dev)[]).filter(
			(k): k is Exclude<typeof k, "availabilityZones"> =>
				(CONFIG_KEYS as readonly string[]).includes(k) && !Array.isArray(ENVIRONMENT_DEFAULTS.dev[k]),
		);
		assert.ok(simple.length >= 18, `${simple.length} keys checked`);
		for (const key of simple) {
			const row = table.get(key);
			for (const env of ["dev", "prod"] as const) {
				const value = String(ENVIRONMENT_DEFAULTS[env][key]);
				assert.ok(
					row?.[env].startsWith(value),
					`${key}: README says ${JSON.stringify(row?.[env])} for ${env}, config.ts ${value}`,
				);
			}
		}
		const zones = table.get("availabilityZones");
		assert.equal(zones?.dev, `\`${JSON.stringify(ENVIRONMENT_DEFAULTS.dev.availabilityZones)}\``);
		assert.equal(zones?.prod, `\`${JSON.stringify(ENVIRONMENT_DEFAULTS.prod.availabilityZones)}\``);
	});
});
