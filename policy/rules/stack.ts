import { namespaceOf, podTemplateOf, selectorMatches, WORKLOAD_TYPES } from "../kubernetes";
import type { StackResource, StackRule } from "../rule";

const ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d";
const workloads = (rs: StackResource[]) =>
	rs.filter((r) => WORKLOAD_TYPES.includes(r.type)).map((r) => ({ r, pod: podTemplateOf(r.type, r.props) }));
const ofType = (rs: StackResource[], type: string) => rs.filter((r) => r.type === type);

/** The stack's environment, from the `environment` tag the stack puts on its Azure resources. */
export const environmentOf = (rs: StackResource[]): string | undefined =>
	rs.map((r) => r.props?.tags?.environment).find((e): e is string => typeof e === "string");

export const stackRules: StackRule[] = [
	{
		name: "kubelet-acr-pull-only",
		title: "The kubelet identity can pull from the registry and do nothing broader",
		catalog: ["CIS AKS 5.1.3"],
		level: "mandatory",
		remediation:
			"grant the kubelet identity (identityProfile.kubeletidentity.objectId) AcrPull scoped to the registry, and no other role",
		check: (rs) => {
			const problems: { resource: StackResource; problem: string }[] = [];
			const registries = ofType(rs, "azure-native:containerregistry:Registry");
			for (const cluster of ofType(rs, "azure-native:containerservice:ManagedCluster")) {
				const kubelet = cluster.props?.identityProfile?.kubeletidentity?.objectId;
				if (typeof kubelet !== "string") continue;
				const grants = ofType(rs, "azure-native:authorization:RoleAssignment").filter((a) => a.props?.principalId === kubelet);
				for (const a of grants) {
					const role = String(a.props?.roleDefinitionId ?? "");
					const scope = String(a.props?.scope ?? "");
					if (!role.endsWith(ACR_PULL))
						problems.push({ resource: a, problem: `grants the kubelet identity role ${role.split("/").pop()}, not AcrPull` });
					else if (!/\/providers\/Microsoft\.ContainerRegistry\/registries\/[^/]+$/i.test(scope)) {
						problems.push({ resource: a, problem: `grants AcrPull on ${scope}, broader than one registry` });
					}
				}
				if (registries.length > 0 && !grants.some((a) => String(a.props?.roleDefinitionId ?? "").endsWith(ACR_PULL))) {
					problems.push({
						resource: cluster,
						problem: "the kubelet identity has no AcrPull on the stack's registry: pods cannot pull",
					});
				}
			}
			return problems;
		},
	},
	{
		name: "acr-private-endpoint-dns-linked",
		title:
			"A registry without public access has a private endpoint whose privatelink.azurecr.io zone is linked to the cluster's VNet",
		catalog: ["Azure Private Link DNS: privatelink.azurecr.io for Microsoft.ContainerRegistry/registries (registry)"],
		level: "mandatory",
		remediation:
			"a private endpoint (groupIds [registry]) in the cluster's VNet, a zone group writing into the one zone privatelink.azurecr.io " +
			"(data endpoints included), and that zone linked to the VNet of the cluster's node subnet",
		// Only what Azure returns is read: outputs name neither a zone group's endpoint nor a link's
		// zone, so endpoints are matched by the registry they connect to and links by their VNet.
		check: (rs) => {
			const problems: { resource: StackResource; problem: string }[] = [];
			const endpoints = ofType(rs, "azure-native:network:PrivateEndpoint");
			const zoneIds = ofType(rs, "azure-native:network:PrivateDnsZoneGroup").flatMap((g) =>
				(g.props?.privateDnsZoneConfigs ?? []).map((c: any) => String(c?.privateDnsZoneId ?? "")),
			);
			const linkedVnets = ofType(rs, "azure-native:privatedns:VirtualNetworkLink").map((l) =>
				String(l.props?.virtualNetwork?.id ?? "").toLowerCase(),
			);
			const nodeVnets = ofType(rs, "azure-native:containerservice:ManagedCluster").map((c) => ({
				cluster: c,
				vnet: String(c.props?.agentPoolProfiles?.[0]?.vnetSubnetID ?? "").replace(/\/subnets\/[^/]+$/i, ""),
			}));
			for (const registry of ofType(rs, "azure-native:containerregistry:Registry")) {
				if (registry.props?.publicNetworkAccess !== "Disabled") continue;
				const name = String(registry.props?.name ?? "").toLowerCase();
				const endpoint = endpoints.some((e) =>
					(e.props?.privateLinkServiceConnections ?? []).some(
						(c: any) =>
							String(c?.privateLinkServiceId ?? "")
								.toLowerCase()
								.endsWith(`/registries/${name}`) && (c?.groupIds ?? []).includes("registry"),
					),
				);
				if (!endpoint) {
					problems.push({
						resource: registry,
						problem: "public access is off and no private endpoint connects to it: nothing can pull",
					});
					continue;
				}
				const wrongZone = zoneIds.find(
					(id) => /azurecr\.io$/i.test(id) && !/\/privateDnsZones\/privatelink\.azurecr\.io$/i.test(id),
				);
				if (wrongZone) {
					problems.push({
						resource: registry,
						problem: `a zone group writes into ${wrongZone.split("/").pop()}: login server and data endpoints belong in privatelink.azurecr.io, and other names resolve to public addresses`,
					});
				}
				if (!zoneIds.some((id) => /\/privateDnsZones\/privatelink\.azurecr\.io$/i.test(id))) {
					problems.push({
						resource: registry,
						problem:
							"no zone group writes its endpoint's addresses into privatelink.azurecr.io: its name resolves to nothing reachable",
					});
				}
				for (const { cluster, vnet } of nodeVnets) {
					if (vnet === "") {
						problems.push({
							resource: cluster,
							problem: "its nodes are in the network AKS made, which no private DNS zone is linked to",
						});
					} else if (!linkedVnets.includes(vnet.toLowerCase())) {
						problems.push({
							resource: cluster,
							problem: `privatelink.azurecr.io is not linked to its VNet ${vnet.split("/").pop()}: nodes resolve the registry to its public address, and pulls fail`,
						});
					}
				}
			}
			return problems;
		},
	},
	{
		name: "gateway-https-only",
		title: "With a Gateway, traffic arrives over HTTPS only: plain HTTP only redirects, and no app Service is a LoadBalancer",
		catalog: ["AKS baseline: TLS at the ingress"],
		level: "mandatory",
		remediation:
			"give every HTTP listener only an HTTPRoute whose rules redirect to https (RequestRedirect, no backendRefs), and make the app's Service ClusterIP",
		check: (rs) => {
			const gateways = ofType(rs, "kubernetes:gateway.networking.k8s.io/v1:Gateway");
			if (gateways.length === 0) return [];
			const problems: { resource: StackResource; problem: string }[] = [];
			for (const svc of ofType(rs, "kubernetes:core/v1:Service").filter((s) => s.props?.spec?.type === "LoadBalancer")) {
				problems.push({ resource: svc, problem: "is a LoadBalancer beside the Gateway: a way in around HTTPS" });
			}
			const routes = ofType(rs, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute");
			for (const gw of gateways) {
				const gwName = gw.props?.metadata?.name;
				const gwNs = namespaceOf(gw.props);
				for (const listener of gw.props?.spec?.listeners ?? []) {
					if (listener?.protocol === "HTTPS" || listener?.protocol === "TLS") continue;
					const attached = routes.filter((r) =>
						(r.props?.spec?.parentRefs ?? []).some(
							(p: any) =>
								p?.name === gwName &&
								(p?.namespace ?? namespaceOf(r.props)) === gwNs &&
								(p?.sectionName === undefined || p?.sectionName === listener.name),
						),
					);
					for (const r of attached) {
						const serves = (r.props?.spec?.rules ?? []).some(
							(rule: any) =>
								(rule?.backendRefs ?? []).length > 0 ||
								!(rule?.filters ?? []).some((f: any) => f?.type === "RequestRedirect" && f?.requestRedirect?.scheme === "https"),
						);
						if (serves) {
							problems.push({
								resource: r,
								problem: `serves traffic on ${listener.protocol} listener ${listener.name} of Gateway ${gwName}: only a redirect to https belongs there`,
							});
						}
					}
				}
			}
			return problems;
		},
	},
	{
		name: "prod-served-over-https",
		title: "Prod is served on a name of its own over HTTPS",
		catalog: ["AKS baseline: TLS at the ingress"],
		level: "advisory",
		remediation: "set hostname, tlsCertificate and tlsKeyVaultId (README: Serve it on your domain)",
		check: (rs) =>
			environmentOf(rs) !== "prod" || ofType(rs, "kubernetes:gateway.networking.k8s.io/v1:Gateway").length > 0
				? []
				: ofType(rs, "kubernetes:core/v1:Service")
						.filter((s) => s.props?.spec?.type === "LoadBalancer")
						.map((s) => ({ resource: s, problem: "serves plain HTTP on a load balancer address: users get no TLS" })),
	},
	{
		name: "k8s-service-selects-pods",
		title: "Every Service selects pods of a workload in its namespace",
		catalog: ["AKS reliability best practices: Services and their endpoints"],
		level: "mandatory",
		remediation: "make spec.selector match the pod template labels of a Deployment in the same namespace",
		check: (rs) =>
			ofType(rs, "kubernetes:core/v1:Service")
				.filter((svc) => svc.props?.spec?.type !== "ExternalName" && svc.props?.spec?.selector)
				.filter(
					(svc) =>
						!workloads(rs).some(
							({ r, pod }) =>
								pod && namespaceOf(r.props) === namespaceOf(svc.props) && selectorMatches(svc.props.spec.selector, pod.labels),
						),
				)
				.map((svc) => ({ resource: svc, problem: `selector ${JSON.stringify(svc.props.spec.selector)} matches no pods` })),
	},
	{
		name: "k8s-pdb-selects-workload",
		title: "Every PodDisruptionBudget selects a workload in its namespace",
		catalog: ["AKS reliability best practices: Pod Disruption Budgets"],
		level: "mandatory",
		remediation: "make spec.selector match the Deployment's pod labels",
		check: (rs) =>
			ofType(rs, "kubernetes:policy/v1:PodDisruptionBudget")
				.filter(
					(pdb) =>
						!workloads(rs).some(
							({ r, pod }) =>
								pod && namespaceOf(r.props) === namespaceOf(pdb.props) && selectorMatches(pdb.props?.spec?.selector, pod.labels),
						),
				)
				.map((pdb) => ({ resource: pdb, problem: "its selector matches no workload: it protects nothing" })),
	},
	{
		name: "k8s-network-policy-covers-pods",
		title: "Every workload's pods are selected by a NetworkPolicy",
		catalog: ["CKV2_K8S_6"],
		level: "mandatory",
		remediation: "add a NetworkPolicy in the namespace whose podSelector matches the pods and allows only the ports they serve",
		check: (rs) => {
			const policies = ofType(rs, "kubernetes:networking.k8s.io/v1:NetworkPolicy");
			return workloads(rs)
				.filter(
					({ r, pod }) =>
						pod &&
						!policies.some(
							(np) =>
								namespaceOf(np.props) === namespaceOf(r.props) && selectorMatches(np.props?.spec?.podSelector ?? {}, pod.labels),
						),
				)
				.map(({ r }) => ({ resource: r, problem: "no NetworkPolicy selects its pods: all traffic to them is allowed" }));
		},
	},
	{
		name: "k8s-prod-replicas-and-pdb",
		title: "In prod, every Deployment or StatefulSet runs at least 2 replicas and has a PodDisruptionBudget",
		catalog: ["AKS reliability best practices: multi-replica applications, Pod Disruption Budgets"],
		level: "mandatory",
		remediation: "appReplicas ≥ 2 (the HPA minimum) and a PodDisruptionBudget selecting the pods",
		check: (rs) => {
			if (environmentOf(rs) !== "prod") return [];
			const problems: { resource: StackResource; problem: string }[] = [];
			const hpas = ofType(rs, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler");
			const pdbs = ofType(rs, "kubernetes:policy/v1:PodDisruptionBudget");
			for (const { r, pod } of workloads(rs).filter(({ r }) =>
				["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"].includes(r.type),
			)) {
				const name = r.props?.metadata?.name;
				const hpa = hpas.find(
					(h) => namespaceOf(h.props) === namespaceOf(r.props) && h.props?.spec?.scaleTargetRef?.name === name,
				);
				const replicas = hpa ? hpa.props.spec.minReplicas : (r.props?.spec?.replicas ?? 1);
				if (!(replicas >= 2))
					problems.push({ resource: r, problem: `runs ${replicas} replica(s)${hpa ? " at the HPA minimum" : ""}` });
				if (
					pod &&
					!pdbs.some((p) => namespaceOf(p.props) === namespaceOf(r.props) && selectorMatches(p.props?.spec?.selector, pod.labels))
				) {
					problems.push({ resource: r, problem: "no PodDisruptionBudget selects its pods" });
				}
			}
			return problems;
		},
	},
];
