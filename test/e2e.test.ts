import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { parseStackConfig } from "../config";
import { backendWorkspace, changesIn, previewChanges } from "../e2e/automation";
import { armFootprint, armSweep, RUN_GROUP_TAG } from "../e2e/azure";
import { reportJson, summaryTable } from "../e2e/report";
import { type E2eAzure, type E2eStack, type HttpGet, runE2e, STEPS, type StepName } from "../e2e/run";
import { credentialSource, e2eConfig, e2eSettings } from "../e2e/settings";
import { type ListedStack, LOST_AFTER_MS, lostStacks, NotTheRunsGroup, type SweepAzure, sweepLostRuns } from "../e2e/sweep";
import { httpRequest } from "../lib/http";
import { PROJECT, projectKeys, ROOT, SUBSCRIPTION_ID } from "../simulator";
import { aksClusterAsAksReportsIt } from "./aksFixtures";
import { armStandIn } from "./armStandIn";
import { fastRetry } from "./loopback";

const APP_URL = "http://20.61.0.10/";

/** A stack that records what is asked of it, and fails where told. */
function fakeStack(failAt?: "up" | "second-up" | "preview" | "refresh" | "destroy") {
	const calls: string[] = [];
	let ups = 0;
	const stack: E2eStack = {
		async up() {
			ups++;
			calls.push(`up#${ups}`);
			if ((failAt === "up" && ups === 1) || (failAt === "second-up" && ups === 2)) throw new Error("ARM said no");
			return { outputs: { appUrl: APP_URL, resourceGroupName: "rg-e2e", clusterName: "aks-e2e" }, changes: ups === 3 ? 0 : 5 };
		},
		async preview() {
			calls.push("preview");
			return failAt === "preview" ? 2 : 0;
		},
		async refresh() {
			calls.push("refresh");
			return failAt === "refresh" ? 1 : 0;
		},
		async setConfig(k, v) {
			calls.push(`config ${k}=${v}`);
		},
		async destroy() {
			calls.push("destroy");
			if (failAt === "destroy") throw new Error("a lock on the group");
		},
	};
	return { stack, calls };
}

/** The app: healthy, and reporting the version the last up deployed. */
function fakeApp(calls: string[]): HttpGet {
	return async (url) => {
		const version = calls.includes("config appVersion=v2") && calls.includes("up#2") ? "v2" : "v1";
		return url.endsWith("/") ? { status: 200, body: JSON.stringify({ version }) } : { status: 200, body: "{}" };
	};
}

const azure = (left: string[] = []): E2eAzure & { remembered: unknown[] } => {
	const remembered: unknown[] = [];
	return { remembered, remember: async (o) => void remembered.push(o), leftovers: async () => left };
};
const opts = { newVersion: "v2", log: () => {}, retryEveryMs: 1, requestEveryMs: 1, answerWithinMs: 200 };

describe("e2e: the steps, with a fake stack and app", () => {
	it("runs the six steps in order, and reports each with its duration and what it showed", async () => {
		const { stack, calls } = fakeStack();
		const az = azure();
		const report = await runE2e(stack, fakeApp(calls), az, opts);
		assert.equal(report.ok, true);
		assert.deepEqual(
			report.steps.map((s) => [s.step, s.ok]),
			STEPS.map((s) => [s, true]),
		);
		assert.deepEqual(calls, ["up#1", "config appVersion=v2", "up#2", "preview", "refresh", "up#3", "destroy"]);
		assert.deepEqual(az.remembered, [{ appUrl: APP_URL, resourceGroupName: "rg-e2e", clusterName: "aks-e2e" }]);
		assert.ok(report.steps.every((s) => typeof s.ms === "number" && s.ms >= 0 && s.detail.length > 0));
		assert.equal(report.rollout?.failed, 0);
		const json = JSON.parse(reportJson(report, { stack: "e2e-1" }));
		assert.deepEqual(Object.keys(json.steps[0]).sort(), ["detail", "ms", "ok", "step"]);
		assert.equal(json.stack, "e2e-1");
		assert.match(summaryTable(report), /every promise held/);
	});

	const failures: [string, Parameters<typeof fakeStack>[0] | "leftovers" | "no-answer" | "old-version", StepName, RegExp][] = [
		["the first up", "up", "up", /ARM said no/],
		["the app never answering", "no-answer", "app-answers", /did not answer 200 within 0 s: 503/],
		["the rollout's up", "second-up", "rollout", /ARM said no/],
		["a rollout that leaves the old version", "old-version", "rollout", /reports version v1 after the rollout, not v2/],
		["a repeated up with changes", "preview", "no-op-up", /found 2 change\(s\) on a repeated up/],
		["a refresh with drift", "refresh", "refresh", /refresh --expect-no-changes found 1 change/],
		["a destroy that leaves a group", "leftovers", "destroy", /destroy left resource group MC_rg-e2e/],
	];
	for (const [what, failAt, step, message] of failures) {
		it(`fails at ${step} on ${what}, names it, and destroys the stack`, async () => {
			const { stack, calls } = fakeStack(
				failAt === "leftovers" || failAt === "no-answer" || failAt === "old-version" ? undefined : failAt,
			);
			const app: HttpGet =
				failAt === "no-answer"
					? async () => ({ status: 503, body: "no healthy upstream" })
					: failAt === "old-version"
						? async () => ({ status: 200, body: JSON.stringify({ version: "v1" }) })
						: fakeApp(calls);
			const report = await runE2e(stack, app, azure(failAt === "leftovers" ? ["resource group MC_rg-e2e"] : []), {
				...opts,
				answerWithinMs: 0,
			});
			assert.equal(report.ok, false);
			assert.equal(report.failedStep, step);
			const failed = report.steps.find((s) => !s.ok);
			assert.equal(failed?.step, step);
			assert.match(failed?.detail ?? "", message);
			assert.deepEqual(report.steps.at(-1)?.step, "cleanup");
			assert.equal(calls.at(-1), "destroy", "the stack is destroyed after the failure");
			assert.match(summaryTable(report), new RegExp(`failed at ${step}`));
		});
	}

	it("keeps the stack after a failure with E2E_KEEP=1", async () => {
		const { stack, calls } = fakeStack("preview");
		const report = await runE2e(stack, fakeApp(calls), azure(), { ...opts, keep: true });
		assert.deepEqual([report.ok, report.failedStep, report.kept], [false, "no-op-up", true]);
		assert.ok(!calls.includes("destroy"));
		assert.ok(!report.steps.some((s) => s.step === "cleanup"));
	});

	it("reports a clean-up that fails too", async () => {
		const { stack, calls } = fakeStack("destroy");
		const report = await runE2e(stack, fakeApp(calls), azure(), opts);
		assert.equal(report.failedStep, "destroy");
		assert.deepEqual(report.steps.at(-1), { ...report.steps.at(-1), step: "cleanup", ok: false });
		assert.match(report.steps.at(-1)?.detail ?? "", /destroying the stack after the failure failed too: a lock on the group/);
	});
});

describe("e2e: the rollout step against a loopback app that drops requests while it rolls", () => {
	it("counts every failed request, and fails the step naming how many", async () => {
		let rolling = false;
		let served = 0;
		const server = http.createServer((_req, res) => {
			served++;
			// While the rollout runs, every third request finds no ready pod.
			if (rolling && served % 3 === 0) {
				res.writeHead(503).end("no healthy upstream");
				return;
			}
			res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ version: rolling ? "v1" : "v2" }));
		});
		await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
		const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
		try {
			const { stack } = fakeStack();
			let ups = 0;
			stack.up = async () => {
				ups++;
				if (ups === 2) {
					rolling = true;
					await new Promise((r) => setTimeout(r, 300));
					rolling = false;
				}
				return { outputs: { appUrl: url }, changes: 1 };
			};
			const get: HttpGet = async (u) => {
				const res = await httpRequest({ url: u, timeoutMs: 2_000 });
				return { status: res.status, body: res.body };
			};
			const report = await runE2e(stack, get, azure(), { ...opts, requestEveryMs: 5 });
			assert.equal(report.failedStep, "rollout");
			const seen = report.rollout;
			assert.ok(seen && seen.failed > 0 && seen.sent > seen.failed, JSON.stringify(seen));
			assert.match(
				report.steps.find((s) => s.step === "rollout")?.detail ?? "",
				new RegExp(`${seen?.failed} of ${seen?.sent} requests failed during the rollout: 503 no healthy upstream`),
			);
		} finally {
			await new Promise((r) => server.close(r));
		}
	});
});

describe("e2e: counting changes from the Automation API's summaries", () => {
	it("counts every operation but same", () => {
		assert.equal(changesIn({ same: 40 }), 0);
		assert.equal(changesIn({ same: 38, update: 1, replace: 1 }), 2);
		assert.equal(changesIn(undefined), 0);
		// The engine reports a read whose result did not change as "same": a "read" is drift, and counts.
		assert.equal(changesIn({ same: 40, read: 1 }), 1);
	});

	it("a preview that fails is the step failing with the CLI's message, not drift", async () => {
		const failing = {
			preview: async () => {
				throw new Error("error: aks-credential: az account get-access-token failed (signed in? run az login)");
			},
		} as unknown as Pick<Stack, "preview">;
		await assert.rejects(
			previewChanges(failing, () => {}),
			/aks-credential: az account get-access-token failed/,
		);
		const clean = { preview: async () => ({ changeSummary: { same: 41 } }) } as unknown as Pick<Stack, "preview">;
		assert.equal(await previewChanges(clean, () => {}), 0);
	});
});

describe("e2e: what it reads from its environment", () => {
	it("finds a credential, or none", () => {
		assert.equal(credentialSource({}), undefined);
		assert.equal(credentialSource({ ARM_SUBSCRIPTION_ID: "s" }), undefined);
		assert.equal(
			credentialSource({ ARM_SUBSCRIPTION_ID: "s", ARM_CLIENT_ID: "c", ARM_TENANT_ID: "t", ARM_USE_OIDC: "true" }),
			"oidc",
		);
		assert.equal(
			credentialSource({ ARM_SUBSCRIPTION_ID: "s", ARM_CLIENT_ID: "c", ARM_TENANT_ID: "t", ARM_CLIENT_SECRET: "x" }),
			"client-secret",
		);
		assert.equal(credentialSource({ ARM_SUBSCRIPTION_ID: "s", E2E_USE_AZURE_CLI: "1" }), "azure-cli");
		assert.equal(
			credentialSource({ ARM_CLIENT_ID: "c", ARM_TENANT_ID: "t", ARM_USE_OIDC: "true" }),
			undefined,
			"no subscription",
		);
	});

	it("deploys a stack of its own with a configuration the program accepts", () => {
		const s = e2eSettings(
			{ E2E_RESOURCE_GROUP: "rg-shop-dev", E2E_KEEP: "1", ARM_SUBSCRIPTION_ID: "s" },
			new Date("2026-11-30T05:07:00Z"),
			"ab12",
		);
		assert.equal(s.stack, "e2e-202611300507-ab12");
		assert.deepEqual(
			[s.resourceGroup, s.keep, s.backend, s.versions],
			["rg-shop-dev", true, "temporary-file", ["202611300507-a", "202611300507-b"]],
		);
		assert.equal(e2eSettings({ PULUMI_ACCESS_TOKEN: "x" }).backend, "configured");
		const config = e2eConfig(PROJECT, s);
		const raw = projectKeys(config);
		const parsed = parseStackConfig(raw, {
			project: PROJECT,
			stack: s.stack,
			location: config["azure-native:location"],
			defaultAppVersion: "1.0.0",
		});
		assert.deepEqual(
			[
				parsed.environment,
				parsed.images.source,
				parsed.resourceGroup,
				parsed.app.version,
				parsed.cluster.nodePools.map((p) => [p.vmSize, p.minCount, p.maxCount]),
			],
			["dev", "build", "rg-shop-dev", "202611300507-a", [["Standard_D2s_v5", 1, 1]]],
		);
		// With the cluster identities the bootstrap made for the runs (E2E_STACK_IDENTITIES), the stack takes them.
		const id = (name: string) =>
			`/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/rg-shop-cluster-identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
		const identities = { controlPlane: id("shop-e2e-runs-control-plane"), kubelet: id("shop-e2e-runs-kubelet") };
		const withIdentities = e2eSettings({ E2E_STACK_IDENTITIES: JSON.stringify(identities), ARM_SUBSCRIPTION_ID: "s" });
		const taken = parseStackConfig(projectKeys(e2eConfig(PROJECT, withIdentities)), {
			project: PROJECT,
			stack: withIdentities.stack,
			location: "westeurope",
			defaultAppVersion: "1.0.0",
		});
		assert.deepEqual(taken.stackIdentities, identities);
		assert.equal(parsed.stackIdentities, undefined, "without it, the stack makes its own");
		assert.ok(
			parseStackConfig(
				{ ...raw, appVersion: s.versions[1] },
				{ project: PROJECT, stack: s.stack, location: "westeurope", defaultAppVersion: "1" },
			),
		);
	});
});

describe("e2e: what is left in Azure after destroy, read over a loopback ARM", () => {
	const SUB = "11111111-2222-3333-4444-555555555555";
	const reported = aksClusterAsAksReportsIt();
	const cluster = {
		status: 200,
		body: JSON.stringify({
			...reported,
			properties: { ...reported.properties, nodeResourceGroup: "MC_rg-e2e_aks-e2e_westeurope" },
		}),
	};
	const gone = { status: 404, body: '{"error":{"code":"ResourceGroupNotFound","message":"gone"}}' };
	const outputs = { resourceGroupName: "rg-e2e", clusterName: "aks-e2e" };

	it("expects the node group and the stack's own group gone", async () => {
		const srv = await armStandIn([cluster, gone, gone]);
		try {
			const az = armFootprint({ subscriptionId: SUB, stack: "e2e-1", token: async () => "t", armEndpoint: srv.url });
			await az.remember(outputs);
			assert.deepEqual(await az.leftovers(), []);
			assert.deepEqual(
				srv.seen.map((s) => s.url.split("?")[0]),
				[
					`/subscriptions/${SUB}/resourceGroups/rg-e2e/providers/Microsoft.ContainerService/managedClusters/aks-e2e`,
					`/subscriptions/${SUB}/resourceGroups/MC_rg-e2e_aks-e2e_westeurope`,
					`/subscriptions/${SUB}/resourceGroups/rg-e2e`,
				],
			);
		} finally {
			await srv.close();
		}
	});

	it("names a group that outlived destroy, and the stack's resources left in a group it did not make", async () => {
		const left = await armStandIn([cluster, { status: 200, body: "{}" }, { status: 200, body: "{}" }]);
		const shared = await armStandIn([
			cluster,
			gone,
			{
				status: 200,
				body: JSON.stringify({ value: [{ type: "Microsoft.Network/publicIPAddresses", name: "app-https-ip1a2b" }] }),
			},
		]);
		try {
			const az = armFootprint({ subscriptionId: SUB, stack: "e2e-1", token: async () => "t", armEndpoint: left.url });
			await az.remember(outputs);
			assert.deepEqual(await az.leftovers(), ["resource group MC_rg-e2e_aks-e2e_westeurope", "resource group rg-e2e"]);
			const inShared = armFootprint({
				subscriptionId: SUB,
				stack: "e2e-1",
				existingGroup: "rg-shop-dev",
				token: async () => "t",
				armEndpoint: shared.url,
			});
			await inShared.remember({ ...outputs, resourceGroupName: "rg-shop-dev" });
			assert.deepEqual(await inShared.leftovers(), ["Microsoft.Network/publicIPAddresses app-https-ip1a2b"]);
			assert.match(decodeURIComponent(shared.seen[2].url), /resources\?\$filter=tagName eq 'stack' and tagValue eq 'e2e-1'/);
		} finally {
			await left.close();
			await shared.close();
		}
	});
});

describe("e2e: what a cancelled or timed-out run left, swept by the next", () => {
	const now = new Date("2026-11-30T12:00:00Z");
	const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
	const current = e2eSettings({}, now, "beef").stack;
	const lost = e2eSettings({}, new Date("2026-11-29T04:17:00Z"), "0a1b").stack;
	const stacks: ListedStack[] = [
		{ name: lost, lastUpdate: ago(LOST_AFTER_MS + 60_000) },
		{
			name: `acme/aks-acr-app/${e2eSettings({}, new Date("2026-11-22T04:17:00Z"), "77aa").stack}`,
			lastUpdate: ago(7 * 24 * 3600_000),
		},
		{ name: current, lastUpdate: ago(LOST_AFTER_MS * 2) },
		{ name: e2eSettings({}, now, "cafe").stack, lastUpdate: ago(60_000) },
		{ name: e2eSettings({}, now, "d00d").stack, lastUpdate: ago(LOST_AFTER_MS * 2), updateInProgress: true },
		{ name: e2eSettings({}, now, "f00d").stack },
		{ name: "dev", lastUpdate: ago(LOST_AFTER_MS * 10) },
		{ name: "e2e-notes", lastUpdate: ago(LOST_AFTER_MS * 10) },
	];

	it("are e2e-named stacks, not this run's, last updated longer ago than any run lasts (an update still in progress then is lost too); never dev, prod or anything else", () => {
		assert.deepEqual(
			lostStacks(stacks, current, now).map((s) => s.name),
			[lost, stacks[1].name, stacks[4].name],
		);
		assert.ok(LOST_AFTER_MS > 90 * 60_000, "longer than the workflow's timeout");
	});

	/** Azure as the sweep sees it, recording what it was asked; `failing` stacks cannot be cleared. */
	const fakeAzure = (failing: string[] = [], group: "cleared" | "unreachable" | "not the runs'" = "cleared") => {
		const asked: string[] = [];
		const az: SweepAzure = {
			async clearRunGroup() {
				asked.push("run group");
				if (group === "unreachable") throw new Error("ARM answered 503");
				if (group === "not the runs'") throw new NotTheRunsGroup("rg-shop-dev is not tagged purpose=e2e-runs");
				return "emptied";
			},
			async clearStack(name) {
				asked.push(`clear ${name}`);
				if (failing.includes(name)) throw new Error("deleting the cluster failed: 409 Conflict\nmore");
				return `cleared ${name}`;
			},
		};
		return { az, asked };
	};
	const backend = () => {
		const forgotten: string[] = [];
		const done: string[] = [];
		return {
			ws: {
				list: async () => stacks,
				cancel: async (name: string) => void done.push(`cancel ${name}`),
				forget: async (name: string) => {
					forgotten.push(name);
					done.push(`forget ${name}`);
				},
			},
			forgotten,
			done,
		};
	};

	it("clears each lost run through Azure, then forgets its stack (stack rm --force); goes on past one that fails, left for the next run", async () => {
		const { az, asked } = fakeAzure([lost]);
		const { ws, forgotten, done } = backend();
		const lines: string[] = [];
		const result = await sweepLostRuns(ws, az, current, (l) => lines.push(l), now);
		const killed = stacks[4].name;
		assert.deepEqual(result, { forgotten: [stacks[1].name, killed], failed: [lost] });
		assert.deepEqual(forgotten, [stacks[1].name, killed], "a stack leaves the backend only once Azure holds nothing of it");
		assert.deepEqual(
			asked,
			["run group", `clear ${lost}`, `clear ${stacks[1].name}`, `clear ${killed}`],
			"the runs' group first",
		);
		// The update a killed job left holds the stack's lock: cancelled before the stack is removed, and only there.
		assert.deepEqual(done, [`forget ${stacks[1].name}`, `cancel ${killed}`, `forget ${killed}`]);
		assert.ok(lines.some((l) => l.includes(`could not clear ${lost} (deleting the cluster failed: 409 Conflict)`)));
	});

	it("never runs a lost stack's state: the backend it is handed can list, cancel and forget stacks, nothing else", () => {
		// pulumi destroy, refresh or up on a stack this run did not create would load that stack's
		// dynamic providers and exec commands with this job's credentials (the trust issue's path 1).
		// pulumi cancel ends an update in the backend and runs no provider.
		assert.deepEqual(Object.keys(backendWorkspace(ROOT)).sort(), ["cancel", "forget", "list"]);
		const source = fs.readFileSync(path.join(ROOT, "e2e", "automation.ts"), "utf8");
		const backendPart = source.slice(source.indexOf("export function backendWorkspace"));
		assert.match(backendPart, /removeStack\(name, \{ force: true \}\)/);
		assert.match(backendPart, /\)\)\.cancel\(\)/);
		assert.doesNotMatch(backendPart, /\.(destroy|refresh|up|preview)\(/);
	});

	it("forgets no stack when the runs' group could not be emptied, and stops the run when the group is not the runs'", async () => {
		const unreachable = fakeAzure([], "unreachable");
		const first = backend();
		assert.deepEqual(await sweepLostRuns(first.ws, unreachable.az, current, () => {}, now), {
			forgotten: [],
			failed: [lost, stacks[1].name, stacks[4].name],
		});
		assert.deepEqual(first.forgotten, []);
		const notTheRuns = fakeAzure([], "not the runs'");
		const second = backend();
		await assert.rejects(
			sweepLostRuns(second.ws, notTheRuns.az, current, () => {}, now),
			NotTheRunsGroup,
		);
		assert.deepEqual([second.forgotten, notTheRuns.asked], [[], ["run group"]]);
	});

	it("clears Azure even where state died with the job (a temporary file backend)", async () => {
		const { az, asked } = fakeAzure();
		assert.deepEqual(await sweepLostRuns(undefined, az, current, () => {}, now), { forgotten: [], failed: [] });
		assert.deepEqual(asked, ["run group"]);
	});

	it("runs where state outlives the job: the workflow signs in to Pulumi Cloud for it", () => {
		assert.equal(e2eSettings({ PULUMI_ACCESS_TOKEN: "t" }).backend, "configured");
		assert.equal(e2eSettings({}).backend, "temporary-file");
	});
});

describe("e2e: what lost runs left, deleted whole by a loopback ARM (held to resources 2021-04-01, test/contracts/)", () => {
	const SUB = "11111111-2222-3333-4444-555555555555";
	const GROUP = "rg-shop-e2e-runs";
	const stack = e2eSettings({}, new Date("2026-11-30T12:00:00Z"), "beef").stack;
	const lost = e2eSettings({}, new Date("2026-11-29T04:17:00Z"), "0a1b").stack;
	const group = (tags: Record<string, string>) => ({
		status: 200,
		body: JSON.stringify({ id: `/subscriptions/${SUB}/resourceGroups/${GROUP}`, name: GROUP, location: "westeurope", tags }),
	});
	const resources = (...names: string[]) => ({
		status: 200,
		body: JSON.stringify({ value: names.map((n) => ({ id: `/x/${n}`, type: n.split(" ")[0], name: n.split(" ")[1] })) }),
	});
	const sweep = (url: string, runGroup?: string) =>
		armSweep({ subscriptionId: SUB, runGroup, stack, token: async () => "t", armEndpoint: url, retry: fastRetry() });

	it("empties the runs' own group by deploying an empty template in Complete mode, and checks nothing is left", async () => {
		const srv = await armStandIn((req) => {
			const n = srv.seen.length;
			if (req.method === "GET" && req.url.includes("/resources?"))
				return n <= 2
					? resources("Microsoft.ContainerService/managedClusters aks-e2e", "Microsoft.Network/virtualNetworks vnet-e2e")
					: resources();
			if (req.method === "GET" && req.url.startsWith("/operations/"))
				return { status: 200, body: JSON.stringify({ status: "Succeeded" }) };
			if (req.method === "PUT")
				return { status: 201, body: "{}", headers: { "Azure-AsyncOperation": "{self}/operations/sweep-1" } };
			return group({ [RUN_GROUP_TAG.name]: RUN_GROUP_TAG.value });
		});
		try {
			const line = await sweep(srv.url, GROUP).clearRunGroup();
			assert.match(
				line,
				/^emptied resource group rg-shop-e2e-runs of what lost runs left: Microsoft\.ContainerService\/managedClusters aks-e2e, Microsoft\.Network\/virtualNetworks vnet-e2e$/,
			);
			const put = srv.seen.find((r) => r.method === "PUT");
			assert.ok(put);
			assert.equal(
				put.url.split("?")[0],
				`/subscriptions/${SUB}/resourcegroups/${GROUP}/providers/Microsoft.Resources/deployments/${stack}-sweep`,
			);
			const body = JSON.parse(put.body);
			assert.equal(body.properties.mode, "Complete");
			assert.deepEqual(body.properties.template.resources, [], "nothing declared: ARM deletes every resource the group holds");
			assert.deepEqual(
				srv.seen.map((r) => r.method),
				["GET", "GET", "PUT", "GET", "GET"],
				"the group's tag, what it holds, the deployment, its operation, what is left",
			);
		} finally {
			await srv.close();
		}
	});

	it("touches nothing in a group that holds nothing, and refuses a group not tagged as the runs' (dev's, say)", async () => {
		const empty = await armStandIn((req) =>
			req.url.includes("/resources?") ? resources() : group({ [RUN_GROUP_TAG.name]: RUN_GROUP_TAG.value }),
		);
		const devs = await armStandIn([group({ environment: "dev" })]);
		try {
			assert.match(await sweep(empty.url, GROUP).clearRunGroup(), /holds nothing a lost run left/);
			assert.deepEqual(
				empty.seen.map((r) => r.method),
				["GET", "GET"],
			);
			await assert.rejects(
				sweep(devs.url, GROUP).clearRunGroup(),
				(e: unknown) => e instanceof NotTheRunsGroup && /is not tagged purpose=e2e-runs/.test(e.message),
			);
			assert.equal(devs.seen.length, 1, "refused on reading the group: nothing listed, nothing deployed");
		} finally {
			await empty.close();
			await devs.close();
		}
	});

	it("fails when the group still holds something after the deployment, naming it", async () => {
		const srv = await armStandIn((req) => {
			if (req.url.includes("/resources?")) return resources("Microsoft.Network/privateDnsZones privatelink.azurecr.io");
			if (req.method === "PUT") return { status: 200, body: "{}" };
			return group({ [RUN_GROUP_TAG.name]: RUN_GROUP_TAG.value });
		});
		try {
			await assert.rejects(
				sweep(srv.url, GROUP).clearRunGroup(),
				/still holds Microsoft\.Network\/privateDnsZones privatelink\.azurecr\.io/,
			);
		} finally {
			await srv.close();
		}
	});

	it("where each run made its own group, deletes the groups tagged with a lost stack's name, whole, and waits until ARM says they are gone", async () => {
		const srv = await armStandIn((req) => {
			if (req.method === "GET" && req.url.startsWith(`/subscriptions/${SUB}/resourcegroups?`))
				return {
					status: 200,
					body: JSON.stringify({
						value: [{ id: `/subscriptions/${SUB}/resourceGroups/rg9f2`, name: "rg9f2", location: "westeurope" }],
					}),
				};
			if (req.method === "DELETE") return { status: 202, body: "", headers: { Location: "{self}/operationresults/del-1" } };
			const polls = srv.seen.filter((r) => r.url.startsWith("/operationresults/")).length;
			return polls < 2 ? { status: 202, body: "" } : { status: 200, body: "" };
		});
		try {
			const az = sweep(srv.url);
			assert.match(await az.clearRunGroup(), /each run makes its own/);
			assert.equal(await az.clearStack(`acme/shop/${lost}`), `deleted ${lost}'s resource group rg9f2`);
			assert.match(decodeURIComponent(srv.seen[0].url), new RegExp(`\\$filter=tagName eq 'stack' and tagValue eq '${lost}'`));
			assert.deepEqual(
				srv.seen.map((r) => `${r.method} ${r.url.split("?")[0]}`),
				[
					`GET /subscriptions/${SUB}/resourcegroups`,
					`DELETE /subscriptions/${SUB}/resourcegroups/rg9f2`,
					"GET /operationresults/del-1",
					"GET /operationresults/del-1",
				],
			);
			await assert.rejects(az.clearStack(stack), /is not a lost e2e stack/, "never this run's own");
			await assert.rejects(az.clearStack("dev"), /is not a lost e2e stack/);
		} finally {
			await srv.close();
		}
	});
});

describe("e2e: npm run e2e without Azure credentials", () => {
	it("requires what runs the test (and loads the SDK) only past the skip, each a module that is there", () => {
		const source = fs.readFileSync(path.join(ROOT, "scripts", "e2e.ts"), "utf8");
		const late = [...source.matchAll(/require\("([^"]+)"\) as typeof import\("([^"]+)"\)/g)];
		assert.ok(late.length >= 5, "the run's modules are required inside main()");
		for (const [, required, typed] of late) {
			assert.equal(required, typed, "the type is the module's own");
			assert.ok(require.resolve(path.join(ROOT, "scripts", required)), required);
		}
	});

	it("says it skips, naming the variables it looks for, and exits 0 in under 5 s", async () => {
		const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("ARM_") && !k.startsWith("E2E_")));
		const started = Date.now();
		const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
			const child = execFile(
				process.execPath,
				["-r", "tsx/cjs", "scripts/e2e.ts"],
				{ cwd: ROOT, env, timeout: 20_000 },
				(err, _o, e) => resolve({ code: err ? Number(err.code ?? 1) : 0, stderr: e }),
			);
			child.stdin?.end();
		});
		assert.equal(code, 0);
		assert.match(
			stderr,
			/e2e: no Azure credentials: skipped \(looked for ARM_SUBSCRIPTION_ID with ARM_CLIENT_ID and ARM_TENANT_ID/,
		);
		assert.ok(Date.now() - started < 5_000, `${Date.now() - started} ms`);
	});
});
