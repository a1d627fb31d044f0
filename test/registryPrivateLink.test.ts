import * as assert from "node:assert/strict";
import { REGISTRY_PRIVATE_ZONE, RegistryPrivateLink } from "../components/registryPrivateLink";
import { allRegistered, PROJECT, StackMocks } from "../simulator";

const VNET = "/subscriptions/s/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/hub";
const REGISTRY = "/subscriptions/s/resourceGroups/rg-shop/providers/Microsoft.ContainerRegistry/registries/shopimages";

describe("RegistryPrivateLink (a VNet and subnet from elsewhere)", () => {
	let mocks: StackMocks;
	let ready: string[];
	before(async () => {
		mocks = new StackMocks();
		mocks.install(PROJECT, "prod", false);
		const link = new RegistryPrivateLink("shop-images", {
			registryId: REGISTRY,
			resourceGroupName: "rg-shop",
			vnetId: VNET,
			subnetId: `${VNET}/subnets/private-endpoints`,
			tags: { team: "shop" },
		});
		await allRegistered();
		ready = await Promise.all(link.ready.map((r) => new Promise<string>((resolve) => r.urn.apply(resolve))));
	});

	it("puts an endpoint for the registry sub-resource in the subnet given", () => {
		const endpoint = mocks.one("azure-native:network:PrivateEndpoint", "shop-images-endpoint");
		assert.equal(endpoint.plain.subnet.id, `${VNET}/subnets/private-endpoints`);
		assert.deepEqual(endpoint.plain.privateLinkServiceConnections, [
			{ name: "registry", privateLinkServiceId: REGISTRY, groupIds: ["registry"] },
		]);
		assert.deepEqual(endpoint.plain.tags, { team: "shop" });
	});

	it("writes the endpoint's records into privatelink.azurecr.io, linked to the VNet without auto-registration", () => {
		const zone = mocks.one("azure-native:privatedns:PrivateZone", "shop-images-zone");
		assert.equal(REGISTRY_PRIVATE_ZONE, "privatelink.azurecr.io");
		assert.deepEqual([zone.plain.privateZoneName, zone.plain.location], ["privatelink.azurecr.io", "global"]);
		const link = mocks.one("azure-native:privatedns:VirtualNetworkLink", "shop-images-zone-link");
		assert.deepEqual(
			[link.plain.privateZoneName, link.plain.virtualNetwork, link.plain.registrationEnabled, link.plain.location],
			["privatelink.azurecr.io", { id: VNET }, false, "global"],
		);
		const group = mocks.one("azure-native:network:PrivateDnsZoneGroup", "shop-images-dns");
		const endpoint = mocks.one("azure-native:network:PrivateEndpoint", "shop-images-endpoint");
		assert.equal(group.plain.privateEndpointName, endpoint.state.name);
		assert.deepEqual(group.plain.privateDnsZoneConfigs, [{ name: "privatelink-azurecr-io", privateDnsZoneId: zone.id }]);
	});

	it("is ready for pulls once the records and the link exist", () => {
		assert.deepEqual(
			ready.sort(),
			[
				mocks.one("azure-native:network:PrivateDnsZoneGroup", "shop-images-dns").urn,
				mocks.one("azure-native:privatedns:VirtualNetworkLink", "shop-images-zone-link").urn,
			].sort(),
		);
	});
});
