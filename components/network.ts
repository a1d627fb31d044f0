import * as network from "@pulumi/azure-native/network";
import * as pulumi from "@pulumi/pulumi";
import type { AddressPlan } from "../lib/addressPlan";
import { componentType } from "./typeToken";

export interface NetworkArgs {
	/** Resource group that holds the virtual network. */
	resourceGroupName: pulumi.Input<string>;
	/** The address plan, validated by the config module (`addressPlanProblems`). */
	plan: AddressPlan;
	/** Keep `pulumi destroy` from deleting the network (the cluster's nodes are in it). Default: false. */
	protect?: boolean;
	tags?: Record<string, string>;
}

/** The subnets' names in the VNet. */
export const SUBNET = { nodes: "nodes", endpoints: "endpoints" } as const;

/**
 * The VirtualNetwork's properties, as a plain function so tests read exactly what Azure gets.
 * Subnets are declared inline: a VNet PUT replaces the whole subnet list, so subnets declared as
 * resources of their own are deleted by the next VNet update after a refresh
 * (pulumi/pulumi-azure-native#611, #3049). Neither subnet has default outbound access: nodes leave
 * through the cluster's load balancer, and private endpoints never go out.
 */
export function virtualNetworkProperties(plan: AddressPlan) {
	return {
		addressSpace: { addressPrefixes: [plan.addressSpace] },
		subnets: [
			{ name: SUBNET.nodes, addressPrefix: plan.nodeSubnet, defaultOutboundAccess: false },
			{
				name: SUBNET.endpoints,
				addressPrefix: plan.endpointSubnet,
				defaultOutboundAccess: false,
				// Azure's default; declared so a refresh reads back exactly what was sent.
				privateEndpointNetworkPolicies: "Disabled",
			},
		],
	};
}

/** The stack's virtual network: a subnet for the nodes of every pool and one for private endpoints. */
export class Network extends pulumi.ComponentResource {
	readonly vnetId: pulumi.Output<string>;
	/** The subnet every node pool joins. */
	readonly nodeSubnetId: pulumi.Output<string>;
	/** The subnet the registry's private endpoint takes its address from. */
	readonly endpointSubnetId: pulumi.Output<string>;

	constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
		super(componentType("network", "Network"), name, {}, opts);
		const vnet = new network.VirtualNetwork(
			`${name}-vnet`,
			{ resourceGroupName: args.resourceGroupName, tags: args.tags, ...virtualNetworkProperties(args.plan) },
			{ parent: this, protect: args.protect ?? false },
		);
		this.vnetId = vnet.id;
		// A subnet's id is its VNet's and its name: known as soon as the VNet (and so its subnets) exists.
		this.nodeSubnetId = vnet.id.apply((id) => `${id}/subnets/${SUBNET.nodes}`);
		this.endpointSubnetId = vnet.id.apply((id) => `${id}/subnets/${SUBNET.endpoints}`);
		this.registerOutputs({ vnetId: this.vnetId, nodeSubnetId: this.nodeSubnetId, endpointSubnetId: this.endpointSubnetId });
	}
}
