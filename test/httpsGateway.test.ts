import * as assert from "node:assert/strict";
import { parseStackConfig } from "../config";
import { vaultProblems } from "../lib/keyVault";
import { BuiltInRole } from "../lib/roleAssignments";
import {
	CERT_READER_CLIENT_ID,
	CERT_READER_PRINCIPAL_ID,
	CONTROL_PLANE_PRINCIPAL_ID,
	GATEWAY_IP,
	PROJECT,
	type RunResult,
	type StackMocks,
	SUBSCRIPTION_ID,
} from "../simulator";
import { CERTIFICATE_URI, DNS_ZONE_ID, httpsOverrides, VAULT_ID } from "./httpsFixtures";
import { admits, type Policy } from "./networkPolicyModel";
import { runStack } from "./stackFixtures";

const VAULT = VAULT_ID;
const CERT = CERTIFICATE_URI;
const HTTPS = httpsOverrides(true);
const T = {
	gateway: "kubernetes:gateway.networking.k8s.io/v1:Gateway",
	route: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
	service: "kubernetes:core/v1:Service",
	namespace: "kubernetes:core/v1:Namespace",
	serviceAccount: "kubernetes:core/v1:ServiceAccount",
	dynamic: "pulumi-nodejs:dynamic:Resource",
	cluster: "azure-native:containerservice:ManagedCluster",
	role: "azure-native:authorization:RoleAssignment",
	ip: "azure-native:network:PublicIPAddress",
	identity: "azure-native:managedidentity:UserAssignedIdentity",
	federated: "azure-native:managedidentity:FederatedIdentityCredential",
	record: "azure-native:dns:RecordSet",
};
const roleDef = (id: string) => `/subscriptions/${SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/${id}`;

describe("HTTPS on a hostname: prod with hostname, tlsCertificate and dnsZone (whole stack)", () => {
	let run: RunResult;
	before(async () => {
		run = await runStack({ stack: "prod", overrides: HTTPS });
	});
	const one = (type: string, name?: string) => run.mocks.one(type, name);

	it("switches on AKS's managed Gateway API for this cluster, and again whenever azure-native writes the cluster", () => {
		const api = one(T.dynamic, "cluster-gateway-api");
		assert.equal(api.plain.clusterId, one(T.cluster).id);
		assert.match(api.plain.clusterGeneration, /^[0-9a-f]{16}$/);
		assert.deepEqual(
			api.plain.credential.args.slice(-1),
			["https://management.azure.com"],
			"an ARM token, from the exec plugin, at run time",
		);
	});

	it("declares on the cluster itself what azure-native can say of the prerequisites: app routing without NGINX, the Key Vault secrets provider rotating", () => {
		const cluster = one(T.cluster).plain;
		// app-routing-gateway-api-dns-tls.md, prerequisites: the application routing add-on (its operator
		// syncs the certificate) and the Key Vault provider for the Secrets Store CSI driver.
		assert.deepEqual(cluster.ingressProfile, {
			webAppRouting: { enabled: true, nginx: { defaultIngressControllerType: "None" } },
		});
		assert.deepEqual(cluster.addonProfiles.azureKeyvaultSecretsProvider, {
			enabled: true,
			config: { enableSecretRotation: "true", rotationPollInterval: "2m" },
		});
		// Workload identity and its OIDC issuer, the remaining prerequisites, every cluster here has.
		assert.deepEqual([cluster.oidcIssuerProfile.enabled, cluster.securityProfile.workloadIdentity.enabled], [true, true]);
	});

	it("writes the whole cluster only after its node pools exist, so no pool operation is in progress (and removes the switches before the pools)", () => {
		const api = one(T.dynamic, "cluster-gateway-api");
		const pools = run.mocks.all("azure-native:containerservice:AgentPool");
		assert.ok(pools.length > 0);
		// The SDK turns a dependency on the NodePool component into one on the AgentPool inside it.
		for (const pool of pools) assert.ok(api.dependencies.includes(pool.urn), `after ${pool.name}`);
	});

	it("serves HTTPS at the hostname with the Key Vault certificate, and redirects HTTP with 301", () => {
		const gw = one(T.gateway).plain;
		assert.equal(gw.spec.gatewayClassName, "approuting-istio");
		assert.equal(gw.metadata.namespace, "app-gw");
		const [https, http] = gw.spec.listeners;
		assert.deepEqual([https.name, https.port, https.protocol, https.hostname], ["https", 443, "HTTPS", "shop.example.com"]);
		assert.deepEqual(https.tls, {
			mode: "Terminate",
			options: {
				"kubernetes.azure.com/tls-cert-keyvault-uri": CERT,
				"kubernetes.azure.com/tls-cert-service-account": "app-gateway-tls",
			},
		});
		assert.deepEqual(https.allowedRoutes.namespaces, {
			from: "Selector",
			selector: { matchLabels: { "kubernetes.io/metadata.name": "app" } },
		});
		assert.deepEqual([http.name, http.port, http.protocol], ["http", 80, "HTTP"]);
		const routes = run.mocks.all(T.route).map((r) => r.plain);
		const redirect = routes.find((r) => r.metadata.name === "app-https-redirect");
		assert.deepEqual(redirect?.spec.parentRefs, [{ name: "app", namespace: "app-gw", sectionName: "http" }]);
		assert.deepEqual(redirect?.spec.rules, [
			{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] },
		]);
		const route = routes.find((r) => r.metadata.name === "app");
		assert.equal(route?.metadata.namespace, "app");
		assert.deepEqual(route?.spec.parentRefs, [{ name: "app", namespace: "app-gw", sectionName: "https" }]);
		assert.deepEqual(route?.spec.hostnames, ["shop.example.com"]);
		assert.deepEqual(route?.spec.rules, [{ backendRefs: [{ name: "app", port: 80 }] }]);
	});

	it("makes the app's Service ClusterIP: the Gateway is the only way in", () => {
		const services = run.mocks.all(T.service);
		assert.ok(services.some((s) => s.name === "app-svc"));
		// Every service's, a fork's added ones too.
		assert.deepEqual([...new Set(services.map((s) => s.plain.spec.type))], ["ClusterIP"]);
	});

	it("admits the Gateway's proxies to the app's port and nothing else: not the internet, not the metrics port", () => {
		const policies = run.mocks.all("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((r) => r.plain as Policy);
		// The app's ports as its release's contract sets them.
		const ports = run.mocks.one("kubernetes:apps/v1:Deployment", "app-deployment").plain.spec.template.spec.containers[0].ports;
		const [http, metrics] = ["http", "metrics"].map((n) => ports.find((p: { name: string }) => p.name === n)?.containerPort);
		const pod = { namespace: "app", labels: { "app.kubernetes.io/name": "app", "app.kubernetes.io/managed-by": "pulumi" } };
		const proxy = { namespace: "app-gw", labels: { "gateway.networking.k8s.io/gateway-name": "app" } };
		assert.ok(admits(policies, proxy, pod, http), "the proxies reach the app");
		// Where the app serves metrics (its contract may have none), and any port but its own.
		for (const other of [metrics, http + 1])
			if (other !== undefined) assert.ok(!admits(policies, proxy, pod, other), `not ${other}`);
		assert.ok(!admits(policies, { ip: "203.0.113.7" }, pod, http), "nothing from outside but through the Gateway");
		assert.ok(!admits(policies, { namespace: "other", labels: {} }, pod, http), "nor from another namespace");
		const worker = { namespace: "app", labels: { "app.kubernetes.io/name": "worker" } };
		assert.ok(!admits(policies, worker, pod, http), "a neighbour sends nothing its own egress does not name");
		const workerEgress: Policy = {
			metadata: { namespace: "app" },
			spec: {
				podSelector: { matchLabels: worker.labels },
				policyTypes: ["Egress"],
				egress: [{ to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "app" } } }], ports: [{ port: http }] }],
			},
		};
		assert.ok(admits([...policies, workerEgress], worker, pod, http), "and once it does, the app's ClusterIP way in admits it");
	});

	it("runs the Gateway's proxies in a namespace of their own, baseline enforced and restricted reported", () => {
		const ns = run.mocks.all(T.namespace).find((n) => n.plain.metadata.name === "app-gw");
		assert.equal(ns?.plain.metadata.labels["pod-security.kubernetes.io/enforce"], "baseline");
		assert.equal(ns?.plain.metadata.labels["pod-security.kubernetes.io/warn"], "restricted");
	});

	it("reads the certificate with an identity federated to the Gateway's service account, allowed that certificate's secret only", () => {
		const sa = one(T.serviceAccount).plain;
		assert.deepEqual([sa.metadata.namespace, sa.metadata.name], ["app-gw", "app-gateway-tls"]);
		// Annotated and labelled, as AKS's app routing TLS documentation requires of it.
		assert.equal(sa.metadata.annotations["azure.workload.identity/client-id"], CERT_READER_CLIENT_ID);
		assert.equal(sa.metadata.labels["azure.workload.identity/use"], "true");
		const fic = one(T.federated).plain;
		assert.equal(fic.subject, "system:serviceaccount:app-gw:app-gateway-tls");
		assert.equal(fic.issuer, (one(T.cluster).state as any).oidcIssuerProfile.issuerURL);
		assert.deepEqual(fic.audiences, ["api://AzureADTokenExchange"]);
		assert.equal(fic.resourceName, one(T.identity, "app-https-cert-reader").state.name);
		const grant = one(T.role, "app-https-cert-read").plain;
		// Key Vault Secrets User, the role the documentation names, on the certificate's secret alone.
		assert.deepEqual(
			[grant.scope, grant.principalId, grant.principalType, grant.roleDefinitionId],
			[`${VAULT}/secrets/app-tls`, CERT_READER_PRINCIPAL_ID, "ServicePrincipal", roleDef(BuiltInRole.KeyVaultSecretsUser)],
		);
		// The cluster's own CA (public, in the kubeconfig) is the one certificate in state; the listener's is not.
		const text = JSON.stringify(run.mocks.resources.map((r) => r.plain)).replaceAll("MIIBmockCA", "");
		assert.ok(!text.includes("PRIVATE KEY"), "no private key passes through Pulumi");
		assert.ok(!/BEGIN CERTIFICATE-----(\\n)?[A-Za-z0-9+/]/.test(text), "no certificate but the cluster CA passes through Pulumi");
	});

	it("gives the Gateway a static address the cluster may attach, publishes the name as an alias to it, and reports https", () => {
		const ip = one(T.ip);
		assert.deepEqual(
			[ip.plain.sku, ip.plain.publicIPAllocationMethod, ip.plain.zones],
			[{ name: "Standard", tier: "Regional" }, "Static", ["1", "2", "3"]],
		);
		const gw = one(T.gateway).plain;
		assert.deepEqual(gw.spec.infrastructure.annotations, {
			"service.beta.kubernetes.io/azure-pip-name": ip.state.name,
			"service.beta.kubernetes.io/azure-load-balancer-resource-group": one(T.cluster).plain.resourceGroupName,
		});
		// The cloud provider lists the public IPs of the group the Service names, so the grant is on
		// that group, as AKS's static IP documentation makes it (static-ip.md).
		const join = one(T.role, "app-https-ip-join").plain;
		const ipGroup = ip.id.replace(/\/providers\/.*$/, "");
		assert.equal(ipGroup, `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${one(T.cluster).plain.resourceGroupName}`);
		assert.deepEqual(
			[join.scope, join.principalId, join.roleDefinitionId],
			[ipGroup, CONTROL_PLANE_PRINCIPAL_ID, roleDef(BuiltInRole.NetworkContributor)],
		);
		const record = one(T.record).plain;
		assert.deepEqual(
			[record.resourceGroupName, record.zoneName, record.relativeRecordSetName, record.recordType, record.targetResource],
			["rg-dns", "example.com", "shop", "A", { id: ip.id }],
		);
		assert.equal(run.outputs.appUrl, "https://shop.example.com/");
		assert.equal(run.outputs.gatewayAddress, GATEWAY_IP);
	});

	it("declares the Gateway and routes only once the Gateway API, the certificate grant, the reader's federation and the address grant exist", () => {
		const gw = one(T.gateway);
		for (const dep of [
			one(T.dynamic, "cluster-gateway-api"),
			one(T.role, "app-https-cert-read"),
			one(T.federated, "app-https-cert-reader"),
			one(T.role, "app-https-ip-join"),
		]) {
			assert.ok(gw.dependencies.includes(dep.urn), dep.name);
			for (const route of run.mocks.all(T.route))
				assert.ok(route.dependencies.includes(dep.urn), `${route.name} after ${dep.name}`);
		}
	});
});

describe("HTTPS on a hostname: without one, nothing of it exists", () => {
	for (const stack of ["dev", "prod"]) {
		it(`${stack}: no Gateway, route, address, identity or Gateway API switch; the app's LoadBalancer Service as before`, async () => {
			const run = await runStack({ stack });
			for (const t of [T.gateway, T.route, T.ip, T.federated, T.record, T.serviceAccount])
				assert.equal(run.mocks.all(t).length, 0, t);
			assert.deepEqual(
				run.mocks.all(T.identity).map((i) => i.name),
				["cluster-identity"],
				"the cluster's own, no certificate reader",
			);
			const cluster = run.mocks.one(T.cluster).plain;
			assert.equal(cluster.ingressProfile, undefined, "no app routing add-on");
			assert.equal(cluster.addonProfiles.azureKeyvaultSecretsProvider, undefined);
			assert.ok(!run.mocks.all(T.dynamic).some((r) => r.name === "cluster-gateway-api"));
			assert.deepEqual(
				run.mocks
					.all(T.service)
					.filter((s) => s.name === "app-svc")
					.map((s) => s.plain.spec.type),
				["LoadBalancer"],
			);
			assert.equal("gatewayAddress" in run.outputs, false);
		});
	}
});

describe("HTTPS on a hostname: a certificate vault in another subscription", () => {
	const OTHER = "99999999-8888-7777-6666-555555555555";
	const vaultId = VAULT.replace(SUBSCRIPTION_ID, OTHER);
	const overrides = { ...HTTPS, [`${PROJECT}:tlsKeyVaultId`]: vaultId };

	it("is read there, through a provider for that subscription, and its secret is granted there", async () => {
		// The simulator puts the vault where the stack's id says, as a fork's own subscription would have it.
		const run = await runStack({ stack: "prod", overrides });
		assert.equal(run.mocks.vaultSubscriptions["shop-certs"], OTHER);
		const provider = run.mocks.one("pulumi:providers:azure-native", "tls-vault-subscription");
		assert.equal(provider.plain.subscriptionId, OTHER);
		const grant = run.mocks.one(T.role, "app-https-cert-read").plain;
		assert.equal(grant.scope, `${vaultId}/secrets/app-tls`);
		assert.equal(
			grant.roleDefinitionId,
			`/subscriptions/${OTHER}/providers/Microsoft.Authorization/roleDefinitions/${BuiltInRole.KeyVaultSecretsUser}`,
		);
	});

	it("is looked for where its id says and nowhere else: a vault that is elsewhere stops the run", async () => {
		// The vault's id names OTHER, but the simulator puts it in the stack's subscription, where the
		// program (rightly) does not look: what Azure answers a read in the wrong subscription.
		await assert.rejects(
			runStack({ stack: "prod", overrides, onMocks: (m) => (m.vaultSubscriptions["shop-certs"] = SUBSCRIPTION_ID) }),
			/ResourceNotFound: The Resource 'Microsoft\.KeyVault\/vaults\/shop-certs' was not found/,
		);
	});

	it("one that is not there either stops the run naming tlsKeyVaultId, both subscriptions and why", async () => {
		await assert.rejects(
			runStack({ stack: "prod", overrides, onMocks: (m) => (m.vaults["shop-certs"] = null) }),
			(err: Error) => {
				assert.match(err.message, new RegExp(`${PROJECT}:tlsKeyVaultId = `));
				assert.match(
					err.message,
					new RegExp(`in subscription ${OTHER}, not the stack's ${SUBSCRIPTION_ID}, cannot be read \\(.*ResourceNotFound`),
				);
				return true;
			},
		);
	});
});

describe("HTTPS on a hostname: the address in a group of its own (gatewayAddressGroup)", () => {
	it("puts the address there, grants the cluster's identity Network Contributor there alone, and names it to the Gateway's Service", async () => {
		const run = await runStack({
			stack: "prod",
			overrides: { ...HTTPS, [`${PROJECT}:gatewayAddressGroup`]: "rg-shop-prod-address" },
		});
		const ip = run.mocks.one(T.ip);
		assert.equal(ip.plain.resourceGroupName, "rg-shop-prod-address");
		const join = run.mocks.one(T.role, "app-https-ip-join").plain;
		assert.equal(join.scope, `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/rg-shop-prod-address`);
		const cluster = run.mocks.one(T.cluster).plain;
		assert.notEqual(cluster.resourceGroupName, "rg-shop-prod-address");
		const gw = run.mocks.one(T.gateway).plain;
		assert.equal(
			gw.spec.infrastructure.annotations["service.beta.kubernetes.io/azure-load-balancer-resource-group"],
			"rg-shop-prod-address",
		);
		const grantsInStackGroup = run.mocks
			.all(T.role)
			.filter((r) => String(r.plain.roleDefinitionId).endsWith(BuiltInRole.NetworkContributor))
			.map((r) => String(r.plain.scope))
			.filter((scope) => scope === `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${cluster.resourceGroupName}`);
		assert.deepEqual(grantsInStackGroup, [], "no Network Contributor on the stack's whole group");
	});

	it("without it, warns that the grant reaches the whole group, naming the setting; set without a hostname, it is refused", () => {
		const warned = parseStackConfig(
			{ environment: "prod", hostname: "shop.example.com", tlsCertificate: CERT, tlsKeyVaultId: VAULT },
			{ project: PROJECT, stack: "prod", location: "westeurope", defaultAppVersion: "1.0.0" },
		).warnings;
		assert.ok(
			warned.some((w) =>
				w.startsWith(`${PROJECT}:gatewayAddressGroup is not set: the Gateway's address goes in the stack's resource group`),
			),
		);
		assert.throws(
			() =>
				parseStackConfig(
					{ environment: "prod", gatewayAddressGroup: "rg-x" },
					{ project: PROJECT, stack: "prod", location: "westeurope", defaultAppVersion: "1.0.0" },
				),
			new RegExp(`${PROJECT}:gatewayAddressGroup = "rg-x" is not accepted: it does nothing without ${PROJECT}:hostname`),
		);
	});
});

describe("HTTPS on a hostname: a DNS zone in another subscription", () => {
	it("gets its record through a provider for the zone's subscription; a zone in the stack's through the default one", async () => {
		const OTHER = "99999999-8888-7777-6666-555555555555";
		const zoneId = DNS_ZONE_ID.replace(SUBSCRIPTION_ID, OTHER);
		const run = await runStack({ stack: "prod", overrides: { ...HTTPS, [`${PROJECT}:dnsZone`]: zoneId } });
		const provider = run.mocks.one("pulumi:providers:azure-native", "app-https-dns-subscription");
		assert.equal(provider.plain.subscriptionId, OTHER);
		const record = run.mocks.one("azure-native:dns:RecordSet", "app-https-dns");
		assert.ok(record.provider.startsWith(`${provider.urn}::`), record.provider);
		assert.equal(record.plain.resourceGroupName, "rg-dns");
		const same = await runStack({ stack: "prod", overrides: HTTPS });
		assert.equal(same.mocks.all("pulumi:providers:azure-native").filter((p) => p.name.endsWith("dns-subscription")).length, 0);
	});
});

describe("HTTPS on a hostname: the certificate's vault is checked before anything is created", () => {
	it("reads the vault's settings", () => {
		assert.deepEqual(
			vaultProblems({ enableRbacAuthorization: true, enableSoftDelete: true, enablePurgeProtection: true }, "prod"),
			[],
		);
		assert.deepEqual(
			vaultProblems({ enableRbacAuthorization: true, enableSoftDelete: true }, "dev"),
			[],
			"dev does without purge protection",
		);
		const problems = vaultProblems({ enableRbacAuthorization: false, enableSoftDelete: false }, "prod");
		assert.equal(problems.length, 3);
		assert.match(
			problems.join(";"),
			/access policies, not Azure RBAC.*soft delete is off.*purge protection is off, which prod requires/,
		);
	});

	for (const [what, props, message] of [
		[
			"an access-policy vault",
			{ enableRbacAuthorization: false, enableSoftDelete: true, enablePurgeProtection: true },
			/uses access policies, not Azure RBAC/,
		],
		[
			"a prod vault without purge protection",
			{ enableRbacAuthorization: true, enableSoftDelete: true },
			/purge protection is off, which prod requires/,
		],
		["a vault that cannot be read", null, /the vault cannot be read \(.*ResourceNotFound/],
	] as const) {
		it(`stops at ${what}, naming the key, and declares nothing`, async () => {
			let seen: StackMocks | undefined;
			await assert.rejects(
				runStack({
					stack: "prod",
					overrides: HTTPS,
					onMocks: (m) => {
						seen = m;
						m.vaults["shop-certs"] = props;
					},
				}),
				(err: Error) => {
					assert.match(err.message, new RegExp(`${PROJECT}:tlsKeyVaultId = "${VAULT.replaceAll("/", "\\/")}"`));
					assert.match(err.message, message);
					return true;
				},
			);
			assert.deepEqual(
				seen?.resources.filter((r) => !r.type.startsWith("pulumi:")).map((r) => r.type),
				[],
				"nothing declared",
			);
		});
	}
});
