import * as assert from "node:assert/strict";
import * as resources from "@pulumi/azure-native/resources";
import { PromotedImage } from "../components/promotedImage";
import { allRegistered, PROJECT, StackMocks, SUBSCRIPTION_ID, settle } from "../simulator";
import { standInPlugin } from "./credentialPlugins";

const acr = (rg: string, name: string) =>
	`/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${rg}/providers/Microsoft.ContainerRegistry/registries/${name}`;
const DIGEST = `sha256:${"7".repeat(64)}`;

describe("PromotedImage (a team repository, a credential of the fork's choosing)", () => {
	it("imports the source's digest under this stack's tag, after the grants, and deploys it from this registry", async () => {
		const mocks = new StackMocks();
		mocks.install(PROJECT, "prod", false);
		const grant = new resources.ResourceGroup("grant-stand-in", {});
		const credential = standInPlugin("{}");
		const image = new PromotedImage("api", {
			registryId: acr("rg-prod", "shopprodacr"),
			loginServer: "shopprodacr.azurecr.io",
			source: {
				stack: "acme/shop/staging",
				registryId: acr("rg-staging", "shopstagingacr"),
				loginServer: "shopstagingacr.azurecr.io",
				repository: "team/api",
				digest: DIGEST,
			},
			tag: "2.1.0",
			importGrants: [grant],
			credential,
			expectRevision: "ab".repeat(20),
		});
		const { value } = await settle(image.repoDigest);
		await allRegistered();
		assert.equal(value, `shopprodacr.azurecr.io/team/api@${DIGEST}`);
		const imported = mocks.one("pulumi-nodejs:dynamic:Resource", "api-import");
		assert.deepEqual(
			[imported.plain.sourceRegistryId, imported.plain.sourceImage, imported.plain.targetRegistryId, imported.plain.targetTags],
			[acr("rg-staging", "shopstagingacr"), `team/api@${DIGEST}`, acr("rg-prod", "shopprodacr"), ["team/api:2.1.0"]],
		);
		assert.deepEqual(imported.plain.credential, credential);
		assert.deepEqual(
			[imported.plain.expectRevision, imported.plain.sourceLoginServer],
			["ab".repeat(20), "shopstagingacr.azurecr.io"],
			"the label is checked where the image is",
		);
		assert.ok(imported.dependencies.includes(mocks.one("azure-native:resources:ResourceGroup").urn), "waits for the grants");
	});
});
