import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { currentRuleTable } from "../offline/policyTable";
import { type EvaluatedResource, evaluate, type Finding } from "../policy/evaluate";
import { resourceRules, stackRules } from "../policy/policies";
import { appliesTo, EXEMPTION_SCHEMA } from "../policy/rule";
import { withRuleTable } from "../policy/ruleTable";
import { policyInputs, ROOT } from "../simulator";
import { httpsOverrides } from "./httpsFixtures";
import { runStack } from "./stackFixtures";

type Mutate = (props: any) => void;
const T = {
	registry: "azure-native:containerregistry:Registry",
	cluster: "azure-native:containerservice:ManagedCluster",
	pool: "azure-native:containerservice:AgentPool",
	role: "azure-native:authorization:RoleAssignment",
	deployment: "kubernetes:apps/v1:Deployment",
	pod: "kubernetes:core/v1:Pod",
	service: "kubernetes:core/v1:Service",
	pdb: "kubernetes:policy/v1:PodDisruptionBudget",
	netpol: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
	hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
	endpoint: "azure-native:network:PrivateEndpoint",
	zoneGroup: "azure-native:network:PrivateDnsZoneGroup",
	zoneLink: "azure-native:privatedns:VirtualNetworkLink",
};

let prod: EvaluatedResource[];
let dev: EvaluatedResource[];
/** Prod served at a hostname through a Gateway. */
let prodHttps: EvaluatedResource[];
/** The resource of a type the checks below break: the only one, or the first service's (`app-…`) where a fork releases more. */
const one = (rs: EvaluatedResource[], type: string) => {
	const found = rs.filter((r) => r.type === type);
	const first = found.length > 1 ? found.filter((r) => r.name.startsWith("app-")) : found;
	assert.equal(first.length, 1, type);
	return first[0];
};
/** A copy of the stack with one resource's inputs and outputs changed. */
function mutated(rs: EvaluatedResource[], type: string, change: Mutate): EvaluatedResource[] {
	const target = one(rs, type);
	return rs.map((r) => {
		if (r !== target) return r;
		const copy = structuredClone({ ...r, inputs: r.inputs, outputs: r.outputs });
		change(copy.inputs);
		change(copy.outputs);
		return copy;
	});
}
const container = (p: any) => (p.spec.template?.spec ?? p.spec).containers[0];
const findingsOf = (fs: Finding[], policy: string) => fs.filter((f) => f.policy === policy);

/** A registry and a cluster that pass every rule, advisory ones included (prod plus the paid extras). */
const hardenAdvisories = (rs: EvaluatedResource[]) =>
	mutated(
		mutated(rs, T.registry, (p) => {
			p.publicNetworkAccess = "Disabled";
		}),
		T.cluster,
		(p) => {
			p.apiServerAccessProfile = { authorizedIPRanges: ["203.0.113.0/24"] };
		},
	);

describe("policy pack", () => {
	before(async () => {
		const [p, d] = [await runStack({ stack: "prod" }), await runStack({ stack: "dev" })];
		prod = policyInputs(p.mocks);
		dev = policyInputs(d.mocks);
		const h = await runStack({ stack: "prod", overrides: httpsOverrides() });
		prodHttps = policyInputs(h.mocks);
	});

	describe("every resource rule passes a compliant input and fails a broken one", () => {
		const cases: Record<string, { type: string; break: Mutate }> = {
			"acr-admin-user-disabled": { type: T.registry, break: (p) => (p.adminUserEnabled = true) },
			"acr-anonymous-pull-disabled": { type: T.registry, break: (p) => (p.anonymousPullEnabled = true) },
			"acr-public-network-access-disabled": { type: T.registry, break: (p) => (p.publicNetworkAccess = "Enabled") },
			"acr-untagged-manifest-retention": { type: T.registry, break: (p) => delete p.policies },
			"acr-zone-redundancy": { type: T.registry, break: (p) => (p.zoneRedundancy = "Disabled") },
			"aks-kubernetes-rbac": { type: T.cluster, break: (p) => (p.enableRBAC = false) },
			"aks-entra-id-azure-rbac": { type: T.cluster, break: (p) => (p.aadProfile.enableAzureRBAC = false) },
			"aks-local-accounts-disabled": { type: T.cluster, break: (p) => (p.disableLocalAccounts = false) },
			"aks-managed-identity": {
				type: T.cluster,
				break: (p) => {
					delete p.identity;
					p.servicePrincipalProfile = { clientId: "x", secret: "s" };
				},
			},
			"aks-network-policy": { type: T.cluster, break: (p) => (p.networkProfile.networkPolicy = "none") },
			"aks-monitoring": { type: T.cluster, break: (p) => (p.addonProfiles = {}) },
			"aks-api-server-access-restricted": { type: T.cluster, break: (p) => delete p.apiServerAccessProfile },
			"aks-no-node-public-ip": { type: T.pool, break: (p) => (p.enableNodePublicIP = true) },
			"aks-max-pods": { type: T.pool, break: (p) => (p.maxPods = 30) },
			"aks-paid-sku-tier": { type: T.cluster, break: (p) => (p.sku.tier = "Free") },
			"aks-auto-upgrade-channel": { type: T.cluster, break: (p) => (p.autoUpgradeProfile = { upgradeChannel: "none" }) },
			"aks-system-pool-critical-addons-only": { type: T.cluster, break: (p) => (p.agentPoolProfiles[0].nodeTaints = []) },
			"k8s-liveness-probe": { type: T.deployment, break: (p) => delete container(p).livenessProbe },
			"k8s-readiness-probe": { type: T.deployment, break: (p) => delete container(p).readinessProbe },
			"k8s-requests-and-limits": { type: T.deployment, break: (p) => delete container(p).resources.limits.memory },
			"k8s-image-pinned-by-digest": { type: T.deployment, break: (p) => (container(p).image = "myreg.azurecr.io/app:1.0.0") },
			"k8s-no-privileged": { type: T.deployment, break: (p) => (container(p).securityContext.privileged = true) },
			"k8s-no-host-namespaces": { type: T.deployment, break: (p) => (p.spec.template.spec.hostNetwork = true) },
			"k8s-no-privilege-escalation": {
				type: T.deployment,
				break: (p) => (container(p).securityContext.allowPrivilegeEscalation = true),
			},
			"k8s-not-default-namespace": { type: T.service, break: (p) => delete p.metadata.namespace },
			"k8s-read-only-root-filesystem": {
				type: T.deployment,
				break: (p) => (container(p).securityContext.readOnlyRootFilesystem = false),
			},
			"k8s-non-root-high-uid": {
				type: T.deployment,
				break: (p) => {
					container(p).securityContext.runAsUser = 1000;
					p.spec.template.spec.securityContext.runAsUser = 1000;
				},
			},
			"k8s-drop-all-capabilities": {
				type: T.deployment,
				break: (p) => (container(p).securityContext.capabilities = { drop: ["ALL"], add: ["SYS_ADMIN"] }),
			},
			"k8s-seccomp-runtime-default": {
				type: T.deployment,
				break: (p) => (p.spec.template.spec.securityContext.seccompProfile = { type: "Unconfined" }),
			},
			"k8s-no-service-account-token": {
				type: T.deployment,
				break: (p) => (p.spec.template.spec.automountServiceAccountToken = true),
			},
		};

		it("has a case for every rule", () => {
			assert.deepEqual(Object.keys(cases).sort(), resourceRules.map((r) => r.name).sort());
		});

		for (const rule of resourceRules) {
			it(`${rule.name} [${rule.catalog.join(", ")}] (${rule.level})`, async () => {
				const c = cases[rule.name];
				assert.ok(appliesTo(rule, c.type), `${rule.name} reads ${c.type}`);
				const base = hardenAdvisories(prod);
				assert.deepEqual(findingsOf(await evaluate(base), rule.name), [], "the compliant input passes");
				const broken = mutated(base, c.type, c.break);
				const found = findingsOf(await evaluate(broken), rule.name);
				assert.ok(found.length >= 1, "the broken input fails");
				const target = one(broken, c.type);
				for (const f of found) {
					assert.equal(f.level, rule.level);
					assert.equal(f.resource, `${c.type}::${target.name}`);
					assert.ok(f.message.includes(`"${target.name}"`), `names the resource: ${f.message}`);
					for (const id of rule.catalog) assert.ok(f.message.includes(id), `names ${id}: ${f.message}`);
				}
			});
		}

		it("reads pods of any workload kind, and separate AgentPool resources", async () => {
			const pod: EvaluatedResource = {
				type: T.pod,
				name: "debug",
				urn: "urn:pulumi:prod::p::kubernetes:core/v1:Pod::debug",
				inputs: {
					metadata: { name: "debug", namespace: "app" },
					spec: { containers: [{ name: "sh", image: "busybox:latest", securityContext: { privileged: true } }] },
				},
				outputs: {},
			};
			const pool: EvaluatedResource = {
				type: T.pool,
				name: "gpu",
				urn: "urn:pulumi:prod::p::azure-native:containerservice:AgentPool::gpu",
				inputs: { agentPoolName: "gpu", mode: "User", enableNodePublicIP: true, maxPods: 20 },
				outputs: {},
			};
			const found = await evaluate([pod, pool]);
			const policiesHit = new Set(found.map((f) => f.policy));
			for (const p of [
				"k8s-no-privileged",
				"k8s-image-pinned-by-digest",
				"k8s-liveness-probe",
				"k8s-non-root-high-uid",
				"aks-no-node-public-ip",
				"aks-max-pods",
			]) {
				assert.ok(policiesHit.has(p), p);
			}
			assert.ok(found.some((f) => /busybox:latest uses the latest tag/.test(f.message)));
		});

		it("an exemption silences a rule only with a recorded justification and approver", async () => {
			const broken = mutated(prod, T.registry, (p) => (p.adminUserEnabled = true));
			const exempted = await evaluate(broken, {
				"acr-admin-user-disabled": {
					exemption: { justification: "Legacy CI system cannot use Entra tokens until Q3", approvedBy: "security@contoso" },
				},
			});
			assert.deepEqual(findingsOf(exempted, "acr-admin-user-disabled"), []);
			const schema = EXEMPTION_SCHEMA.properties.exemption;
			assert.deepEqual([...schema.required], ["justification", "approvedBy"]);
			assert.ok(schema.properties.justification.minLength >= 20);
		});
	});

	describe("stack rules", () => {
		it("kubelet-acr-pull-only: fails a broader grant and a missing AcrPull", async () => {
			assert.deepEqual(findingsOf(await evaluate(prod), "kubelet-acr-pull-only"), []);
			const pull = prod.find((r) => r.name === "registry-access-kubelet-pull");
			assert.ok(pull);
			const broader = prod.map((r) =>
				r === pull
					? {
							...r,
							outputs: {
								...r.outputs,
								roleDefinitionId: String(r.outputs.roleDefinitionId).replace(
									/[0-9a-f-]{36}$/,
									"b24988ac-6180-42a0-ab88-20f7382dd24c",
								),
							},
						}
					: r,
			);
			const found = findingsOf(await evaluate(broader), "kubelet-acr-pull-only");
			assert.ok(
				found.some(
					(f) =>
						f.message.includes("not AcrPull") &&
						f.message.includes("registry-access-kubelet-pull") &&
						f.message.includes("CIS AKS 5.1.3"),
				),
			);
			assert.ok(
				found.some((f) => f.message.includes("has no AcrPull")),
				"and the kubelet can no longer pull",
			);
			const rgScope = prod.map((r) =>
				r === pull ? { ...r, outputs: { ...r.outputs, scope: "/subscriptions/s/resourceGroups/rg" } } : r,
			);
			assert.ok(
				findingsOf(await evaluate(rgScope), "kubelet-acr-pull-only").some((f) => f.message.includes("broader than one registry")),
			);
		});

		it("acr-private-endpoint-dns-linked: fails a private registry with no endpoint, the wrong zone, or an unlinked VNet", async () => {
			const rule = "acr-private-endpoint-dns-linked";
			assert.deepEqual(findingsOf(await evaluate(prod), rule), [], "prod's private registry is wired");
			assert.deepEqual(findingsOf(await evaluate(dev), rule), [], "dev's registry is public: nothing to check");
			const messages = async (rs: EvaluatedResource[]) => findingsOf(await evaluate(rs), rule).map((f) => f.message);

			const privateDev = mutated(dev, T.registry, (p) => (p.publicNetworkAccess = "Disabled"));
			assert.match((await messages(privateDev)).join(), /registryacr.*no private endpoint connects to it: nothing can pull/);

			const otherRegistry = mutated(prod, T.endpoint, (p) => (p.privateLinkServiceConnections[0].privateLinkServiceId += "x"));
			assert.match((await messages(otherRegistry)).join(), /no private endpoint connects to it/);

			const regionalZone = mutated(prod, T.zoneGroup, (p) => {
				p.privateDnsZoneConfigs[0].privateDnsZoneId = p.privateDnsZoneConfigs[0].privateDnsZoneId.replace(
					/privatelink\.azurecr\.io$/,
					"privatelink.westeurope.data.azurecr.io",
				);
			});
			const wrong = await messages(regionalZone);
			assert.match(
				wrong.join(),
				/writes into privatelink\.westeurope\.data\.azurecr\.io: login server and data endpoints belong in privatelink\.azurecr\.io/,
			);
			assert.match(wrong.join(), /no zone group writes its endpoint's addresses into privatelink\.azurecr\.io/);

			const unlinked = mutated(
				prod,
				T.zoneLink,
				(p) => (p.virtualNetwork.id = p.virtualNetwork.id.replace(/[^/]+$/, "other-vnet")),
			);
			assert.match(
				(await messages(unlinked)).join(),
				/cluster-aks.*privatelink\.azurecr\.io is not linked to its VNet .*pulls fail/,
			);

			const managedNetwork = mutated(prod, T.cluster, (p) => delete p.agentPoolProfiles[0].vnetSubnetID);
			assert.match((await messages(managedNetwork)).join(), /its nodes are in the network AKS made/);
			const level = findingsOf(await evaluate(managedNetwork), rule).map((f) => f.level);
			assert.deepEqual([...new Set(level)], ["mandatory"]);
		});

		it("gateway-https-only: fails a route that serves plain HTTP, and a LoadBalancer beside the Gateway", async () => {
			const rule = "gateway-https-only";
			assert.deepEqual(findingsOf(await evaluate(prodHttps), rule), []);
			assert.deepEqual(findingsOf(await evaluate(prod), rule), [], "no Gateway: nothing to check");
			const ROUTE = "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute";
			const serving = prodHttps.map((r) => {
				if (r.type !== ROUTE || r.name !== "app-redirect") return r;
				const copy = structuredClone(r);
				for (const props of [copy.inputs, copy.outputs] as any[])
					props.spec.rules = [{ backendRefs: [{ name: "app", port: 80 }] }];
				return copy;
			});
			const [f] = findingsOf(await evaluate(serving), rule);
			assert.equal(f?.level, "mandatory");
			assert.match(
				f?.message ?? "",
				/app-redirect.*serves traffic on HTTP listener http of Gateway app: only a redirect to https belongs there/,
			);
			const exposed = mutated(prodHttps, T.service, (p) => (p.spec.type = "LoadBalancer"));
			assert.match(
				findingsOf(await evaluate(exposed), rule)
					.map((x) => x.message)
					.join(),
				/is a LoadBalancer beside the Gateway: a way in around HTTPS/,
			);
		});

		it("prod-served-over-https: an advisory finding for prod on a plain-HTTP load balancer, none with a hostname or in dev", async () => {
			const rule = "prod-served-over-https";
			const [f] = findingsOf(await evaluate(prod), rule);
			assert.equal(f?.level, "advisory");
			assert.match(f?.message ?? "", /serves plain HTTP on a load balancer address/);
			assert.deepEqual(findingsOf(await evaluate(prodHttps), rule), []);
			assert.deepEqual(findingsOf(await evaluate(dev), rule), []);
		});

		it("k8s-service-selects-pods: fails a selector that matches nothing", async () => {
			assert.deepEqual(findingsOf(await evaluate(prod), "k8s-service-selects-pods"), []);
			const broken = mutated(prod, T.service, (p) => (p.spec.selector = { "app.kubernetes.io/name": "typo" }));
			const [f] = findingsOf(await evaluate(broken), "k8s-service-selects-pods");
			assert.match(f.message, /kubernetes:core\/v1:Service "app-svc": selector .* matches no pods/);
		});

		it("k8s-pdb-selects-workload: fails a PDB that protects nothing", async () => {
			assert.deepEqual(findingsOf(await evaluate(prod), "k8s-pdb-selects-workload"), []);
			const broken = mutated(prod, T.pdb, (p) => (p.spec.selector = { matchLabels: { app: "other" } }));
			assert.equal(findingsOf(await evaluate(broken), "k8s-pdb-selects-workload").length, 1);
		});

		it("k8s-network-policy-covers-pods: fails pods no NetworkPolicy selects [CKV2_K8S_6]", async () => {
			assert.deepEqual(findingsOf(await evaluate(prod), "k8s-network-policy-covers-pods"), []);
			const [f] = findingsOf(await evaluate(prod.filter((r) => r.type !== T.netpol)), "k8s-network-policy-covers-pods");
			assert.match(f.message, /Deployment "app-deployment".*CKV2_K8S_6/);
		});

		it("k8s-prod-replicas-and-pdb: fails one replica or no PDB in prod, and leaves dev alone", async () => {
			assert.deepEqual(findingsOf(await evaluate(prod), "k8s-prod-replicas-and-pdb"), []);
			const oneReplica = mutated(prod, T.hpa, (p) => (p.spec.minReplicas = 1));
			assert.match(
				findingsOf(await evaluate(oneReplica), "k8s-prod-replicas-and-pdb")[0].message,
				/runs 1 replica\(s\) at the HPA minimum/,
			);
			const noPdb = prod.filter((r) => r.type !== T.pdb);
			assert.match(findingsOf(await evaluate(noPdb), "k8s-prod-replicas-and-pdb")[0].message, /no PodDisruptionBudget/);
			assert.deepEqual(findingsOf(await evaluate(dev), "k8s-prod-replicas-and-pdb"), [], "dev runs one replica by design");
		});

		it("every stack rule has a test above", () => {
			assert.deepEqual(stackRules.map((r) => r.name).sort(), [
				"acr-private-endpoint-dns-linked",
				"gateway-https-only",
				"k8s-network-policy-covers-pods",
				"k8s-pdb-selects-workload",
				"k8s-prod-replicas-and-pdb",
				"k8s-service-selects-pods",
				"kubelet-acr-pull-only",
				"prod-served-over-https",
			]);
		});
	});

	describe("the whole stack", () => {
		for (const stack of ["dev", "prod"] as const) {
			it(`${stack}: no mandatory violation; the advisory findings are the known trade-offs`, async () => {
				const findings = await evaluate(stack === "dev" ? dev : prod);
				const mandatory = findings.filter((f) => f.level === "mandatory");
				assert.deepEqual(mandatory, [], mandatory.map((f) => f.message).join("\n"));
				const advisory = findings.filter((f) => f.level === "advisory");
				console.log(
					`      ${stack} advisory findings:\n${advisory.map((f) => `        - ${f.policy}: ${f.message}`).join("\n")}`,
				);
				const expected =
					stack === "dev"
						? [
								"acr-public-network-access-disabled",
								"acr-untagged-manifest-retention",
								"acr-zone-redundancy",
								"aks-api-server-access-restricted",
								"aks-paid-sku-tier",
							]
						: ["aks-api-server-access-restricted", "prod-served-over-https"];
				assert.deepEqual([...new Set(advisory.map((f) => f.policy))].sort(), expected);
				assert.ok(!findings.some((f) => f.unknown), "every policy could run");
			});
		}
	});
});

describe("policy/README.md rule table", () => {
	it("is the one the rules generate (run `npm run policy:table` after changing a rule)", async () => {
		const readme = fs.readFileSync(path.join(ROOT, "policy", "README.md"), "utf8");
		const table = await currentRuleTable();
		assert.equal(withRuleTable(readme, table), readme);
		for (const r of [...resourceRules, ...stackRules]) assert.ok(readme.includes(`| \`${r.name}\` |`), r.name);
	});
});
