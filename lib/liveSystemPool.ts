/**
 * The system pool the stack's cluster runs, read from ARM before anything is declared, against the
 * one the configuration asks for. The cluster ignores its pools once it exists (they are written
 * through `az aks nodepool update`), so a difference would otherwise be found only after other
 * resources had changed: pulumi/actions runs `up` without a preview.
 */
import * as pulumi from "@pulumi/pulumi";
import { ARM_ENDPOINT, armErrorText } from "./armAction";
import { SKIP_VARIABLE } from "./credentialCheck";
import { httpRequest } from "./http";

/** The API version of azure-native's default ManagedCluster (its SDK: "Uses Azure REST API version 2025-09-01"). */
export const MANAGED_CLUSTERS_API_VERSION = "2025-09-01";

/** A pool as the cluster declares or reports it: the settings {@link systemPoolDrift} compares. */
export interface PoolProfile {
	name?: string;
	vmSize?: string;
	minCount?: number;
	maxCount?: number;
	vnetSubnetID?: string;
}

/**
 * What a declared system pool's `vnetSubnetID` is at program start, when the stack's VNet is
 * not read yet: the pool must run in some subnet, which {@link systemPoolDrift} compares by presence.
 */
export const IN_STACK_VNET = "a subnet of the stack's VNet";

/**
 * Where the cluster's running system pool differs from what the program declares for it, as
 * `setting: running R, declared D` (empty when they agree, or when the cluster reports no such
 * pool). VM sizes and subnet ids compare case-insensitively, as ARM treats them.
 */
export function systemPoolDrift(declared: PoolProfile, reported: PoolProfile[] | undefined): string[] {
	const running = reported?.find((p) => p.name === declared.name);
	if (!running) return [];
	const same = (k: keyof PoolProfile, a: unknown, b: unknown) => {
		if (k === "vnetSubnetID" && b === IN_STACK_VNET) return typeof a === "string" && a !== "";
		return typeof a === "string" && typeof b === "string" ? a.toLowerCase() === b.toLowerCase() : a === b;
	};
	return (["vmSize", "minCount", "maxCount", "vnetSubnetID"] as const)
		.filter((k) => !same(k, running[k], declared[k]))
		.map((k) => `${k}: running ${running[k] ?? "(none)"}, declared ${declared[k] ?? "(none)"}`);
}

/** The error a {@link systemPoolDrift} stops the run with: what differs, and how to apply it. */
export function systemPoolDriftMessage(cluster: string, pool: string, drift: string[]): string {
	return [
		`The system pool "${pool}" of AKS cluster ${cluster} differs from what this program declares (config systemNodeVmSize, systemMinNodeCount, systemMaxNodeCount, network):`,
		...drift.map((d) => `  - ${d}`),
		"pulumi up does not write an existing cluster's pools through the cluster (it ignores agentPoolProfiles, which a refresh fills with every node pool).",
		`Autoscaler bounds: az aks nodepool update --cluster-name <cluster> --resource-group <group> --name ${pool} --update-cluster-autoscaler --min-count <min> --max-count <max>, then pulumi up.`,
		"A VM size or subnet cannot change on a pool: set the config back to what runs, or replace the system pool by hand (docs/day-2.md: node pools).",
	].join("\n");
}

/** A managed cluster as ARM lists it: what the check reads. */
export interface ListedCluster {
	id: string;
	name: string;
	tags?: Record<string, string>;
	properties?: { agentPoolProfiles?: PoolProfile[] };
}

export interface LiveClusterQuery {
	subscriptionId: string;
	/** The stack's resource group when the configuration names it; undefined: the whole subscription. */
	resourceGroup?: string;
	/** The tags the stack puts on its cluster (`project`, `stack`): how its cluster is told from others. */
	tags: Record<string, string>;
	/** An ARM access token of whoever runs the program. */
	token: () => Promise<string>;
	/** Default: Azure Resource Manager; tests point it at loopback. */
	endpoint?: string;
}

/**
 * The stack's clusters as ARM lists them (ManagedClusters_ListByResourceGroup, or ManagedClusters_List
 * when the stack makes its own group: azure-rest-api-specs specification/containerservice/
 * resource-manager/Microsoft.ContainerService/aks/stable/2025-09-01/managedClusters.json, a
 * ManagedClusterListResult of `value` and `nextLink`), those carrying every one of `tags`. A
 * resource group that does not exist yet holds none.
 */
export async function liveClusters(q: LiveClusterQuery): Promise<ListedCluster[]> {
	const base = (q.endpoint ?? ARM_ENDPOINT).replace(/\/$/, "");
	const scope = q.resourceGroup
		? `/subscriptions/${q.subscriptionId}/resourceGroups/${encodeURIComponent(q.resourceGroup)}`
		: `/subscriptions/${q.subscriptionId}`;
	let url: string | undefined =
		`${base}${scope}/providers/Microsoft.ContainerService/managedClusters?api-version=${MANAGED_CLUSTERS_API_VERSION}`;
	const found: ListedCluster[] = [];
	for (let page = 0; url && page < 50; page++) {
		const res = await httpRequest({ url, headers: { Authorization: `Bearer ${await q.token()}`, Accept: "application/json" } });
		if (res.status === 404 && q.resourceGroup && page === 0) return [];
		if (res.status !== 200) {
			throw new Error(`listing the AKS clusters in ${scope} answered ${res.status}: ${armErrorText(res.body)}`);
		}
		const body = JSON.parse(res.body) as { value?: ListedCluster[]; nextLink?: string };
		found.push(...(body.value ?? []));
		url = body.nextLink;
	}
	return found.filter((c) => Object.entries(q.tags).every(([k, v]) => c.tags?.[k] === v));
}

/**
 * Reads the stack's cluster and stops the run, before anything is declared, when its system pool
 * differs from `declared` (the message names each setting and the `az aks nodepool update` that
 * applies it). No cluster yet: nothing to compare. More than one carrying the stack's tags: the
 * check cannot tell which is the stack's, and says so without stopping.
 */
export async function checkLiveSystemPool(
	declared: PoolProfile,
	q: LiveClusterQuery,
	env: NodeJS.ProcessEnv = process.env,
	warn: (message: string) => void = (m) => pulumi.log.warn(m),
): Promise<void> {
	if (env[SKIP_VARIABLE] === "skip") return;
	let clusters: ListedCluster[];
	try {
		clusters = await liveClusters(q);
	} catch (err) {
		throw new pulumi.RunError(
			`The system pool check could not read the stack's AKS cluster: ${err instanceof Error ? err.message : String(err)}. ` +
				"The identity running pulumi up needs Reader on the stack's resource group (the pipeline's identities have it)",
		);
	}
	if (clusters.length > 1) {
		warn(
			`More than one AKS cluster carries this stack's tags (${clusters.map((c) => c.id).join(", ")}): the system pool was not compared`,
		);
		return;
	}
	const [cluster] = clusters;
	if (!cluster) return;
	const drift = systemPoolDrift(declared, cluster.properties?.agentPoolProfiles);
	if (drift.length > 0) throw new pulumi.RunError(systemPoolDriftMessage(cluster.name, String(declared.name), drift));
}
