import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT, runStack } from "../simulator";

/**
 * What the release before the VNet declared for the resources that cannot move between networks
 * (under this project's name, which a fork may have changed). A fork that changes those resources'
 * defaults has no stacks from before the VNet to keep, and can drop this file with its fixture.
 */
const BEFORE: Record<string, { type: string; name: string; inputs: Record<string, unknown> }[]> = JSON.parse(
	fs
		.readFileSync(path.join(__dirname, "fixtures", "before-vnet.json"), "utf8")
		.replaceAll('"aks-acr-app"', JSON.stringify(PROJECT)),
);
const LASTING = [
	"azure-native:containerregistry:Registry",
	"azure-native:containerservice:ManagedCluster",
	"azure-native:containerservice:AgentPool",
];
const normalized = (v: unknown) => JSON.parse(JSON.stringify(v));

for (const stack of ["dev", "prod"] as const) {
	describe(`a ${stack} stack deployed before the VNet (network: aks-managed)`, () => {
		const declared = async (overrides: Record<string, string>) => {
			const run = await runStack({ stack, overrides });
			return run.mocks.resources.filter((r) => LASTING.includes(r.type));
		};

		it("declares its registry, cluster and pools exactly as before, so pulumi up changes none of them", async () => {
			const now = await declared({ [`${PROJECT}:network`]: "aks-managed", [`${PROJECT}:registryPrivateLink`]: "false" });
			assert.deepEqual(
				now.map((r) => ({ type: r.type, name: r.name, inputs: normalized(r.plain) })),
				BEFORE[stack],
			);
		});

		it("would move the cluster's nodes into a subnet under the new defaults, and change nothing else: why the README asks existing stacks to keep aks-managed", async () => {
			const cluster = (await declared({})).find((r) => r.type === "azure-native:containerservice:ManagedCluster");
			const before = BEFORE[stack].find((r) => r.type === "azure-native:containerservice:ManagedCluster")?.inputs as any;
			assert.ok(cluster && before);
			assert.equal(before.agentPoolProfiles[0].vnetSubnetID, undefined);
			assert.match(cluster.plain.agentPoolProfiles[0].vnetSubnetID, /\/virtualNetworks\/[^/]+\/subnets\/nodes$/);
			// The overlay ranges the plan sets are the defaults azure-native sent before: only the subnet moves.
			const { vnetSubnetID, ...systemPool } = cluster.plain.agentPoolProfiles[0];
			assert.ok(vnetSubnetID);
			assert.deepEqual(
				{ ...normalized(cluster.plain), agentPoolProfiles: [normalized(systemPool)] },
				before,
				"nothing else about the cluster changes",
			);
		});
	});
}
