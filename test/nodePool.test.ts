import * as assert from "node:assert/strict";
import {
	agentPoolName,
	agentPoolProperties,
	NODE_POOL_IGNORE_CHANGES,
	NodePool,
	type NodePoolSpec,
	SPOT_LABEL,
	SPOT_TAINT,
} from "../components/nodePool";
import { ConfigError, parseStackConfig } from "../config";
import { buildPlan, checkManifests, type Plan } from "../offline/plan";
import { PROJECT, StackMocks, settle } from "../simulator";
import { deadInputPath } from "./sdkInputTypes";
import { fixtureConfig, runStack } from "./stackFixtures";

const POOL = "azure-native:containerservice:AgentPool";
const spot: NodePoolSpec = {
	name: "batch",
	vmSize: "Standard_D8s_v5",
	minCount: 0,
	maxCount: 10,
	zones: ["1", "2"],
	labels: { workload: "batch" },
	taints: ["workload=batch:NoSchedule"],
	spot: true,
};

describe("NodePool", () => {
	it("creates an AgentPool in the cluster it is handed, with the spot settings AKS expects", async () => {
		const mocks = new StackMocks();
		mocks.install(PROJECT, "dev", true);
		const subnet = "/subscriptions/s/resourceGroups/rg-x/providers/Microsoft.Network/virtualNetworks/v/subnets/nodes";
		const pool = new NodePool("spot", {
			...spot,
			cluster: { resourceGroupName: "rg-x", clusterName: "aks-x", nodeSubnetId: subnet },
		});
		await settle(pool.agentPool.urn);
		const agentPool = mocks.one(POOL, "spot-pool");
		assert.equal(agentPool.plain.resourceGroupName, "rg-x");
		assert.equal(agentPool.plain.resourceName, "aks-x");
		assert.equal(agentPool.plain.vnetSubnetID, subnet, "joins the cluster's node subnet");
		assert.deepEqual(agentPool.ignoreChanges, NODE_POOL_IGNORE_CHANGES);
		const p = agentPool.plain;
		assert.deepEqual(
			[p.scaleSetPriority, p.scaleSetEvictionPolicy, p.spotMaxPrice, p.upgradeSettings],
			["Spot", "Delete", -1, undefined],
			"spot: evicted for capacity only, deleted on eviction, never surged",
		);
		assert.deepEqual(
			p.nodeTaints,
			["workload=batch:NoSchedule", SPOT_TAINT],
			"AKS's own spot taint declared, so refresh sees no drift",
		);
		assert.deepEqual(p.nodeLabels, { workload: "batch", ...SPOT_LABEL });
		assert.deepEqual([p.minCount, p.maxCount, p.count, p.enableAutoScaling], [0, 10, 0, true], "scales to nothing");
		assert.deepEqual(p.availabilityZones, ["1", "2"]);
		assert.equal(p.enableNodePublicIP, false);
	});

	it("keeps its AKS name while counts, labels and taints change, and takes a new one (replaced create-first) when AKS could not change it in place", () => {
		const name = agentPoolName(spot);
		assert.match(name, /^batch[0-9a-f]{4}$/);
		assert.ok(name.length <= 12, "AKS allows 12 characters for a Linux pool");
		for (const same of [{ minCount: 1 }, { maxCount: 20 }, { labels: {} }, { taints: [] }, { zones: ["2", "1"] }])
			assert.equal(agentPoolName({ ...spot, ...same }), name, JSON.stringify(same));
		for (const changed of [{ vmSize: "Standard_D16s_v5" }, { zones: ["1"] }, { maxPods: 60 }, { spot: false }])
			assert.notEqual(agentPoolName({ ...spot, ...changed }), name, JSON.stringify(changed));
	});

	it("a regular pool surges a third at a time and carries no spot settings", () => {
		const p = agentPoolProperties({ name: "user", vmSize: "Standard_D2s_v5", minCount: 1, maxCount: 3 });
		assert.deepEqual(p.upgradeSettings, { maxSurge: "33%" });
		assert.deepEqual(
			[p.scaleSetPriority, p.nodeTaints, p.nodeLabels, p.availabilityZones],
			[undefined, undefined, undefined, undefined],
		);
		assert.equal(p.mode, "User");
	});

	it("ignores only paths that are inputs of azure-native's AgentPool", () => {
		assert.deepEqual(NODE_POOL_IGNORE_CHANGES.map((p) => deadInputPath("containerservice", "AgentPool", p)).filter(Boolean), []);
		assert.equal(
			deadInputPath("containerservice", "AgentPool", "nodeImageVersion"),
			"AgentPoolArgs has no input nodeImageVersion",
		);
	});
});

describe("NodePool: the nodePools setting", () => {
	const base = { project: PROJECT, stack: "dev", location: "westeurope", defaultAppVersion: "1.0.0" };
	const pools = (v: unknown) => ({ nodePools: JSON.stringify(v) });
	it("reads a list of pools; pools without zones take the cluster's", () => {
		const c = parseStackConfig(
			{
				...pools([{ name: "user", vmSize: "Standard_D4s_v5", minCount: 1, maxCount: 3 }, spot]),
				availabilityZones: '["1","2","3"]',
			},
			base,
		);
		assert.deepEqual(c.cluster.nodePools, [
			{
				name: "user",
				vmSize: "Standard_D4s_v5",
				minCount: 1,
				maxCount: 3,
				zones: ["1", "2", "3"],
				labels: undefined,
				taints: undefined,
				spot: undefined,
			},
			spot,
		]);
	});
	for (const [label, raw, detail] of [
		["a name AKS refuses", pools([{ ...spot, name: "Batch-1" }]), /pool 0 has name "Batch-1"/],
		[
			"a repeated name",
			pools([
				{ ...spot, spot: false },
				{ ...spot, spot: false },
			]),
			/pool 1 repeats the name batch/,
		],
		["min above max", pools([{ ...spot, spot: false, minCount: 5, maxCount: 2 }]), /pool batch has minCount 5 and maxCount 2/],
		["a malformed taint", pools([{ ...spot, spot: false, taints: ["batch"] }]), /pool batch has taints \["batch"\]/],
		["only spot pools", pools([spot]), /every pool is spot: keep one regular pool/],
		["an unknown key", pools([{ ...spot, vmsize: "x" }]), /pool 0 has unknown keys vmsize/],
		[
			"both nodePools and the single-pool keys",
			{ ...pools([{ ...spot, spot: false }]), nodeVmSize: "Standard_D2s_v5" },
			new RegExp(`nodePools and ${PROJECT}:nodeVmSize are both set`),
		],
	] as const) {
		it(`rejects ${label}, naming the key and what is accepted`, () => {
			assert.throws(
				() => parseStackConfig(raw as Record<string, string>, base),
				(e: unknown) => e instanceof ConfigError && e.message.includes(`${PROJECT}:nodePools`) && detail.test(e.message),
			);
		});
	}
});

describe("NodePool: a stack with a regular and a spot pool", () => {
	// Prod's stack file sets no pool keys, so the list alone describes the pools.
	const nodePools = JSON.stringify([{ name: "user", vmSize: "Standard_D4s_v5", minCount: 2, maxCount: 5 }, spot]);

	// The offline plan evaluates the stack twice, as a preview and with simulated Azure values; the
	// second is the stack's run the first test reads.
	let plan: Plan;
	before(async () => {
		plan = await buildPlan("prod", { [`${PROJECT}:nodePools`]: nodePools }, { config: fixtureConfig("prod") });
	});

	it("declares both, waits for both before rolling out, and passes the policy pack", () => {
		const { mocks } = plan.realistic;
		const agentPools = mocks.all(POOL);
		assert.deepEqual(
			agentPools.map((p) => [p.name, p.plain.scaleSetPriority ?? "Regular"]),
			[
				["nodepool-user-pool", "Regular"],
				["nodepool-batch-pool", "Spot"],
			],
		);
		// Every service's rollout (a fork may release more than one).
		const deployments = mocks.all("kubernetes:apps/v1:Deployment");
		assert.ok(deployments.length >= 1);
		for (const deployment of deployments) for (const p of agentPools) assert.ok(deployment.dependencies.includes(p.urn), p.name);
		const mandatory = plan.findings.filter((f) => f.level === "mandatory");
		assert.deepEqual(mandatory, []);
	});

	it("passes the offline plan: the pools in its graph, its manifests valid", async () => {
		const pools = plan.resources.filter((r) => r.type === POOL);
		assert.deepEqual(
			pools.map((r) => r.name),
			["nodepool-batch-pool", "nodepool-user-pool"],
		);
		for (const p of pools)
			assert.ok(
				p.dependencies.some((d) => d.startsWith("azure-native:containerservice:ManagedCluster::")),
				p.name,
			);
		assert.deepEqual(await checkManifests(plan.manifests), []);
	});
});

describe("NodePool: pools change on a live cluster", () => {
	type Run = Awaited<ReturnType<typeof runStack>>;
	const inputsOf = (run: Run, type: string) =>
		Object.fromEntries(run.mocks.all(type).map((r) => [r.name, JSON.stringify(r.inputs)]));
	const cluster = (run: Run) => inputsOf(run, "azure-native:containerservice:ManagedCluster");
	let before: Run;
	let asList: string;

	// The stack as a team first deploys it: the default pool from the single-pool keys' defaults.
	it("describing the default pool as a list instead changes nothing", async () => {
		before = await runStack({ stack: "dev" });
		const [pool] = before.mocks.all(POOL);
		asList = JSON.stringify([
			{ name: "user", vmSize: pool.plain.vmSize, minCount: pool.plain.minCount, maxCount: pool.plain.maxCount },
		]);
		const after = await runStack({ stack: "dev", overrides: { [`${PROJECT}:nodePools`]: asList } });
		assert.deepEqual(inputsOf(after, POOL), inputsOf(before, POOL));
		assert.deepEqual(cluster(after), cluster(before));
	});

	it("adding a pool creates one AgentPool and leaves the cluster and the other pool as they were", async () => {
		const withBatch = JSON.stringify([...JSON.parse(asList), { ...spot, zones: undefined }]);
		const after = await runStack({ stack: "dev", overrides: { [`${PROJECT}:nodePools`]: withBatch } });
		const [pools, was] = [inputsOf(after, POOL), inputsOf(before, POOL)];
		assert.deepEqual(Object.keys(pools).sort(), ["nodepool-batch-pool", ...Object.keys(was)].sort());
		assert.equal(pools["nodepool-user-pool"], was["nodepool-user-pool"]);
		assert.deepEqual(cluster(after), cluster(before), "the ManagedCluster is not sent again");
	});

	it("resizing the autoscaler's bounds updates that pool in place; a new VM size replaces it under a new name, create-first", async () => {
		const [base] = JSON.parse(asList);
		const bounds = await runStack({
			stack: "dev",
			overrides: { [`${PROJECT}:nodePools`]: JSON.stringify([{ ...base, maxCount: base.maxCount + 3 }]) },
		});
		const resized = bounds.mocks.one(POOL, "nodepool-user-pool");
		const was = before.mocks.one(POOL, "nodepool-user-pool");
		assert.equal(resized.plain.agentPoolName, was.plain.agentPoolName, "same AKS pool: an update");
		assert.equal(resized.plain.maxCount, was.plain.maxCount + 3);
		assert.deepEqual(cluster(bounds), cluster(before));

		const bigger = await runStack({
			stack: "dev",
			overrides: { [`${PROJECT}:nodePools`]: JSON.stringify([{ ...base, vmSize: "Standard_D8s_v5" }]) },
		});
		const replaced = bigger.mocks.one(POOL, "nodepool-user-pool");
		assert.notEqual(replaced.plain.agentPoolName, was.plain.agentPoolName, "a new AKS pool beside the old one");
		assert.equal(replaced.deleteBeforeReplace, false, "the old pool keeps the pods until the new one exists");
		assert.deepEqual(cluster(bigger), cluster(before));
	});
});
