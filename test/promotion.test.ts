import * as assert from "node:assert/strict";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import {
	PROMOTE_IMAGES,
	PROMOTE_REGISTRY_ID,
	pinnedImages,
	pinnedSource,
	promotedImage,
	promotionSource,
} from "../lib/promotion";
import { sourceInfo } from "../lib/sourceInfo";
import { ORGANIZATION, PROJECT, ROOT, type StackMocks, sourceStackOutputs } from "../simulator";
import { runStack } from "./stackFixtures";
import { loadWorkflow } from "./trustModel";

const DEV = `${ORGANIZATION}/${PROJECT}/dev`;
const good = sourceStackOutputs(DEV);

describe("promotionSource: what a building stack exported", () => {
	it("reads the registry and each service's repository and digest", () => {
		const source = promotionSource(DEV, good);
		assert.equal(source.registryId, good.registryId);
		const app = String((good.images as Record<string, string>).app);
		assert.deepEqual(promotedImage(source, "app"), {
			loginServer: app.split("/")[0],
			repository: "app",
			digest: app.split("@")[1],
		});
	});

	for (const [label, outputs, message] of [
		[
			"no registryId (a stack deployed before it exported one)",
			{ ...good, registryId: undefined },
			/output registryId = undefined: expected a container registry's ARM id/,
		],
		["no images", { ...good, images: undefined }, /output images = undefined: expected a map of service name/],
		[
			"a tag where a digest belongs",
			{ ...good, images: { app: "devacr.azurecr.io/app:1.0.0" } },
			/images\.app = "devacr\.azurecr\.io\/app:1\.0\.0": expected <registry>\/<repository>@sha256:<64 hex digits>/,
		],
		["a short digest", { ...good, images: { app: "devacr.azurecr.io/app@sha256:abc" } }, /images\.app = .*sha256:abc/],
	] as const) {
		it(`refuses ${label}, naming the stack, the output and its value`, () => {
			assert.throws(
				() => promotionSource(DEV, outputs),
				(e: unknown) => e instanceof pulumi.RunError && e.message.includes(`stack ${DEV}`) && message.test(e.message),
			);
		});
	}

	it("refuses a service the source stack does not run", () => {
		assert.throws(
			() => promotedImage(promotionSource(DEV, sourceStackOutputs(DEV, ["app", "worker"])), "billing"),
			/exports no image for service "billing" \(it has app, worker\)/,
		);
	});
});

describe("promotion: a bad source stops prod before anything is declared", () => {
	it("a malformed digest from the source stack", async () => {
		let seen: StackMocks | undefined;
		await assert.rejects(
			runStack({
				stack: "prod",
				onMocks: (m) => {
					seen = m;
					m.stackOutputs[DEV] = { ...good, images: { app: "devacr.azurecr.io/app@sha256:not-a-digest" } };
				},
			}),
			/Cannot promote images:\n {2}- stack .*\/dev has output images\.app = "devacr\.azurecr\.io\/app@sha256:not-a-digest"/,
		);
		assert.ok(seen);
		assert.deepEqual(
			seen.resources.map((r) => r.type),
			[],
			"nothing declared",
		);
	});

	it("a source stack that does not exist (yet)", async () => {
		await assert.rejects(
			runStack({ stack: "prod", onMocks: (m) => (m.stackOutputs[DEV] = null) }),
			(e: unknown) =>
				e instanceof pulumi.RunError &&
				e.message.includes(`stack ${DEV} could not be read`) &&
				e.message.includes("set imageSource to build"),
		);
	});
});

describe("promotion in a workflow: prod imports what this run's dev job deployed (PROMOTE_IMAGES)", () => {
	const devOutput = good.images as Record<string, string>;
	const pinnedRef = `${devOutput.app.split("@")[0]}@sha256:${"9".repeat(64)}`;
	const withEnv = async <T>(value: string | undefined, run: () => Promise<T>): Promise<T> => {
		const before = process.env[PROMOTE_IMAGES];
		if (value === undefined) delete process.env[PROMOTE_IMAGES];
		else process.env[PROMOTE_IMAGES] = value;
		try {
			return await run();
		} finally {
			if (before === undefined) delete process.env[PROMOTE_IMAGES];
			else process.env[PROMOTE_IMAGES] = before;
		}
	};

	it("reads the map the build job's images output is, naming a bad value, the variable and what is accepted", () => {
		assert.equal(pinnedImages({}, DEV), undefined, "unset: by hand, the build stack's output is used");
		assert.deepEqual(pinnedImages({ [PROMOTE_IMAGES]: JSON.stringify({ app: pinnedRef }) }, DEV), {
			app: { loginServer: pinnedRef.split("/")[0], repository: "app", digest: `sha256:${"9".repeat(64)}` },
		});
		for (const [raw, message] of [
			["", /PROMOTE_IMAGES is set but empty\. A workflow run imports only what its own .*\/dev job deployed/],
			[
				"not json",
				/PROMOTE_IMAGES = "not json" is not accepted: expected a JSON object of service name to <registry>\/<repository>@sha256:<64 hex digits>/,
			],
			["{}", /PROMOTE_IMAGES = "\{\}" is not accepted/],
			[
				JSON.stringify({ app: "devacr.azurecr.io/app:1.0.0" }),
				/PROMOTE_IMAGES\.app = "devacr\.azurecr\.io\/app:1\.0\.0" is not accepted/,
			],
		] as const) {
			assert.throws(
				() => pinnedImages({ [PROMOTE_IMAGES]: raw }, DEV),
				(e: unknown) => e instanceof pulumi.RunError && message.test(e.message),
			);
		}
	});

	it("imports the pinned digest, not the one dev exports now, and has the import check the label against this checkout's app/ tree", async () => {
		// Every service dev deployed (a fork may release more than one), the app at another digest.
		const run = await withEnv(JSON.stringify({ ...devOutput, app: pinnedRef }), () => runStack({ stack: "prod" }));
		const imported = run.mocks.one("pulumi-nodejs:dynamic:Resource", "app-import").plain;
		assert.equal(imported.sourceImage, `app@sha256:${"9".repeat(64)}`);
		assert.notEqual(imported.sourceImage, devOutput.app.split("/").pop(), "not what dev exports");
		assert.equal(imported.sourceRegistryId, good.registryId);
		assert.equal(imported.sourceLoginServer, pinnedRef.split("/")[0]);
		assert.equal(
			imported.expectRevision,
			sourceInfo(path.join(ROOT, "app")).revision,
			"the tree the Dockerfile's VCS_REF label records",
		);
	});

	it("stops before anything is declared when the workflow passed nothing, or an image in another registry", async () => {
		await assert.rejects(
			withEnv("", () => runStack({ stack: "prod" })),
			/PROMOTE_IMAGES is set but empty/,
		);
		await assert.rejects(
			withEnv(JSON.stringify({ app: `evil.example/app@sha256:${"9".repeat(64)}` }), () => runStack({ stack: "prod" })),
			/Cannot promote images: PROMOTE_IMAGES\.app is in evil\.example, not in stack .*\/dev's registry \(registry[0-9a-f]+\.azurecr\.io\)/,
		);
	});

	it("with the build job's registry id too (PROMOTE_REGISTRY_ID), reads nothing of the source stack: its state may be elsewhere", async () => {
		const registryId = good.registryId as string;
		const env = { [PROMOTE_IMAGES]: JSON.stringify({ ...devOutput, app: pinnedRef }), [PROMOTE_REGISTRY_ID]: registryId };
		assert.equal(
			pinnedSource({ [PROMOTE_IMAGES]: env[PROMOTE_IMAGES] }, DEV),
			undefined,
			"without the id, the source stack is read",
		);
		assert.deepEqual(pinnedSource(env, DEV)?.registryId, registryId);
		const name = registryId.split("/").pop() as string;
		// A registry with a domain-name-label hash answers at <name>-<hash>.azurecr.io.
		const labelled = {
			...env,
			[PROMOTE_IMAGES]: JSON.stringify({ app: `${name}-g7hqcxbma2bsa8.azurecr.io/app@sha256:${"9".repeat(64)}` }),
		};
		assert.equal(pinnedSource(labelled, DEV)?.images.app.loginServer, `${name}-g7hqcxbma2bsa8.azurecr.io`);
		for (const [bad, message] of [
			[
				{ ...env, [PROMOTE_REGISTRY_ID]: "devacr" },
				/PROMOTE_REGISTRY_ID = "devacr" is not accepted: expected a container registry's ARM id/,
			],
			[{ [PROMOTE_REGISTRY_ID]: registryId }, /PROMOTE_REGISTRY_ID is set without PROMOTE_IMAGES: pass both/],
			[
				{ ...env, [PROMOTE_IMAGES]: JSON.stringify({ app: `other${name}.azurecr.io/app@sha256:${"9".repeat(64)}` }) },
				new RegExp(`PROMOTE_IMAGES\\.app is in other${name}\\.azurecr\\.io, not in registry ${name} \\(PROMOTE_REGISTRY_ID\\)`),
			],
		] as const)
			assert.throws(
				() => pinnedSource(bad, DEV),
				(e: unknown) => e instanceof pulumi.RunError && message.test(e.message),
			);
		const before = { ...process.env };
		Object.assign(process.env, env);
		try {
			const run = await runStack({ stack: "prod" });
			assert.equal(run.mocks.all("pulumi:pulumi:StackReference").length, 0, "no StackReference: the source's state is not read");
			const imported = run.mocks.one("pulumi-nodejs:dynamic:Resource", "app-import").plain;
			assert.equal(imported.sourceRegistryId, registryId);
			assert.equal(imported.sourceImage, `app@sha256:${"9".repeat(64)}`);
		} finally {
			for (const k of [PROMOTE_IMAGES, PROMOTE_REGISTRY_ID]) {
				if (before[k] === undefined) delete process.env[k];
				else process.env[k] = before[k];
			}
		}
	});

	// Which job passes which stage's images is deploy.yml's chain, held by test/delivery.test.ts.
	it("the workflow passes it: deploy-stack outputs each stack's images and sets the variable always", () => {
		const stack = loadWorkflow("deploy-stack.yml");
		assert.equal(stack.on.workflow_call.outputs.images.value, `\${{ jobs.up.outputs.images }}`);
		assert.equal(stack.jobs.up.outputs.images, `\${{ steps.up.outputs.images }}`);
		const up = stack.jobs.up.steps.find((s: any) => s.id === "up");
		assert.equal(up.with.command, "up");
		assert.equal(
			up.env[PROMOTE_IMAGES],
			`\${{ inputs.promote-images }}`,
			"set (empty for dev), so a promoting stack fails closed",
		);
		assert.equal(stack.on.workflow_call.inputs["promote-images"].default, "");
		assert.equal(stack.on.workflow_call.outputs["registry-id"].value, `\${{ jobs.up.outputs.registry-id }}`);
		assert.equal(stack.jobs.up.outputs["registry-id"], `\${{ steps.up.outputs.registryId }}`);
		assert.equal(up.env[PROMOTE_REGISTRY_ID], `\${{ inputs.promote-registry-id }}`);
		assert.equal(stack.on.workflow_call.inputs["promote-registry-id"].default, "");
	});
});
