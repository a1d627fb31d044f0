import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { CONFIG_KEYS, parseStackConfig } from "../config";
import { DEFAULT_LOCATION, LOCATION_KEY } from "../configTable";
import { declaredServices, PROJECT, ROOT } from "../simulator";

/** The questions `pulumi new` asks, from Pulumi.yaml's `template.config`. */
const templatePrompts = (): Record<string, { description: string; default: string | number }> =>
	parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")).template.config;

// What a fork meets first: the pulumi new questions, dependency updates, the dev container. Its
// own file, so the fork test runs it in a copy with another kind of app without the pipeline's suite.
describe("the fork-ready template", () => {
	it("Pulumi.yaml's template asks only the region and the environment, unprefixed, each with config.ts's dev default", () => {
		const prompts = templatePrompts();
		assert.deepEqual(Object.keys(prompts).sort(), ["azure-native:location", "environment"]);
		assert.equal(prompts["azure-native:location"].default, DEFAULT_LOCATION);
		assert.equal(prompts.environment.default, "dev");
		for (const [key, prompt] of Object.entries(prompts)) {
			assert.ok(prompt.description, `${key} has a description`);
			if (key !== "azure-native:location")
				assert.ok((CONFIG_KEYS as readonly string[]).includes(key), `${key} is a key of this stack`);
		}
	});

	// Whatever the template asks: its answers, as pulumi new writes them, are a stack either environment accepts.
	for (const environment of ["dev", "prod"]) {
		it(`pulumi new's offered answers with environment ${environment} make a stack the program accepts, with no warning`, () => {
			const answers: Record<string, string> = Object.fromEntries(
				Object.entries(templatePrompts()).map(([k, p]) => [k, String(p.default)]),
			);
			const { [LOCATION_KEY]: location, ...keys }: Record<string, string> = { ...answers, environment };
			const c = parseStackConfig(keys, {
				project: PROJECT,
				stack: `${environment}-from-template`,
				location,
				defaultAppVersion: "1.0.0",
			});
			assert.equal(c.environment, environment);
			assert.deepEqual(c.warnings, []);
		});
	}

	it("Dependabot updates npm (the stack, the policy pack, each Node service), each service's Dockerfile and the actions, with Pulumi grouped", () => {
		const config = parse(fs.readFileSync(path.join(ROOT, ".github", "dependabot.yml"), "utf8"));
		const by = (eco: string) => config.updates.find((u: any) => u["package-ecosystem"] === eco);
		const covered = (entry: any): string[] => (entry?.directories ?? [entry?.directory]).filter(Boolean);
		// Each service the program releases, from its directory: its lock file if it is a Node package, and its Dockerfile.
		const services = declaredServices().map((s) => `/${s.directory}`);
		const nodeServices = services.filter((d) => fs.existsSync(path.join(ROOT, d, "package-lock.json")));
		assert.deepEqual(
			[...covered(by("npm"))].sort(),
			["/", "/policy", ...nodeServices].sort(),
			"npm: a directory with a lock file each",
		);
		for (const dir of covered(by("npm")))
			assert.ok(fs.existsSync(path.join(ROOT, dir, "package-lock.json")), `${dir} has a lock file`);
		assert.deepEqual(by("npm").groups.pulumi.patterns, ["@pulumi/*"]);
		for (const dir of services)
			assert.ok(covered(by("docker")).includes(dir), `docker: ${dir}'s base images (add it to the docker entry's directories)`);
		assert.equal(by("github-actions").directory, "/");
	});

	it("the dev container brings Node 22, the Pulumi CLI, the Azure CLI and Docker-in-Docker", () => {
		const dc = JSON.parse(fs.readFileSync(path.join(ROOT, ".devcontainer", "devcontainer.json"), "utf8"));
		assert.match(dc.image, /typescript-node:.*22/);
		const features = Object.keys(dc.features).join(" ");
		for (const f of ["azure-cli", "docker-in-docker", "pulumi"]) assert.ok(features.includes(`/${f}:`), f);
	});
});
