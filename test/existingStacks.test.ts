import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { clusterIgnoreChanges } from "../components/cluster";
import { type PoolProfile, systemPoolDrift } from "../lib/liveSystemPool";
import { PROJECT } from "../simulator";
import { runStack } from "./stackFixtures";

type Declared = { type: string; name: string; inputs: Record<string, unknown> };

/**
 * What earlier releases declared for the resources that must never be replaced (under this
 * project's name, which a fork may have changed): `before-vnet.json` from commit 80770d8, the last
 * release without a VNet of the stack's own, and `before-cluster-identity.json` from commit
 * 2dfcf49, the last whose clusters in that VNet ran on a system-assigned identity. A fork that
 * changes those resources' defaults has no such stacks to keep, and can drop this file with them.
 */
const fixture = (file: string): Record<string, Declared[]> =>
	JSON.parse(
		fs.readFileSync(path.join(__dirname, "fixtures", file), "utf8").replaceAll('"aks-acr-app"', JSON.stringify(PROJECT)),
	);
const BEFORE_VNET = fixture("before-vnet.json");
const BEFORE_CLUSTER_IDENTITY = fixture("before-cluster-identity.json");

const LASTING = [
	"azure-native:containerregistry:Registry",
	"azure-native:containerservice:ManagedCluster",
	"azure-native:containerservice:AgentPool",
];

/**
 * The input properties whose change makes azure-native replace the resource instead of updating
 * it: its forceNewMap (pulumi-azure-native provider/pkg/gen/replacement.go at 1b7112af, "ContainerService")
 * for the cluster and its pools; the registry's `location` and `sku.name` are create-only too.
 * Any change this program makes to an existing stack's lasting resources must avoid every one.
 */
const FORCE_NEW: Record<string, string[]> = {
	"azure-native:containerservice:ManagedCluster": [
		"diskEncryptionSetID",
		"dnsPrefix",
		"fqdnSubdomain",
		"linuxProfile",
		"location",
		"nodeResourceGroup",
		"windowsProfile",
		"serviceCidr",
		"serviceCidrs",
		"dnsServiceIP",
		"networkMode",
		"networkPlugin",
		"networkPluginMode",
		"podCidr",
		"networkDataplane",
		"networkPolicy",
		"outboundType",
		"nodePublicIPTags",
	],
	"azure-native:containerservice:AgentPool": ["gpuInstanceProfile", "vmSize", "nodePublicIPTags"],
	"azure-native:containerregistry:Registry": ["location", "sku"],
};

const normalized = (v: unknown) => JSON.parse(JSON.stringify(v));

/** Every leaf path at which `a` and `b` differ, as `a.b[0].c`. */
function changedPaths(a: unknown, b: unknown, at = ""): string[] {
	if (JSON.stringify(a) === JSON.stringify(b)) return [];
	if (a && b && typeof a === "object" && typeof b === "object") {
		const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
		return keys.flatMap((k) =>
			changedPaths(
				(a as Record<string, unknown>)[k],
				(b as Record<string, unknown>)[k],
				Array.isArray(a) ? `${at}[${k}]` : at ? `${at}.${k}` : k,
			),
		);
	}
	return [at];
}

/** Today's changes to `before`'s lasting resources: the paths, and any that azure-native would replace for. */
function changesFrom(before: Declared[], now: Declared[]) {
	const changes: Record<string, string[]> = {};
	const replacing: string[] = [];
	for (const old of before) {
		const current = now.find((r) => r.type === old.type && r.name === old.name);
		assert.ok(current, `${old.type} ${old.name} is still declared under its name`);
		const paths = changedPaths(old.inputs, normalized(current.inputs));
		if (paths.length > 0) changes[`${old.type}::${old.name}`] = paths;
		for (const p of paths) {
			const names = p.split(/[.[\]]+/).filter(Boolean);
			if (names.some((n) => FORCE_NEW[old.type]?.includes(n))) replacing.push(`${old.name}: ${p}`);
		}
	}
	return { changes, replacing };
}

/** What azure-native sends of a changed path: nothing under what the cluster ignores (clusterIgnoreChanges). */
const sent = (paths: string[]) =>
	paths.filter((p) => !clusterIgnoreChanges(false).some((i) => p === i || p.startsWith(`${i}.`) || p.startsWith(`${i}[`)));

/** What the program stops on instead (systemPoolDrift): the system pool declared now against the one `before` made. */
const poolDrift = (before: Declared[], now: Declared[]) => {
	const pools = (list: Declared[]) =>
		list.find((r) => r.type === "azure-native:containerservice:ManagedCluster")?.inputs.agentPoolProfiles as PoolProfile[];
	return systemPoolDrift(pools(now)[0], pools(before));
};

/** The system pool's bounds prod now follows (use-system-pools.md: three nodes for production), which the run names. */
const PROD_SYSTEM_POOL = [/^minCount: running \d+, declared 3$/, /^maxCount: running \d+, declared 4$/];

const declared = async (stack: string, overrides: Record<string, string>) => {
	const run = await runStack({ stack, overrides });
	return run.mocks.resources
		.filter((r) => LASTING.includes(r.type))
		.map((r) => ({ type: r.type, name: r.name, inputs: normalized(r.plain) }));
};

for (const stack of ["dev", "prod"] as const) {
	const cluster = "azure-native:containerservice:ManagedCluster::cluster-aks";
	// Dev's system pool ran on 2 vCPUs, below the 4 AKS requires (use-system-pools.md): swapped by hand, named until then.
	const poolBounds = stack === "prod" ? PROD_SYSTEM_POOL : [/^vmSize: running Standard_D2s_v5, declared Standard_D4s_v5$/];
	/** The run's drift report matches prod's new bounds (and `extra`, in order), nothing else. */
	const assertDrift = (drift: string[], extra: RegExp[] = []) => {
		const expected = [...poolBounds, ...extra];
		assert.equal(drift.length, expected.length, drift.join("; "));
		for (const [i, d] of drift.entries()) assert.match(d, expected[i]);
	};
	/**
	 * What this release sends every earlier cluster once, and changes nothing in Azure by: the
	 * KubernetesOfficial support plan, AKS's default on Free and Standard, named so a cluster leaving
	 * Premium leaves long-term support too (long-term-support.md, "Disable long-term support").
	 */
	const SUPPORT_PLAN = ["supportPlan"];
	const sentChanges = (changes: Record<string, string[]>) =>
		Object.fromEntries(
			Object.entries(changes)
				.map(([k, paths]) => [k, sent(paths)])
				.filter(([, paths]) => paths.length > 0),
		);

	describe(`a ${stack} stack deployed before the VNet (network: aks-managed)`, () => {
		it("keeps its registry, pools and cluster as they were (nothing azure-native replaces or sends); prod's new system-pool bounds stop the run, named, until applied", async () => {
			const now = await declared(stack, { [`${PROJECT}:network`]: "aks-managed", [`${PROJECT}:registryPrivateLink`]: "false" });
			assert.equal(now.length, BEFORE_VNET[stack].length, "no lasting resource added");
			const { changes, replacing } = changesFrom(BEFORE_VNET[stack], now);
			assert.deepEqual(replacing, []);
			assert.deepEqual(sentChanges(changes), { [cluster]: SUPPORT_PLAN });
			assertDrift(poolDrift(BEFORE_VNET[stack], now));
			// A cluster in AKS's own network keeps its system-assigned identity: nothing to hold a subnet.
			const aks = now.find((r) => r.type === "azure-native:containerservice:ManagedCluster");
			assert.deepEqual(aks?.inputs.identity, { type: "SystemAssigned" });
		});

		it("would move the cluster's nodes into a subnet under the new defaults, which a cluster cannot do: the run stops naming vnetSubnetID (why the README asks existing stacks to keep aks-managed)", async () => {
			const now = await declared(stack, {});
			const { changes } = changesFrom(BEFORE_VNET[stack], now);
			assert.ok(changes[cluster].includes("agentPoolProfiles[0].vnetSubnetID"));
			// The overlay ranges the plan sets are the defaults azure-native sent before: only the subnet
			// moves (which the program stops on), and the control plane's identity with it.
			assert.deepEqual(
				sent(changes[cluster]).filter((p) => !p.startsWith("identity.")),
				SUPPORT_PLAN,
			);
			assertDrift(poolDrift(BEFORE_VNET[stack], now), [
				/^vnetSubnetID: running \(none\), declared \/subscriptions\/.+\/subnets\//,
			]);
		});
	});

	describe(`a ${stack} stack in its own VNet deployed before the user-assigned control-plane identity`, () => {
		it("moves its cluster to the stack's identity in place (AKS's identity update; not in azure-native's replace rules) and changes nothing else lasting", async () => {
			const now = await declared(stack, {});
			const { changes, replacing } = changesFrom(BEFORE_CLUSTER_IDENTITY[stack], now);
			assert.deepEqual(replacing, [], "identity is not in azure-native's forceNewMap for ManagedCluster");
			assert.deepEqual(sentChanges(changes), {
				[cluster]: ["identity.type", "identity.userAssignedIdentities", ...SUPPORT_PLAN],
			});
			assertDrift(poolDrift(BEFORE_CLUSTER_IDENTITY[stack], now));
			const aks = now.find((r) => r.type === "azure-native:containerservice:ManagedCluster");
			assert.ok(aks);
			assert.match(
				String((aks.inputs.identity as { userAssignedIdentities: string[] }).userAssignedIdentities[0]),
				/\/userAssignedIdentities\/cluster-identity/,
			);
		});
	});
}
