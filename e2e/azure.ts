/** What the last step reads back from Azure: whether anything of the stack outlived `destroy`. */
import { ARM_ENDPOINT, armErrorText } from "../lib/armAction";
import { GATEWAY_API_VERSION } from "../lib/clusterGatewayApi";
import { httpRequest } from "../lib/http";
import type { E2eAzure } from "./run";

const GROUPS_API = "2021-04-01";
/** The managedClusters version the program itself speaks (and whose spec the tests hold it to). */
const CLUSTER_API = GATEWAY_API_VERSION;

export interface ArmReaderOptions {
	subscriptionId: string;
	/** The group the stack deploys into when it does not make its own (E2E_RESOURCE_GROUP). */
	existingGroup?: string;
	/** The stack's name, as its resources' `stack` tag carries it. */
	stack: string;
	/** ARM tokens, asked before each request. */
	token: () => Promise<string>;
	/** Default: {@link ARM_ENDPOINT}; tests point it at loopback. */
	armEndpoint?: string;
}

/**
 * The stack's footprint in Azure over ARM. After the first up it notes the cluster's node resource
 * group (AKS makes it, and deletes it with the cluster) and the stack's own group when it made one;
 * after destroy each must be gone (404), and in a group the stack did not make, no resource may
 * still carry the stack's tag.
 */
export function armFootprint(opts: ArmReaderOptions): E2eAzure {
	const arm = (opts.armEndpoint ?? ARM_ENDPOINT).replace(/\/$/, "");
	const sub = `/subscriptions/${opts.subscriptionId}`;
	const groups: string[] = [];
	const get = async (path: string) =>
		httpRequest({ url: `${arm}${path}`, headers: { Authorization: `Bearer ${await opts.token()}`, Accept: "application/json" } });
	const must = async (path: string, what: string) => {
		const res = await get(path);
		if (res.status !== 200) throw new Error(`${what}: ARM answered ${res.status} ${armErrorText(res.body)}`);
		return JSON.parse(res.body);
	};
	return {
		async remember(outputs) {
			const group = String(outputs.resourceGroupName ?? "");
			const cluster = String(outputs.clusterName ?? "");
			const aks = await must(
				`${sub}/resourceGroups/${group}/providers/Microsoft.ContainerService/managedClusters/${cluster}?api-version=${CLUSTER_API}`,
				`reading cluster ${cluster}`,
			);
			const nodeGroup = aks?.properties?.nodeResourceGroup;
			if (typeof nodeGroup !== "string" || nodeGroup === "") throw new Error(`cluster ${cluster} reports no nodeResourceGroup`);
			groups.push(nodeGroup);
			if (!opts.existingGroup) groups.push(group);
		},
		async leftovers() {
			const left: string[] = [];
			for (const group of groups) {
				const res = await get(`${sub}/resourceGroups/${group}?api-version=${GROUPS_API}`);
				if (res.status === 200) left.push(`resource group ${group}`);
				else if (res.status !== 404)
					throw new Error(`reading resource group ${group}: ARM answered ${res.status} ${armErrorText(res.body)}`);
			}
			if (opts.existingGroup) {
				const filter = encodeURIComponent(`tagName eq 'stack' and tagValue eq '${opts.stack}'`);
				const found = await must(
					`${sub}/resourceGroups/${opts.existingGroup}/resources?$filter=${filter}&api-version=${GROUPS_API}`,
					`listing the stack's resources in ${opts.existingGroup}`,
				);
				for (const r of found.value ?? []) left.push(`${r.type} ${r.name}`);
			}
			return left;
		},
	};
}
