import { CLUSTER_SCOPED_KINDS, containersOf, kindOf, podTemplateOf, WORKLOAD_TYPES } from "../kubernetes";
import type { ResourceRule } from "../rule";

/** A rule over every container of a workload's pod template; `check` returns a problem or nothing. */
function perContainer(
	check: (c: any, pod: any, kind: "container" | "initContainer" | "ephemeralContainer") => string | undefined,
	kinds: ("container" | "initContainer" | "ephemeralContainer")[] = ["container", "initContainer", "ephemeralContainer"],
) {
	return (props: any, type: string): string[] => {
		const pod = podTemplateOf(type, props);
		if (!pod) return [];
		return containersOf(pod.spec)
			.filter((ref) => kinds.includes(ref.kind))
			.map((ref) => {
				const problem = check(ref.container, pod.spec, ref.kind);
				return problem ? `${ref.kind} ${ref.container.name ?? "?"}: ${problem}` : undefined;
			})
			.filter((p): p is string => p !== undefined);
	};
}
/** The effective value of a securityContext field: the container's, else the pod's. */
const effective = (c: any, pod: any, field: string) => c.securityContext?.[field] ?? pod.securityContext?.[field];
const podLevel = (check: (pod: any) => string | undefined) => (props: any, type: string) => {
	const pod = podTemplateOf(type, props);
	const problem = pod ? check(pod.spec) : undefined;
	return problem ? [problem] : [];
};

const DIGEST = /@sha256:[0-9a-f]{64}$/;

export const workloadRules: ResourceRule[] = [
	{
		name: "k8s-liveness-probe",
		title: "Containers have a liveness probe",
		catalog: ["CKV_K8S_8", "AKS Deployment Safeguards: liveness/readiness probes"],
		level: "mandatory",
		types: WORKLOAD_TYPES,
		remediation: "add livenessProbe (httpGet /healthz)",
		check: perContainer((c) => (c.livenessProbe ? undefined : "no livenessProbe"), ["container"]),
	},
	{
		name: "k8s-readiness-probe",
		title: "Containers have a readiness probe",
		catalog: ["CKV_K8S_9", "AKS Deployment Safeguards: liveness/readiness probes"],
		level: "mandatory",
		types: WORKLOAD_TYPES,
		remediation: "add readinessProbe (httpGet /readyz)",
		check: perContainer((c) => (c.readinessProbe ? undefined : "no readinessProbe"), ["container"]),
	},
	{
		name: "k8s-requests-and-limits",
		title: "Containers set CPU and memory requests and limits",
		catalog: ["CKV_K8S_10", "CKV_K8S_11", "CKV_K8S_12", "CKV_K8S_13", "AKS Deployment Safeguards: resource requests"],
		level: "mandatory",
		types: WORKLOAD_TYPES,
		remediation: "set resources.requests and resources.limits for cpu and memory",
		check: perContainer((c) => {
			const missing = [
				["requests", "cpu"],
				["limits", "cpu"],
				["requests", "memory"],
				["limits", "memory"],
			]
				.filter(([k, r]) => c.resources?.[k]?.[r] === undefined)
				.map(([k, r]) => `${k}.${r}`);
			return missing.length > 0 ? `missing ${missing.join(", ")}` : undefined;
		}),
	},
	{
		name: "k8s-image-pinned-by-digest",
		title: "Images are pinned by digest and never use latest",
		catalog: ["CKV_K8S_43", "CKV_K8S_14"],
		level: "mandatory",
		types: WORKLOAD_TYPES,
		remediation: "deploy the pushed repoDigest (repo@sha256:…), never a tag",
		check: perContainer((c) => {
			const image = c.image;
			if (typeof image !== "string") return "no image";
			if (/:latest(@|$)/.test(image)) return `image ${image} uses the latest tag`;
			return DIGEST.test(image) ? undefined : `image ${image} is not pinned by digest`;
		}),
	},
	{
		name: "k8s-no-privileged",
		title: "Containers are not privileged",
		catalog: ["CKV_K8S_16", "PSS baseline: Privileged Containers"],
		level: "mandatory",
		types: WORKLOAD_TYPES,
		remediation: "remove securityContext.privileged or set it to false",
		check: perContainer((c) => (c.securityContext?.privileged === true ? "privileged: true" : undefined)),
	},
	{
		name: "k8s-no-host-namespaces",
		title: "Pods do not share the host's PID, IPC or network namespaces",
		catalog: ["CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19", "PSS baseline: Host Namespaces"],
		level: "mandatory",
		types: WORKLOAD_TYPES,
		remediation: "remove hostPID, hostIPC and hostNetwork",
		check: podLevel((pod) => {
			const shared = ["hostPID", "hostIPC", "hostNetwork"].filter((k) => pod[k] === true);
			return shared.length > 0 ? `${shared.join(", ")} enabled` : undefined;
		}),
	},
	{
		name: "k8s-no-privilege-escalation",
		title: "Containers forbid privilege escalation",
		catalog: ["CKV_K8S_20", "PSS restricted: Privilege Escalation"],
		level: "mandatory",
		types: WORKLOAD_TYPES,
		remediation: "set securityContext.allowPrivilegeEscalation: false",
		check: perContainer((c) =>
			c.securityContext?.allowPrivilegeEscalation === false ? undefined : "allowPrivilegeEscalation is not false",
		),
	},
	{
		name: "k8s-not-default-namespace",
		title: "Kubernetes objects live in a namespace of their own, not default",
		catalog: ["CKV_K8S_21"],
		level: "mandatory",
		types: ["kubernetes:*"],
		remediation: "set metadata.namespace to the app's namespace",
		check: (p, type) => {
			// Kubernetes API objects only (group/version:Kind), not Helm releases or YAML components.
			if (!/^kubernetes:[^:]*\/[^:]*:/.test(type) || type.startsWith("kubernetes:helm.sh/")) return [];
			if (CLUSTER_SCOPED_KINDS.has(kindOf(type))) return [];
			const ns = p?.metadata?.namespace;
			return ns === undefined || ns === "default" ? [`metadata.namespace is ${ns ?? "unset (default)"}`] : [];
		},
	},
	{
		name: "k8s-read-only-root-filesystem",
		title: "Containers have a read-only root filesystem",
		catalog: ["CKV_K8S_22"],
		level: "mandatory",
		types: WORKLOAD_TYPES,
		remediation: "set securityContext.readOnlyRootFilesystem: true; mount an emptyDir where the app must write",
		check: perContainer((c) =>
			c.securityContext?.readOnlyRootFilesystem === true ? undefined : "readOnlyRootFilesystem is not true",
		),
	},
	{
		name: "k8s-non-root-high-uid",
		title: "Containers run as non-root with a UID of at least 10000",
		catalog: ["CKV_K8S_23", "CKV_K8S_40", "PSS restricted: Running as Non-root"],
		level: "mandatory",
		types: WORKLOAD_TYPES,
		remediation: "set runAsNonRoot: true and runAsUser (and runAsGroup) ≥ 10000, matching the image's USER",
		check: perContainer((c, pod) => {
			if (effective(c, pod, "runAsNonRoot") !== true) return "runAsNonRoot is not true";
			const uid = effective(c, pod, "runAsUser");
			if (typeof uid !== "number" || uid < 10000) return `runAsUser is ${uid ?? "unset"}; expected ≥ 10000`;
			const gid = effective(c, pod, "runAsGroup");
			if (gid !== undefined && gid < 10000) return `runAsGroup is ${gid}; expected ≥ 10000`;
			return undefined;
		}),
	},
	{
		name: "k8s-drop-all-capabilities",
		title: "Containers drop all capabilities and add at most NET_BIND_SERVICE",
		catalog: ["CKV_K8S_28", "CKV_K8S_37", "PSS restricted: Capabilities"],
		level: "mandatory",
		types: WORKLOAD_TYPES,
		remediation: 'set securityContext.capabilities: { drop: ["ALL"] }',
		check: perContainer((c) => {
			const caps = c.securityContext?.capabilities ?? {};
			if (!(caps.drop ?? []).includes("ALL")) return "capabilities.drop does not include ALL";
			const added = (caps.add ?? []).filter((cap: string) => cap !== "NET_BIND_SERVICE");
			return added.length > 0 ? `adds ${added.join(", ")}` : undefined;
		}),
	},
	{
		name: "k8s-seccomp-runtime-default",
		title: "Pods use the RuntimeDefault (or a Localhost) seccomp profile",
		catalog: ["CKV_K8S_31", "PSS restricted: Seccomp"],
		level: "mandatory",
		types: WORKLOAD_TYPES,
		remediation: 'set securityContext.seccompProfile: { type: "RuntimeDefault" } on the pod',
		check: perContainer((c, pod) => {
			const t = c.securityContext?.seccompProfile?.type ?? pod.securityContext?.seccompProfile?.type;
			return t === "RuntimeDefault" || t === "Localhost" ? undefined : `seccompProfile is ${t ?? "unset"}`;
		}),
	},
	{
		name: "k8s-no-service-account-token",
		title: "Pods do not mount a service-account token they do not use",
		catalog: ["CKV_K8S_38", "CIS Kubernetes 5.1.6"],
		level: "mandatory",
		types: WORKLOAD_TYPES,
		remediation: "set automountServiceAccountToken: false on the pod spec",
		check: podLevel((pod) =>
			pod.automountServiceAccountToken === false ? undefined : "automountServiceAccountToken is not false",
		),
	},
];
