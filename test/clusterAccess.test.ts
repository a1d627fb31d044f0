import * as assert from "node:assert/strict";
import { ClusterAccess } from "../components/clusterAccess";
import type { ExecSpec } from "../lib/execCredential";
import { BuiltInRole } from "../lib/roleAssignments";
import { allRegistered, PROJECT, StackMocks, SUBSCRIPTION_ID, settle, TENANT_ID } from "../simulator";

const CLUSTER_ID = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/rg-shop/providers/Microsoft.ContainerService/managedClusters/aks-shop`;
const ADMINS = "6a6a6a6a-0000-4000-8000-00000000000a";
const PIPELINE = "7b7b7b7b-0000-4000-8000-00000000000b";
/** A fork that prefers kubelogin to the stack's own plugin. */
const KUBELOGIN: ExecSpec = {
	apiVersion: "client.authentication.k8s.io/v1beta1",
	command: "kubelogin",
	args: ["get-token", "--login", "azurecli", "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630"],
	interactiveMode: "Never",
	provideClusterInfo: false,
};

describe("ClusterAccess (a group and a pipeline administer; a credential of the fork's choosing)", () => {
	let mocks: StackMocks;
	let userKubeconfig: { value: unknown; secret: boolean };
	before(async () => {
		mocks = new StackMocks();
		mocks.install(PROJECT, "prod", false);
		const access = new ClusterAccess("shop", {
			clusterId: CLUSTER_ID,
			clusterName: "aks-shop",
			resourceGroupName: "rg-shop",
			subscriptionId: SUBSCRIPTION_ID,
			tenantId: TENANT_ID,
			deployers: [
				{ objectId: ADMINS, type: "Group" },
				{ objectId: PIPELINE, type: "ServicePrincipal", signedIn: true },
			],
			credential: KUBELOGIN,
		});
		userKubeconfig = await settle(access.userKubeconfig);
		await allRegistered();
	});

	it("gives each deployer AKS RBAC Cluster Admin on the cluster, as the principal type it is", () => {
		const grants = mocks.all("azure-native:authorization:RoleAssignment");
		assert.deepEqual(
			grants.map((g) => [
				g.name,
				g.plain.principalType,
				g.plain.scope,
				g.plain.roleDefinitionId.endsWith(BuiltInRole.AksRbacClusterAdmin),
			]),
			[
				[`shop-admin-${ADMINS}`, "Group", CLUSTER_ID, true],
				[`shop-admin-${PIPELINE}`, "ServicePrincipal", CLUSTER_ID, true],
			],
		);
	});

	it("builds the provider on the credential it is given, with the cluster's id as its identity, after the gate", () => {
		const provider = mocks.one("pulumi:providers:kubernetes", "shop-k8s");
		const kubeconfig = JSON.parse(provider.plain.kubeconfig);
		assert.deepEqual(kubeconfig.users[0].user, { exec: KUBELOGIN }, "the fork's plugin, and no token");
		assert.match(kubeconfig.clusters[0].cluster.server, /^https:\/\/aks-shop-dns-.*\.azmk8s\.io:443$/);
		assert.equal(provider.plain.clusterIdentifier, CLUSTER_ID);
		const gate = mocks.one("pulumi-nodejs:dynamic:Resource", "shop-api-ready");
		assert.ok(provider.dependencies.includes(gate.urn));
	});

	it("has the gate check that same credential for both deployers, after both grants exist", () => {
		const gate = mocks.one("pulumi-nodejs:dynamic:Resource", "shop-api-ready");
		assert.deepEqual(gate.plain.credential, KUBELOGIN);
		assert.deepEqual(gate.plain.admins, [
			{ objectId: ADMINS, type: "Group" },
			{ objectId: PIPELINE, type: "ServicePrincipal" },
		]);
		const grants = mocks.all("azure-native:authorization:RoleAssignment");
		assert.deepEqual(
			gate.plain.accessGrants,
			grants.map((g) => g.id),
		);
		for (const g of grants) assert.ok(gate.dependencies.includes(g.urn), g.name);
	});

	it("hands people the kubeconfig AKS issues for this cluster's Entra sign-in, kept secret", () => {
		const call = mocks.calls.find((c) => c.token === "azure-native:containerservice:listManagedClusterUserCredentials");
		assert.deepEqual(
			[call?.inputs.resourceGroupName, call?.inputs.resourceName, call?.inputs.format],
			["rg-shop", "aks-shop", "exec"],
		);
		assert.equal(userKubeconfig.secret, true);
		assert.match(String(userKubeconfig.value), /server: https:\/\/aks-shop-dns-/);
	});
});
