import * as assert from "node:assert/strict";
import * as resources from "@pulumi/azure-native/resources";
import { RegistryAccess } from "../components/registryAccess";
import { BuiltInRole, roleDefinitionId } from "../lib/roleAssignments";
import { allRegistered, PROJECT, StackMocks, SUBSCRIPTION_ID } from "../simulator";

const REGISTRY_ID = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/rg-shop/providers/Microsoft.ContainerRegistry/registries/shopacr`;
const ADMINS = "6a6a6a6a-0000-4000-8000-00000000000a";
const PIPELINE = "7b7b7b7b-0000-4000-8000-00000000000b";
const ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment";

describe("RegistryAccess (a group and a pipeline push; the kubelet pulls)", () => {
	let mocks: StackMocks;
	let kubeletSource: string;
	before(async () => {
		mocks = new StackMocks();
		mocks.install(PROJECT, "prod", false);
		// Stands in for the cluster: the kubelet's object id is only known once it exists.
		const cluster = new resources.ResourceGroup("cluster-stand-in", {});
		kubeletSource = await new Promise<string>((resolve) => cluster.urn.apply(resolve));
		new RegistryAccess("shop", {
			registryId: REGISTRY_ID,
			subscriptionId: SUBSCRIPTION_ID,
			kubeletObjectId: cluster.name,
			deployers: [
				{ objectId: ADMINS, type: "Group" },
				{ objectId: PIPELINE, type: "ServicePrincipal" },
			],
		});
		await allRegistered();
	});

	it("grants the kubelet AcrPull, as a service principal, on the registry alone", () => {
		const pull = mocks.one(ROLE_ASSIGNMENT, "shop-kubelet-pull");
		assert.equal(pull.plain.scope, REGISTRY_ID);
		assert.equal(pull.plain.principalType, "ServicePrincipal");
		assert.equal(pull.plain.roleDefinitionId, roleDefinitionId(SUBSCRIPTION_ID, BuiltInRole.AcrPull));
		assert.ok(pull.dependencies.includes(kubeletSource));
	});

	it("grants each deployer AcrPush, without waiting for the cluster", () => {
		const pushes = mocks.all(ROLE_ASSIGNMENT).filter((r) => r.name.startsWith("shop-push-"));
		assert.deepEqual(
			pushes.map((p) => [p.name, p.plain.principalType, p.plain.roleDefinitionId, p.plain.scope]),
			[
				[`shop-push-${ADMINS}`, "Group", roleDefinitionId(SUBSCRIPTION_ID, BuiltInRole.AcrPush), REGISTRY_ID],
				[`shop-push-${PIPELINE}`, "ServicePrincipal", roleDefinitionId(SUBSCRIPTION_ID, BuiltInRole.AcrPush), REGISTRY_ID],
			],
		);
		for (const p of pushes) assert.ok(!p.dependencies.includes(kubeletSource), `${p.name} does not wait for the cluster`);
	});

	it("grants nothing else", () => {
		assert.equal(mocks.all(ROLE_ASSIGNMENT).length, 3);
	});
});
