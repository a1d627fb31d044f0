/**
 * The system pool check at program start (lib/liveSystemPool.ts), against a loopback ARM that
 * answers as ManagedClusters_ListByResourceGroup and ManagedClusters_List do (azure-rest-api-specs
 * specification/containerservice/resource-manager/Microsoft.ContainerService/aks/stable/2025-09-01/
 * managedClusters.json and its examples ManagedClustersListByResourceGroup.json,
 * ManagedClustersList.json: a ManagedClusterListResult of `value` and `nextLink`, each cluster with
 * its `tags` and `properties.agentPoolProfiles`).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
	checkLiveSystemPool,
	IN_STACK_VNET,
	type LiveClusterQuery,
	MANAGED_CLUSTERS_API_VERSION,
	systemPoolDrift,
	systemPoolDriftMessage,
} from "../lib/liveSystemPool";
import { ROOT } from "../simulator";
import { type Answer, scriptedServer } from "./loopback";

const SUB = "11111111-2222-3333-4444-555555555555";
const system = { name: "system", vmSize: "Standard_D4s_v5", minCount: 3, maxCount: 4, vnetSubnetID: "/subscriptions/s/x" };
const user = { name: "apps", vmSize: "Standard_D8s_v5", minCount: 1, maxCount: 9 };
const listed = (name: string, tags: Record<string, string>, pools: object[]) => ({
	id: `/subscriptions/${SUB}/resourceGroups/rg-shop/providers/Microsoft.ContainerService/managedClusters/${name}`,
	name,
	type: "Microsoft.ContainerService/ManagedClusters",
	location: "westeurope",
	tags,
	properties: { provisioningState: "Succeeded", agentPoolProfiles: pools },
});
const OURS = { project: "shop", stack: "prod", environment: "prod" };
const page = (value: object[], nextLink?: string): Answer => ({ status: 200, body: JSON.stringify({ value, nextLink }) });

describe("the system pool the program declares against the one that runs", () => {
	it("agrees when AKS reports what was declared (ids and sizes in any case), or reports no such pool", () => {
		assert.deepEqual(
			systemPoolDrift(system, [user, { ...system, vmSize: "standard_d4s_v5", vnetSubnetID: "/SUBSCRIPTIONS/s/x" }]),
			[],
		);
		assert.deepEqual(systemPoolDrift(system, [user]), []);
		assert.deepEqual(systemPoolDrift(system, undefined), []);
	});

	it("names each setting that differs, with both values, and says how to apply it", () => {
		const drift = systemPoolDrift(system, [{ ...system, minCount: 2, maxCount: 3, vnetSubnetID: undefined }]);
		assert.deepEqual(drift, [
			"minCount: running 2, declared 3",
			"maxCount: running 3, declared 4",
			"vnetSubnetID: running (none), declared /subscriptions/s/x",
		]);
		const message = systemPoolDriftMessage("cluster", "system", drift);
		assert.match(message, /systemMinNodeCount/);
		assert.match(message, /az aks nodepool update .* --name system --update-cluster-autoscaler/);
	});

	it("compares the subnet by presence before the stack's VNet is read: in one, or in AKS's own network", () => {
		const inVnet = { ...system, vnetSubnetID: IN_STACK_VNET };
		assert.deepEqual(systemPoolDrift(inVnet, [system]), []);
		assert.deepEqual(systemPoolDrift(inVnet, [{ ...system, vnetSubnetID: undefined }]), [
			`vnetSubnetID: running (none), declared ${IN_STACK_VNET}`,
		]);
		assert.deepEqual(systemPoolDrift({ ...system, vnetSubnetID: undefined }, [system]), [
			"vnetSubnetID: running /subscriptions/s/x, declared (none)",
		]);
	});
});

describe("the system pool check at program start, over a loopback ARM", () => {
	const query = (url: string, over: Partial<LiveClusterQuery> = {}): LiveClusterQuery => ({
		subscriptionId: SUB,
		resourceGroup: "rg-shop",
		tags: { project: "shop", stack: "prod" },
		token: async () => "arm-token",
		endpoint: url,
		...over,
	});
	const check = (declared: object, q: LiveClusterQuery, warnings: string[] = []) =>
		checkLiveSystemPool(declared, q, {}, (m) => warnings.push(m));

	it("reads the stack's group, every page, picks the cluster carrying the stack's tags, and stops naming what differs", async () => {
		// ARM's nextLink is absolute: the stand-in's own URL, with the page's skip token.
		let self = "";
		const arm = await scriptedServer((req) =>
			req.url.includes("skiptoken")
				? page([listed("cluster-aks1234", OURS, [user, { ...system, minCount: 2, maxCount: 3 }])])
				: page(
						[listed("other-aks", { project: "shop", stack: "dev" }, [{ ...system, minCount: 1 }])],
						`${self}/subscriptions/${SUB}/resourceGroups/rg-shop/providers/Microsoft.ContainerService/managedClusters?api-version=${MANAGED_CLUSTERS_API_VERSION}&$skiptoken=2`,
					),
		);
		self = arm.url;
		try {
			const q = query(arm.url);
			let n = 0;
			const answered = await check(system, {
				...q,
				token: async () => {
					n++;
					return "arm-token";
				},
			}).catch((e: Error) => e);
			assert.ok(answered instanceof Error);
			assert.match(answered.message, /system pool "system" of AKS cluster cluster-aks1234 differs/);
			assert.match(answered.message, /minCount: running 2, declared 3\n {2}- maxCount: running 3, declared 4/);
			assert.equal(
				arm.seen[0].url,
				`/subscriptions/${SUB}/resourceGroups/rg-shop/providers/Microsoft.ContainerService/managedClusters?api-version=${MANAGED_CLUSTERS_API_VERSION}`,
			);
			assert.equal(arm.seen[0].headers.authorization, "Bearer arm-token");
			assert.equal(arm.seen.length, 2);
			assert.equal(n, 2, "a token asked for each request");
		} finally {
			await arm.close();
		}
	});

	it("passes when the cluster runs what is declared, when none exists yet, and when the stack's group does not exist yet", async () => {
		for (const answers of [
			[page([listed("cluster-aks", OURS, [system, user])])],
			[page([])],
			[{ status: 404, body: JSON.stringify({ error: { code: "ResourceGroupNotFound", message: "not found" } }) }],
		] as Answer[][]) {
			const arm = await scriptedServer(answers);
			try {
				await check(system, query(arm.url));
			} finally {
				await arm.close();
			}
		}
	});

	it("reads the whole subscription when the stack makes its own group", async () => {
		const arm = await scriptedServer([page([listed("cluster-aks", OURS, [system])])]);
		try {
			await check(system, query(arm.url, { resourceGroup: undefined }));
			assert.equal(
				arm.seen[0].url,
				`/subscriptions/${SUB}/providers/Microsoft.ContainerService/managedClusters?api-version=${MANAGED_CLUSTERS_API_VERSION}`,
			);
		} finally {
			await arm.close();
		}
	});

	it("says so without stopping when two clusters carry the stack's tags, and stops naming ARM's answer when it cannot read", async () => {
		const two = await scriptedServer([page([listed("a", OURS, [{ ...system, minCount: 1 }]), listed("b", OURS, [system])])]);
		const warnings: string[] = [];
		try {
			await check(system, query(two.url), warnings);
			assert.match(
				warnings.join(),
				/More than one AKS cluster carries this stack's tags .*managedClusters\/a, .*managedClusters\/b/,
			);
		} finally {
			await two.close();
		}
		const refused = await scriptedServer([
			{ status: 403, body: JSON.stringify({ error: { code: "AuthorizationFailed", message: "no read" } }) },
		]);
		try {
			await assert.rejects(
				check(system, query(refused.url)),
				/could not read .*answered 403: AuthorizationFailed: no read.*needs Reader/,
			);
		} finally {
			await refused.close();
		}
	});

	it("makes no request where no Azure sign-in exists by design (the simulator's AKS_CREDENTIAL_CHECK=skip)", async () => {
		const arm = await scriptedServer([page([])]);
		try {
			await checkLiveSystemPool(system, query(arm.url), { AKS_CREDENTIAL_CHECK: "skip" });
			assert.equal(arm.seen.length, 0);
		} finally {
			await arm.close();
		}
	});

	it("runs in the program before anything is declared (index.ts: before the deployer record, its first resource)", () => {
		const program = fs.readFileSync(path.join(ROOT, "index.ts"), "utf8");
		const at = program.indexOf("await checkLiveSystemPool(");
		assert.ok(at > 0 && at < program.indexOf("new DeployerRecord("));
	});
});
