import * as assert from "node:assert/strict";
import { Cluster, clusterIgnoreChanges } from "../components/cluster";
import { allRegistered, KUBELET_OBJECT_ID, PROJECT, StackMocks, settle } from "../simulator";
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

describe("Cluster (pinned, zonal, Premium, a larger System pool, protected)", () => {
	let mocks: StackMocks;
	let kubeletObjectId: unknown;
	before(async () => {
		mocks = new StackMocks();
		mocks.install(PROJECT, "prod", false);
		const cluster = new Cluster("shop", {
			resourceGroupName: "rg-shop",
			kubernetesVersion: "1.35",
			tier: "Premium",
			upgradeChannel: "patch",
			availabilityZones: ["1", "2", "3"],
			systemPool: { vmSize: "Standard_D4s_v5", minCount: 3, maxCount: 5 },
			logRetentionDays: 90,
			dnsPrefix: "Team.Shop_Prod",
			apiServerAuthorizedIpRanges: ["203.0.113.0/24"],
			protect: true,
			tags: { team: "shop" },
		});
		kubeletObjectId = (await settle(cluster.kubeletObjectId)).value;
		await allRegistered();
	});

	it("declares the cluster with what it was given, and applies a change of the pinned version", () => {
		const aks = mocks.one("azure-native:containerservice:ManagedCluster", "shop-aks");
		assert.equal(aks.plain.kubernetesVersion, "1.35");
		assert.deepEqual(aks.plain.sku, { name: "Base", tier: "Premium" });
		assert.equal(aks.plain.autoUpgradeProfile.upgradeChannel, "patch");
		assert.equal(aks.plain.dnsPrefix, "team-shop-prod");
		assert.deepEqual(aks.plain.apiServerAccessProfile, { authorizedIPRanges: ["203.0.113.0/24"] });
		assert.deepEqual(aks.ignoreChanges, clusterIgnoreChanges(true));
		const [system] = aks.plain.agentPoolProfiles;
		assert.deepEqual(
			[system.vmSize, system.count, system.minCount, system.maxCount, system.availabilityZones],
			["Standard_D4s_v5", 3, 3, 5, ["1", "2", "3"]],
		);
		assert.deepEqual(aks.plain.tags, { team: "shop" });
	});

	it("protects the cluster and its logs, keeps the logs as long as asked, and sends Container Insights there", () => {
		const aks = mocks.one("azure-native:containerservice:ManagedCluster", "shop-aks");
		const logs = mocks.one("azure-native:operationalinsights:Workspace", "shop-logs");
		assert.deepEqual([aks.protect, logs.protect], [true, true]);
		assert.equal(logs.plain.retentionInDays, 90);
		assert.equal(aks.plain.addonProfiles.omsagent.config.logAnalyticsWorkspaceResourceID, logs.id);
		const association = mocks.one("azure-native:monitor:DataCollectionRuleAssociation", "shop-insights");
		assert.equal(association.plain.resourceUri, aks.id);
		assert.equal(
			association.plain.dataCollectionRuleId,
			mocks.one("azure-native:monitor:DataCollectionRule", "shop-insights").id,
		);
	});

	it("reads the kubelet identity back from what AKS reports", () => {
		assert.equal(kubeletObjectId, KUBELET_OBJECT_ID);
	});
});
