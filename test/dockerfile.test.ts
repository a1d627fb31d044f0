import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Copy } from "dockerfile-ast";
import { ROOT } from "../simulator";
import { checkDockerfile, finalStageValue, stages } from "./dockerfileRules";
import { runStack } from "./stackFixtures";

const dockerfile = fs.readFileSync(path.join(ROOT, "app", "Dockerfile"), "utf8");
/** The sample app is a Node package; a fork's app may not be, and then only the contract is checked. */
const nodeApp = fs.existsSync(path.join(ROOT, "app", "package.json"));

describe("app/Dockerfile (parsed with dockerfile-ast)", () => {
	it("breaks none of the rules", () => {
		assert.deepEqual(checkDockerfile(dockerfile), []);
	});

	it("is multi-stage, its base images pinned by digest (a version tag for people) and replaceable through BUILD_IMAGE and RUNTIME_IMAGE (CI builds with them)", () => {
		const s = stages(dockerfile);
		assert.ok(s.length >= 2);
		// A tag can be re-pushed; a digest names exactly the bytes that were reviewed.
		for (const stage of s) assert.match(stage.image, /^[^@]+:[^:@]+@sha256:[0-9a-f]{64}$/, `${stage.image} pinned by digest`);
		assert.match(dockerfile, /^ARG BUILD_IMAGE=\S+$/m);
		assert.match(dockerfile, /^ARG RUNTIME_IMAGE=\S+$/m);
		if (nodeApp)
			for (const stage of s)
				assert.match(stage.image, /^node:22\.\d+\.\d+-[a-z]+-slim@sha256:[0-9a-f]{64}$/, "the sample: Node 22 slim");
	});

	// Each service's, as the program releases it: its contract may differ from the default (the last
	// argument of its release() line), and a fork's added services bring Dockerfiles of their own.
	it("each release's Dockerfile: the UID its pod runs as, and the ports its container declares", async () => {
		const { mocks } = await runStack({ stack: "dev" });
		const images = mocks.all("docker:index/image:Image");
		assert.ok(images.some((i) => i.name === "app-image"));
		if (nodeApp) assert.equal(finalStageValue(dockerfile, "CMD"), '["node", "dist/server.js"]', "the sample runs its build");
		for (const image of images) {
			const service = image.name.replace(/-image$/, "");
			const pod = mocks.one("kubernetes:apps/v1:Deployment", `${service}-deployment`).plain.spec.template.spec;
			const text = fs.readFileSync(path.join(ROOT, image.plain.build.dockerfile), "utf8");
			assert.equal(finalStageValue(text, "USER"), `${pod.securityContext.runAsUser}:${pod.securityContext.runAsGroup}`, service);
			assert.equal(
				finalStageValue(text, "EXPOSE"),
				pod.containers[0].ports.map((p: { containerPort: number }) => p.containerPort).join(" "),
				service,
			);
		}
	});

	it("carries the OCI labels the stack passes as build arguments", () => {
		for (const label of ["source", "revision", "version"]) {
			assert.match(dockerfile, new RegExp(`org\\.opencontainers\\.image\\.${label}="\\$\\{[A-Z_]+\\}"`));
		}
	});

	it("the runtime stage copies only what an earlier stage built, never the build context", () => {
		const all = stages(dockerfile);
		const copies = all[all.length - 1].instructions.filter((i): i is Copy => i.getKeyword() === "COPY");
		assert.ok(copies.length > 0);
		for (const c of copies) assert.ok(c.getFromFlag()?.getValue(), `COPY ${c.getArgumentsContent()} comes from a build stage`);
		if (nodeApp) {
			assert.deepEqual(
				copies.map((c) => [c.getFromFlag()?.getValue(), c.getArgumentsContent()]),
				[["build", "/src/dist ./dist"]],
				"the sample: dist/ only",
			);
		}
	});
});

describe("the Dockerfile rules catch what they name", () => {
	const cases: [string, string, string][] = [
		["DL3006", 'FROM node\nUSER 10001\nCMD ["node"]', "untagged image"],
		["DL3007", 'FROM node:latest\nUSER 10001\nCMD ["node"]', "latest"],
		// biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile variable syntax, not a JS template
		["DL3007", 'ARG IMG=node:latest\nFROM ${IMG}\nUSER 10001\nCMD ["node"]', "latest through an ARG default"],
		["DL3002/CKV_DOCKER_8", 'FROM node:22.22.0\nUSER 10001\nUSER root\nCMD ["node"]', "last USER root"],
		["DL3002/CKV_DOCKER_8", 'FROM node:22.22.0\nUSER 0:0\nCMD ["node"]', "USER 0"],
		["CKV_DOCKER_3", 'FROM node:22.22.0\nCMD ["node"]', "no USER"],
		["UID_GE_10000", 'FROM node:22.22.0\nUSER node\nCMD ["node"]', "a named user"],
		["UID_GE_10000", 'FROM node:22.22.0\nUSER 1000:1000\nCMD ["node"]', "a low UID"],
		["DL3025", "FROM node:22.22.0\nUSER 10001\nCMD node server.js", "shell-form CMD"],
		["DL3020/CKV_DOCKER_4", 'FROM node:22.22.0\nADD . /app\nUSER 10001\nCMD ["node"]', "ADD"],
		["DL3000/CKV_DOCKER_10", 'FROM node:22.22.0\nWORKDIR app\nUSER 10001\nCMD ["node"]', "relative WORKDIR"],
		["MULTI_STAGE", 'FROM node:22.22.0\nRUN npm ci\nUSER 10001\nCMD ["node"]', "single stage"],
		[
			"MULTI_STAGE",
			'FROM node:22.22.0 AS b\nFROM node:22.22.0\nRUN npm install --omit=dev\nUSER 10001\nCMD ["node"]',
			"install in runtime",
		],
		[
			"MULTI_STAGE",
			'FROM node:22.22.0 AS b\nFROM node:22.22.0\nCOPY --from=b /src/node_modules ./node_modules\nUSER 10001\nCMD ["node"]',
			"node_modules copied",
		],
	];
	for (const [rule, text, label] of cases) {
		it(`${rule}: ${label}`, () => {
			const rules = checkDockerfile(text).map((v) => v.rule);
			assert.ok(rules.includes(rule), `expected ${rule}, got ${JSON.stringify(rules)}`);
		});
	}
});
