import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { CONFIG_KEYS, ENVIRONMENT_DEFAULTS } from "../config";
import { ROOT } from "../simulator";

// What a fork meets first: the pulumi new questions, dependency updates, the dev container. Its
// own file, so the fork test runs it in a copy with another kind of app without the pipeline's suite.
describe("the fork-ready template", () => {
	it("Pulumi.yaml's template prompts for the location and the main keys, unprefixed, each defaulting to config.ts's dev default", () => {
		const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
		const prompts = project.template.config;
		const dev = ENVIRONMENT_DEFAULTS.dev;
		const expected: Record<string, unknown> = {
			"azure-native:location": "westeurope",
			environment: "dev",
			appReplicas: dev.appReplicas,
			nodeVmSize: dev.nodeVmSize,
			minNodeCount: dev.minNodeCount,
			maxNodeCount: dev.maxNodeCount,
			registrySku: dev.registrySku,
		};
		assert.deepEqual(Object.keys(prompts).sort(), Object.keys(expected).sort());
		for (const [key, value] of Object.entries(expected)) {
			assert.ok(prompts[key].description, `${key} has a description`);
			assert.equal(prompts[key].default, value, `${key}: pulumi new offers config.ts's default`);
			if (key !== "azure-native:location")
				assert.ok((CONFIG_KEYS as readonly string[]).includes(key), `${key} is a key of this stack`);
		}
	});

	it("Dependabot updates npm (stack, app, policy), the Dockerfile base images and the actions, with Pulumi grouped", () => {
		const config = parse(fs.readFileSync(path.join(ROOT, ".github", "dependabot.yml"), "utf8"));
		const by = (eco: string) => config.updates.find((u: any) => u["package-ecosystem"] === eco);
		// /app only while the app is a Node package: a fork with another kind of app drops that entry.
		const nodeApp = fs.existsSync(path.join(ROOT, "app", "package.json"));
		assert.deepEqual(by("npm").directories, nodeApp ? ["/", "/app", "/policy"] : ["/", "/policy"]);
		assert.deepEqual(by("npm").groups.pulumi.patterns, ["@pulumi/*"]);
		assert.equal(by("docker").directory, "/app");
		assert.equal(by("github-actions").directory, "/");
		for (const dir of by("npm").directories)
			assert.ok(fs.existsSync(path.join(ROOT, dir, "package-lock.json")), `${dir} has a lock file`);
	});

	it("the dev container brings Node 22, the Pulumi CLI, the Azure CLI and Docker-in-Docker", () => {
		const dc = JSON.parse(fs.readFileSync(path.join(ROOT, ".devcontainer", "devcontainer.json"), "utf8"));
		assert.match(dc.image, /typescript-node:.*22/);
		const features = Object.keys(dc.features).join(" ");
		for (const f of ["azure-cli", "docker-in-docker", "pulumi"]) assert.ok(features.includes(`/${f}:`), f);
	});
});
