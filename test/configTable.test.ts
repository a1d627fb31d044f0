import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { CONFIG_KEYS, ConfigError, parseStackConfig } from "../config";
import {
	acceptedRange,
	acceptedValues,
	CONFIG_TABLE,
	configurationTableMarkdown,
	DOCUMENTED_KEYS,
	templateConfig,
	withConfigurationTable,
} from "../configTable";
import { ROOT } from "../simulator";

const readme = () => fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

describe("configTable.ts: the configuration, written once", () => {
	it("documents every key the stack reads, and the region", () => {
		assert.deepEqual([...DOCUMENTED_KEYS].sort(), [...CONFIG_KEYS].sort());
		assert.ok("azure-native:location" in CONFIG_TABLE);
	});

	it("is the README's table, as npm run config:table writes it", () => {
		assert.equal(
			withConfigurationTable(readme()),
			readme(),
			"run npm run config:table after changing configTable.ts or a default",
		);
		assert.ok(readme().includes(configurationTableMarkdown()));
	});

	it("is Pulumi.yaml's pulumi new questions, each defaulting to dev's value", () => {
		const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
		assert.deepEqual(project.template.config, templateConfig());
	});

	it("is the parser's lists and ranges: a value outside a row's list or range is refused with that list or range", () => {
		/** The problems the parser reports for `value` alone in a dev stack. */
		const problems = (key: string, value: string) => {
			try {
				parseStackConfig({ [key]: value }, { project: "p", stack: "dev", location: "westeurope", defaultAppVersion: "1.0.0" });
				return [];
			} catch (err) {
				assert.ok(err instanceof ConfigError, String(err));
				return err.problems;
			}
		};
		let checked = 0;
		for (const key of DOCUMENTED_KEYS) {
			const { accepted } = CONFIG_TABLE[key];
			if (typeof accepted === "string") continue;
			checked++;
			if ("values" in accepted) {
				const list = acceptedValues(key);
				const expected = list.join(",") === "true,false" ? "expected true or false" : `expected one of ${list.join(" | ")}`;
				assert.ok(problems(key, "none-of-these").includes(`p:${key} = "none-of-these" is not accepted: ${expected}`), key);
			} else {
				const [min, max] = acceptedRange(key);
				for (const outside of [min - 1, max + 1]) {
					assert.ok(
						problems(key, String(outside)).includes(
							`p:${key} = "${outside}" is not accepted: expected a whole number from ${min} to ${max}`,
						),
						`${key} = ${outside}`,
					);
				}
			}
		}
		assert.ok(checked >= 14, `${checked} rows with a list or range`);
	});

	it("would see a README row that says something else (the check can fail)", () => {
		const edited = readme().replace(
			"| `registrySku` | `Basic` \\| `Standard` \\| `Premium` | Basic |",
			"| `registrySku` | `Basic` \\| `Standard` \\| `Premium` | Standard |",
		);
		assert.notEqual(edited, readme(), "the edit took");
		assert.notEqual(withConfigurationTable(edited), edited);
	});
});
