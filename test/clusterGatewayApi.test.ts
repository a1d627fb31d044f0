import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
	ClusterGatewayApi,
	clusterGatewayApiProvider,
	DISABLED,
	ENABLED,
	GATEWAY_API_VERSION,
	type GatewayApiInputs,
	gatewayApiState,
	withGatewayApi,
} from "../lib/clusterGatewayApi";
import { PROVIDER_KEY } from "../lib/providerCode";
import { allRegistered, mockJwt, PROJECT, ROOT, StackMocks, TENANT_ID } from "../simulator";
import { CLUSTER, cluster, IDENTITY } from "./aksFixtures";
import { armStandIn } from "./armStandIn";
import { execCredential, standInPlugin } from "./credentialPlugins";
import { dynamicProviderHost } from "./engineHost";
import { httpsOverrides } from "./httpsFixtures";
import { type Answer, fastRetry, scriptedServer, virtualRetryClock } from "./loopback";
import { runSerialized } from "./serialized";
import { runStack } from "./stackFixtures";

const TOKEN_SIGNATURE = "ARMTOKENSIGNATURE";
const armPlugin = () =>
	standInPlugin(
		execCredential(
			`${mockJwt({ aud: "https://management.azure.com", tid: TENANT_ID, oid: "d0d0d0d0-0000-4000-8000-000000000001", exp: Math.floor(Date.now() / 1000) + 3600 }).replace(/\.[^.]*$/, "")}.${TOKEN_SIGNATURE}`,
		),
	);
/** One stand-in command for the whole file, as a real stack has one plugin command: its token's expiry is fixed once. */
const ARM_PLUGIN = armPlugin();

const enabledProfile = {
	gatewayAPI: { installation: "Standard" },
	webAppRouting: { gatewayAPIImplementations: { appRoutingIstio: { mode: "Enabled" } } },
};
const ok = (body: unknown): Answer => ({ status: 200, body: JSON.stringify(body) });
/** AKS accepting a cluster PUT: the cluster as it will be, and the operation to follow (the spec's 201 carries the header; AKS sends it with 200 as well). */
const putAccepted: Answer = {
	status: 201,
	body: JSON.stringify({
		...cluster(enabledProfile),
		properties: { ...cluster(enabledProfile).properties, provisioningState: "Updating" },
	}),
	headers: { "Azure-AsyncOperation": `{self}/operations/op-9?api-version=${GATEWAY_API_VERSION}` },
};
/** AKS refusing the first write as given, then, read again (a new eTag), taking the second. */
const refusedOnce = (refusal: Answer): Answer[] => [
	ok(cluster(undefined, "e1")),
	refusal,
	ok(cluster(undefined, "e2")),
	putAccepted,
	ok({ status: "Succeeded" }),
];
const inputs = (arm: string, over: Partial<GatewayApiInputs> = {}): GatewayApiInputs => ({
	clusterId: CLUSTER,
	clusterGeneration: "g1",
	credential: ARM_PLUGIN,
	armEndpoint: arm,
	retry: fastRetry(),
	...over,
});

describe("ClusterGatewayApi: the managed Gateway API switches, against a loopback ARM", () => {
	it("writes the cluster back with both switches on, keeping everything else and dropping what AKS only reports", () => {
		const body = withGatewayApi(cluster({ webAppRouting: { enabled: true, dnsZoneResourceIds: ["z"] } }), ENABLED);
		assert.deepEqual(body.properties.ingressProfile, {
			gatewayAPI: { installation: "Standard" },
			webAppRouting: {
				enabled: true,
				dnsZoneResourceIds: ["z"],
				gatewayAPIImplementations: { appRoutingIstio: { mode: "Enabled" } },
			},
		});
		assert.deepEqual(body.properties.agentPoolProfiles, [
			{ name: "system", count: 3, vmSize: "Standard_D4s_v5", mode: "System" },
		]);
		assert.deepEqual(body.properties.networkProfile.loadBalancerProfile, { managedOutboundIPs: { count: 1 } });
		assert.deepEqual(body.identity, { type: "UserAssigned", userAssignedIdentities: { [IDENTITY]: {} } });
		assert.deepEqual(body.properties.oidcIssuerProfile, { enabled: true });
		assert.deepEqual(body.properties.addonProfiles.azureKeyvaultSecretsProvider, {
			enabled: true,
			config: { enableSecretRotation: "true", rotationPollInterval: "2m" },
		});
		for (const k of [
			"provisioningState",
			"powerState",
			"fqdn",
			"azurePortalFQDN",
			"maxAgentPools",
			"resourceUID",
			"currentKubernetesVersion",
		])
			assert.equal(k in body.properties, false, k);
		for (const k of ["id", "name", "type", "systemData", "eTag"]) assert.equal(k in body, false, k);
		assert.equal(body.location, "westeurope");
		assert.deepEqual(gatewayApiState(body), ENABLED);
		assert.deepEqual(gatewayApiState(cluster()), DISABLED);
	});

	it("writes with the eTag it read as If-Match, so a change it did not see is never overwritten", async () => {
		const srv = await armStandIn([ok(cluster(undefined, '"etag-7"')), putAccepted, ok({ status: "Succeeded" })]);
		try {
			await clusterGatewayApiProvider.create(inputs(srv.url));
			assert.equal(srv.seen[1].method, "PUT");
			assert.equal(srv.seen[1].headers["if-match"], '"etag-7"');
		} finally {
			await srv.close();
		}
	});

	it("waits out AKS's 409 for another operation in progress (a pool being added): reads the cluster again and writes with its new eTag", async () => {
		const busy: Answer = {
			status: 409,
			body: JSON.stringify({
				error: {
					code: "OperationNotAllowed",
					message:
						"Operation is not allowed: Another agentpool operation (user - Creating) is in progress, please wait for it to finish before starting a new operation. See https://aka.ms/aks-pending-operation for more details",
				},
			}),
		};
		const srv = await armStandIn(refusedOnce(busy));
		try {
			const result = await clusterGatewayApiProvider.create(inputs(srv.url));
			assert.deepEqual(
				srv.seen.map((r) => [r.method, r.headers["if-match"]]),
				[
					["GET", undefined],
					["PUT", "e1"],
					["GET", undefined],
					["PUT", "e2"],
					["GET", undefined],
				],
			);
			assert.equal(result.outs?.requests, 5);
		} finally {
			await srv.close();
		}
	});

	it("reads again after 412 (the cluster changed between read and write), and gives up within its budget when AKS stays busy", async () => {
		const stale: Answer = { status: 412, body: '{"error":{"code":"PreconditionFailed","message":"eTag mismatch"}}' };
		const srv = await armStandIn(refusedOnce(stale));
		const stuck = await armStandIn((req) =>
			req.method === "GET"
				? ok(cluster())
				: {
						status: 409,
						body: '{"error":{"code":"OperationNotAllowed","message":"Another operation (Upgrading) is in progress"}}',
					},
		);
		try {
			await clusterGatewayApiProvider.create(inputs(srv.url));
			assert.deepEqual(
				srv.seen.filter((r) => r.method === "PUT").map((r) => r.headers["if-match"]),
				["e1", "e2"],
			);
			const started = Date.now();
			await assert.rejects(
				clusterGatewayApiProvider.create(inputs(stuck.url, { retry: fastRetry(400) })),
				/gave up after .*OperationNotAllowed: Another operation \(Upgrading\) is in progress/,
			);
			assert.ok(Date.now() - started < 3_000);
		} finally {
			await srv.close();
			await stuck.close();
		}
	});

	it("fails at once, with ARM's message, on any other 409", async () => {
		const srv = await armStandIn([
			ok(cluster()),
			{ status: 409, body: '{"error":{"code":"IstioAndAppRoutingConflict","message":"disable the Istio add-on first"}}' },
		]);
		try {
			await assert.rejects(
				clusterGatewayApiProvider.create(inputs(srv.url)),
				/refused it with 409 IstioAndAppRoutingConflict: disable the Istio add-on first/,
			);
			assert.equal(srv.seen.length, 2, "no second read or write");
		} finally {
			await srv.close();
		}
	});

	it("enables: GET, PUT at the 2026-04-01 API, follows AKS's operation until it succeeds, and keeps no token", async () => {
		const srv = await armStandIn([ok(cluster()), putAccepted, ok({ status: "InProgress" }), ok({ status: "Succeeded" })]);
		try {
			const given = inputs(srv.url);
			const result = await clusterGatewayApiProvider.create(given);
			const outs = result.outs;
			assert.ok(outs);
			assert.equal(result.id, `${CLUSTER}/gatewayApi`);
			assert.deepEqual([outs.installation, outs.appRoutingIstio, outs.requests], ["Standard", "Enabled", 4]);
			const [get, put, ...polls] = srv.seen;
			assert.deepEqual([get.method, get.url], ["GET", `${CLUSTER}?api-version=${GATEWAY_API_VERSION}`]);
			assert.deepEqual([put.method, put.url], ["PUT", `${CLUSTER}?api-version=${GATEWAY_API_VERSION}`]);
			assert.deepEqual(gatewayApiState(JSON.parse(put.body)), ENABLED);
			assert.equal(
				JSON.parse(put.body).properties.kubernetesVersion,
				"1.35",
				"the rest of the cluster is written back as it was",
			);
			assert.deepEqual(
				polls.map((p) => p.method),
				["GET", "GET"],
			);
			assert.match(String(put.headers.authorization), new RegExp(`\\.${TOKEN_SIGNATURE}$`));
			// State keeps the plugin's command line (for refresh), which runs anew each time; the stand-in
			// used here prints a fixed token, the real plugin holds none. Nothing the plugin printed is kept.
			assert.deepEqual(outs.credential, given.credential);
			assert.ok(!JSON.stringify({ ...outs, credential: undefined }).includes(TOKEN_SIGNATURE), "no token in what goes to state");
		} finally {
			await srv.close();
		}
	});

	it("writes nothing when the cluster already has both switches (a second up, or az aks update did it)", async () => {
		const srv = await armStandIn([ok(cluster(enabledProfile))]);
		try {
			const result = await clusterGatewayApiProvider.create(inputs(srv.url));
			assert.equal(result.outs?.requests, 1);
			assert.deepEqual(
				srv.seen.map((s) => s.method),
				["GET"],
			);
		} finally {
			await srv.close();
		}
	});

	it("surfaces ARM's refusal, and an operation that fails, with ARM's own message", async () => {
		const refused = await armStandIn([
			ok(cluster()),
			{ status: 400, body: '{"error":{"code":"BadRequest","message":"Gateway API needs Kubernetes 1.31 or later"}}' },
		]);
		const failed = await armStandIn([
			ok(cluster()),
			putAccepted,
			ok({ status: "Failed", error: { code: "IstioInstallFailed", message: "istiod did not become ready" } }),
		]);
		try {
			await assert.rejects(
				clusterGatewayApiProvider.create(inputs(refused.url)),
				/refused it with 400 BadRequest: Gateway API needs Kubernetes 1\.31 or later/,
			);
			await assert.rejects(
				clusterGatewayApiProvider.create(inputs(failed.url)),
				/ended Failed: IstioInstallFailed: istiod did not become ready/,
			);
		} finally {
			await refused.close();
			await failed.close();
		}
	});

	it("gives up on an operation that never finishes, within its budget", async () => {
		// Answered by request, not in order: when the operation's wait ends inside the overall budget,
		// the provider reads the cluster and writes again, and ARM would answer those as it did before.
		const srv = await armStandIn((req) =>
			req.method === "PUT" ? putAccepted : req.url.includes("/operations/") ? ok({ status: "InProgress" }) : ok(cluster()),
		);
		try {
			const started = Date.now();
			await assert.rejects(
				clusterGatewayApiProvider.create(inputs(srv.url, { retry: fastRetry(500) })),
				/waiting for ARM's operation/,
			);
			assert.ok(Date.now() - started < 3_000);
		} finally {
			await srv.close();
		}
	});

	it("when the operation's wait ends inside the overall budget, reads the cluster and writes again, and gives up within that budget (virtual time)", async () => {
		// Requests take no virtual time: the operation's wait (begun after the read and the write)
		// always ends with room left in the overall budget, which a fast machine sees at times.
		const clock = virtualRetryClock();
		const srv = await armStandIn((req) =>
			req.method === "PUT" ? putAccepted : req.url.includes("/operations/") ? ok({ status: "InProgress" }) : ok(cluster()),
		);
		try {
			await assert.rejects(
				clusterGatewayApiProvider.create(inputs(srv.url, { retry: { ...fastRetry(500), ...clock } })),
				/waiting for ARM's operation/,
			);
			const writes = srv.seen.filter((r) => r.method === "PUT").length;
			assert.ok(writes >= 2, `${writes} write(s)`);
			assert.ok(clock.now() <= 500, `${clock.now()} ms of virtual time, in a budget of 500`);
		} finally {
			await srv.close();
		}
	});

	it("reads what the cluster has, so a refresh after someone switched it off shows a change to repair", async () => {
		const srv = await armStandIn([ok(cluster({ gatewayAPI: { installation: "Disabled" } }))]);
		try {
			const outs = {
				clusterId: CLUSTER,
				clusterGeneration: "g1",
				credential: ARM_PLUGIN,
				armEndpoint: srv.url,
				...ENABLED,
				requests: 4,
			};
			const read = await clusterGatewayApiProvider.read?.(`${CLUSTER}/gatewayApi`, outs);
			const props = read?.props;
			assert.ok(props);
			assert.deepEqual([props.installation, props.appRoutingIstio], ["Disabled", "Disabled"]);
			const diff = await clusterGatewayApiProvider.diff?.(`${CLUSTER}/gatewayApi`, props, inputs(srv.url));
			assert.equal(diff?.changes, true);
			const same = await clusterGatewayApiProvider.diff?.(`${CLUSTER}/gatewayApi`, outs, inputs(srv.url));
			assert.equal(same?.changes, false, "nothing to do when the cluster has both and azure-native wrote nothing");
			const rewritten = await clusterGatewayApiProvider.diff?.(
				`${CLUSTER}/gatewayApi`,
				outs,
				inputs(srv.url, { clusterGeneration: "g2" }),
			);
			assert.deepEqual(
				[rewritten?.changes, rewritten?.replaces],
				[true, []],
				"after azure-native writes the cluster, write the switches again",
			);
		} finally {
			await srv.close();
		}
	});

	it("leaves both on at delete: switching Gateway API off would remove every Gateway and HTTPRoute in the cluster, other stacks' too", async () => {
		const srv = await armStandIn([ok(cluster(enabledProfile)), putAccepted, ok({ status: "Succeeded" })]);
		try {
			await clusterGatewayApiProvider.delete?.(`${CLUSTER}/gatewayApi`, { ...inputs(srv.url), ...ENABLED, requests: 1 });
			assert.deepEqual(srv.seen, [], "no request: nothing written, nothing read");
		} finally {
			await srv.close();
		}
	});
});

describe("ClusterGatewayApi from its serialized form (as the Pulumi host loads it)", () => {
	let provider: string;
	before(async () => {
		const mocks = new StackMocks();
		mocks.install(PROJECT, "prod", true);
		new ClusterGatewayApi("gateway-api", { clusterId: CLUSTER, clusterGeneration: "g1", credential: armPlugin() });
		await allRegistered();
		provider = mocks.one("pulumi-nodejs:dynamic:Resource", "gateway-api").plain.__provider;
		assert.match(provider, /^exports\.handler = /);
	});

	it("enables, and leaves it on at delete, in a fresh process", async () => {
		const srv = await armStandIn([ok(cluster()), putAccepted, ok({ status: "Succeeded" })]);
		try {
			const created = await runSerialized(provider, "create", [{ ...inputs(srv.url), retry: fastRetry() }]);
			assert.equal(created.error, undefined);
			assert.deepEqual([created.ok.outs.installation, created.ok.outs.appRoutingIstio], ["Standard", "Enabled"]);
			assert.deepEqual(gatewayApiState(JSON.parse(srv.seen[1].body)), ENABLED);
		} finally {
			await srv.close();
		}
		const again = await armStandIn([ok(cluster(enabledProfile)), putAccepted, ok({ status: "Succeeded" })]);
		try {
			const deleted = await runSerialized(provider, "delete", [`${CLUSTER}/gatewayApi`, { ...inputs(again.url), ...ENABLED }]);
			assert.equal(deleted.error, undefined);
			assert.deepEqual(again.seen, []);
		} finally {
			await again.close();
		}
	});
});

describe("ClusterGatewayApi through Pulumi's dynamic-provider host, in the engine's order", function () {
	this.timeout(30_000);
	let current: string;
	before(async () => {
		const mocks = new StackMocks();
		mocks.install(PROJECT, "prod", true);
		new ClusterGatewayApi("gateway-api", { clusterId: CLUSTER, clusterGeneration: "g1", credential: armPlugin() });
		await allRegistered();
		current = mocks.one("pulumi-nodejs:dynamic:Resource", "gateway-api").plain.__provider;
	});

	it("an upgrade of the template stores the new provider, so refresh and destroy run it, not the code of the release that created it", async () => {
		// The release before wrote at another API version; the one now at GATEWAY_API_VERSION.
		const previous = current.replaceAll(GATEWAY_API_VERSION, "2026-02-01");
		assert.notEqual(previous, current);
		const srv = await scriptedServer((req) =>
			req.method === "PUT"
				? putAccepted
				: req.url.includes("/operations/")
					? ok({ status: "Succeeded" })
					: ok(cluster(enabledProfile)),
		);
		const host = await dynamicProviderHost();
		// One credential command for the whole lifecycle (the stand-in plugin's embeds a token's expiry).
		const given = inputs(srv.url);
		const declared = (provider: string) => ({ ...given, [PROVIDER_KEY]: provider });
		try {
			let state = await host.up(undefined, declared(previous));
			assert.equal(state.step, "create");
			state = await host.up(state, declared(previous));
			assert.equal(state.step, "same", "a repeated up with nothing changed changes nothing");
			assert.equal(await host.preview(state, declared(current)), "update", "the preview shows the upgrade");
			state = await host.up(state, declared(current));
			assert.equal(state.step, "update");
			assert.equal(state.outputs[PROVIDER_KEY], current, "the new code is what state keeps");
			const seenBefore = srv.seen.length;
			const refreshed = await host.refresh(state);
			assert.ok(refreshed);
			assert.equal(refreshed.changed, false, "the refresh's diff (with the provider in the old inputs) finds no drift");
			await host.destroy(refreshed);
			const after = srv.seen.slice(seenBefore).filter((r) => r.url.includes("managedClusters"));
			assert.ok(after.length >= 1, "refresh read (destroy leaves the switches on)");
			for (const r of after) assert.match(r.url, new RegExp(`api-version=${GATEWAY_API_VERSION}$`), `${r.method} ${r.url}`);
		} finally {
			host.close();
			await srv.close();
		}
	});

	it("a new credential command is a change too (refresh and destroy run it)", async () => {
		const srv = await scriptedServer([ok(cluster(enabledProfile))]);
		const host = await dynamicProviderHost();
		try {
			const given = inputs(srv.url);
			const state = await host.up(undefined, { ...given, [PROVIDER_KEY]: current });
			assert.equal(await host.preview(state, { ...given, [PROVIDER_KEY]: current }), "same");
			const other = { ...given, credential: { ...given.credential, args: [...given.credential.args, "--another"] } };
			assert.equal(await host.preview(state, { ...other, [PROVIDER_KEY]: current }), "update");
		} finally {
			host.close();
			await srv.close();
		}
	});
});

describe("ClusterGatewayApi: two writers on one cluster until azure-native's can say it", () => {
	it("writes the switches again after every write azure-native makes of the cluster, and only then", async () => {
		const generation = async (overrides: Record<string, string>) => {
			const { mocks } = await runStack({ stack: "prod", overrides: { ...httpsOverrides(true), ...overrides } });
			return String(mocks.one("pulumi-nodejs:dynamic:Resource", "cluster-gateway-api").plain.clusterGeneration);
		};
		const now = await generation({});
		const clusterWrite = await generation({ [`${PROJECT}:apiServerAuthorizedIpRanges`]: '["203.0.113.0/24"]' });
		const appOnly = await generation({ [`${PROJECT}:appReplicas`]: "3" });
		assert.notEqual(clusterWrite, now, "a change azure-native writes to the cluster moves the generation");
		assert.equal(appOnly, now, "a change elsewhere does not");
		const state = { ...inputs("http://127.0.0.1:1"), clusterGeneration: now, ...ENABLED, requests: 0 };
		const diff = (gen: string) =>
			clusterGatewayApiProvider.diff?.(`${CLUSTER}/gatewayApi`, state, {
				...inputs("http://127.0.0.1:1"),
				clusterGeneration: gen,
			});
		assert.equal((await diff(clusterWrite))?.changes, true, "so the switch writes again after it");
		assert.equal((await diff(now))?.changes, false);
	});

	it("fails once the installed azure-native's default ManagedCluster can declare the managed Gateway API: then one writer", () => {
		const sdk = path.join(ROOT, "node_modules", "@pulumi", "azure-native");
		const types = fs.readFileSync(path.join(sdk, "types", "input.d.ts"), "utf8");
		const ingress = /interface ManagedClusterIngressProfileArgs \{([\s\S]*?)\n {4}\}/.exec(types)?.[1] ?? "";
		assert.ok(ingress.includes("webAppRouting?"), "found the cluster's ingress profile type");
		assert.doesNotMatch(
			ingress,
			/gatewayAPI\?/,
			"azure-native's ManagedCluster now declares ingressProfile.gatewayAPI: declare the switches on the cluster and retire ClusterGatewayApi (docs/decisions/0001-gateway-api-on-aks.md)",
		);
		const cluster = fs.readFileSync(path.join(sdk, "containerservice", "managedCluster.d.ts"), "utf8");
		assert.match(cluster, /Uses Azure REST API version 2025-09-01\./, "the version the decision record was written against");
	});
});
