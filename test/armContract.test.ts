import * as assert from "node:assert/strict";
import { ENABLED, GATEWAY_API_VERSION, NOT_WRITTEN_BACK, withGatewayApi } from "../lib/clusterGatewayApi";
import { httpRequest } from "../lib/http";
import { IMPORT_API_VERSION, importRequestBody } from "../lib/imageImport";
import { SUBSCRIPTION_ID } from "../simulator";
import { aksClusterAsAksReportsIt } from "./aksFixtures";
import { armStandIn } from "./armStandIn";
import { CONTRACT_SOURCES, requestProblems, responseProblems } from "./contracts/armContract";

const CLUSTER = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/rg-shop/providers/Microsoft.ContainerService/managedClusters/shop-aks`;
const REGISTRY = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/rg-shop/providers/Microsoft.ContainerRegistry/registries/shopprod`;
const clusterUrl = `${CLUSTER}?api-version=${GATEWAY_API_VERSION}`;
const importUrl = `${REGISTRY}/importImage?api-version=${IMPORT_API_VERSION}`;
const put = (body: unknown, headers: Record<string, string> = {}) =>
	requestProblems("PUT", clusterUrl, headers, JSON.stringify(body));

describe("Azure's published contract (test/contracts/, from Azure/azure-rest-api-specs)", () => {
	it("is pinned: every vendored document names the repository, path and commit it came from", () => {
		assert.equal(CONTRACT_SOURCES.length, 4);
		for (const s of CONTRACT_SOURCES) {
			assert.equal(s.repository, "Azure/azure-rest-api-specs");
			assert.match(s.path, /^specification\/.+\.json$/);
			assert.match(s.commit, /^[0-9a-f]{40}$/);
		}
	});

	it("accepts what the program sends: the Gateway API write-back of a cluster as AKS reports it, with If-Match, and the image import", () => {
		const reported = aksClusterAsAksReportsIt();
		assert.deepEqual(
			responseProblems("GET", clusterUrl, 200, JSON.stringify(reported)),
			[],
			"the fixture is an answer AKS could give",
		);
		assert.deepEqual(put(withGatewayApi(reported, ENABLED), { "if-match": "etag-1" }), []);
		const body = importRequestBody({
			sourceRegistryId: REGISTRY,
			sourceImage: `app@sha256:${"a".repeat(64)}`,
			targetTags: ["app:1.2.3"],
		});
		assert.deepEqual(requestProblems("POST", importUrl, {}, JSON.stringify(body)), []);
	});

	it("refuses read-only properties sent back: the GET body as it came, which the write once sent nearly whole", () => {
		const problems = put(aksClusterAsAksReportsIt());
		for (const p of [
			"/eTag: read-only",
			"/id: read-only",
			"/identity/userAssignedIdentities/",
			"/properties/provisioningState: read-only",
			"/properties/oidcIssuerProfile/issuerURL: read-only",
			"/properties/addonProfiles/azureKeyvaultSecretsProvider/identity: read-only",
			"/properties/agentPoolProfiles/0/currentOrchestratorVersion: read-only",
			"/properties/networkProfile/loadBalancerProfile/effectiveOutboundIPs: read-only",
		])
			assert.ok(
				problems.some((q) => q.includes(p)),
				`${p} in ${problems.join("\n")}`,
			);
	});

	it("refuses an unknown property, a value outside an enum, and a missing required one, naming where", () => {
		const body = withGatewayApi(aksClusterAsAksReportsIt(), ENABLED);
		body.properties.ingressProfile.webAppRouting.nginxx = { defaultIngressControllerType: "None" };
		body.properties.ingressProfile.gatewayAPI.installation = "Enabled";
		delete body.location;
		const problems = put(body);
		assert.ok(
			problems.some((p) => p.includes('/properties/ingressProfile/webAppRouting: unknown property "nginxx"')),
			problems.join("\n"),
		);
		assert.ok(
			problems.some((p) =>
				p.includes('/properties/ingressProfile/gatewayAPI/installation: "Enabled" is not one of ["Disabled","Standard"]'),
			),
		);
		assert.ok(problems.some((p) => p.includes("must have required property 'location'")));
		assert.match(
			requestProblems("POST", importUrl, {}, JSON.stringify({ targetTags: ["app:1"], mode: "Overwrite" })).join("\n"),
			/must have required property 'source'[\s\S]*"Overwrite" is not one of \["NoForce","Force"\]/,
		);
	});

	it("refuses an operation or api-version the specs do not have, and a definition the excerpt leaves out names itself", () => {
		assert.match(
			requestProblems("PUT", `${CLUSTER}?api-version=2025-09-01`, {}, "{}").join(),
			/api-version 2025-09-01 is not the contract's 2026-04-01/,
		);
		assert.match(
			requestProblems("POST", `${CLUSTER}/stop?api-version=${GATEWAY_API_VERSION}`, {}, "").join(),
			/no such operation in the vendored specs/,
		);
		const body = withGatewayApi(aksClusterAsAksReportsIt(), ENABLED);
		body.properties.serviceMeshProfile = { mode: "Istio" };
		assert.match(
			put(body).join(),
			/serviceMeshProfile: not vendored: ServiceMeshProfile \(add it from specification\/containerservice/,
		);
	});

	it("drops everything the spec marks read-only that AKS's GET carries, and nodeImageVersion, which 2026-04-01 makes writable and a rollback", () => {
		// NOT_WRITTEN_BACK is the product's own list; the spec is the judge of it (see above).
		assert.ok(NOT_WRITTEN_BACK.includes("properties.agentPoolProfiles.*.nodeImageVersion"));
		const body = withGatewayApi(aksClusterAsAksReportsIt(), ENABLED);
		assert.equal("nodeImageVersion" in body.properties.agentPoolProfiles[0], false);
	});

	it("a stand-in holds requests and its own answers to it: ARM's 400 for what Azure would refuse, and a note for an answer AKS could not give", async () => {
		const srv = await armStandIn([{ status: 200, body: JSON.stringify({ name: "no location" }) }]);
		try {
			const refused = await httpRequest({
				url: `${srv.url}${clusterUrl}`,
				method: "PUT",
				body: JSON.stringify({ location: "x", eTag: "e" }),
			});
			assert.equal(refused.status, 400);
			assert.match(refused.body, /InvalidRequestContent.*\/eTag: read-only/);
			await httpRequest({ url: `${srv.url}${clusterUrl}` });
			assert.match(srv.violations.join("\n"), /the stand-in's answer to GET .*must have required property 'location'/);
		} finally {
			await assert.rejects(srv.close(), /outside Azure's published contract/);
		}
	});
});
