import * as assert from "node:assert/strict";
import { grantEach, grantRole } from "../components/roleAssignment";
import type { Deployer } from "../lib/principals";
import { BuiltInRole, roleAssignmentGuid, roleDefinitionId } from "../lib/roleAssignments";
import { allRegistered, PROJECT, StackMocks, SUBSCRIPTION_ID } from "../simulator";

const ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment";
const SCOPE = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks`;
const GROUP = "6a6a6a6a-0000-4000-8000-00000000000a";
const PIPELINE = "7b7b7b7b-0000-4000-8000-00000000000b";

function mocked() {
	const mocks = new StackMocks();
	mocks.install(PROJECT, "dev", false);
	return mocks;
}

describe("grantRole", () => {
	it("names the assignment by scope, principal and role, states the principal type, and replaces delete-first", async () => {
		const mocks = mocked();
		grantRole(
			"reader",
			{
				scope: SCOPE,
				principalId: GROUP,
				principalType: "Group",
				roleId: BuiltInRole.AksRbacClusterAdmin,
				subscriptionId: SUBSCRIPTION_ID,
				description: "why",
			},
			{},
		);
		await allRegistered();
		const a = mocks.one(ROLE_ASSIGNMENT, "reader");
		assert.equal(a.plain.roleAssignmentName, roleAssignmentGuid(SCOPE, GROUP, BuiltInRole.AksRbacClusterAdmin));
		assert.equal(a.plain.roleDefinitionId, roleDefinitionId(SUBSCRIPTION_ID, BuiltInRole.AksRbacClusterAdmin));
		assert.equal(a.plain.principalType, "Group");
		assert.equal(a.deleteBeforeReplace, true);
	});
});

describe("grantEach", () => {
	it("one assignment per deployer, named by object id; only the signed-in deployer's answers to the old single name", async () => {
		const mocks = mocked();
		const deployers: Deployer[] = [
			{ objectId: GROUP, type: "Group" },
			{ objectId: PIPELINE, type: "ServicePrincipal", signedIn: true },
		];
		const grants = grantEach(
			"shop-push",
			"shop-deployer-push",
			deployers,
			{ scope: SCOPE, roleId: BuiltInRole.AcrPush, subscriptionId: SUBSCRIPTION_ID, description: "why" },
			{},
		);
		assert.equal(grants.length, 2);
		await allRegistered();
		const group = mocks.one(ROLE_ASSIGNMENT, `shop-push-${GROUP}`);
		const pipeline = mocks.one(ROLE_ASSIGNMENT, `shop-push-${PIPELINE}`);
		assert.deepEqual([group.plain.principalType, pipeline.plain.principalType], ["Group", "ServicePrincipal"]);
		assert.deepEqual(group.aliases, []);
		assert.deepEqual(pipeline.aliases, ["shop-deployer-push"]);
	});

	it("adding a deployer leaves the others' names, and so their assignments, as they were", async () => {
		const names = async (deployers: Deployer[]) => {
			const mocks = mocked();
			grantEach(
				"p",
				"legacy",
				deployers,
				{ scope: SCOPE, roleId: BuiltInRole.AcrPush, subscriptionId: SUBSCRIPTION_ID, description: "" },
				{},
			);
			await allRegistered();
			return mocks.all(ROLE_ASSIGNMENT).map((r) => `${r.name}=${r.plain.roleAssignmentName}`);
		};
		const before = await names([{ objectId: GROUP, type: "Group" }]);
		const after = await names([
			{ objectId: PIPELINE, type: "ServicePrincipal" },
			{ objectId: GROUP, type: "Group" },
		]);
		assert.equal(after.length, 2);
		assert.ok(after.includes(before[0]), `${before[0]} kept`);
	});
});
