/**
 * The fork's own stack files, checked only for what holds for every valid fork: each parses and
 * validates, evaluates as a preview, gives Kubernetes manifests that pass their schemas, and passes
 * the policy pack with no mandatory violation. Every other test evaluates stacks it declares
 * (test/stackFixtures.ts), so a team's edits to Pulumi.<stack>.yaml change nothing else here; the
 * last test below keeps it so. Each stack file's workflow job is test/delivery.test.ts's.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { appManifestVersion, parseStackConfig } from "../config";
import { buildPlan, checkManifests } from "../offline/plan";
import { ORGANIZATION, PROJECT, projectKeys, ROOT, stackConfigFile, stackFileNames } from "../simulator";

const STACK_FILES = stackFileNames();

describe("the stack files (Pulumi.<stack>.yaml), as a fork has them", () => {
	it("are there: one at least", () => assert.ok(STACK_FILES.length >= 1, "no Pulumi.<stack>.yaml"));

	for (const stack of STACK_FILES) {
		describe(`Pulumi.${stack}.yaml`, () => {
			it("parses and validates as the program reads it", () => {
				const file = stackConfigFile(stack);
				const raw = projectKeys(file);
				const c = parseStackConfig(raw, {
					project: PROJECT,
					stack,
					organization: ORGANIZATION,
					location: file["azure-native:location"],
					defaultAppVersion: appManifestVersion(),
				});
				assert.ok(["dev", "prod"].includes(c.environment));
			});

			it("evaluates as a preview, with valid manifests and no mandatory policy violation", async () => {
				const plan = await buildPlan(stack);
				assert.ok(plan.resources.length >= 20, `${plan.resources.length} resources`);
				assert.deepEqual(await checkManifests(plan.manifests), []);
				assert.deepEqual(
					plan.findings.filter((f) => f.level === "mandatory").map((f) => `${f.policy}: ${f.message}`),
					[],
				);
			});
		});
	}
});

describe("the other tests", () => {
	/** What reads a stack file: the simulator's reader, or the file by name. */
	const READS_STACK_FILE = /stackConfigFile\(|Pulumi\.\$\{|Pulumi\.[\w-]+\.yaml|buildPlan\("[^"]+"\)|planCommand\([^,)]*\)/;
	/**
	 * Those whose subject is the fork's files: this one, the workflows' (a job per stack file), the
	 * fork test's copies, and the rename test's repository of its own (it writes its stack file).
	 */
	const ALLOWED = new Set(["stackFiles.test.ts", "delivery.test.ts", "fork.test.ts", "rename.test.ts"]);
	const readers = (dir: string) =>
		fs
			.readdirSync(dir)
			.filter((f) => f.endsWith(".ts") && !ALLOWED.has(f))
			.filter((f) =>
				fs
					.readFileSync(path.join(dir, f), "utf8")
					.split("\n")
					.some((line) => !/^\s*(\/\/|\*|\/\*)/.test(line) && READS_STACK_FILE.test(line)),
			);

	it("read no stack file: they evaluate the stacks they declare", () => {
		assert.deepEqual(readers(path.join(ROOT, "test")), []);
	});

	it("would be caught reading one (the check can fail)", () => {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), "readers-"));
		try {
			const lines = [
				'stackConfigFile("dev")',
				'buildPlan("prod")',
				"planCommand(args)",
				// biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a template literal
				"`Pulumi.${stack}.yaml`",
				"Pulumi.staging.yaml",
			];
			for (const [i, line] of lines.entries()) fs.writeFileSync(path.join(dir, `t${i}.test.ts`), `const x = ${line};\n`);
			fs.writeFileSync(
				path.join(dir, "fine.test.ts"),
				'// reads Pulumi.dev.yaml in a comment only\nrunStack({ stack: "dev" });\n',
			);
			assert.deepEqual(
				readers(dir),
				lines.map((_, i) => `t${i}.test.ts`),
			);
		} finally {
			fs.rmSync(dir, { recursive: true, force: true });
		}
	});
});
