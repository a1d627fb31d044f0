import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { clusterIgnoreChanges, managedClusterProperties } from "../components/cluster";
import { agentPoolProperties } from "../components/nodePool";
import { ROOT } from "../simulator";
import { processIgnoreChanges, refreshedInputs } from "./engineRefresh";

const WORKSPACE = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/logs";

/** What the stack declares for its cluster, as state holds it (plain JSON, unset values dropped). */
const declared = () =>
	JSON.parse(
		JSON.stringify({
			resourceGroupName: "rg",
			dnsPrefix: "shop",
			...managedClusterProperties(
				{ resourceGroupName: "rg", systemPool: { vmSize: "Standard_D4s_v5", minCount: 3, maxCount: 4 } },
				WORKSPACE,
			),
		}),
	);

/** A NodePool as AKS lists it among the cluster's agentPoolProfiles: its name and its properties. */
const { agentPoolName: userPoolName, ...userPoolProps } = agentPoolProperties({
	name: "apps",
	vmSize: "Standard_D4s_v5",
	minCount: 2,
	maxCount: 6,
});
const userPool = JSON.parse(JSON.stringify({ name: userPoolName, ...userPoolProps }));

/** The cluster as AKS reports it weeks later: the NodePool beside the system pool, scaled and upgraded. */
const reportedLater = (program: ReturnType<typeof declared>, order: "system first" | "user first") => {
	const [system] = program.agentPoolProfiles;
	const running = { ...system, count: 4, orchestratorVersion: "1.34.2" };
	return {
		...program,
		kubernetesVersion: "1.34.2",
		agentPoolProfiles: order === "system first" ? [running, userPool] : [userPool, running],
	};
};

describe("Cluster: pulumi refresh, then pulumi up, once NodePools exist (the engine's and azure-native's own steps)", () => {
	for (const order of ["system first", "user first"] as const) {
		it(`azure-native's read puts every pool into the cluster's inputs (AKS listing ${order}); with agentPoolProfiles ignored whole the refresh and the up after it change nothing`, () => {
			const program = declared();
			// After the first up, state holds the inputs sent and what AKS answered (the system pool alone:
			// the NodePools are created after the cluster).
			const refreshed = refreshedInputs(program, program, reportedLater(program, order));
			assert.equal(refreshed.agentPoolProfiles && (refreshed.agentPoolProfiles as unknown[]).length, 2);
			assert.ok(JSON.stringify(refreshed.agentPoolProfiles).includes(userPoolName), "the NodePool is now a cluster input");

			const ignores = clusterIgnoreChanges(false);
			// The up after the refresh: the program's inputs with the ignored paths taken from state are
			// exactly state's inputs, so azure-native's diff (old inputs against new) finds nothing. The
			// refresh's own diff is this same computation (step.go RefreshStep.Apply: the diff a no-change
			// up would see, inverted), so the refresh reports no change to the cluster's inputs either.
			assert.deepEqual(processIgnoreChanges(program, refreshed, ignores), { inputs: refreshed, notIgnored: [] });
			// A second refresh with nothing new in Azure leaves state as it is.
			const later = reportedLater(program, order);
			assert.deepEqual(refreshedInputs(refreshed, later, later), refreshed);
		});
	}

	it("the element paths the release before ignored leave that up a change: the engine cannot reset [*] across lists of different lengths, so the cluster is written with the system pool alone", () => {
		const program = declared();
		const refreshed = refreshedInputs(program, program, reportedLater(program, "user first"));
		const before = ["agentPoolProfiles[*].count", "agentPoolProfiles[*].orchestratorVersion", "kubernetesVersion"];
		const { inputs, notIgnored } = processIgnoreChanges(program, refreshed, before);
		// What the engine reports (an info line now; an error failing the up before pulumi#20465).
		assert.deepEqual(notIgnored, ["agentPoolProfiles[*].count", "agentPoolProfiles[*].orchestratorVersion"]);
		const pools = inputs.agentPoolProfiles as { name: string; count: number }[];
		assert.equal(pools.length, 1, "the up sends one pool where state holds two: a cluster update");
		assert.notDeepEqual(inputs, refreshed);
		// And the element-wise reset pairs the pools by position: with AKS listing the NodePool first,
		// the system pool would be sent with the NodePool's count.
		assert.deepEqual([pools[0].name, pools[0].count], ["system", userPool.count]);
		// Without NodePools the lists stay one long and those paths hold: the trouble is the NodePools'.
		const alone = refreshedInputs(program, program, { ...program, kubernetesVersion: "1.34.2" });
		assert.deepEqual(processIgnoreChanges(program, alone, before).notIgnored, []);
	});

	it("a pinned version is not ignored: a change of the pin is still applied after a refresh", () => {
		const program = declared();
		const refreshed = refreshedInputs(program, program, reportedLater(program, "system first"));
		const pinned = { ...program, kubernetesVersion: "1.35" };
		assert.equal(processIgnoreChanges(pinned, refreshed, clusterIgnoreChanges(true)).inputs.kubernetesVersion, "1.35");
	});
});

/**
 * AKS's check of a managed cluster PUT on a cluster that exists: every pool the body lists must be
 * one it runs, or it answers 400 "A new agent pool was introduced. Adding agent pools to an existing
 * cluster is not allowed through managed cluster operations…" (as reported in Azure/AKS#4383 and
 * pulumi-azure-native#579; the pools it runs and the body does not list are left alone).
 */
function aksRefusal(body: { agentPoolProfiles?: { name: string }[] }, running: string[]): string | undefined {
	const introduced = (body.agentPoolProfiles ?? []).filter((p) => !running.includes(p.name));
	return introduced.length > 0
		? `BadRequest: A new agent pool was introduced (${introduced.map((p) => p.name).join(", ")}). Adding agent pools to an existing cluster is not allowed through managed cluster operations.`
		: undefined;
}

describe("Cluster: a node pool replaced or removed, then a cluster setting changed (why every up refreshes first)", () => {
	const ignores = clusterIgnoreChanges(false);
	const names = (reported: { agentPoolProfiles: { name: string }[] }) => reported.agentPoolProfiles.map((p) => p.name);

	it("Pulumi.yaml makes every up, preview and destroy refresh first (the CLI reads options.refresh: always when no --refresh is given)", () => {
		const project = parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
		assert.equal(project.options?.refresh, "always");
		// Nothing turns it off: pulumi/actions passes --refresh only when asked (@pulumi/pulumi automation's up).
		const workflows = path.join(ROOT, ".github", "workflows");
		for (const f of fs.readdirSync(workflows)) {
			const text = fs.readFileSync(path.join(workflows, f), "utf8");
			assert.doesNotMatch(text, /refresh: false|--refresh=false/, f);
		}
	});

	for (const [what, after] of [
		// docs/node-pools.md's way to change a NodePool's VM size: a pool of another name, the old one deleted.
		["a NodePool replaced", (pools: { name: string }[]) => [pools[0], { ...pools[1], name: `${userPoolName}2` }]],
		["the legacy user pool deleted", (pools: { name: string }[]) => [pools[0]]],
	] as const) {
		it(`${what}: with a refresh before the up the PUT names the pools AKS runs and carries the change; from the last refresh's state AKS refuses it`, () => {
			const program = declared();
			// An up long ago, then a refresh (or an up that refreshed) reading the pools of that day.
			const then = reportedLater(program, "system first");
			const stateThen = refreshedInputs(program, program, then);
			// The pools change through their own resources: the cluster's inputs and outputs stay as they were.
			const now = { ...then, agentPoolProfiles: after(then.agentPoolProfiles) };
			// Then a cluster setting changes (the uptime SLA).
			const changed = { ...program, sku: { name: "Base", tier: "Standard" } };

			const stale = processIgnoreChanges(changed, stateThen, ignores).inputs as { agentPoolProfiles: { name: string }[] };
			assert.match(String(aksRefusal(stale, names(now))), /A new agent pool was introduced/);

			// With refresh: always, the up reads the cluster first: state's inputs list what runs now.
			const refreshed = refreshedInputs(stateThen, then, now);
			const sent = processIgnoreChanges(changed, refreshed, ignores).inputs as typeof stale & { sku: { tier: string } };
			assert.equal(aksRefusal(sent, names(now)), undefined);
			assert.deepEqual(names(sent as never), names(now));
			assert.equal(sent.sku.tier, "Standard");
		});
	}
});
