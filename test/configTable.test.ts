import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { CONFIG_KEYS } from "../config";
import {
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

	it("would see a README row that says something else (the check can fail)", () => {
		const edited = readme().replace(
			"| `registrySku` | `Basic` \\| `Standard` \\| `Premium` | Basic |",
			"| `registrySku` | `Basic` \\| `Standard` \\| `Premium` | Standard |",
		);
		assert.notEqual(edited, readme(), "the edit took");
		assert.notEqual(withConfigurationTable(edited), edited);
	});
});
