import * as network from "@pulumi/azure-native/network";
import * as privatedns from "@pulumi/azure-native/privatedns";
import * as pulumi from "@pulumi/pulumi";
import { componentType } from "./typeToken";

/**
 * The one private DNS zone for a registry's private endpoint, its login server and its regional
 * data endpoints alike (`<name>.privatelink.azurecr.io`, `<name>.<region>.data.privatelink.azurecr.io`).
 * A zone per data endpoint, or `privatelink.<region>.azurecr.io`, leaves the data endpoint on its
 * public address, and pulls then fail once public access is off.
 */
export const REGISTRY_PRIVATE_ZONE = "privatelink.azurecr.io";
/** The registry's Private Link sub-resource. */
export const REGISTRY_GROUP_ID = "registry";

export interface RegistryPrivateLinkArgs {
	/** ARM id of the (Premium) registry. */
	registryId: pulumi.Input<string>;
	/** Resource group that holds the endpoint and the zone. */
	resourceGroupName: pulumi.Input<string>;
	/** The VNet whose resolvers answer the zone: the cluster's. */
	vnetId: pulumi.Input<string>;
	/** The subnet the endpoint takes its addresses from. */
	subnetId: pulumi.Input<string>;
	tags?: Record<string, string>;
}

/**
 * A registry reached only from the VNet: a private endpoint for its `registry` sub-resource, the
 * `privatelink.azurecr.io` zone linked to the VNet, and a zone group that writes the endpoint's
 * addresses (login server and every data endpoint) into that zone and keeps them current. Nodes
 * resolve `<name>.azurecr.io` through the VNet's Azure DNS, which follows the CNAME into the
 * linked zone, so the kubelet's pulls go to private addresses.
 */
export class RegistryPrivateLink extends pulumi.ComponentResource {
	readonly privateEndpointId: pulumi.Output<string>;
	/** What a pull needs in place: the endpoint's DNS records and the zone's link to the VNet. */
	readonly ready: pulumi.Resource[];

	constructor(name: string, args: RegistryPrivateLinkArgs, opts?: pulumi.ComponentResourceOptions) {
		super(componentType("network", "RegistryPrivateLink"), name, {}, opts);
		const zone = new privatedns.PrivateZone(
			`${name}-zone`,
			{ resourceGroupName: args.resourceGroupName, privateZoneName: REGISTRY_PRIVATE_ZONE, location: "global", tags: args.tags },
			{ parent: this },
		);
		const link = new privatedns.VirtualNetworkLink(
			`${name}-zone-link`,
			{
				resourceGroupName: args.resourceGroupName,
				privateZoneName: zone.name,
				location: "global",
				virtualNetwork: { id: args.vnetId },
				// The cluster's VMs must not register their own names in the registry's zone.
				registrationEnabled: false,
				tags: args.tags,
			},
			{ parent: this },
		);
		const endpoint = new network.PrivateEndpoint(
			`${name}-endpoint`,
			{
				resourceGroupName: args.resourceGroupName,
				subnet: { id: args.subnetId },
				privateLinkServiceConnections: [
					{ name: REGISTRY_GROUP_ID, privateLinkServiceId: args.registryId, groupIds: [REGISTRY_GROUP_ID] },
				],
				tags: args.tags,
			},
			{ parent: this },
		);
		const zoneGroup = new network.PrivateDnsZoneGroup(
			`${name}-dns`,
			{
				resourceGroupName: args.resourceGroupName,
				privateEndpointName: endpoint.name,
				privateDnsZoneGroupName: "default",
				privateDnsZoneConfigs: [{ name: REGISTRY_PRIVATE_ZONE.replace(/\./g, "-"), privateDnsZoneId: zone.id }],
			},
			{ parent: this },
		);
		this.privateEndpointId = endpoint.id;
		this.ready = [zoneGroup, link];
		this.registerOutputs({ privateEndpointId: this.privateEndpointId });
	}
}
