import * as assert from "node:assert/strict";
import * as path from "node:path";
import { agentPoolName } from "../components/nodePool";
import { appManifestVersion, parseStackConfig } from "../config";
import { contextFiles, contextRevision, STAGED_CONTEXT_ROOT } from "../lib/buildContext";
import { AKS_SERVER_APP_ID, aksExecCredential } from "../lib/execCredential";
import { BuiltInRole, roleAssignmentGuid } from "../lib/roleAssignments";
import {
	CONTROL_PLANE_PRINCIPAL_ID,
	DEPLOYER_OBJECT_ID,
	declaredServices,
	KUBELET_CLIENT_ID,
	KUBELET_OBJECT_ID,
	LB_IP,
	MISSING_RESOURCE_GROUP,
	ORGANIZATION,
	PROJECT,
	projectKeys,
	type Recorded,
	ROOT,
	type RunResult,
	SUBSCRIPTION_ID,
	sourceStackOutputs,
	TENANT_ID,
} from "../simulator";
import { admits, type Policy } from "./networkPolicyModel";
import { addedServices, ofServices } from "./services";
import { fixtureConfig, runStack } from "./stackFixtures";

const T = {
	rg: "azure-native:resources:ResourceGroup",
	registry: "azure-native:containerregistry:Registry",
	workspace: "azure-native:operationalinsights:Workspace",
	dcr: "azure-native:monitor:DataCollectionRule",
	dcra: "azure-native:monitor:DataCollectionRuleAssociation",
	cluster: "azure-native:containerservice:ManagedCluster",
	role: "azure-native:authorization:RoleAssignment",
	image: "docker:index/image:Image",
	gate: "pulumi-nodejs:dynamic:Resource",
	k8sProvider: "pulumi:providers:kubernetes",
	pool: "azure-native:containerservice:AgentPool",
	namespace: "kubernetes:core/v1:Namespace",
	deployment: "kubernetes:apps/v1:Deployment",
	service: "kubernetes:core/v1:Service",
	netpol: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
	pdb: "kubernetes:policy/v1:PodDisruptionBudget",
	hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
	vnet: "azure-native:network:VirtualNetwork",
	endpoint: "azure-native:network:PrivateEndpoint",
	zoneGroup: "azure-native:network:PrivateDnsZoneGroup",
	zone: "azure-native:privatedns:PrivateZone",
	zoneLink: "azure-native:privatedns:VirtualNetworkLink",
	identity: "azure-native:managedidentity:UserAssignedIdentity",
};
/** The per-deployer assignments are named after the deployer's object id. */
const PUSH = `registry-access-push-${DEPLOYER_OBJECT_ID}`;
const IMPORT = `registry-access-import-${DEPLOYER_OBJECT_ID}`;
const ADMIN = `cluster-access-admin-${DEPLOYER_OBJECT_ID}`;
/** A test stack's configuration, parsed as the program parses it. */
function stackSettings(stack: string) {
	const file = fixtureConfig(stack);
	return parseStackConfig(projectKeys(file), {
		project: PROJECT,
		stack,
		organization: ORGANIZATION,
		location: file["azure-native:location"],
		defaultAppVersion: appManifestVersion(),
	});
}
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const roleDef = (id: string) => `/subscriptions/${SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/${id}`;

for (const stack of ["dev", "prod"] as const) {
	describe(`stack ${stack} (the test stack, evaluated as pulumi preview)`, () => {
		let run: RunResult;
		// What the test stack says, with every default applied: expectations come from here, not from literals.
		const config = stackSettings(stack);
		let httpCalls = 0;
		// A fork adds services (another entry in services.ts); these tests are about the first, the
		// app, and the stack around it: another service's resources (named after it) are not counted.
		const all = (type: string): Recorded[] => {
			const others = addedServices(run.mocks.resources, config.app.name);
			return run.mocks.all(type).filter((r) => !ofServices(others, r.name));
		};
		const one = (type: string, name?: string) => {
			const found = all(type).filter((r) => name === undefined || r.name === name);
			if (found.length !== 1)
				throw new Error(
					`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.map((r) => r.name).join(", ") || "none"}`,
				);
			return found[0];
		};
		const role = (name: string) => one(T.role, name);
		const container = () => one(T.deployment).plain.spec.template.spec.containers[0];
		/** The app container's port of that name, as its release's contract sets it. */
		const port = (name: string): number => container().ports.find((p: { name: string }) => p.name === name).containerPort;
		/** The metrics port, where the release's contract has one (an app may serve no metrics). */
		const metricsPort = (): number | undefined =>
			container().ports.find((p: { name: string }) => p.name === "metrics")?.containerPort;
		/** Builds its image here, or (prod by default) imports the one its source stack deployed. */
		const building = config.images.source === "build";
		const GRANT = building ? PUSH : IMPORT;

		before(async () => {
			// The real module objects: the libraries' `import * as https` reads `request` from them at call time.
			const http = require("node:http");
			const https = require("node:https");
			const originals = { http: http.request, https: https.request };
			const count =
				(orig: (...a: unknown[]) => unknown) =>
				(...args: unknown[]) => {
					httpCalls++;
					return orig(...args);
				};
			http.request = count(originals.http);
			https.request = count(originals.https);
			try {
				run = await runStack({ stack, delays: { [T.cluster]: 150, [`${T.role}::registry-access-kubelet-pull`]: 80 } });
			} finally {
				http.request = originals.http;
				https.request = originals.https;
			}
		});

		it("makes no network call during preview", () => {
			assert.equal(httpCalls, 0);
		});

		it("declares the expected resources, and the PDB and HPA only in prod", () => {
			for (const t of [
				T.rg,
				T.registry,
				T.workspace,
				T.dcr,
				T.dcra,
				T.cluster,
				T.k8sProvider,
				T.namespace,
				T.deployment,
				T.service,
			]) {
				assert.equal(all(t).length, 1, t);
			}
			// The namespace's deny-all and DNS, the app's egress, the load balancer's way in.
			assert.equal(all(T.netpol).length, 4);
			const policy = (name: string) => all(T.netpol).find((p) => p.name === name);
			assert.ok(
				(policy("app-deny-all")?.startedAt ?? 0) >= (policy("app-ingress")?.completedAt ?? Infinity),
				"the default deny only once the way in admits the app's clients: an upgrade never cuts them off",
			);
			assert.equal(all(T.image).length, building ? 1 : 0, "docker builds only where images are built");
			// AcrPull, a deployer's push or import grant, cluster admin, and the cluster identity's on its subnet
			assert.equal(all(T.role).length, 4);
			assert.deepEqual(
				all(T.gate)
					.map((r) => r.name)
					.sort(),
				building ? ["cluster-access-api-ready", "deployers"] : ["app-import", "cluster-access-api-ready", "deployers"],
			);
			assert.equal(all(T.pdb).length, stack === "prod" ? 1 : 0);
			assert.equal(all(T.hpa).length, stack === "prod" ? 1 : 0);
		});

		it("gives the kubelet identity AcrPull on the registry, and nothing else", () => {
			const pull = role("registry-access-kubelet-pull");
			const registry = one(T.registry);
			assert.equal(pull.plain.principalId, KUBELET_OBJECT_ID);
			assert.notEqual(pull.plain.principalId, KUBELET_CLIENT_ID, "object id, not client id");
			assert.notEqual(pull.plain.principalId, CONTROL_PLANE_PRINCIPAL_ID, "kubelet, not control-plane identity");
			assert.equal(pull.plain.scope, registry.id);
			assert.match(pull.plain.scope, /\/providers\/Microsoft\.ContainerRegistry\/registries\/[a-z0-9]+$/);
			assert.equal(pull.plain.roleDefinitionId, roleDef(BuiltInRole.AcrPull));
			assert.equal(pull.plain.roleDefinitionId.endsWith("7f951dda-4ed3-4680-a7ca-43fe172d538d"), true);
			assert.equal(pull.plain.principalType, "ServicePrincipal");
			assert.equal(pull.plain.principalId, KUBELET_OBJECT_ID);
			const assignmentsOnKubelet = all(T.role).filter((r) => r.plain.principalId === KUBELET_OBJECT_ID);
			assert.equal(assignmentsOnKubelet.length, 1, "nothing broader than AcrPull for the kubelet");
		});

		it("names every role assignment with a deterministic GUID, states its principal type, and replaces it delete-first", () => {
			for (const r of all(T.role)) {
				assert.ok(["User", "ServicePrincipal", "Group"].includes(r.plain.principalType), `${r.name} states its principalType`);
				const roleId = r.plain.roleDefinitionId.split("/").pop();
				assert.match(r.plain.roleAssignmentName, GUID);
				assert.equal(r.plain.roleAssignmentName, roleAssignmentGuid(r.plain.scope, r.plain.principalId, roleId));
				assert.equal(r.deleteBeforeReplace, true, r.name);
			}
		});

		it("lets the signed-in deployer push (AcrPush) or import, and administer Kubernetes, as the User it signed in as", () => {
			const grant = role(GRANT);
			assert.equal(grant.plain.principalId, DEPLOYER_OBJECT_ID);
			assert.equal(grant.plain.principalType, "User");
			assert.equal(grant.plain.roleDefinitionId, roleDef(building ? BuiltInRole.AcrPush : BuiltInRole.AcrImporter));
			assert.equal(grant.plain.scope, role("registry-access-kubelet-pull").plain.scope);
			const admin = role(ADMIN);
			assert.equal(admin.plain.principalId, DEPLOYER_OBJECT_ID);
			assert.equal(admin.plain.principalType, "User");
			assert.equal(admin.plain.roleDefinitionId, roleDef("b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b"));
			assert.match(admin.plain.scope, /\/providers\/Microsoft\.ContainerService\/managedClusters\/[^/]+$/);
		});

		it("records who may deploy before any deployer grant is touched, with object ids only", () => {
			const record = one(T.gate, "deployers");
			assert.deepEqual(record.plain.deployers, [{ objectId: DEPLOYER_OBJECT_ID, type: "User" }]);
			assert.equal(record.plain.source, "signed-in");
			for (const name of [`${PROJECT}:access:RegistryAccess`, `${PROJECT}:access:ClusterAccess`]) {
				assert.ok(one(name).dependencies.includes(record.urn), `${name} waits for the record`);
			}
			for (const grant of [role(GRANT), role(ADMIN)]) assert.ok(grant.startedAt >= record.completedAt, grant.name);
			assert.ok(!one(T.registry).dependencies.includes(record.urn), "the registry does not wait for it");
		});

		it("keeps the registry password-free", () => {
			const r = one(T.registry).plain;
			assert.equal(r.adminUserEnabled, false);
			assert.equal(r.anonymousPullEnabled, false);
			assert.deepEqual(r.sku, { name: config.registry.sku });
			if (config.registry.sku !== "Premium") {
				assert.equal(r.policies, undefined, "only Premium has a retention policy");
				assert.equal(r.zoneRedundancy, "Disabled");
			} else {
				assert.deepEqual(r.policies.retentionPolicy, { status: "enabled", days: 7 });
				assert.equal(r.zoneRedundancy, config.cluster.availabilityZones.length > 0 ? "Enabled" : "Disabled");
			}
		});

		it("builds a cluster with Entra ID, Azure RBAC and no local accounts", () => {
			const c = one(T.cluster).plain;
			assert.equal(c.dnsPrefix, `${config.app.name}-${stack}`);
			assert.equal(c.disableLocalAccounts, true);
			assert.equal(c.enableRBAC, true);
			assert.deepEqual(c.aadProfile, { managed: true, enableAzureRBAC: true });
			// In the stack's own VNet: the control plane's identity is the stack's (see the VNet test below).
			assert.deepEqual(c.identity, { type: "UserAssigned", userAssignedIdentities: [one(T.identity, "cluster-identity").id] });
			assert.deepEqual(c.oidcIssuerProfile, { enabled: true });
			assert.equal(c.securityProfile.workloadIdentity.enabled, true);
			assert.equal(c.sku.tier, stack === "prod" ? "Standard" : "Free");
			assert.equal(c.kubernetesVersion, stack === "prod" ? "1.35" : undefined);
			assert.deepEqual(
				c.apiServerAccessProfile,
				config.cluster.apiServerAuthorizedIpRanges && { authorizedIPRanges: config.cluster.apiServerAuthorizedIpRanges },
				"the API server stays reachable from hosted CI runners unless ranges are set",
			);
		});

		it("uses Azure CNI overlay with Cilium network policy", () => {
			const n = one(T.cluster).plain.networkProfile;
			assert.equal(n.networkPlugin, "azure");
			assert.equal(n.networkPluginMode, "overlay");
			assert.equal(n.networkDataplane, "cilium");
			assert.equal(n.networkPolicy, "cilium");
		});

		it("puts every node in the stack's own VNet, with the overlay ranges of its address plan", () => {
			const plan = config.network.plan;
			assert.ok(plan, "every stack file keeps the default network: a VNet of the stack's own");
			const vnet = one(T.vnet);
			assert.deepEqual(vnet.plain.addressSpace, { addressPrefixes: [plan.addressSpace] });
			assert.deepEqual(
				vnet.plain.subnets.map((s: Record<string, unknown>) => [s.name, s.addressPrefix, s.defaultOutboundAccess]),
				[
					["nodes", plan.nodeSubnet, false],
					["endpoints", plan.endpointSubnet, false],
				],
			);
			const nodeSubnet = `${vnet.id}/subnets/nodes`;
			const cluster = one(T.cluster);
			assert.equal(cluster.plain.agentPoolProfiles[0].vnetSubnetID, nodeSubnet);
			for (const pool of all(T.pool)) assert.equal(pool.plain.vnetSubnetID, nodeSubnet, pool.name);
			assert.deepEqual(
				[
					cluster.plain.networkProfile.podCidr,
					cluster.plain.networkProfile.serviceCidr,
					cluster.plain.networkProfile.dnsServiceIP,
				],
				[plan.podCidr, plan.serviceCidr, plan.serviceCidr.replace(/0\/\d+$/, "10")],
			);
			// AKS manages what it puts in a subnet it does not own with its control-plane identity, which
			// holds the right on that subnet before the cluster is created.
			const subnetGrant = role("cluster-identity-subnet");
			assert.ok(cluster.dependencies.includes(subnetGrant.urn));
			assert.equal(subnetGrant.plain.scope, nodeSubnet);
			assert.equal(subnetGrant.plain.principalId, CONTROL_PLANE_PRINCIPAL_ID);
			assert.equal(subnetGrant.plain.roleDefinitionId, roleDef(BuiltInRole.NetworkContributor));
			assert.deepEqual(vnet.protect, config.protect);
		});

		if (stack === "prod") {
			it("reaches its registry over Private Link only: endpoint, linked zone, zone group, no public access", () => {
				const registry = one(T.registry);
				assert.equal(registry.plain.publicNetworkAccess, "Disabled");
				assert.equal(registry.plain.dataEndpointEnabled, true);
				assert.equal(registry.plain.networkRuleBypassOptions, "AzureServices", "importImage still reaches it");
				const vnet = one(T.vnet);
				const endpoint = one(T.endpoint);
				assert.equal(endpoint.plain.subnet.id, `${vnet.id}/subnets/endpoints`);
				assert.deepEqual(endpoint.plain.privateLinkServiceConnections, [
					{ name: "registry", privateLinkServiceId: registry.id, groupIds: ["registry"] },
				]);
				const zone = one(T.zone);
				assert.equal(zone.plain.privateZoneName, "privatelink.azurecr.io", "login server and data endpoints share this zone");
				assert.equal(zone.plain.location, "global");
				const link = one(T.zoneLink);
				assert.deepEqual(
					[link.plain.privateZoneName, link.plain.virtualNetwork, link.plain.registrationEnabled],
					[zone.state.name, { id: vnet.id }, false],
				);
				const group = one(T.zoneGroup);
				assert.equal(group.plain.privateEndpointName, endpoint.state.name);
				assert.deepEqual(group.plain.privateDnsZoneConfigs, [{ name: "privatelink-azurecr-io", privateDnsZoneId: zone.id }]);
				// Turning the public endpoint off waits for the cluster: a cluster that cannot move into the
				// VNet then fails the update before any node loses its way to the images.
				assert.ok(registry.dependencies.includes(one(T.cluster).urn), "the private registry waits for the cluster");
				assert.ok(registry.startedAt >= one(T.cluster).completedAt);
				const deployment = one(T.deployment);
				for (const r of [group, link]) {
					assert.ok(deployment.dependencies.includes(r.urn), `the rollout waits for ${r.name}`);
					assert.ok(
						deployment.startedAt >= r.completedAt,
						`deployment at ${deployment.startedAt} ms, ${r.name} at ${r.completedAt} ms`,
					);
				}
			});
		} else {
			it("keeps the registry on its public endpoint, with no private endpoint or zone", () => {
				assert.equal(one(T.registry).plain.publicNetworkAccess, "Enabled");
				assert.equal(one(T.registry).plain.dataEndpointEnabled, undefined);
				for (const t of [T.endpoint, T.zone, T.zoneLink, T.zoneGroup]) assert.equal(all(t).length, 0, t);
				assert.ok(!one(T.registry).dependencies.includes(one(T.cluster).urn), "a public registry does not wait for the cluster");
			});
		}

		it("has only a tainted System pool inline, and the configured user pools as AgentPools of their own", () => {
			const profiles = one(T.cluster).plain.agentPoolProfiles;
			assert.equal(profiles.length, 1, "AKS refuses pools added to the cluster resource later");
			assert.equal(profiles[0].mode, "System");
			assert.deepEqual(profiles[0].nodeTaints, ["CriticalAddonsOnly=true:NoSchedule"]);
			const pools = all(T.pool);
			assert.equal(pools.length, config.cluster.nodePools.length);
			for (const [i, spec] of config.cluster.nodePools.entries()) {
				const pool = pools[i].plain;
				assert.equal(pool.agentPoolName, agentPoolName(spec));
				assert.deepEqual(
					{ mode: pool.mode, vmSize: pool.vmSize, minCount: pool.minCount, maxCount: pool.maxCount },
					{ mode: "User", vmSize: spec.vmSize, minCount: spec.minCount, maxCount: spec.maxCount },
				);
				assert.equal(pool.resourceName, one(T.cluster).state.name, "joins this cluster");
				assert.deepEqual(pools[i].ignoreChanges, ["count", "orchestratorVersion"]);
				assert.ok(one(T.deployment).dependencies.includes(pools[i].urn), "the rollout waits for the nodes");
			}
			for (const p of [profiles[0], ...pools.map((x) => x.plain)]) {
				assert.equal(p.enableAutoScaling, true);
				assert.equal(p.enableNodePublicIP, false);
				assert.ok(p.maxPods >= 50);
				assert.deepEqual(p.availabilityZones, stack === "prod" ? ["1", "2", "3"] : undefined);
			}
		});

		it("upgrades itself, monitors itself, and does not report its own upgrades as drift", () => {
			const cluster = one(T.cluster);
			assert.deepEqual(cluster.plain.autoUpgradeProfile, {
				upgradeChannel: stack === "prod" ? "patch" : "stable",
				nodeOSUpgradeChannel: "NodeImage",
			});
			assert.equal(cluster.plain.addonProfiles.omsagent.enabled, true);
			assert.equal(cluster.plain.addonProfiles.omsagent.config.logAnalyticsWorkspaceResourceID, one(T.workspace).id);
			const rule = one(T.dcr);
			assert.equal(rule.plain.destinations.logAnalytics[0].workspaceResourceId, one(T.workspace).id);
			assert.deepEqual(rule.plain.dataFlows[0].streams, ["Microsoft-ContainerInsights-Group-Default"]);
			assert.equal(one(T.dcra).plain.resourceUri, cluster.id);
			assert.match(rule.id, /\/providers\/Microsoft\.Insights\/dataCollectionRules\//);
			assert.equal(one(T.dcra).plain.dataCollectionRuleId, rule.id);
			assert.deepEqual(cluster.ignoreChanges, [
				// the pools, whole: what a refresh reads into them (every NodePool) must not fail the next up
				"agentPoolProfiles",
				// dev leaves the version to its upgrade channel; prod pins it, and a change of the pin must apply
				...(config.cluster.kubernetesVersion === undefined ? ["kubernetesVersion"] : []),
			]);
		});

		it(`protects the registry, cluster, workspace and resource group ${stack === "prod" ? "in prod" : "only in prod (not in dev)"}`, () => {
			for (const t of [T.rg, T.registry, T.cluster, T.workspace]) assert.equal(one(t).protect, stack === "prod", t);
			for (const r of all(T.role)) assert.equal(r.protect, false);
		});

		if (building) {
			it("builds the first service's image from its directory for linux/amd64 and pushes it with an Entra-derived secret", () => {
				const image = one(T.image);
				assert.equal(image.plain.build.platform, "linux/amd64");
				// The directory services.ts gives the first service.
				const { directory } = declaredServices()[0];
				// Relative, so every checkout builds the same inputs: the copy of what git holds there.
				const staged = `${STAGED_CONTEXT_ROOT}/${image.name.replace(/-image$/, "")}`;
				assert.equal(image.plain.build.context, staged);
				assert.equal(image.plain.build.dockerfile, `${staged}/Dockerfile`);
				assert.equal(image.plain.build.args.APP_VERSION, config.app.version);
				assert.equal(image.plain.build.args.VCS_REF, contextRevision(contextFiles(path.join(ROOT, directory))));
				assert.ok(image.plain.build.args.SOURCE_URL === "unknown" || image.plain.build.args.SOURCE_URL.startsWith("https://"));
				assert.equal(image.plain.imageName, `${run.outputs.registryLoginServer}/${config.app.name}:${config.app.version}`);
				assert.deepEqual(
					image.plain.registry,
					{ server: run.outputs.registryLoginServer },
					"the server alone: the push credential is Docker's, not an input",
				);
			});

			it("starts the image build without waiting for the cluster", () => {
				const image = one(T.image);
				const cluster = one(T.cluster);
				assert.ok(!image.dependencies.includes(cluster.urn));
				assert.ok(
					image.completedAt < cluster.completedAt,
					`image pushed at ${image.completedAt} ms, cluster ready at ${cluster.completedAt} ms`,
				);
				assert.ok(image.dependencies.includes(role(PUSH).urn), "it waits for the AcrPush grant");
			});
		} else {
			it("imports the digest its source stack deployed into its own registry, once the import grant exists, and builds nothing", () => {
				const source = sourceStackOutputs(String(config.images.promoteFrom));
				const sourceImage = String((source.images as Record<string, string>).app);
				const imported = one(T.gate, "app-import");
				assert.equal(imported.plain.sourceRegistryId, source.registryId);
				assert.equal(imported.plain.sourceImage, sourceImage.slice(sourceImage.indexOf("/") + 1));
				assert.equal(imported.plain.targetRegistryId, one(T.registry).id);
				assert.deepEqual(imported.plain.targetTags, [`${config.app.name}:${config.app.version}`]);
				assert.deepEqual(
					imported.plain.credential,
					aksExecCredential("https://management.azure.com"),
					"ARM tokens, fetched inside create",
				);
				assert.ok(imported.dependencies.includes(role(IMPORT).urn), "it waits for the import grant");
				assert.ok(!imported.dependencies.includes(one(T.cluster).urn), "nor for the cluster");
				assert.equal(
					container().image,
					`${run.outputs.registryLoginServer}/app@${sourceImage.split("@")[1]}`,
					"the Deployment runs the very digest the source stack tested, from this stack's registry",
				);
			});
		}

		it("talks to Kubernetes only through an explicit provider whose kubeconfig holds no credential", () => {
			const provider = one(T.k8sProvider);
			const kubeconfig = JSON.parse(provider.plain.kubeconfig);
			assert.deepEqual(kubeconfig.users[0].user, { exec: aksExecCredential() }, "an exec plugin, no token");
			assert.equal(kubeconfig.users[0].user.exec.args[2], AKS_SERVER_APP_ID);
			assert.match(kubeconfig.clusters[0].cluster.server, /^https:\/\/.*\.azmk8s\.io:443$/);
			assert.equal(provider.plain.clusterIdentifier, one(T.cluster).id);
			assert.equal(
				provider.plain.deleteUnreachable,
				undefined,
				"a refresh that cannot reach the cluster fails instead of dropping the app",
			);
			for (const t of [T.namespace, T.deployment, T.service, T.netpol, T.pdb, T.hpa]) {
				for (const r of all(t)) assert.match(r.provider, /::cluster-access-k8s::/, `${r.name} uses the explicit provider`);
			}
		});

		it("gates every Kubernetes resource on API access, checked with the provider's own credential", () => {
			const gate = one(T.gate, "cluster-access-api-ready");
			const provider = one(T.k8sProvider);
			assert.deepEqual(gate.plain.accessGrants, [role(ADMIN).id]);
			assert.deepEqual(gate.plain.credential, JSON.parse(provider.plain.kubeconfig).users[0].user.exec);
			assert.deepEqual(gate.plain.admins, [{ objectId: DEPLOYER_OBJECT_ID, type: "User" }]);
			assert.equal(gate.plain.audience, AKS_SERVER_APP_ID);
			assert.equal(gate.plain.tenantId, TENANT_ID);
			assert.equal(gate.plain.token, undefined, "no token among its inputs");
			assert.ok(provider.dependencies.includes(gate.urn), "the provider waits for the gate");
			for (const t of [T.namespace, T.deployment, T.service, T.netpol]) {
				for (const r of all(t)) assert.ok(r.startedAt >= gate.completedAt, `${r.name} starts after the gate`);
			}
		});

		it("deploys the pushed digest, after the AcrPull assignment exists", () => {
			const deployment = one(T.deployment);
			const pull = role("registry-access-kubelet-pull");
			assert.match(container().image, /^[a-z0-9]+\.azurecr\.io\/app@sha256:[0-9a-f]{64}$/);
			assert.equal(container().image, run.outputs.appImage);
			assert.ok(deployment.dependencies.includes(pull.urn), "dependsOn the AcrPull assignment");
			assert.ok(
				deployment.startedAt >= pull.completedAt,
				`deployment at ${deployment.startedAt} ms, AcrPull at ${pull.completedAt} ms`,
			);
		});

		it("runs in a namespace of its own with Pod Security 'restricted' enforced", () => {
			const ns = one(T.namespace).plain.metadata;
			assert.equal(ns.name, "app");
			assert.equal(ns.labels["pod-security.kubernetes.io/enforce"], "restricted");
			for (const t of [T.deployment, T.service, T.netpol, T.pdb, T.hpa]) {
				for (const r of all(t)) assert.equal(r.plain.metadata.namespace, "app", t);
			}
		});

		it("hardens the pod", () => {
			const pod = one(T.deployment).plain.spec.template.spec;
			assert.equal(pod.automountServiceAccountToken, false);
			assert.equal(pod.securityContext.runAsNonRoot, true);
			assert.ok(pod.securityContext.runAsUser >= 10000);
			assert.deepEqual(pod.securityContext.seccompProfile, { type: "RuntimeDefault" });
			const sc = container().securityContext;
			assert.equal(sc.allowPrivilegeEscalation, false);
			assert.equal(sc.readOnlyRootFilesystem, true);
			assert.equal(sc.privileged, false);
			assert.deepEqual(sc.capabilities, { drop: ["ALL"] });
			assert.equal(pod.volumes.find((v: Recorded["plain"]) => v.name === "tmp").emptyDir.medium, "Memory");
		});

		it("has probes on the app port, requests and limits, and a grace period longer than the drain", () => {
			const c = container();
			// The ports are the release's contract (docs/your-app.md; test/dockerfile.test.ts holds each
			// image's EXPOSE to them): "http" first, then "metrics" where the app serves metrics.
			const names = c.ports.map((p: { name: string; protocol: string }) => [p.name, p.protocol]);
			assert.deepEqual(names[0], ["http", "TCP"]);
			assert.deepEqual(names.slice(1), metricsPort() === undefined ? [] : [["metrics", "TCP"]]);
			assert.notEqual(port("http"), metricsPort());
			for (const probe of [c.livenessProbe, c.readinessProbe]) {
				assert.equal(probe.httpGet.port, "http", "probed on the app's own port, never the metrics port");
				assert.match(probe.httpGet.path, /^\//);
			}
			assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.cpu && c.resources.limits.memory);
			const env = (name: string) => Number(c.env.find((e: { name: string }) => e.name === name).value);
			const grace = one(T.deployment).plain.spec.template.spec.terminationGracePeriodSeconds;
			assert.ok(grace > env("SHUTDOWN_DELAY_SECONDS") + env("DRAIN_TIMEOUT_SECONDS"), `grace ${grace} s covers delay + drain`);
			assert.deepEqual(c.env.find((e: { name: string }) => e.name === "POD_NAME").valueFrom, {
				fieldRef: { fieldPath: "metadata.name" },
			});
		});

		it("gives the first service the plain settings and egress its entry in services.ts declares, after the contract's", () => {
			const [first] = declaredServices();
			const declared = Object.entries(first.env ?? {}).map(([name, value]) => ({ name, value }));
			const env = container().env as { name: string }[];
			assert.deepEqual(env.slice(env.length - declared.length), declared);
			assert.deepEqual(
				env.slice(0, env.length - declared.length).map((e) => e.name),
				[
					"PORT",
					...(metricsPort() === undefined ? [] : ["METRICS_PORT"]),
					"APP_NAME",
					"APP_VERSION",
					"SHUTDOWN_DELAY_SECONDS",
					"DRAIN_TIMEOUT_SECONDS",
					"POD_NAME",
				],
			);
			assert.deepEqual(one(T.netpol, `${first.name}-netpol`).plain.spec.egress, first.egress ?? []);
		});

		it("rolls out without ever dropping below the desired replicas", () => {
			assert.deepEqual(one(T.deployment).plain.spec.strategy, {
				type: "RollingUpdate",
				rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
			});
		});

		it(
			stack === "prod"
				? "scales with an HPA (≥ 2 replicas) behind a PDB, spread over zones"
				: "runs appReplicas replicas without PDB or HPA",
			() => {
				const spec = one(T.deployment).plain.spec;
				const selector = spec.selector.matchLabels;
				if (stack === "dev") {
					assert.equal(spec.replicas, config.app.replicas);
					assert.equal(spec.template.spec.topologySpreadConstraints, undefined);
					return;
				}
				assert.equal(spec.replicas, undefined, "the HPA owns the replica count");
				const hpa = one(T.hpa).plain.spec;
				assert.equal(hpa.minReplicas, 2);
				assert.ok(hpa.maxReplicas >= hpa.minReplicas);
				assert.deepEqual(hpa.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: "app" });
				assert.deepEqual(one(T.pdb).plain.spec, { maxUnavailable: 1, selector: { matchLabels: selector } });
				assert.equal(spec.template.spec.topologySpreadConstraints[0].topologyKey, "topology.kubernetes.io/zone");
			},
		);

		it("exposes the app's port alone through its Service; its pods reach DNS and nothing else, not the instance metadata endpoint", () => {
			const selector = one(T.deployment).plain.spec.selector.matchLabels;
			const labels = one(T.deployment).plain.spec.template.metadata.labels;
			const svc = one(T.service).plain.spec;
			assert.deepEqual(svc.selector, selector);
			for (const [k, v] of Object.entries(selector)) assert.equal(labels[k], v, "the Service selects the pods");
			assert.equal(svc.type, "LoadBalancer");
			assert.deepEqual(
				svc.ports.map((p: { targetPort: string }) => p.targetPort),
				["http"],
				"never the metrics port",
			);
			const policies = all(T.netpol).map((r) => r.plain as Policy);
			const pod = { namespace: "app", labels };
			const internet = { ip: "203.0.113.7" };
			assert.ok(admits(policies, internet, pod, port("http")), "the load balancer's clients reach the app's port");
			const metrics = metricsPort();
			if (metrics !== undefined) {
				assert.ok(!admits(policies, internet, pod, metrics), "not the metrics port");
				assert.ok(
					!admits(policies, { namespace: "kube-system", labels: {} }, pod, metrics),
					"from nowhere in the cluster either",
				);
			}
			// Any other port is closed too: only the app's own is admitted.
			assert.ok(!admits(policies, internet, pod, port("http") + 1), "no port but the app's");
			const dns = { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } };
			assert.ok(admits(policies, pod, dns, 53, "UDP") && admits(policies, pod, dns, 53, "TCP"));
			assert.ok(!admits(policies, pod, { ip: "169.254.169.254" }, 80), "no instance metadata endpoint");
			assert.ok(!admits(policies, pod, internet, 443), "nothing outside");
			assert.ok(!admits(policies, pod, { namespace: "kube-system", labels: { "k8s-app": "metrics-server" } }, 443));
		});

		it("exports the eight outputs, the kubeconfig as a secret, and each image for a stack that promotes them", () => {
			assert.deepEqual(Object.keys(run.outputs).sort(), [
				"appImage",
				"appUrl",
				"clusterName",
				"images",
				"kubeconfig",
				"registryId",
				"registryLoginServer",
				"resourceGroupName",
			]);
			// One image per service the stack releases, the first's also as appImage.
			const services = run.mocks.all(`${PROJECT}:app:App`).map((r) => r.name);
			assert.deepEqual(Object.keys(run.outputs.images as object).sort(), services.sort());
			assert.equal((run.outputs.images as Record<string, unknown>)[config.app.name], run.outputs.appImage);
			assert.equal(run.outputs.registryId, one(T.registry).id);
			assert.equal(run.outputs.resourceGroupName, one(T.rg).state.name, "the group the stack made");
			assert.match(String(run.outputs.registryLoginServer), /^[a-z0-9]+\.azurecr\.io$/);
			assert.match(String(run.outputs.appImage), /@sha256:[0-9a-f]{64}$/);
			assert.equal(run.outputs.appUrl, `http://${LB_IP}/`);
			assert.equal(run.outputs.clusterName, one(T.cluster).state.name);
			assert.match(String(run.outputs.kubeconfig), /kind: Config/);
			assert.deepEqual([...run.secretOutputs], ["kubeconfig"]);
		});
	});
}

describe("resource group: an existing one, as the pipeline's bootstrap creates per stack", () => {
	const KEY = `${PROJECT}:resourceGroup`;
	it("deploys into it and leaves it unmanaged", async () => {
		const { mocks } = await runStack({ stack: "prod", overrides: { [KEY]: "shop-prod" } });
		assert.equal(mocks.all(T.rg).length, 0, "no resource group of its own");
		for (const t of [T.registry, T.cluster, T.workspace, T.dcr])
			assert.equal(mocks.one(t).plain.resourceGroupName, "shop-prod", t);
		assert.match(mocks.one(T.registry).id, /\/resourceGroups\/shop-prod\//);
	});
	it("stops before declaring anything when the group cannot be read", async () => {
		let seen: RunResult["mocks"] | undefined;
		await assert.rejects(
			runStack({
				stack: "dev",
				overrides: { [KEY]: MISSING_RESOURCE_GROUP },
				onMocks: (m) => {
					seen = m;
				},
			}),
			new RegExp(
				`${KEY} = "${MISSING_RESOURCE_GROUP}": the resource group cannot be read \\(.*ResourceGroupNotFound.*\\)\\. Create it first`,
			),
		);
		assert.ok(
			seen?.resources.every((r) => r.type === T.gate && r.name === "deployers"),
			"nothing but the deployer record",
		);
	});
});
