/** Reading pod templates out of Kubernetes workload resources, whatever their kind. */

export const WORKLOAD_TYPES = [
	"kubernetes:core/v1:Pod",
	"kubernetes:apps/v1:Deployment",
	"kubernetes:apps/v1:StatefulSet",
	"kubernetes:apps/v1:DaemonSet",
	"kubernetes:apps/v1:ReplicaSet",
	"kubernetes:batch/v1:Job",
	"kubernetes:batch/v1:CronJob",
];

/** Kinds that live outside namespaces, so the not-default-namespace rule leaves them alone. */
export const CLUSTER_SCOPED_KINDS = new Set([
	"Namespace",
	"Node",
	"PersistentVolume",
	"StorageClass",
	"ClusterRole",
	"ClusterRoleBinding",
	"CustomResourceDefinition",
	"PriorityClass",
	"ValidatingWebhookConfiguration",
	"MutatingWebhookConfiguration",
	"IngressClass",
	"RuntimeClass",
]);

export interface PodTemplate {
	labels: Record<string, string>;
	spec: any;
}

/** The pod template of a workload (the pod itself for a Pod). */
export function podTemplateOf(type: string, props: any): PodTemplate | undefined {
	switch (type) {
		case "kubernetes:core/v1:Pod":
			return { labels: props?.metadata?.labels ?? {}, spec: props?.spec ?? {} };
		case "kubernetes:batch/v1:CronJob": {
			const t = props?.spec?.jobTemplate?.spec?.template;
			return t ? { labels: t.metadata?.labels ?? {}, spec: t.spec ?? {} } : undefined;
		}
		default: {
			const t = props?.spec?.template;
			return WORKLOAD_TYPES.includes(type) && t ? { labels: t.metadata?.labels ?? {}, spec: t.spec ?? {} } : undefined;
		}
	}
}

export interface ContainerRef {
	kind: "container" | "initContainer" | "ephemeralContainer";
	container: any;
}

export function containersOf(spec: any): ContainerRef[] {
	return [
		...(spec?.initContainers ?? []).map((container: any) => ({ kind: "initContainer" as const, container })),
		...(spec?.containers ?? []).map((container: any) => ({ kind: "container" as const, container })),
		...(spec?.ephemeralContainers ?? []).map((container: any) => ({ kind: "ephemeralContainer" as const, container })),
	];
}

/** True when every matchLabels entry is in `labels` (matchExpressions are supported for In/Exists). */
export function selectorMatches(selector: any, labels: Record<string, string>): boolean {
	if (!selector) return false;
	const matchLabels: Record<string, string> = selector.matchLabels ?? (selector.matchExpressions ? {} : selector);
	const exprs: any[] = selector.matchExpressions ?? [];
	if (Object.keys(matchLabels).length === 0 && exprs.length === 0) return true;
	return (
		Object.entries(matchLabels).every(([k, v]) => labels[k] === v) &&
		exprs.every((e) => {
			const has = Object.hasOwn(labels, e.key);
			switch (e.operator) {
				case "In":
					return has && (e.values ?? []).includes(labels[e.key]);
				case "NotIn":
					return !has || !(e.values ?? []).includes(labels[e.key]);
				case "Exists":
					return has;
				case "DoesNotExist":
					return !has;
				default:
					return false;
			}
		})
	);
}

export const namespaceOf = (props: any): string => props?.metadata?.namespace ?? "default";
export const kindOf = (type: string): string => type.split(":").pop() ?? type;
