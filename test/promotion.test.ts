import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { promotedImage, promotionSource } from "../lib/promotion";
import { ORGANIZATION, PROJECT, runStack, type StackMocks, sourceStackOutputs } from "../simulator";

const DEV = `${ORGANIZATION}/${PROJECT}/dev`;
const good = sourceStackOutputs(DEV);

describe("promotionSource: what a building stack exported", () => {
	it("reads the registry and each service's repository and digest", () => {
		const source = promotionSource(DEV, good);
		assert.equal(source.registryId, good.registryId);
		const app = String((good.images as Record<string, string>).app);
		assert.deepEqual(promotedImage(source, "app"), { repository: "app", digest: app.split("@")[1] });
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
			() => promotedImage(promotionSource(DEV, good), "billing"),
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
