import { createHash } from "node:crypto";
import * as containerservice from "@pulumi/azure-native/containerservice";
import * as pulumi from "@pulumi/pulumi";
import type { NodePoolSpec } from "../config";
import { componentType } from "./typeToken";

/**
 * Pods per node: 110, above the ≥ 50 that CKV_AZURE_168 asks. Not AKS's default for Azure CNI
 * overlay, which is 250 (azure-cni-overlay.md, "Maximum pods per node"): kept at 110 because a
 * pool's AKS name is derived from it, so a change would replace every running pool.
 */
export const MAX_PODS_PER_NODE = 110;

/** The taint (and label) AKS puts on every spot node; declared, so a refresh never reads them back as drift. */
export const SPOT_TAINT = "kubernetes.azure.com/scalesetpriority=spot:NoSchedule";
export const SPOT_LABEL = { "kubernetes.azure.com/scalesetpriority": "spot" } as const;

export type { NodePoolSpec };

export interface NodePoolArgs extends NodePoolSpec {
	/** The cluster the pool joins. */
	cluster: {
		resourceGroupName: pulumi.Input<string>;
		clusterName: pulumi.Input<string>;
		/** The subnet the cluster's nodes join. Default: unset, the network AKS made for the cluster. */
		nodeSubnetId?: pulumi.Input<string>;
	};
}

/**
 * The pool's name in AKS: its short name plus four characters derived from everything AKS cannot
 * change on an existing pool (VM size, zones, pods per node, spot). Changing any of those gives a
 * new name, so Pulumi replaces the pool create-first: the new pool is up before the old one is
 * drained and deleted, and the app keeps running. Everything else (counts, labels, taints) is
 * changed in place.
 */
export function agentPoolName(spec: NodePoolSpec): string {
	const immutable = JSON.stringify([
		spec.vmSize,
		[...(spec.zones ?? [])].sort(),
		spec.maxPods ?? MAX_PODS_PER_NODE,
		spec.spot ?? false,
	]);
	return `${spec.name}${createHash("sha1").update(immutable).digest("hex").slice(0, 4)}`;
}

/**
 * What AKS changes by itself on a pool: its node count (the autoscaler) and its version
 * (upgrades). Every path is an input of azure-native's AgentPool; a test checks.
 */
export const NODE_POOL_IGNORE_CHANGES = ["count", "orchestratorVersion"];

/** The AgentPool's properties, as a plain function so tests read exactly what Azure gets. */
export function agentPoolProperties(spec: NodePoolSpec) {
	const zones = spec.zones ?? [];
	return {
		agentPoolName: agentPoolName(spec),
		mode: spec.mode ?? "User",
		vmSize: spec.vmSize,
		count: spec.minCount,
		minCount: spec.minCount,
		maxCount: spec.maxCount,
		enableAutoScaling: true,
		availabilityZones: zones.length > 0 ? zones : undefined,
		osType: "Linux",
		osSKU: "AzureLinux",
		type: "VirtualMachineScaleSets",
		maxPods: spec.maxPods ?? MAX_PODS_PER_NODE,
		enableNodePublicIP: false,
		nodeLabels: spec.spot ? { ...spec.labels, ...SPOT_LABEL } : spec.labels,
		nodeTaints: spec.spot ? [...(spec.taints ?? []), SPOT_TAINT] : spec.taints,
		scaleSetPriority: spec.spot ? "Spot" : undefined,
		scaleSetEvictionPolicy: spec.spot ? "Delete" : undefined,
		// -1: pay up to the on-demand price, so nodes are evicted for capacity only, never for price.
		spotMaxPrice: spec.spot ? -1 : undefined,
		// Spot nodes cannot be surged; everything else upgrades a third of the pool at a time.
		upgradeSettings: spec.spot ? undefined : { maxSurge: "33%" },
	};
}

/**
 * A node pool of its own, handed the cluster it joins. AKS refuses to add or resize pools through
 * the cluster resource once it exists (pulumi/pulumi-azure-native#579, #2719), so every pool but the
 * cluster's inline system pool is an AgentPool: it can be added, resized or removed on a live
 * cluster without touching the others.
 */
export class NodePool extends pulumi.ComponentResource {
	/** The pool's name in AKS. */
	readonly poolName: pulumi.Output<string>;
	/** The AgentPool; workloads that must land on these nodes wait for it. */
	readonly agentPool: containerservice.AgentPool;

	constructor(name: string, args: NodePoolArgs, opts?: pulumi.ComponentResourceOptions) {
		super(componentType("cluster", "NodePool"), name, {}, opts);
		const { cluster, ...spec } = args;
		this.agentPool = new containerservice.AgentPool(
			`${name}-pool`,
			{
				resourceGroupName: cluster.resourceGroupName,
				resourceName: cluster.clusterName,
				vnetSubnetID: cluster.nodeSubnetId,
				...agentPoolProperties(spec),
			},
			{ parent: this, ignoreChanges: NODE_POOL_IGNORE_CHANGES },
		);
		this.poolName = this.agentPool.name;
		this.registerOutputs({ poolName: this.poolName });
	}
}
