import * as assert from "node:assert/strict";
import { clusterIgnoreChanges } from "../components/cluster";
import { deadInputPath } from "./sdkInputTypes";

describe("Cluster: what it ignores", () => {
	for (const pinned of [true, false]) {
		it(`ignores only paths that are inputs of azure-native's ManagedCluster (version ${pinned ? "pinned" : "unpinned"})`, () => {
			const dead = clusterIgnoreChanges(pinned)
				.map((p) => deadInputPath("containerservice", "ManagedCluster", p))
				.filter((d) => d !== undefined);
			assert.deepEqual(dead, []);
		});
	}

	it("leaves the version to the upgrade channel only when it is not pinned", () => {
		assert.ok(clusterIgnoreChanges(false).includes("kubernetesVersion"));
		assert.ok(!clusterIgnoreChanges(true).includes("kubernetesVersion"), "a change of the pin must be applied");
	});

	it("would catch a dead path (the check is not vacuous)", () => {
		assert.equal(
			deadInputPath("containerservice", "ManagedCluster", "agentPoolProfiles[*].nodeImageVersion"),
			"ManagedClusterAgentPoolProfileArgs has no input nodeImageVersion",
		);
		assert.equal(
			deadInputPath("containerservice", "ManagedCluster", "currentKubernetesVersion"),
			"ManagedClusterArgs has no input currentKubernetesVersion",
		);
		assert.equal(
			deadInputPath("containerservice", "ManagedCluster", "dnsPrefix[*]"),
			"ManagedClusterArgs.dnsPrefix is not a list",
		);
		assert.equal(deadInputPath("containerservice", "ManagedCluster", "agentPoolProfiles[*].count"), undefined);
		assert.equal(deadInputPath("containerservice", "ManagedCluster", "autoUpgradeProfile.upgradeChannel"), undefined);
	});
});
