/**
 * The run's footprint in Azure over ARM: whether anything of the stack outlived `destroy`, and
 * what lost runs left, deleted whole by ARM (e2e/sweep.ts).
 */
import { ARM_ACTION_RETRY, ARM_ENDPOINT, armErrorText, runArmAction } from "../lib/armAction";
import { GATEWAY_API_VERSION } from "../lib/clusterGatewayApi";
import { httpRequest } from "../lib/http";
import type { RetryOptions } from "../lib/retry";
import type { E2eAzure } from "./run";
import { E2E_STACK, NotTheRunsGroup, type SweepAzure } from "./sweep";

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
 * GETs against ARM for both readers below: `get` answers whatever ARM answers; `must` wants 200
 * and its JSON, or throws naming `what` and ARM's error.
 */
function armReads(opts: { subscriptionId: string; token: () => Promise<string>; armEndpoint?: string }) {
	const arm = (opts.armEndpoint ?? ARM_ENDPOINT).replace(/\/$/, "");
	const get = async (path: string) =>
		httpRequest({ url: `${arm}${path}`, headers: { Authorization: `Bearer ${await opts.token()}`, Accept: "application/json" } });
	const must = async (path: string, what: string) => {
		const res = await get(path);
		if (res.status !== 200) throw new Error(`${what}: ARM answered ${res.status} ${armErrorText(res.body)}`);
		return JSON.parse(res.body);
	};
	return { arm, sub: `/subscriptions/${opts.subscriptionId}`, get, must };
}

/**
 * The stack's footprint in Azure over ARM. After the first up it notes the cluster's node resource
 * group (AKS makes it, and deletes it with the cluster) and the stack's own group when it made one;
 * after destroy each must be gone (404), and in a group the stack did not make, no resource may
 * still carry the stack's tag.
 */
export function armFootprint(opts: ArmReaderOptions): E2eAzure {
	const { sub, get, must } = armReads(opts);
	const groups: string[] = [];
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

/**
 * The tag that marks a resource group as the e2e runs' own: the sweep empties it whole before each
 * run, so a group without it (dev's, say, given by mistake) is refused, never emptied.
 */
export const RUN_GROUP_TAG = { name: "purpose", value: "e2e-runs" } as const;

/** An empty template: deployed in Complete mode, ARM deletes every resource in the group. */
const EMPTY_TEMPLATE = {
	$schema: "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
	contentVersion: "1.0.0.0",
	resources: [],
};

export interface ArmSweepOptions {
	subscriptionId: string;
	/** The runs' own resource group (E2E_RESOURCE_GROUP), tagged {@link RUN_GROUP_TAG}; absent when each run makes its own. */
	runGroup?: string;
	/** This run's stack: it names the emptying deployment, and is never cleared. */
	stack: string;
	token: () => Promise<string>;
	/** Default: {@link ARM_ENDPOINT}; tests point it at loopback. */
	armEndpoint?: string;
	/** Default: {@link ARM_ACTION_RETRY}; a group's deletion takes as long as its cluster's. */
	retry?: RetryOptions;
}

/**
 * What lost runs left, deleted by ARM without a line of their stacks' code:
 * - in the runs' own group (one run at a time, so whatever it holds when a run starts was left by
 *   one that did not finish), every resource, by deploying an empty template in Complete mode
 *   (https://learn.microsoft.com/azure/azure-resource-manager/templates/deployment-modes): ARM
 *   deletes them in dependency order, the cluster's node resource group with the cluster, and
 *   keeps the group and its role assignments (the deploy identity's own grants);
 * - where each run made a group of its own, each group tagged with the lost stack's name, whole.
 */
export function armSweep(opts: ArmSweepOptions): SweepAzure {
	const { arm, sub, must } = armReads(opts);
	const retry = opts.retry ?? ARM_ACTION_RETRY;
	const resourcesIn = async (group: string): Promise<{ id: string; type: string; name: string }[]> =>
		(await must(`${sub}/resourceGroups/${group}/resources?api-version=${GROUPS_API}`, `listing the resources in ${group}`))
			.value ?? [];
	return {
		async clearRunGroup() {
			const group = opts.runGroup;
			if (!group) return "no runs' resource group (E2E_RESOURCE_GROUP): each run makes its own";
			const { tags } = await must(`${sub}/resourcegroups/${group}?api-version=${GROUPS_API}`, `reading resource group ${group}`);
			if (tags?.[RUN_GROUP_TAG.name] !== RUN_GROUP_TAG.value) {
				throw new NotTheRunsGroup(
					`resource group ${group} is not tagged ${RUN_GROUP_TAG.name}=${RUN_GROUP_TAG.value}: each run empties E2E_RESOURCE_GROUP whole, so it must be a group of the e2e runs' own (docs/e2e.md)`,
				);
			}
			const before = await resourcesIn(group);
			if (before.length === 0) return `resource group ${group} holds nothing a lost run left`;
			await runArmAction(
				{
					what: `Emptying resource group ${group} of what lost runs left`,
					url: `${arm}${sub}/resourcegroups/${group}/providers/Microsoft.Resources/deployments/${opts.stack}-sweep?api-version=${GROUPS_API}`,
					method: "PUT",
					body: { properties: { mode: "Complete", template: EMPTY_TEMPLATE } },
					token: opts.token,
				},
				retry,
			);
			const left = await resourcesIn(group);
			if (left.length > 0)
				throw new Error(`resource group ${group} still holds ${left.map((r) => `${r.type} ${r.name}`).join(", ")}`);
			return `emptied resource group ${group} of what lost runs left: ${before.map((r) => `${r.type} ${r.name}`).join(", ")}`;
		},
		async clearStack(name) {
			const stack = name.split("/").pop() ?? name;
			if (!E2E_STACK.test(stack) || stack === opts.stack) throw new Error(`${name} is not a lost e2e stack`);
			if (opts.runGroup) return `${stack} ran in resource group ${opts.runGroup}, emptied already`;
			const filter = encodeURIComponent(`tagName eq 'stack' and tagValue eq '${stack}'`);
			const groups: { name: string }[] =
				(await must(`${sub}/resourcegroups?$filter=${filter}&api-version=${GROUPS_API}`, `listing ${stack}'s resource groups`))
					.value ?? [];
			for (const g of groups) {
				await runArmAction(
					{
						what: `Deleting resource group ${g.name}, which lost stack ${stack} made`,
						url: `${arm}${sub}/resourcegroups/${g.name}?api-version=${GROUPS_API}`,
						method: "DELETE",
						token: opts.token,
					},
					retry,
				);
			}
			return groups.length === 0
				? `${stack} left no resource group`
				: `deleted ${stack}'s resource group${groups.length > 1 ? "s" : ""} ${groups.map((g) => g.name).join(", ")}`;
		},
	};
}
