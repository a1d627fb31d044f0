import * as assert from "node:assert/strict";
import { Cluster, clusterIgnoreChanges, managedClusterProperties } from "../components/cluster";
import { allRegistered, CONTROL_PLANE_PRINCIPAL_ID, KUBELET_OBJECT_ID, PROJECT, StackMocks, settle } from "../simulator";
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
		// AKS pairs the Premium tier with long-term support (long-term-support.md: "Enabling LTS
		// requires moving your cluster to the Premium tier and explicitly selecting the LTS support plan").
		assert.equal(aks.plain.supportPlan, "AKSLongTermSupport");
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

describe("Cluster in a subnet of the stack's own (custom overlay ranges)", () => {
	const SUBNET =
		"/subscriptions/sub-9/resourceGroups/rg-shop/providers/Microsoft.Network/virtualNetworks/shop-vnet/subnets/nodes";
	let mocks: StackMocks;
	before(async () => {
		mocks = new StackMocks();
		mocks.install(PROJECT, "dev", false);
		new Cluster("shop", {
			resourceGroupName: "rg-shop",
			network: { nodeSubnetId: SUBNET, podCidr: "192.168.0.0/16", serviceCidr: "172.21.0.0/16" },
		});
		await allRegistered();
	});

	it("puts the System pool in the subnet and sets the overlay ranges, the DNS service on the tenth Service address", () => {
		const aks = mocks.one("azure-native:containerservice:ManagedCluster", "shop-aks");
		assert.equal(aks.plain.agentPoolProfiles[0].vnetSubnetID, SUBNET);
		const n = aks.plain.networkProfile;
		assert.deepEqual(
			[n.networkPluginMode, n.podCidr, n.serviceCidr, n.dnsServiceIP],
			["overlay", "192.168.0.0/16", "172.21.0.0/16", "172.21.0.10"],
		);
	});

	it("runs the control plane as an identity of its own that holds Network Contributor on that subnet only, in the subnet's subscription, before the cluster exists", () => {
		const identity = mocks.one("azure-native:managedidentity:UserAssignedIdentity", "shop-identity");
		assert.equal(identity.plain.resourceGroupName, "rg-shop");
		const grant = mocks.one("azure-native:authorization:RoleAssignment", "shop-identity-subnet");
		assert.equal(grant.plain.scope, SUBNET);
		assert.equal(grant.plain.principalId, CONTROL_PLANE_PRINCIPAL_ID);
		assert.equal(grant.plain.principalType, "ServicePrincipal");
		assert.equal(
			grant.plain.roleDefinitionId,
			"/subscriptions/sub-9/providers/Microsoft.Authorization/roleDefinitions/4d97b98b-1d4f-4787-a291-c67834d212e7",
		);
		const aks = mocks.one("azure-native:containerservice:ManagedCluster", "shop-aks");
		assert.deepEqual(aks.plain.identity, { type: "UserAssigned", userAssignedIdentities: [identity.id] });
		assert.ok(aks.dependencies.includes(grant.urn), "AKS checks the subnet permission when it creates the cluster");
		assert.equal(
			mocks.all("azure-native:authorization:RoleAssignment").length,
			1,
			"no grant to a system-assigned identity besides",
		);
	});

	it("Free and Standard tiers name the KubernetesOfficial plan, so a cluster leaving Premium leaves long-term support too", () => {
		for (const tier of ["Free", "Standard"] as const) {
			assert.equal(managedClusterProperties({ resourceGroupName: "rg", tier }, "ws").supportPlan, "KubernetesOfficial", tier);
		}
		assert.equal(managedClusterProperties({ resourceGroupName: "rg", tier: "Premium" }, "ws").supportPlan, "AKSLongTermSupport");
	});

	it("without a subnet, leaves the nodes in the network AKS makes, on AKS's default ranges (how clusters made before the VNet stay)", async () => {
		const before = new StackMocks();
		before.install(PROJECT, "dev", false);
		new Cluster("old", { resourceGroupName: "rg-shop" });
		await allRegistered();
		const aks = before.one("azure-native:containerservice:ManagedCluster", "old-aks");
		assert.equal("vnetSubnetID" in aks.plain.agentPoolProfiles[0], false);
		// azure-native's SDK sends AKS's defaults when the ranges are not given: the address plan's defaults are these.
		const n = aks.plain.networkProfile;
		assert.deepEqual([n.podCidr, n.serviceCidr, n.dnsServiceIP], ["10.244.0.0/16", "10.0.0.0/16", "10.0.0.10"]);
		assert.equal(before.all("azure-native:authorization:RoleAssignment").length, 0);
	});
});

describe("Cluster with identities made outside it (the bootstrap's), in a subnet", () => {
	const SUBNET = "/subscriptions/sub-9/resourceGroups/rg-shop/providers/Microsoft.Network/virtualNetworks/v/subnets/nodes";
	const made = (name: string, principalId: string) => ({
		id: `/subscriptions/sub-9/resourceGroups/rg-ids/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`,
		resourceGroupName: "rg-ids",
		name,
		principalId,
		clientId: `${principalId.slice(0, -1)}9`,
	});
	const controlPlane = made("shop-cp", "0c0c0c0c-0000-4000-8000-000000000001");
	const kubelet = made("shop-kubelet", "0c0c0c0c-0000-4000-8000-000000000002");
	let mocks: StackMocks;
	let kubeletObjectId: unknown;
	let identityPrincipalId: unknown;
	before(async () => {
		mocks = new StackMocks();
		mocks.install(PROJECT, "dev", true);
		const cluster = new Cluster("shop", {
			resourceGroupName: "rg-shop",
			network: { nodeSubnetId: SUBNET, podCidr: "192.168.0.0/16", serviceCidr: "172.21.0.0/16" },
			identities: { controlPlane, kubelet },
		});
		// In a preview: both are known before the cluster is, so the grants to them are planned in full.
		kubeletObjectId = (await settle(cluster.kubeletObjectId)).value;
		identityPrincipalId = (await settle(cluster.identityPrincipalId)).value;
		await allRegistered();
	});

	it("makes no identity, runs its control plane and kubelet as the ones given, and grants the subnet to that control plane", () => {
		assert.deepEqual(mocks.all("azure-native:managedidentity:UserAssignedIdentity"), []);
		const aks = mocks.one("azure-native:containerservice:ManagedCluster", "shop-aks");
		assert.deepEqual(aks.plain.identity, { type: "UserAssigned", userAssignedIdentities: [controlPlane.id] });
		assert.deepEqual(aks.plain.identityProfile, {
			kubeletidentity: { resourceId: kubelet.id, clientId: kubelet.clientId, objectId: kubelet.principalId },
		});
		const grant = mocks.one("azure-native:authorization:RoleAssignment", "shop-identity-subnet");
		assert.equal(grant.plain.principalId, controlPlane.principalId);
		assert.ok(aks.dependencies.includes(grant.urn));
		assert.deepEqual([kubeletObjectId, identityPrincipalId], [kubelet.principalId, controlPlane.principalId]);
	});

	it("without them, names no kubelet identity: AKS makes one in the node resource group, as for clusters made before", () => {
		assert.equal("identityProfile" in managedClusterProperties({ resourceGroupName: "rg" }, "ws"), false);
	});
});
