import * as assert from "node:assert/strict";
import { Network } from "../components/network";
import { allRegistered, PROJECT, StackMocks, settle } from "../simulator";

describe("Network (a plan of the user's own, protected)", () => {
	let mocks: StackMocks;
	let subnets: { node: unknown; endpoint: unknown; vnet: unknown };
	before(async () => {
		mocks = new StackMocks();
		mocks.install(PROJECT, "prod", false);
		const network = new Network("shop", {
			resourceGroupName: "rg-shop",
			plan: {
				addressSpace: "172.20.0.0/16",
				nodeSubnet: "172.20.0.0/22",
				endpointSubnet: "172.20.4.0/28",
				podCidr: "192.168.0.0/16",
				serviceCidr: "172.21.0.0/16",
			},
			protect: true,
			tags: { team: "shop" },
		});
		subnets = {
			node: (await settle(network.nodeSubnetId)).value,
			endpoint: (await settle(network.endpointSubnetId)).value,
			vnet: (await settle(network.vnetId)).value,
		};
		await allRegistered();
	});

	it("declares one VNet with both subnets inline, neither with default outbound access", () => {
		const vnet = mocks.one("azure-native:network:VirtualNetwork", "shop-vnet");
		assert.deepEqual(vnet.plain.addressSpace, { addressPrefixes: ["172.20.0.0/16"] });
		assert.deepEqual(vnet.plain.subnets, [
			{ name: "nodes", addressPrefix: "172.20.0.0/22", defaultOutboundAccess: false },
			{
				name: "endpoints",
				addressPrefix: "172.20.4.0/28",
				defaultOutboundAccess: false,
				privateEndpointNetworkPolicies: "Disabled",
			},
		]);
		assert.equal(mocks.all("azure-native:network:Subnet").length, 0, "no Subnet resource beside the VNet (azure-native#611)");
		assert.deepEqual(vnet.plain.tags, { team: "shop" });
		assert.equal(vnet.protect, true);
	});

	it("hands out the subnets' ids, as Azure forms them", () => {
		const vnet = mocks.one("azure-native:network:VirtualNetwork", "shop-vnet");
		assert.equal(subnets.vnet, vnet.id);
		assert.equal(subnets.node, `${vnet.id}/subnets/nodes`);
		assert.equal(subnets.endpoint, `${vnet.id}/subnets/endpoints`);
		assert.match(
			vnet.id,
			/^\/subscriptions\/[^/]+\/resourceGroups\/rg-shop\/providers\/Microsoft\.Network\/virtualNetworks\/shop-vnet/,
		);
	});
});
