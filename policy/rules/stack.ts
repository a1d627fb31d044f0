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
