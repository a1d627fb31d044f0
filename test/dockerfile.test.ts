import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Recorded } from "../simulator";
import { ROOT } from "../simulator";
import { checkDockerfile, describeViolation, finalStageValue } from "./dockerfileRules";
import { runStack } from "./stackFixtures";

/**
 * Every service's Dockerfile, as the program releases it (the dev stack builds each one), whatever
 * its language: held to the security rules and to its release's contract. Nothing here reads the
 * sample's own style; app/test/dockerfile.test.mjs does, and goes with the sample.
 */
describe("each release's Dockerfile (parsed with dockerfile-ast)", () => {
	let releases: { service: string; file: string; text: string; pod: Recorded["plain"] }[];

	before(async () => {
		const { mocks } = await runStack({ stack: "dev" });
		releases = mocks.all("docker:index/image:Image").map((image) => {
			const service = image.name.replace(/-image$/, "");
			const file = image.plain.build.dockerfile;
			return {
				service,
				file,
				text: fs.readFileSync(path.join(ROOT, file), "utf8"),
				pod: mocks.one("kubernetes:apps/v1:Deployment", `${service}-deployment`).plain.spec.template.spec,
			};
		});
	});

	it("there is one for each service the program releases", () => {
		assert.ok(releases.length >= 1);
		for (const r of releases) assert.ok(r.text.length > 0, r.file);
	});

	it("breaks none of the security rules (each failure names the file, the line and the fix)", () => {
		const violations = releases.flatMap((r) => checkDockerfile(r.text).map((v) => describeViolation(r.file, v)));
		assert.deepEqual(violations, []);
	});

	it("runs as the UID its pod runs as, and declares the ports its container does", () => {
		for (const { service, file, text, pod } of releases) {
			assert.equal(
				finalStageValue(text, "USER"),
				`${pod.securityContext.runAsUser}:${pod.securityContext.runAsGroup}`,
				`${file}: USER, as ${service}'s release runs it`,
			);
			assert.equal(
				finalStageValue(text, "EXPOSE"),
				pod.containers[0].ports.map((p: { containerPort: number }) => p.containerPort).join(" "),
				`${file}: EXPOSE, the ports ${service}'s release declares`,
			);
		}
	});
});

describe("the Dockerfile rules catch what they name, and say where and how to fix it", () => {
	const pinned = "node:22.22.0@sha256:dd9d21971ec4395903fa6143c2b9267d048ae01ca6d3ea96f16cb30df6187d94";
	const cases: [string, string, string][] = [
		["DL3006", 'FROM node\nUSER 10001\nCMD ["node"]', "untagged image"],
		["DL3007", 'FROM node:latest\nUSER 10001\nCMD ["node"]', "latest"],
		// biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile variable syntax, not a JS template
		["DL3007", 'ARG IMG=node:latest\nFROM ${IMG}\nUSER 10001\nCMD ["node"]', "latest through an ARG default"],
		["DIGEST_PIN", 'FROM python:3.12-slim\nUSER 10001\nCMD ["python"]', "a tag without a digest"],
		["DL3002/CKV_DOCKER_8", `FROM ${pinned}\nUSER 10001\nUSER root\nCMD ["node"]`, "last USER root"],
		["DL3002/CKV_DOCKER_8", `FROM ${pinned}\nUSER 0:0\nCMD ["node"]`, "USER 0"],
		["CKV_DOCKER_3", `FROM ${pinned}\nCMD ["node"]`, "no USER"],
		["UID_GE_10000", `FROM ${pinned}\nUSER node\nCMD ["node"]`, "a named user"],
		["UID_GE_10000", `FROM ${pinned}\nUSER 1000:1000\nCMD ["node"]`, "a low UID"],
		["DL3025", `FROM ${pinned}\nUSER 10001\nCMD node server.js`, "shell-form CMD"],
		["DL3020/CKV_DOCKER_4", `FROM ${pinned}\nADD . /app\nUSER 10001\nCMD ["node"]`, "ADD"],
		["DL3000/CKV_DOCKER_10", `FROM ${pinned}\nWORKDIR app\nUSER 10001\nCMD ["node"]`, "relative WORKDIR"],
		["NO_SECRETS", `FROM ${pinned}\nENV DB_PASSWORD=hunter2\nUSER 10001\nCMD ["node"]`, "a password in ENV"],
		["NO_SECRETS", `FROM ${pinned}\nARG API_KEY=abc123\nUSER 10001\nCMD ["node"]`, "a key as an ARG default"],
		["NO_SECRETS", `FROM ${pinned}\nCOPY .env /app/.env\nUSER 10001\nCMD ["node"]`, "a .env file copied in"],
		["NO_SECRETS", `FROM ${pinned}\nCOPY certs/server.key /app/\nUSER 10001\nCMD ["node"]`, "a private key copied in"],
	];
	for (const [rule, text, label] of cases) {
		it(`${rule}: ${label}`, () => {
			const found = checkDockerfile(text).filter((v) => v.rule === rule);
			assert.ok(found.length > 0, `expected ${rule}, got ${JSON.stringify(checkDockerfile(text).map((v) => v.rule))}`);
			const line = describeViolation("svc/Dockerfile", found[0]);
			assert.match(line, new RegExp(`^svc/Dockerfile:${found[0].line}: .+ \\(${rule}\\)\\. Fix: .+`));
			assert.ok(text.split("\n")[found[0].line - 1]?.trim(), `line ${found[0].line} is an instruction of the file`);
		});
	}

	it("passes what a fork may well write: one stage, any language, a secret's name declared without a value", () => {
		for (const text of [
			`FROM python:3.12-slim@sha256:${"a".repeat(64)}\nWORKDIR /srv\nCOPY server.py .\nUSER 10001:10001\nEXPOSE 5000\nCMD ["python", "server.py"]`,
			`FROM ${pinned} AS build\nRUN make\nFROM ${pinned}\nARG GITHUB_TOKEN\nCOPY --from=build /out/key.pem.txt /k\nUSER 10001\nCMD ["node"]`,
		])
			assert.deepEqual(checkDockerfile(text), []);
	});
});
