import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceType } from "../config";
import { componentType } from "./typeToken";

/** The contract between the stack and the image in `app/`: port, user and shutdown timing. */
export const APP_CONTRACT = {
	/** Port the server listens on (`PORT`). */
	port: 8080,
	/** Numeric non-root user and group of the image. */
	uid: 10001,
	/** Seconds the app keeps serving after SIGTERM so endpoints can drop the pod (`SHUTDOWN_DELAY_SECONDS`). */
	shutdownDelaySeconds: 5,
	/** Longest the app may then take to finish in-flight requests. */
	drainSeconds: 15,
	livenessPath: "/healthz",
	readinessPath: "/readyz",
} as const;

/** Kubelet waits this long after SIGTERM before SIGKILL: the delay plus the drain, with margin. */
export const TERMINATION_GRACE_SECONDS = APP_CONTRACT.shutdownDelaySeconds + APP_CONTRACT.drainSeconds + 10;

export interface AppSettings {
	/** Name of the Deployment, Service and the `app.kubernetes.io/name` label. */
	name: string;
	/** Namespace of its own (never `default`). */
	namespace: string;
	/** Shown by the app (`APP_VERSION`). */
	version: string;
	/** Replicas; with `resilience` this is the autoscaler's minimum. */
	replicas: number;
	/** Autoscaler maximum (with `resilience`). Default: 3 × replicas. */
	maxReplicas?: number;
	/** Adds a PodDisruptionBudget, a HorizontalPodAutoscaler and zone spreading. Default: false. */
	resilience?: boolean;
	/** How the app is exposed. Default: "LoadBalancer". */
	serviceType?: ServiceType;
}

/** Labels every object of the app carries; the first one is also the selector. */
export function appLabels(name: string) {
	return { "app.kubernetes.io/name": name, "app.kubernetes.io/managed-by": "pulumi" };
}
const selectorOf = (name: string) => ({ "app.kubernetes.io/name": name });

/**
 * The Deployment, as data. Hardened the way Pod Security "restricted" and the CIS/Checkov
 * workload checks ask: non-root numeric UID, no privilege escalation, read-only root filesystem,
 * all capabilities dropped, RuntimeDefault seccomp, no service-account token; probes, requests
 * and limits; rolling updates that never drop below the desired count.
 */
export function deploymentSpec(s: AppSettings, image: pulumi.Input<string>): k8s.types.input.apps.v1.DeploymentSpec {
	const labels = appLabels(s.name);
	const selector = selectorOf(s.name);
	const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
		httpGet: { path, port: "http" },
		periodSeconds,
		failureThreshold,
		timeoutSeconds: 2,
	});
	return {
		// With an autoscaler the HPA owns the replica count; declaring it here would fight the HPA.
		replicas: s.resilience ? undefined : s.replicas,
		revisionHistoryLimit: 5,
		selector: { matchLabels: selector },
		strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
		template: {
			metadata: { labels },
			spec: {
				automountServiceAccountToken: false,
				enableServiceLinks: false,
				terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
				securityContext: {
					runAsNonRoot: true,
					runAsUser: APP_CONTRACT.uid,
					runAsGroup: APP_CONTRACT.uid,
					fsGroup: APP_CONTRACT.uid,
					seccompProfile: { type: "RuntimeDefault" },
				},
				topologySpreadConstraints: s.resilience
					? [
							{
								maxSkew: 1,
								topologyKey: "topology.kubernetes.io/zone",
								whenUnsatisfiable: "ScheduleAnyway",
								labelSelector: { matchLabels: selector },
							},
							{
								maxSkew: 1,
								topologyKey: "kubernetes.io/hostname",
								whenUnsatisfiable: "ScheduleAnyway",
								labelSelector: { matchLabels: selector },
							},
						]
					: undefined,
				containers: [
					{
						name: s.name,
						image,
						imagePullPolicy: "IfNotPresent",
						ports: [{ name: "http", containerPort: APP_CONTRACT.port, protocol: "TCP" }],
						env: [
							{ name: "PORT", value: String(APP_CONTRACT.port) },
							{ name: "APP_NAME", value: s.name },
							{ name: "APP_VERSION", value: s.version },
							{ name: "SHUTDOWN_DELAY_SECONDS", value: String(APP_CONTRACT.shutdownDelaySeconds) },
							{ name: "DRAIN_TIMEOUT_SECONDS", value: String(APP_CONTRACT.drainSeconds) },
							{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
						],
						resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
						readinessProbe: probe(APP_CONTRACT.readinessPath, 5, 2),
						livenessProbe: { ...probe(APP_CONTRACT.livenessPath, 10, 3), initialDelaySeconds: 5 },
						securityContext: {
							allowPrivilegeEscalation: false,
							privileged: false,
							readOnlyRootFilesystem: true,
							runAsNonRoot: true,
							runAsUser: APP_CONTRACT.uid,
							capabilities: { drop: ["ALL"] },
						},
						volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
					},
				],
				// The root filesystem is read-only; /tmp is the one writable place, in memory-backed scratch.
				volumes: [{ name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "16Mi" } }],
			},
		},
	};
}

export interface AppArgs extends AppSettings {
	/** Image reference pinned by digest (`repo@sha256:…`). */
	image: pulumi.Input<string>;
	/** The kubelet's AcrPull assignment: the Deployment waits for it, so no pod pulls before it exists. */
	imagePullGrant: pulumi.Resource;
	/** The pools the pods run on: the Deployment waits for them, so its rollout never waits for nodes. Default: none. */
	nodePools?: pulumi.Resource[];
}

/** The app in its own namespace: Deployment, Service, NetworkPolicy, and in prod a PDB and an HPA. */
export class App extends pulumi.ComponentResource {
	/** Where to reach the app: the load balancer's address, or the in-cluster DNS name for ClusterIP. */
	readonly url: pulumi.Output<string>;
	readonly namespace: pulumi.Output<string>;

	constructor(name: string, args: AppArgs, opts?: pulumi.ComponentResourceOptions) {
		super(componentType("app", "App"), name, {}, opts);
		const labels = appLabels(args.name);
		const selector = selectorOf(args.name);
		const meta = () => ({ name: args.name, namespace: args.namespace, labels });

		const ns = new k8s.core.v1.Namespace(
			`${name}-ns`,
			{
				metadata: {
					name: args.namespace,
					labels: {
						...labels,
						// Pod Security admission: reject pods that break the "restricted" profile.
						"pod-security.kubernetes.io/enforce": "restricted",
						"pod-security.kubernetes.io/enforce-version": "latest",
					},
				},
			},
			{ parent: this },
		);
		const inNs = { parent: this, dependsOn: [ns] };

		const digestImage = pulumi.output(args.image).apply((image) => {
			if (!/@sha256:[0-9a-f]{64}$/.test(image)) {
				throw new Error(`App ${name}: image must be pinned by digest (repo@sha256:…), got ${image}`);
			}
			return image;
		});
		const deployment = new k8s.apps.v1.Deployment(
			`${name}-deployment`,
			{ metadata: meta(), spec: deploymentSpec(args, digestImage) },
			{ ...inNs, dependsOn: [ns, args.imagePullGrant, ...(args.nodePools ?? [])] },
		);

		new k8s.networking.v1.NetworkPolicy(
			`${name}-netpol`,
			{
				metadata: meta(),
				spec: {
					podSelector: { matchLabels: selector },
					policyTypes: ["Ingress"],
					// Only the app's own port is reachable; everything else to these pods is denied.
					ingress: [{ ports: [{ port: APP_CONTRACT.port, protocol: "TCP" }] }],
				},
			},
			inNs,
		);

		const serviceType = args.serviceType ?? "LoadBalancer";
		const service = new k8s.core.v1.Service(
			`${name}-svc`,
			{
				metadata: meta(),
				spec: {
					type: serviceType,
					selector,
					ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
				},
			},
			inNs,
		);

		if (args.resilience) {
			new k8s.policy.v1.PodDisruptionBudget(
				`${name}-pdb`,
				{ metadata: meta(), spec: { maxUnavailable: 1, selector: { matchLabels: selector } } },
				inNs,
			);
			new k8s.autoscaling.v2.HorizontalPodAutoscaler(
				`${name}-hpa`,
				{
					metadata: meta(),
					spec: {
						scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name },
						minReplicas: args.replicas,
						maxReplicas: args.maxReplicas ?? args.replicas * 3,
						metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }],
					},
				},
				inNs,
			);
		}

		this.namespace = ns.metadata.name;
		this.url =
			serviceType === "LoadBalancer"
				? service.status.apply((st) => {
						const ingress = st?.loadBalancer?.ingress?.[0];
						const host = ingress?.ip ?? ingress?.hostname;
						return host ? `http://${host}/` : "pending: the load balancer has no address yet";
					})
				: pulumi.interpolate`http://${service.metadata.name}.${ns.metadata.name}.svc.cluster.local/`;
		this.registerOutputs({ url: this.url, namespace: this.namespace });
	}
}
