// The sample's own Dockerfile style, which goes with the sample when a fork replaces app/: the
// stack's tests (test/dockerfile.test.ts) hold every service's Dockerfile only to the security
// rules and its release's contract, so a fork's Dockerfile in any language passes them.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";

const text = readFileSync(new URL("../Dockerfile", import.meta.url), "utf8");
// Continuation lines joined, comments dropped: one instruction a line.
const lines = text
	.replace(/\\\n\s*/g, " ")
	.split("\n")
	.map((l) => l.trim())
	.filter((l) => l && !l.startsWith("#"));
const argDefaults = Object.fromEntries(
	lines.flatMap((l) => {
		const m = /^ARG (\w+)=(\S+)$/.exec(l);
		return m ? [[m[1], m[2]]] : [];
	}),
);
/** Each stage: its base (ARGs resolved), its name, its instructions. */
const stages = [];
for (const l of lines) {
	const from = /^FROM (\S+)(?: AS (\S+))?$/i.exec(l);
	if (from) stages.push({ image: from[1].replace(/^\$\{(\w+)\}$/, (_, n) => argDefaults[n] ?? ""), name: from[2], body: [] });
	else stages.at(-1)?.body.push(l);
}
const runtime = stages.at(-1);

describe("the sample's Dockerfile", () => {
	it("builds in one stage and runs in another, both on Node 22 slim pinned by digest, replaceable through BUILD_IMAGE and RUNTIME_IMAGE (CI builds with them)", () => {
		assert.deepEqual(
			stages.map((s) => s.name),
			["build", "runtime"],
		);
		for (const s of stages) assert.match(s.image, /^node:22\.\d+\.\d+-[a-z]+-slim@sha256:[0-9a-f]{64}$/, s.name);
		assert.match(text, /^FROM \$\{BUILD_IMAGE\} AS build$/m);
		assert.match(text, /^FROM \$\{RUNTIME_IMAGE\} AS runtime$/m);
	});

	it("installs no package in the runtime stage, and copies only the compiled dist/ from the build", () => {
		assert.ok(!runtime.body.some((l) => /^RUN .*\bnpm (ci|install|i)\b/.test(l)));
		assert.deepEqual(
			runtime.body.filter((l) => l.startsWith("COPY")),
			["COPY --from=build /src/dist ./dist"],
		);
	});

	it("runs the build with node, exec form, as USER 10001:10001, exposing the app and metrics ports", () => {
		assert.equal(runtime.body.filter((l) => l.startsWith("CMD")).at(-1), 'CMD ["node", "dist/server.js"]');
		assert.equal(runtime.body.filter((l) => l.startsWith("USER")).at(-1), "USER 10001:10001");
		assert.equal(runtime.body.filter((l) => l.startsWith("EXPOSE")).at(-1), "EXPOSE 8080 9464");
	});

	it("carries the OCI labels the stack passes as build arguments (APP_VERSION, VCS_REF, SOURCE_URL)", () => {
		for (const [label, arg] of [
			["source", "SOURCE_URL"],
			["revision", "VCS_REF"],
			["version", "APP_VERSION"],
		])
			assert.ok(
				runtime.body.some((l) => l.includes(`org.opencontainers.image.${label}="\${${arg}}"`)),
				label,
			);
	});
});
